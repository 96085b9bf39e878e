import type { AppContext } from '../context.ts';
import { BOSS_SCHEMA } from '../jobs/jobQueue.ts';
import { MAIL_QUEUE, resealEmail, sealedEmailSchema } from '../mail/sendEmailJob.ts';
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

/**
 * Job queues whose payloads are sealed by the vault: the jobs still waiting in them ('created', or
 * 'retry' after a failure) are re-sealed too. A running job keeps the payload it read.
 */
const SEALED_JOB_QUEUES = [{ queue: MAIL_QUEUE, schema: sealedEmailSchema, reseal: resealEmail }] as const;
const WAITING_JOB_STATES = `state in ('created', 'retry')`;

export type RotationResult = { reencrypted: number; alreadyCurrent: number; byColumn: Record<string, number> };

/**
 * Re-encrypts every stored secret, and the sealed payloads of queued jobs, with the newest key
 * (`perennial vault rotate`). Each row is
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
  for (const { queue, schema, reseal } of SEALED_JOB_QUEUES) {
    const { rows } = await ctx.database.query<{ id: string; data: unknown }>(`select id, data from ${BOSS_SCHEMA}.job where name = $1 and ${WAITING_JOB_STATES}`, [queue]);
    let count = 0;
    for (const row of rows) {
      const payload = schema.parse(row.data);
      if (vault.keyIdOf(payload.sealed) === vault.currentKeyId) {
        result.alreadyCurrent += 1;
        continue;
      }
      // Only while the job still waits with the payload read: a worker that took it meanwhile keeps it.
      const updated = await ctx.database.query(
        `update ${BOSS_SCHEMA}.job set data = $1::jsonb where name = $2 and id = $3 and ${WAITING_JOB_STATES} and data = $4::jsonb returning id`,
        [JSON.stringify(reseal(ctx, payload)), queue, row.id, JSON.stringify(row.data)],
      );
      count += updated.rows.length;
    }
    result.byColumn[`queued ${queue} jobs`] = count;
    result.reencrypted += count;
  }
  ctx.log.info({ reencrypted: result.reencrypted, keyId: vault.currentKeyId }, 'vault rotated');
  return result;
}
