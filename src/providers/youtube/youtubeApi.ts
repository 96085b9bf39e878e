/** Google/YouTube plumbing: the app credentials and authenticated JSON calls on the API host. */
import { DateTime } from 'luxon';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type ProviderContext } from '../types.ts';
import { classifyGoogleError } from './classifyGoogleError.ts';

export const googleErrors = { classifyError: classifyGoogleError };

export function googleClient(ctx: ProviderContext): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'No Google app is configured');
  return ctx.client;
}

/** YouTube's daily quota resets at midnight Pacific time. */
export function msUntilQuotaReset(now: Date): number {
  const pacific = DateTime.fromJSDate(now).setZone('America/Los_Angeles');
  return pacific.plus({ days: 1 }).startOf('day').toMillis() - now.getTime();
}

/** expectJson, with quota errors carrying the wait until the daily reset. */
export async function googleJson(ctx: ProviderContext, response: Response): Promise<Record<string, unknown>> {
  try {
    const body = await expectJson(response, googleErrors, 'YouTube', ctx.clock.nowMs());
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch (err) {
    if (err instanceof ProviderError && err.reason === 'quota_exceeded' && err.retryAfterMs === undefined) {
      throw new ProviderError('transient', 'quota_exceeded', 'The YouTube API quota is used up until midnight Pacific time', {
        httpStatus: err.httpStatus,
        platformCode: err.platformCode,
        retryAfterMs: msUntilQuotaReset(ctx.clock.now()),
        cause: err,
      });
    }
    throw err;
  }
}

export async function youtubeGet(ctx: ProviderContext, pathAndQuery: string, accessToken: string): Promise<Record<string, unknown>> {
  const response = await ctx.http(`${ctx.hosts.api}${pathAndQuery}`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  return googleJson(ctx, response);
}
