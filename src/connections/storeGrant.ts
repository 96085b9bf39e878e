import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import { onConnected } from '../lifecycle/onConnected.ts';
import { onReconnected } from '../lifecycle/onReconnected.ts';
import { getProvider } from '../providers/registry.ts';
import type { AccountChoice, PlatformFacts, TokenSet } from '../providers/types.ts';
import { recordAccess } from './accessLog.ts';
import { getWorkspaceConnection, findLiveConnectionByAccount, type ConnectionRow } from './connectionsRepo.ts';
import { encryptTokens } from './credentials.ts';
import { connections } from './schema.ts';

export type GrantToStore = {
  userId: string;
  workspaceId: string;
  facts: PlatformFacts;
  account: AccountChoice;
  /** The grant's tokens; `account.tokens` (a Page token) wins when present. */
  tokens: TokenSet;
  /** Set for a reconnect: the connection the new tokens must go to. */
  connectionId: string | null;
  appClientId: string | null;
  /** Non-secret data to keep (the Mastodon instance, the Bluesky PDS). */
  meta?: Record<string, unknown>;
};

function tokenColumns(ctx: AppContext, id: string, facts: PlatformFacts, tokens: TokenSet) {
  const enc = encryptTokens(ctx, id, tokens);
  return {
    accessTokenEnc: enc.accessTokenEnc,
    // A fresh grant replaces everything: no refresh token in it means none is kept.
    refreshTokenEnc: enc.refreshTokenEnc ?? null,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshToken ? (tokens.refreshExpiresAt ?? null) : null,
    dataAccessExpiresAt: tokens.dataAccessExpiresAt ?? null,
    hardEndAt: tokens.hardEndAt ?? (facts.refresh.fixedRefreshEnd ? (tokens.refreshExpiresAt ?? null) : null),
    issuedAt: tokens.issuedAt,
    scopes: tokens.scopes,
  };
}

/**
 * Stores a finished grant, inside the caller's transaction: a reconnect (or connecting an
 * account that is already connected in the workspace) puts the new tokens on the same
 * connection and hands over to the lifecycle (`onReconnected`: back to active, paused posts
 * resume); otherwise a new connection is created and handed to the refresh engine
 * (`onConnected`). Authorising another account than the one a reconnect is bound to fails with
 * `account_mismatch` and writes nothing.
 */
export async function storeGrant(ctx: AppContext, tx: Database, input: GrantToStore): Promise<{ connection: ConnectionRow; created: boolean }> {
  const now = ctx.clock.now();
  const tokens = input.account.tokens ?? input.tokens;
  const platform = input.facts.id;
  let existing: ConnectionRow | undefined;
  if (input.connectionId) {
    existing = await getWorkspaceConnection(tx, input.workspaceId, input.connectionId);
    if (existing.disconnectedAt) throw new AppError('conflict', 'This connection was disconnected; connect the account again instead');
    if (existing.platformAccountId !== input.account.platformAccountId) {
      throw new AppError('account_mismatch', `This connection is ${existing.displayName}; you authorised ${input.account.displayName} instead. Sign in to ${input.facts.displayName} as ${existing.handle ?? existing.displayName} and try again.`, {
        details: { expected: existing.platformAccountId, got: input.account.platformAccountId },
      });
    }
  } else {
    existing = await findLiveConnectionByAccount(tx, input.workspaceId, platform, input.account.platformAccountId);
  }

  const meta = { ...(existing?.meta ?? {}), ...(input.account.avatarUrl ? { avatarUrl: input.account.avatarUrl } : {}), ...input.meta, ...input.account.meta };
  const base = {
    displayName: input.account.displayName,
    handle: input.account.handle ?? null,
    kind: input.account.kind,
    meta,
    appClientId: input.appClientId,
    grantKey: getProvider(platform).grantKey?.({ appClientId: input.appClientId, platformAccountId: input.account.platformAccountId, meta }) ?? null,
    updatedAt: now,
  };
  const log = { workspaceId: input.workspaceId, actorUserId: input.userId, platform, app: input.appClientId, scopes: tokens.scopes, at: now };

  if (existing) {
    const [row] = await tx
      .update(connections)
      .set({ ...base, ...tokenColumns(ctx, existing.id, input.facts, tokens), tokenVersion: sql`${connections.tokenVersion} + 1`, lastVerifiedAt: now })
      .where(eq(connections.id, existing.id))
      .returning();
    await recordAccess(tx, { ...log, connectionId: existing.id, action: 'reconnected', detail: { account: input.account.platformAccountId } });
    await onReconnected(ctx, tx, existing.id);
    const [fresh] = await tx.select().from(connections).where(eq(connections.id, existing.id));
    return { connection: fresh ?? row!, created: false };
  }

  const id = randomUUID();
  const [row] = await tx
    .insert(connections)
    .values({
      id,
      workspaceId: input.workspaceId,
      platform,
      platformAccountId: input.account.platformAccountId,
      ...base,
      ...tokenColumns(ctx, id, input.facts, tokens),
      state: 'active',
      stateChangedAt: now,
      lastVerifiedAt: now,
      connectedBy: input.userId,
      connectedAt: now,
    })
    .returning();
  await recordAccess(tx, { ...log, connectionId: id, action: 'granted', detail: { account: input.account.platformAccountId } });
  // The refresh engine plans the new connection from here.
  await onConnected(ctx, tx, id);
  return { connection: row!, created: true };
}
