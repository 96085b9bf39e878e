import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { oauthStates } from './schema.ts';

/** How long a user has to finish the platform's consent screen. */
export const STATE_TTL_MS = 15 * 60_000;

export type OAuthStateRow = typeof oauthStates.$inferSelect;

function hashState(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}

/** A one-time `state` (returned once, stored hashed) with its PKCE verifier (vault-encrypted). */
export async function createOAuthState(
  ctx: Pick<AppContext, 'config' | 'log' | 'clock'>,
  db: Database,
  input: { userId: string; workspaceId: string; platform: string; connectionId: string | null; instanceUrl: string | null; codeVerifier: string | null },
): Promise<{ state: string; expiresAt: Date }> {
  const state = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + STATE_TTL_MS);
  await db.insert(oauthStates).values({
    id,
    stateHash: hashState(state),
    userId: input.userId,
    workspaceId: input.workspaceId,
    platform: input.platform,
    connectionId: input.connectionId,
    instanceUrl: input.instanceUrl,
    codeVerifierEnc: input.codeVerifier ? getVault(ctx).encrypt(input.codeVerifier, { rowId: id, field: 'code_verifier' }) : null,
    expiresAt,
    createdAt: now,
  });
  return { state, expiresAt };
}

/**
 * Consumes a state for `userId` on `platform`. The binding is checked before anything is
 * written, so someone else's callback (another user, another platform) cannot burn a victim's
 * state: it answers `mismatch` and leaves the state usable. The consuming UPDATE is conditional
 * on `used_at is null` together with the binding, so of two callbacks racing, exactly one wins.
 * An expired state is consumed too (it is dead either way); the caller reports it as expired.
 */
export type ConsumedState = { outcome: 'consumed' | 'reused'; row: OAuthStateRow } | { outcome: 'unknown' | 'mismatch' };

export async function consumeOAuthState(db: Database, input: { state: string; userId: string; platform: string; now: Date }): Promise<ConsumedState> {
  const stateHash = hashState(input.state);
  const [won] = await db
    .update(oauthStates)
    .set({ usedAt: input.now })
    .where(and(eq(oauthStates.stateHash, stateHash), eq(oauthStates.userId, input.userId), eq(oauthStates.platform, input.platform), isNull(oauthStates.usedAt)))
    .returning();
  if (won) return { outcome: 'consumed', row: { ...won, usedAt: null } };
  const [row] = await db.select().from(oauthStates).where(eq(oauthStates.stateHash, stateHash));
  if (!row) return { outcome: 'unknown' };
  if (row.userId !== input.userId || row.platform !== input.platform) return { outcome: 'mismatch' };
  return { outcome: 'reused', row };
}

export function decryptCodeVerifier(ctx: Pick<AppContext, 'config' | 'log'>, row: OAuthStateRow): string | undefined {
  return row.codeVerifierEnc ? getVault(ctx).decrypt(row.codeVerifierEnc, { rowId: row.id, field: 'code_verifier' }) : undefined;
}
