import type { AppContext } from '../context.ts';
import { rotateVault } from './rotateVault.ts';

/** `perennial vault rotate`: re-encrypts every stored secret with the newest ENCRYPTION_KEYS key. */
export const VAULT_USAGE = `  vault rotate   Re-encrypt every stored token and queued mail with the first key of ENCRYPTION_KEYS
                 (then older keys may be removed from ENCRYPTION_KEYS)`;

export async function runVaultCommand(ctx: AppContext, args: string[], print: (line: string) => void = console.log): Promise<number> {
  if (args[0] !== 'rotate') {
    print(`Unknown vault command "${args[0] ?? ''}".\n${VAULT_USAGE}`);
    return 2;
  }
  const result = await rotateVault(ctx);
  print(`Re-encrypted ${result.reencrypted} secret(s); ${result.alreadyCurrent} already used the newest key.`);
  for (const [column, n] of Object.entries(result.byColumn)) if (n > 0) print(`  ${column}: ${n}`);
  return 0;
}
