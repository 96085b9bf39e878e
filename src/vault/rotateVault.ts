import type { AppContext } from '../context.ts';
import { getVault } from './vaultKeys.ts';

/**
 * Every vault-encrypted column: table, column, and the field name used as associated data
 * (with the row's `id`). A new encrypted column must be listed here so rotation covers it.
 */
export const ENCRYPTED_COLUMNS = [
  { table: 'connections', column: 'access_token_enc', field: 'access_token' },
  { table: 'connections', column: 'refresh_token_enc', field: 'refresh_token' },
  { table: 'oauth_states', column: 'code_verifier_enc', field: 'code_verifier' },
  { table: 'pending_account_selections', column: 'grant_enc', field: 'grant' },
  { table: 'platform_apps', column: 'client_secret_enc', field: 'client_secret' },
] as const;

export type RotationResult = { reencrypted: number; alreadyCurrent: number; byColumn: Record<string, number> };

/**
 * Re-encrypts every stored secret with the newest key (`perennial vault rotate`). Each row is
 * updated only if its ciphertext is still the one read, so a concurrent token write wins and
 * is already under the newest key. Old keys can be removed from ENCRYPTION_KEYS afterwards.
 */
export async function rotateVault(ctx: Pick<AppContext, 'config' | 'log' | 'database'>): Promise<RotationResult> {
  const vault = getVault(ctx);
  const result: RotationResult = { reencrypted: 0, alreadyCurrent: 0, byColumn: {} };
  for (const { table, column, field } of ENCRYPTED_COLUMNS) {
    const { rows } = await ctx.database.query<{ id: string; value: string }>(`select id, ${column} as value from ${table} where ${column} is not null`);
    let count = 0;
    for (const row of rows) {
      if (vault.keyIdOf(row.value) === vault.currentKeyId) {
        result.alreadyCurrent += 1;
        continue;
      }
      const place = { rowId: row.id, field };
      const next = vault.encrypt(vault.decrypt(row.value, place), place);
      const updated = await ctx.database.query(`update ${table} set ${column} = $1 where id = $2 and ${column} = $3 returning id`, [next, row.id, row.value]);
      count += updated.rows.length;
    }
    result.byColumn[`${table}.${column}`] = count;
    result.reencrypted += count;
  }
  ctx.log.info({ reencrypted: result.reencrypted, keyId: vault.currentKeyId }, 'vault rotated');
  return result;
}
