/**
 * TikTok API plumbing. TikTok reports errors in the body even on HTTP 200 (OAuth `error`, API
 * `error.code` other than "ok"), so every response is classified after parsing, whatever its status.
 */
import { readJson, retryAfterMs } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext } from '../types.ts';
import { classifyTikTokError } from './classifyTikTokError.ts';

export function tiktokClient(ctx: ProviderContext): { clientKey: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'No TikTok app is configured');
  return { clientKey: ctx.client.clientId, clientSecret: ctx.client.clientSecret };
}

function describe(body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.error === 'string') return b.error;
  const e = (b.error ?? {}) as Record<string, unknown>;
  return typeof e.code === 'string' ? e.code : '';
}

/** Parses a TikTok response; throws the classified ProviderError for any error body or status. */
export async function tiktokJson(ctx: ProviderContext, response: Response): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await readJson(response, 'TikTok');
  } catch (err) {
    if (err instanceof ProviderError && response.status === 401) {
      throw new ProviderError('refresh_needed', 'unauthorized', 'TikTok refused the access token (HTTP 401)', { httpStatus: 401, cause: err });
    }
    throw err;
  }
  const classified = classifyTikTokError(response.status, body);
  if (classified) {
    const code = describe(body);
    throw new ProviderError(classified.errorClass, classified.reason, `TikTok refused the request (HTTP ${response.status}${code ? `: ${code}` : ''})`, {
      httpStatus: response.status,
      platformCode: classified.platformCode,
      retryAfterMs: retryAfterMs(response, ctx.clock.nowMs()),
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProviderError('transient', 'malformed_response', 'TikTok answered with JSON that is not an object');
  }
  return body as Record<string, unknown>;
}

/** The `data` object of an API v2 response. */
export function tiktokData(body: Record<string, unknown>): Record<string, unknown> {
  const data = body.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ProviderError('transient', 'malformed_response', 'TikTok answered without a data object');
  }
  return data as Record<string, unknown>;
}

export async function tiktokApiPost(ctx: ProviderContext, pathAndQuery: string, accessToken: string, payload: unknown): Promise<Record<string, unknown>> {
  return (await tiktokApiPostWithText(ctx, pathAndQuery, accessToken, payload)).data;
}

/** Also returns the raw body: TikTok sends 64-bit post ids as JSON numbers, which JSON.parse rounds. */
export async function tiktokApiPostWithText(ctx: ProviderContext, pathAndQuery: string, accessToken: string, payload: unknown): Promise<{ data: Record<string, unknown>; text: string }> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=UTF-8', accept: 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await response.clone().text();
  return { data: tiktokData(await tiktokJson(ctx, response)), text };
}

export async function tiktokApiGet(ctx: ProviderContext, pathAndQuery: string, accessToken: string): Promise<Record<string, unknown>> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  return tiktokData(await tiktokJson(ctx, response));
}
