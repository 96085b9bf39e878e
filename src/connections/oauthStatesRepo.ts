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
 * Marks the state used (atomically: of two callbacks racing, one wins) and returns its row as it
 * was, or null for a state that never existed. The caller checks `usedAt` (reuse), expiry,
 * platform and user.
 */
export async function consumeOAuthState(db: Database, state: string, now: Date): Promise<{ row: OAuthStateRow; alreadyUsed: boolean } | null> {
  const [before] = await db.select().from(oauthStates).where(eq(oauthStates.stateHash, hashState(state)));
  if (!before) return null;
  if (before.usedAt) return { row: before, alreadyUsed: true };
  // Conditional on used_at is null: the second of two concurrent callbacks updates no row.
  const won = await db
    .update(oauthStates)
    .set({ usedAt: now })
    .where(and(eq(oauthStates.id, before.id), isNull(oauthStates.usedAt)))
    .returning({ id: oauthStates.id });
  return { row: before, alreadyUsed: won.length === 0 };
}

export function decryptCodeVerifier(ctx: Pick<AppContext, 'config' | 'log'>, row: OAuthStateRow): string | undefined {
  return row.codeVerifierEnc ? getVault(ctx).decrypt(row.codeVerifierEnc, { rowId: row.id, field: 'code_verifier' }) : undefined;
}
