/** Pinterest API v5 plumbing: app credentials (HTTP Basic on the token endpoint) and bearer calls. */
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext } from '../types.ts';
import { classifyPinterestError } from './classifyPinterestError.ts';

export const pinterestErrors = { classifyError: classifyPinterestError };

export function pinterestClient(ctx: ProviderContext): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'No Pinterest app is configured');
  return ctx.client;
}

function asRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

export async function pinterestJson(ctx: ProviderContext, response: Response): Promise<Record<string, unknown>> {
  return asRecord(await expectJson(response, pinterestErrors, 'Pinterest', ctx.clock.nowMs()));
}

export async function pinterestRequest(
  ctx: ProviderContext,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  accessToken: string,
  payload?: unknown,
): Promise<Record<string, unknown>> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
  return pinterestJson(ctx, response);
}
