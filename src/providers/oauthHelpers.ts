import { createHash, randomBytes } from 'node:crypto';
import { ProviderError, type ErrorClass, type HttpClient, type Provider, type TokenSet } from './types.ts';

/**
 * Small pieces every OAuth adapter needs: form posts with the platform's client authentication,
 * defensive JSON parsing, token-response normalisation and error building. Adapters compose
 * these; nothing here knows a platform.
 */

export type ClientAuth =
  | { method: 'basic'; clientId: string; clientSecret: string }
  | { method: 'body'; clientId: string; clientSecret: string }
  | { method: 'public'; clientId: string } // client_id in the body, no secret
  | { method: 'none' };

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined and base64-encoded. */
export function basicAuthHeader(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

export function createPkcePair(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(48).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier) };
}

export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

/** POSTs `application/x-www-form-urlencoded` with the client authentication applied. */
export async function postForm(
  http: HttpClient,
  url: string | URL,
  params: Record<string, string | undefined>,
  auth: ClientAuth = { method: 'none' },
  headers: Record<string, string> = {},
): Promise<Response> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers };
  if (auth.method === 'basic') h.authorization = basicAuthHeader(auth.clientId, auth.clientSecret);
  if (auth.method === 'body') {
    form.set('client_id', auth.clientId);
    form.set('client_secret', auth.clientSecret);
  }
  if (auth.method === 'public') form.set('client_id', auth.clientId);
  return http(url, { method: 'POST', headers: h, body: form.toString() });
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `nowMs`. */
export function retryAfterMs(response: Response, nowMs: number): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Reads a JSON body. An HTML error page, an empty or truncated body becomes
 * ProviderError('malformed_response'): transient when the platform is failing (5xx, 429, or a
 * 2xx whose body was cut off: the request may be retried), bad_request for a 4xx.
 */
export async function readJson(response: Response, platform: string): Promise<unknown> {
  const text = await response.text();
  const errorClass: ErrorClass = response.status >= 400 && response.status < 500 && response.status !== 429 ? 'bad_request' : 'transient';
  const looksHtml = /^\s*</.test(text) || (response.headers.get('content-type') ?? '').includes('text/html');
  if (looksHtml) {
    throw new ProviderError(errorClass, 'malformed_response', `${platform} answered with an HTML page (HTTP ${response.status}) instead of JSON`, {
      httpStatus: response.status,
    });
  }
  if (text.trim() === '') {
    if (response.status === 204) return {};
    throw new ProviderError(errorClass, 'malformed_response', `${platform} answered with an empty body (HTTP ${response.status})`, {
      httpStatus: response.status,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ProviderError(errorClass, 'malformed_response', `${platform} answered with invalid JSON (HTTP ${response.status})`, {
      httpStatus: response.status,
      cause: err,
    });
  }
}

/**
 * Turns a non-2xx response into a ProviderError using the adapter's classification, with the
 * generic fallbacks (429 and 5xx transient, 401 refresh_needed, other 4xx bad_request).
 */
export async function errorFromResponse(response: Response, provider: Pick<Provider, 'classifyError'>, platform: string, nowMs: number): Promise<ProviderError> {
  let body: unknown;
  const retryMs = retryAfterMs(response, nowMs);
  try {
    body = await readJson(response, platform);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    // An HTML error page or a cut-off body: nothing to classify, say so (class from the status).
    return new ProviderError(err.errorClass, 'malformed_response', err.message, { httpStatus: response.status, retryAfterMs: retryMs, cause: err });
  }
  const classified = provider.classifyError(response.status, body);
  const fallback = genericClassification(response.status);
  const { errorClass, reason } = classified ?? fallback;
  const detail = describeErrorBody(body);
  return new ProviderError(errorClass, reason, `${platform} refused the request (HTTP ${response.status}${detail ? `: ${detail}` : ''})`, {
    httpStatus: response.status,
    platformCode: classified?.platformCode,
    retryAfterMs: retryMs,
  });
}

export function genericClassification(status: number): { errorClass: ErrorClass; reason: string } {
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited' };
  if (status >= 500 || status === 408) return { errorClass: 'transient', reason: 'platform_unavailable' };
  if (status === 401) return { errorClass: 'refresh_needed', reason: 'unauthorized' };
  return { errorClass: 'bad_request', reason: 'request_rejected' };
}

/** A short, token-free description of an error body (`invalid_grant: ...`). */
export function describeErrorBody(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ['error', 'code', 'title', 'error_description', 'message', 'detail']) {
    const v = b[key];
    if (typeof v === 'string' || typeof v === 'number') parts.push(String(v));
    else if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') parts.push((v as { message: string }).message);
  }
  return parts.join(': ').replace(/[A-Za-z0-9_\-.]{40,}/g, '[…]').slice(0, 300);
}

/** Scopes arrive as "a b", "a,b" or ["a","b"]; normalise to a sorted-free, de-duplicated list. */
export function parseScopes(value: unknown, fallback: string[] = []): string[] {
  if (Array.isArray(value)) return [...new Set(value.filter((s): s is string => typeof s === 'string' && s !== ''))];
  if (typeof value === 'string') return [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  return fallback;
}

function numberField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Normalises an RFC 6749 token response (`access_token`, `expires_in`, `refresh_token`,
 * `refresh_token_expires_in`/`refresh_expires_in`, `scope`). A response without a refresh token
 * leaves `refreshToken` undefined so the stored one is kept. Throws malformed_response when
 * there is no access token.
 */
export function tokenSetFromResponse(
  body: unknown,
  input: { platform: string; now: Date; requestedScopes?: string[]; defaultAccessTtlMs?: number | null; defaultRefreshTtlMs?: number | null },
): TokenSet {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const accessToken = b.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new ProviderError('transient', 'malformed_response', `${input.platform} returned a token response without an access token`);
  }
  const nowMs = input.now.getTime();
  const expiresIn = numberField(b.expires_in);
  const accessTtl = expiresIn !== undefined ? expiresIn * 1000 : input.defaultAccessTtlMs;
  const refreshToken = typeof b.refresh_token === 'string' && b.refresh_token !== '' ? b.refresh_token : undefined;
  const refreshIn = numberField(b.refresh_token_expires_in) ?? numberField(b.refresh_expires_in);
  const refreshTtl = refreshIn !== undefined ? refreshIn * 1000 : input.defaultRefreshTtlMs;
  const tokens: TokenSet = {
    accessToken,
    accessExpiresAt: accessTtl ? new Date(nowMs + accessTtl) : null,
    scopes: parseScopes(b.scope ?? b.scopes, input.requestedScopes ?? []),
    issuedAt: input.now,
  };
  if (refreshToken) {
    tokens.refreshToken = refreshToken;
    tokens.refreshExpiresAt = refreshTtl ? new Date(nowMs + refreshTtl) : null;
  }
  return tokens;
}

/** Checks a 2xx and parses it, or throws the classified error. */
export async function expectJson(response: Response, provider: Pick<Provider, 'classifyError'>, platform: string, nowMs: number): Promise<unknown> {
  if (response.status < 200 || response.status >= 300) throw await errorFromResponse(response, provider, platform, nowMs);
  return readJson(response, platform);
}
