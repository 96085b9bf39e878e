import { inArray } from 'drizzle-orm';
import { credentialFromRow } from '../connections/credentials.ts';
import { connections } from '../connections/schema.ts';
import { AppError } from '../http/errors.ts';
import { ensureFreshAccess } from '../lifecycle/ensureFreshAccess.ts';
import { reportTokenFailure } from '../lifecycle/reportTokenFailure.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import { ProviderError } from '../providers/types.ts';
import type { ConnectionAccess, PublishDeps } from './publishDeps.ts';

/** The real wiring: platform adapters from the registry, the lifecycle engine for tokens. */
export const defaultPublishDeps: PublishDeps = {
  provider: (platform) => getProvider(platform),
  providerContext: (ctx, platform) => providerContext(ctx, platform),

  async connectionAccess(ctx, connectionIds, options) {
    const access = new Map<string, ConnectionAccess>();
    if (connectionIds.length === 0) return access;
    const rows = await ctx.db.select().from(connections).where(inArray(connections.id, connectionIds));
    const freshUntil = ctx.clock.nowMs() + options.validForMs;
    for (const row of rows) {
      const state = row.state as ConnectionAccess['state'];
      const expires = row.accessExpiresAt?.getTime() ?? null;
      const comfortable = (state === 'active' || state === 'degraded') && row.accessTokenEnc !== null && (expires === null || expires > freshUntil);
      access.set(row.id, {
        state,
        stateReason: row.stateReason,
        credential: comfortable ? credentialFromRow(ctx, { ...row, accessTokenEnc: row.accessTokenEnc! }) : null,
      });
    }
    return access;
  },

  // ensureFreshAccess reports with ProviderErrors; the seam's contract is AppError only (see PublishDeps).
  async freshCredential(ctx, connectionId, options) {
    try {
      return await ensureFreshAccess(ctx, connectionId, options);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.errorClass === 'reconnect_needed') {
        throw new AppError('conflict', err.message, { details: { reason: err.reason }, cause: err });
      }
      throw new AppError('platform_unavailable', err.message, { cause: err, ...(err.retryAfterMs ? { retryAfter: Math.ceil(err.retryAfterMs / 1000) } : {}) });
    }
  },
  reportTokenFailure: (ctx, connectionId, error) => reportTokenFailure(ctx, connectionId, error),
};
