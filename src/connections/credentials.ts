import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { StoredCredential, TokenSet } from '../providers/types.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { connections } from './schema.ts';

type VaultCtx = Pick<AppContext, 'config' | 'log'>;

/** Ciphertexts of a TokenSet for connection `connectionId` (refresh undefined: keep the stored one). */
export function encryptTokens(ctx: VaultCtx, connectionId: string, tokens: Pick<TokenSet, 'accessToken' | 'refreshToken'>) {
  const vault = getVault(ctx);
  return {
    accessTokenEnc: vault.encrypt(tokens.accessToken, { rowId: connectionId, field: 'access_token' }),
    refreshTokenEnc: tokens.refreshToken === undefined ? undefined : vault.encrypt(tokens.refreshToken, { rowId: connectionId, field: 'refresh_token' }),
  };
}

/** The decrypted credential of a live connection and the token_version it was read at. */
export async function loadCredential(ctx: VaultCtx, db: Database, connectionId: string): Promise<{ credential: StoredCredential; tokenVersion: number }> {
  const [row] = await db.select().from(connections).where(eq(connections.id, connectionId));
  if (!row || !row.accessTokenEnc) throw new AppError('not_found', 'No such connection, or it holds no credentials');
  return { tokenVersion: row.tokenVersion, credential: credentialFromRow(ctx, { ...row, accessTokenEnc: row.accessTokenEnc }) };
}

/** The decrypted credential of a connection row already read (for callers that read many rows in one query). */
export function credentialFromRow(ctx: VaultCtx, row: typeof connections.$inferSelect & { accessTokenEnc: string }): StoredCredential {
  const vault = getVault(ctx);
  return {
    accessToken: vault.decrypt(row.accessTokenEnc, { rowId: row.id, field: 'access_token' }),
    accessExpiresAt: row.accessExpiresAt,
    refreshToken: row.refreshTokenEnc ? vault.decrypt(row.refreshTokenEnc, { rowId: row.id, field: 'refresh_token' }) : null,
    refreshExpiresAt: row.refreshExpiresAt,
    issuedAt: row.issuedAt ?? row.connectedAt,
    scopes: row.scopes,
    platformAccountId: row.platformAccountId,
    meta: row.meta,
  };
}

/**
 * Stores refreshed tokens with one conditional UPDATE fenced on `expectedTokenVersion`; false
 * when another writer got there first. A TokenSet without a refresh token keeps the stored one
 * (and its expiry), one whose `refreshExpiresAt` is undefined keeps the stored end; scopes are
 * kept when the response named none.
 */
export async function saveRefreshedTokens(ctx: AppContext, db: Database, connectionId: string, tokens: TokenSet, expectedTokenVersion: number): Promise<boolean> {
  const enc = encryptTokens(ctx, connectionId, tokens);
  const now = ctx.clock.now();
  const updated = await db
    .update(connections)
    .set({
      accessTokenEnc: enc.accessTokenEnc,
      accessExpiresAt: tokens.accessExpiresAt,
      ...(enc.refreshTokenEnc !== undefined ? { refreshTokenEnc: enc.refreshTokenEnc } : {}),
      // undefined: the response said nothing about the refresh token's end (LinkedIn without
      // refresh_token_expires_in), so the stored end stays; null: it has none.
      ...(enc.refreshTokenEnc !== undefined && tokens.refreshExpiresAt !== undefined ? { refreshExpiresAt: tokens.refreshExpiresAt } : {}),
      ...(tokens.dataAccessExpiresAt !== undefined ? { dataAccessExpiresAt: tokens.dataAccessExpiresAt } : {}),
      ...(tokens.scopes.length > 0 ? { scopes: tokens.scopes } : {}),
      issuedAt: tokens.issuedAt,
      lastRefreshedAt: now,
      tokenVersion: sql`${connections.tokenVersion} + 1`,
      updatedAt: now,
    })
    .where(and(eq(connections.id, connectionId), eq(connections.tokenVersion, expectedTokenVersion), sql`${connections.disconnectedAt} is null`))
    .returning({ id: connections.id });
  return updated.length === 1;
}
