import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { Logger } from '../log.ts';
import { createVault, VaultError, type Vault, type VaultKey } from './vault.ts';

/**
 * The vault's keys: ENCRYPTION_KEYS when set (the first encrypts, all decrypt). For the embedded
 * default without it, a key is generated on first start into DATA_DIR/encryption-key (mode 0600)
 * with a warning: production must set its own.
 */
export const GENERATED_KEY_FILE = 'encryption-key';
const GENERATED_KEY_ID = 'local';

export function loadVaultKeys(config: Pick<Config, 'encryptionKeys' | 'dataDir' | 'databaseUrl'>, log: Logger): VaultKey[] {
  if (config.encryptionKeys) return config.encryptionKeys.map((k) => ({ id: k.id, key: k.key }));
  if (config.databaseUrl) {
    throw new VaultError('ENCRYPTION_KEYS must be set when DATABASE_URL is (every process needs the same keys)');
  }
  const file = path.join(config.dataDir, GENERATED_KEY_FILE);
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${GENERATED_KEY_ID}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    log.warn({ file }, 'generated an encryption key for stored tokens; production must set ENCRYPTION_KEYS (see README) and keep it safe');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const [id, b64] = fs.readFileSync(file, 'utf8').trim().split(':');
  const key = Buffer.from(b64 ?? '', 'base64');
  if (!id || key.length !== 32) throw new VaultError(`${file} does not hold a kid:base64 32-byte key`);
  return [{ id, key }];
}

const vaults = new WeakMap<object, Vault>();

/** The vault of this process (built once per configuration). */
export function getVault(ctx: Pick<AppContext, 'config' | 'log'>): Vault {
  let vault = vaults.get(ctx.config);
  if (!vault) {
    vault = createVault(loadVaultKeys(ctx.config, ctx.log));
    vaults.set(ctx.config, vault);
  }
  return vault;
}
