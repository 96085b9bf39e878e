/**
 * One Graph API call (Facebook, Instagram, Threads): builds the query or form, sends it through
 * the context's HttpClient, and turns every failure into a ProviderError: network errors and
 * truncated or non-JSON bodies are transient, platform errors go through the classification
 * table. Messages are scrubbed of every secret the request carried.
 */
import { ProviderError, type ProviderContext } from '../types.ts';
import { classifyGraphError, readGraphError, type Classification, type GraphError } from './graphErrors.ts';
import { MalformedResponse } from './tokenResponses.ts';

/** Parameters whose values are secrets (scrubbed from messages). */
const SECRET_PARAMS = new Set(['access_token', 'client_secret', 'fb_exchange_token', 'input_token', 'code', 'refresh_token']);

export type GraphCall = {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  query?: Record<string, string | undefined>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | undefined>;
  /** For messages: "Facebook token exchange". */
  what: string;
  /** Lets a call re-label a classification (e.g. Instagram's minimum-age refusal). */
  reclassify?: (classification: Classification, error: GraphError | null, status: number) => Classification;
};

export async function callGraph<T>(ctx: ProviderContext, call: GraphCall, parse: (body: unknown) => T): Promise<T> {
  const url = new URL(call.url);
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const secrets = [...Object.entries(call.query ?? {}), ...Object.entries(call.form ?? {})]
    .filter(([k, v]) => SECRET_PARAMS.has(k) && v)
    .map(([, v]) => v as string);
  if (ctx.client?.clientSecret) secrets.push(ctx.client.clientSecret);
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text).slice(0, 300);

  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method: call.method, headers };
  if (call.form) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(call.form)) if (v !== undefined) form.set(k, v);
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = form.toString();
  }

  let response: Response;
  let text: string;
  try {
    response = await ctx.http(url, init);
    text = await response.text();
  } catch (cause) {
    if (cause instanceof ProviderError) throw cause;
    throw new ProviderError('transient', 'network_error', `${call.what}: the platform could not be reached`, { cause });
  }

  let body: unknown = null;
  let isJson: boolean;
  try {
    body = JSON.parse(text);
    isJson = true;
  } catch {
    // An HTML error page, an empty or a cut-off body: reported below as malformed.
    isJson = false;
  }

  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (!isJson) {
    // An HTML error page, an empty or a cut-off body (same rule as oauthHelpers.readJson): a 4xx
    // will not get better by retrying; a 5xx, a 429 or a truncated 2xx may.
    const status = response.status;
    const errorClass = status >= 400 && status < 500 && status !== 429 ? 'bad_request' : 'transient';
    throw new ProviderError(errorClass, 'malformed_response', `${call.what}: the platform answered with something other than JSON (HTTP ${status})`, {
      httpStatus: status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  const classification = classifyGraphError(response.status, body);
  if (classification) {
    const graphError = readGraphError(body);
    const final = call.reclassify ? call.reclassify(classification, graphError, response.status) : classification;
    const detail = graphError?.message ? `: ${scrub(graphError.message)}` : ` (HTTP ${response.status})`;
    throw new ProviderError(final.errorClass, final.reason, `${call.what} failed${detail}`, {
      httpStatus: response.status,
      ...(final.platformCode === undefined ? {} : { platformCode: final.platformCode }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  try {
    return parse(body);
  } catch (cause) {
    if (cause instanceof MalformedResponse) {
      throw new ProviderError('transient', 'malformed_response', `${call.what}: ${cause.message}`, { httpStatus: response.status });
    }
    throw cause;
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}
