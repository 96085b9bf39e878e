import { and, count, eq, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { recordConnectionEvent } from '../lifecycle/transitionConnection.ts';
import { getProvider, isPlatformId } from '../providers/registry.ts';
import { ProviderError, type Provider, type StoredCredential } from '../providers/types.ts';
import { recordAccess } from './accessLog.ts';
import { getWorkspaceConnection, type ConnectionRow } from './connectionsRepo.ts';
import { loadCredential } from './credentials.ts';
import { connectionProviderContext } from './platformApps.ts';
import { connections } from './schema.ts';

/**
 * What happened at the platform on a disconnect (in the response and the access log):
 * - `revoked`: the platform revoked the grant
 * - `shared_grant`: not revoked, because other live connections (of any workspace) hold the same
 *   platform authorization (Provider.grantKey) and revoking would end them too; only our tokens
 *   of this connection are erased
 * - `failed`: the platform refused or was unreachable (best effort: the tokens are erased anyway)
 * - `not_supported`: the platform has no revocation endpoint; `no_token`: nothing was stored
 */
export type Revocation = 'revoked' | 'shared_grant' | 'failed' | 'not_supported' | 'no_token';

export function grantKeyOf(provider: Provider | null, connection: Pick<ConnectionRow, 'grantKey' | 'appClientId' | 'platformAccountId' | 'meta'>): string | null {
  return connection.grantKey ?? provider?.grantKey?.({ appClientId: connection.appClientId, platformAccountId: connection.platformAccountId, meta: connection.meta }) ?? null;
}

/** Other connections, in any workspace, that still hold tokens of the same platform authorization. */
async function othersHoldingGrant(ctx: AppContext, grantKey: string, connectionId: string): Promise<number> {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(connections)
    .where(and(eq(connections.grantKey, grantKey), ne(connections.id, connectionId), isNull(connections.disconnectedAt), isNotNull(connections.accessTokenEnc)));
  return row?.n ?? 0;
}

async function revokeAtPlatform(ctx: AppContext, provider: Provider, connection: ConnectionRow, credential: StoredCredential): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await provider.revoke!(await connectionProviderContext(ctx, connection), credential);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    ctx.log.warn({ connectionId: connection.id, platform: connection.platform, reason: err.reason }, 'revocation at the platform failed; erasing the tokens anyway');
    return { ok: false, reason: err.reason };
  }
}

/**
 * Disconnect: revoke at the platform where it offers revocation and no other live connection
 * shares the authorization (best effort: a platform that is down or already forgot the token
 * does not keep the user's secrets here), then erase the secrets and mark the connection
 * disconnected. The row, its history and its posts stay.
 *
 * Two connections of one grant disconnected at the same moment could each see the other still
 * live and both skip the revocation; so a disconnect that skipped looks again once its own
 * erase is committed, and revokes if it turned out to be the last (a second revocation of a
 * grant already gone is harmless).
 */
export async function disconnectConnection(
  ctx: AppContext,
  input: { userId: string; workspaceId: string; connectionId: string },
): Promise<{ connection: ConnectionRow; revokedAtPlatform: boolean; revocation: Revocation; revokeError?: string }> {
  const connection = await getWorkspaceConnection(ctx.db, input.workspaceId, input.connectionId);
  if (connection.disconnectedAt) throw new AppError('conflict', 'This connection is already disconnected');
  const provider = isPlatformId(connection.platform) ? getProvider(connection.platform) : null;
  const grantKey = grantKeyOf(provider, connection);
  const credential = connection.accessTokenEnc ? (await loadCredential(ctx, ctx.db, connection.id)).credential : null;

  let revocation: Revocation = !credential ? 'no_token' : provider?.revoke ? 'revoked' : 'not_supported';
  let revokeError: string | undefined;
  let sharedWith = 0;
  if (revocation === 'revoked' && grantKey) {
    sharedWith = await othersHoldingGrant(ctx, grantKey, connection.id);
    if (sharedWith > 0) revocation = 'shared_grant';
  }
  if (revocation === 'revoked') {
    const outcome = await revokeAtPlatform(ctx, provider!, connection, credential!);
    if (!outcome.ok) {
      revocation = 'failed';
      revokeError = outcome.reason;
    }
  }

  const now = ctx.clock.now();
  const log = { workspaceId: connection.workspaceId, connectionId: connection.id, actorUserId: input.userId, platform: connection.platform, app: connection.appClientId, scopes: connection.scopes, at: now };
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
      .where(and(eq(connections.id, connection.id), isNull(connections.disconnectedAt)))
      .returning();
    if (!row) throw new AppError('conflict', 'This connection is already disconnected');
    await recordConnectionEvent(tx, { connectionId: connection.id, workspaceId: connection.workspaceId, from: connection.state, to: 'disconnected', reason: 'disconnected_by_user', at: now });
    if (revocation === 'revoked') await recordAccess(tx, { ...log, action: 'revoked' });
    const detail =
      revocation === 'failed' ? { revocation, revokeFailed: revokeError } : revocation === 'shared_grant' ? { revocation, sharedWith } : { revocation };
    await recordAccess(tx, { ...log, action: 'disconnected', detail: { ...detail, revokedAtPlatform: revocation === 'revoked' } });
    return row;
  });

  if (revocation === 'shared_grant' && grantKey && (await othersHoldingGrant(ctx, grantKey, connection.id)) === 0) {
    const outcome = await revokeAtPlatform(ctx, provider!, connection, credential!);
    if (outcome.ok) {
      revocation = 'revoked';
      await recordAccess(ctx.db, { ...log, at: ctx.clock.now(), action: 'revoked', detail: { revocation, lastOfSharedGrant: true } });
    }
  }
  return { connection: updated, revokedAtPlatform: revocation === 'revoked', revocation, ...(revokeError ? { revokeError } : {}) };
}
