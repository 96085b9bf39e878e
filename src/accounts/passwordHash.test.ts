import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../http/errors.ts';
import { hashPassword, verifyPassword } from './passwordHash.ts';
import { assertStrongPassword } from './passwordPolicy.ts';

describe('password hashing (scrypt)', () => {
  it('stores the parameters and a salt with the hash, and verifies only the right password', async () => {
    const stored = await hashPassword('Tr0ub4dor&3 horse');
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    assert.deepEqual([scheme, n, r, p], ['scrypt', String(2 ** 15), '8', '1']);
    assert.equal(Buffer.from(salt ?? '', 'base64').length, 16);
    assert.equal(Buffer.from(hash ?? '', 'base64').length, 32);
    assert.ok(!stored.includes('Tr0ub4dor'));
    assert.equal(await verifyPassword('Tr0ub4dor&3 horse', stored), true);
    assert.equal(await verifyPassword('Tr0ub4dor&3 hors', stored), false);
  });

  it('salts every hash differently', async () => {
    assert.notEqual(await hashPassword('same password 1'), await hashPassword('same password 1'));
  });

  it('verifies hashes made with other parameters (they travel with the hash)', async () => {
    const stored = await hashPassword('Another pass 99');
    const [, , , , salt] = stored.split('$');
    // A hash with N=2^14 computed through the same code path must verify with its own parameters.
    const { scrypt } = await import('node:crypto');
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt('Another pass 99', Buffer.from(salt ?? '', 'base64'), 32, { N: 2 ** 14, r: 8, p: 1 }, (err, k) => (err ? reject(err) : resolve(k))),
    );
    const older = ['scrypt', 2 ** 14, 8, 1, salt, key.toString('base64')].join('$');
    assert.equal(await verifyPassword('Another pass 99', older), true);
  });

  it('rejects malformed stored hashes instead of throwing', async () => {
    assert.equal(await verifyPassword('x', ''), false);
    assert.equal(await verifyPassword('x', 'bcrypt$2$a$b'), false);
    assert.equal(await verifyPassword('x', 'scrypt$abc$8$1$c2FsdA==$aGFzaA=='), false);
  });
});

describe('password policy', () => {
  const weak = (password: string, email = 'ada@example.test') => {
    assert.throws(() => assertStrongPassword(password, email), (err: unknown) => err instanceof AppError && err.code === 'weak_password');
  };

  it('refuses short, single-class and email-like passwords', () => {
    weak('Ab1!');
    weak('abcdefghijklmnop');
    weak('12345678901234');
    weak('ADA@EXAMPLE.TEST');
    weak('ada@example.test');
    weak('Adalovelace', 'adalovelace@example.test');
  });

  it('accepts ten characters of two kinds', () => {
    assertStrongPassword('abcdefghi1', 'ada@example.test');
    assertStrongPassword('correct horse battery', 'ada@example.test');
  });
});
