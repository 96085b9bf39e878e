import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM field encryption. Every ciphertext carries its key id and a fresh random 96-bit
 * IV, and is bound to its place by associated data (`<row id>:<field>`), so a ciphertext copied
 * into another row or field does not decrypt. Format: `v1.<kid>.<iv>.<ciphertext>.<tag>`
 * (base64url parts).
 */
export type VaultKey = { id: string; key: Buffer };

/** Where a secret lives: the row id (a connection id) and the field name. */
export type SecretPlace = { rowId: string; field: string };

export class VaultError extends Error {
  override name = 'VaultError';
}

export type Vault = {
  /** The key that encrypts (the first configured). */
  readonly currentKeyId: string;
  encrypt(plaintext: string, place: SecretPlace): string;
  decrypt(ciphertext: string, place: SecretPlace): string;
  /** The key id a ciphertext was written with (without decrypting it). */
  keyIdOf(ciphertext: string): string;
};

function aad(place: SecretPlace): Buffer {
  return Buffer.from(`${place.rowId}:${place.field}`, 'utf8');
}

export function createVault(keys: readonly VaultKey[]): Vault {
  const first = keys[0];
  if (!first) throw new VaultError('the vault needs at least one key');
  for (const k of keys) if (k.key.length !== 32) throw new VaultError(`key ${k.id} is not 32 bytes`);
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  const parse = (ciphertext: string) => {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new VaultError('not a vault ciphertext');
    const [, kid, iv, ct, tag] = parts as [string, string, string, string, string];
    return { kid, iv: Buffer.from(iv, 'base64url'), ct: Buffer.from(ct, 'base64url'), tag: Buffer.from(tag, 'base64url') };
  };

  return {
    currentKeyId: first.id,
    encrypt(plaintext, place) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', first.key, iv);
      cipher.setAAD(aad(place));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', first.id, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    decrypt(ciphertext, place) {
      const { kid, iv, ct, tag } = parse(ciphertext);
      const key = byId.get(kid);
      if (!key) throw new VaultError(`no key "${kid}" is configured (ENCRYPTION_KEYS)`);
      if (iv.length !== 12 || tag.length !== 16) throw new VaultError('malformed vault ciphertext');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(aad(place));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      } catch (err) {
        throw new VaultError(`a stored secret (${place.field}) failed authentication: tampered, or moved from another row`, { cause: err });
      }
    },
    keyIdOf(ciphertext) {
      return parse(ciphertext).kid;
    },
  };
}
