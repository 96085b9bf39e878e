import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, loadTestSettings } from './config.ts';

const KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;

/** The ConfigError's message for `env` (the test fails if loading succeeds). */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    return err.message;
  }
  return assert.fail(`${JSON.stringify(env)} was accepted`);
}

describe('configuration', () => {
  test('defaults, as the README table says', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.databasePoolSize, 10);
    assert.equal(c.mailFrom, 'Perennial <perennial@localhost>');
    assert.equal(c.sessionTtlMs, 336 * 3_600_000);
    assert.equal(c.secureCookies, false);
    assert.equal(c.timeTravel, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.env, 'development');
    assert.equal(c.shutdownGraceMs, 15_000);
    assert.equal(c.openNetworksSandbox, true);
    assert.deepEqual(c.alertThresholdDays, [7, 3, 1]);
    assert.deepEqual(c.platformCredentials, {});
    assert.equal(loadConfig({ PUBLIC_URL: 'https://perennial.example/' }).secureCookies, true);
    assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080');
  });

  test('an empty value means unset', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '', ENCRYPTION_KEYS: '' });
    assert.equal(c.port, 3000);
    assert.equal(c.databaseUrl, undefined);
  });

  test('a bad value stops start-up with a message naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /^ {2}PORT: /m],
      [{ PORT: '70000' }, /^ {2}PORT: /m],
      [{ DATABASE_URL: 'mysql://db/perennial', ENCRYPTION_KEYS: KEYS }, /^ {2}DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/m],
      [{ DATABASE_POOL_SIZE: '1' }, /^ {2}DATABASE_POOL_SIZE: /m],
      [{ ENCRYPTION_KEYS: 'k1:short' }, /^ {2}ENCRYPTION_KEYS: expected kid:base64key pairs/m],
      [{ PUBLIC_URL: 'perennial.example' }, /^ {2}PUBLIC_URL: /m],
      [{ LOG_LEVEL: 'loud' }, /^ {2}LOG_LEVEL: /m],
      [{ NODE_ENV: 'staging' }, /^ {2}NODE_ENV: /m],
      [{ TIME_TRAVEL: 'maybe' }, /^ {2}TIME_TRAVEL: /m],
      [{ SMTP_URL: 'mail.example:25' }, /^ {2}SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/m],
      [{ ALERT_THRESHOLD_DAYS: 'a week' }, /^ {2}ALERT_THRESHOLD_DAYS: /m],
      [{ SHUTDOWN_GRACE_MS: '-1' }, /^ {2}SHUTDOWN_GRACE_MS: /m],
    ];
    for (const [env, expected] of cases) {
      const message = refusal(env);
      assert.match(message, /^Invalid configuration:/);
      assert.match(message, expected, JSON.stringify(env));
    }
    // Several problems are listed together.
    const both = refusal({ PORT: 'x', LOG_LEVEL: 'y' });
    assert.match(both, /PORT: /);
    assert.match(both, /LOG_LEVEL: /);
  });

  test('half a platform app names the missing half', () => {
    assert.match(refusal({ LINKEDIN_CLIENT_ID: 'abc' }), /LINKEDIN_CLIENT_SECRET: required when the other half of LINKEDIN's credentials is set/);
    assert.match(refusal({ X_CLIENT_SECRET: 'abc' }), /X_CLIENT_ID: required/);
    const c = loadConfig({ X_CLIENT_ID: 'id', X_CLIENT_SECRET: 'secret' });
    assert.deepEqual(c.platformCredentials, { X: { clientId: 'id', clientSecret: 'secret' } });
    assert.equal(c.openNetworksSandbox, false, 'real apps configured: Mastodon and Bluesky go real too unless asked');
  });

  test('a PostgreSQL server needs ENCRYPTION_KEYS, caught before anything starts', () => {
    const message = refusal({ DATABASE_URL: 'postgres://db.internal/perennial' });
    assert.match(message, /ENCRYPTION_KEYS: required with DATABASE_URL/);
    assert.ok(!message.includes('db.internal'), 'the message does not repeat the URL (it may carry a password)');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://db.internal/perennial', ENCRYPTION_KEYS: KEYS }).encryptionKeys?.[0]?.id, 'k1');
  });

  test('time travel is refused wherever it would reach something outside its one clock', () => {
    for (const [key, value] of [['FACEBOOK', 'fb'], ['GOOGLE', 'g'], ['PINTEREST', 'p']] as const) {
      const message = refusal({ TIME_TRAVEL: 'true', [`${key}_CLIENT_ID`]: value, [`${key}_CLIENT_SECRET`]: 'secret-value' });
      assert.match(message, new RegExp(`TIME_TRAVEL: time travel runs only on the sandbox, but real credentials are configured for ${key} \\(${key}_CLIENT_ID\\)`));
      assert.ok(!message.includes('secret-value'));
    }
    assert.match(refusal({ TIME_TRAVEL: 'true', OPEN_NETWORKS_SANDBOX: 'false' }), /TIME_TRAVEL: .*OPEN_NETWORKS_SANDBOX=false sends Mastodon and Bluesky to the real networks/);
    assert.match(refusal({ TIME_TRAVEL: 'true', EMULATOR_URL: 'http://127.0.0.1:4010' }), /TIME_TRAVEL: .*EMULATOR_URL points to an external emulator with its own clock/);
    // Every reason is listed.
    const all = refusal({ TIME_TRAVEL: 'true', EMULATOR_URL: 'http://127.0.0.1:4010', OPEN_NETWORKS_SANDBOX: 'false', X_CLIENT_ID: 'a', X_CLIENT_SECRET: 'b' });
    assert.equal(all.split('\n').filter((l) => l.startsWith('  TIME_TRAVEL:')).length, 3);
    // Without TIME_TRAVEL the same settings are fine, and time travel alone is fine.
    assert.equal(loadConfig({ EMULATOR_URL: 'http://127.0.0.1:4010/', OPEN_NETWORKS_SANDBOX: 'false' }).emulatorUrl, 'http://127.0.0.1:4010');
    assert.equal(loadConfig({ TIME_TRAVEL: 'true', OPEN_NETWORKS_SANDBOX: 'true' }).timeTravel, true);
  });

  test('the test harness reads its own two switches', () => {
    assert.deepEqual(loadTestSettings({ PERENNIAL_TEST_PG_URL: 'postgres://x/y', PERENNIAL_TEST_PGLITE_TEMPLATE: '' }), { pgUrl: 'postgres://x/y', pgliteTemplate: undefined });
  });
});
