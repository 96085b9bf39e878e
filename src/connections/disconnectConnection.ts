import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { recordConnectionEvent } from '../lifecycle/transitionConnection.ts';
import { getProvider, isPlatformId } from '../providers/registry.ts';
import { ProviderError } from '../providers/types.ts';
import { recordAccess } from './accessLog.ts';
import { getWorkspaceConnection, type ConnectionRow } from './connectionsRepo.ts';
import { loadCredential } from './credentials.ts';
import { connectionProviderContext } from './platformApps.ts';
import { connections } from './schema.ts';

/**
 * Disconnect: revoke at the platform where it offers revocation (best effort: a platform that
 * is down or already forgot the token does not keep the user's secrets here), then erase the
 * secrets and mark the connection disconnected. The row, its history and its posts stay.
 */
export async function disconnectConnection(ctx: AppContext, input: { userId: string; workspaceId: string; connectionId: string }): Promise<{ connection: ConnectionRow; revokedAtPlatform: boolean; revokeError?: string }> {
  const connection = await getWorkspaceConnection(ctx.db, input.workspaceId, input.connectionId);
  if (connection.disconnectedAt) throw new AppError('conflict', 'This connection is already disconnected');
  let revokedAtPlatform = false;
  let revokeError: string | undefined;
  const provider = isPlatformId(connection.platform) ? getProvider(connection.platform) : null;
  if (provider?.revoke && connection.accessTokenEnc) {
    try {
      const { credential } = await loadCredential(ctx, ctx.db, connection.id);
      await provider.revoke(await connectionProviderContext(ctx, connection), credential);
      revokedAtPlatform = true;
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      revokeError = err.reason;
      ctx.log.warn({ connectionId: connection.id, platform: connection.platform, reason: err.reason }, 'revocation at the platform failed; erasing the tokens anyway');
    }
  }
  const now = ctx.clock.now();
  const updated = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(connections)
      .set({
        state: 'disconnected',
        stateReason: 'disconnected_by_user',
        stateChangedAt: now,
        disconnectedAt: now,
        accessTokenEnc: null,
        refreshTokenEnc: null,
        tokenVersion: sql`${connections.tokenVersion} + 1`,
        updatedAt: now,
      })
      .where(eq(connections.id, connection.id))
      .returning();
    const log = { workspaceId: connection.workspaceId, connectionId: connection.id, actorUserId: input.userId, platform: connection.platform, app: connection.appClientId, scopes: connection.scopes, at: now };
    await recordConnectionEvent(tx, { connectionId: connection.id, workspaceId: connection.workspaceId, from: connection.state, to: 'disconnected', reason: 'disconnected_by_user', at: now });
    if (revokedAtPlatform) await recordAccess(tx, { ...log, action: 'revoked' });
    await recordAccess(tx, { ...log, action: 'disconnected', detail: revokeError ? { revokeFailed: revokeError } : { revokedAtPlatform } });
    return row!;
  });
  return { connection: updated, revokedAtPlatform, revokeError };
}
