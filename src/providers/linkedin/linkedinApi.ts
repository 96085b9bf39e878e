/**
 * Calls to LinkedIn's versioned REST API (`api` host) with the headers it requires, and the
 * client (app) credentials every OAuth call needs.
 */
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext } from '../types.ts';
import { classifyLinkedInError } from './classifyLinkedInError.ts';
import { LINKEDIN_API_VERSION } from './linkedinFacts.ts';

export const linkedinErrors = { classifyError: classifyLinkedInError };

export function linkedinClient(ctx: ProviderContext): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'No LinkedIn app is configured');
  return ctx.client;
}

export function restHeaders(accessToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${accessToken}`,
    accept: 'application/json',
    'linkedin-version': LINKEDIN_API_VERSION,
    'x-restli-protocol-version': '2.0.0',
    ...extra,
  };
}

/** GET on the API host, returning parsed JSON or throwing the classified ProviderError. */
export async function linkedinGet(ctx: ProviderContext, pathAndQuery: string, accessToken: string): Promise<Record<string, unknown>> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, { headers: restHeaders(accessToken) });
  const body = await expectJson(response, linkedinErrors, 'LinkedIn', ctx.clock.nowMs());
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/**
 * POST JSON on the API host; returns the response (callers need headers such as x-restli-id)
 * and the parsed body. A 2xx may have an empty body (POST /rest/posts answers 201 with none).
 */
export async function linkedinPostJson(ctx: ProviderContext, pathAndQuery: string, accessToken: string, payload: unknown): Promise<{ response: Response; body: unknown }> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, {
    method: 'POST',
    headers: restHeaders(accessToken, { 'content-type': 'application/json' }),
    body: JSON.stringify(payload),
  });
  if (response.ok && (await response.clone().text()).trim() === '') return { response, body: {} };
  const body = await expectJson(response, linkedinErrors, 'LinkedIn', ctx.clock.nowMs());
  return { response, body };
}
