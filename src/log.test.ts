import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger, REDACTED } from './log.ts';

function captured() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  return { log, text: () => lines.join(''), last: () => JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown> };
}

describe('log redaction', () => {
  test('secrets are censored by key name at the top level and at any depth', () => {
    const { log, text, last } = captured();
    log.info({ password: 'hunter2-top-level' }, 'top');
    assert.equal(last().password, REDACTED);
    log.info({ a: { b: { accessToken: 'at-deep-secret', c: { d: { refresh_token: 'rt-deeper-secret' } } } } }, 'deep');
    const deep = last() as { a: { b: { accessToken: string; c: { d: { refresh_token: string } } } } };
    assert.equal(deep.a.b.accessToken, REDACTED);
    assert.equal(deep.a.b.c.d.refresh_token, REDACTED);
    log.info({ list: [{ clientSecret: 'cs-in-array' }, { 'x-csrf-token': 'csrf-in-array' }] }, 'arrays');
    log.info({ headers: { authorization: 'Bearer prn_abc_secretvalue', Cookie: 'perennial_session=cookie-secret' } }, 'headers');
    log.info({ credential: { pageAccessToken: 'page-token-secret', oauthTokenSecret: 'oauth1-secret', appPassword: 'abcd-efgh' } }, 'suffixes');
    for (const secret of ['hunter2-top-level', 'at-deep-secret', 'rt-deeper-secret', 'cs-in-array', 'csrf-in-array', 'prn_abc_secretvalue', 'cookie-secret', 'page-token-secret', 'oauth1-secret', 'abcd-efgh']) {
      assert.ok(!text().includes(secret), `${secret} was logged`);
    }
    assert.match(text(), /"msg":"headers"/);
  });

  test('child bindings are censored too', () => {
    const { log, text } = captured();
    log.child({ component: 'x', token: 'bound-token-secret' }).info('child');
    assert.ok(!text().includes('bound-token-secret'));
    assert.match(text(), /"component":"x"/);
  });

  test('an OAuth code is censored in a query or body, while err.code and other codes stay visible', () => {
    const { log, text, last } = captured();
    log.info({ query: { code: 'oauth-code-secret', state: 'st' }, body: { code: 'body-code-secret' } }, 'callback');
    assert.ok(!text().includes('oauth-code-secret'));
    assert.ok(!text().includes('body-code-secret'));
    assert.equal((last().query as { state: string }).state, 'st');

    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', password: 'in-error-secret' });
    log.error({ err }, 'database down');
    const line = last() as { err: { code: string; message: string; type: string; password: string } };
    assert.equal(line.err.code, 'ECONNREFUSED');
    assert.equal(line.err.type, 'Error');
    assert.match(line.err.message, /ECONNREFUSED/);
    assert.equal(line.err.password, REDACTED);
    log.error(Object.assign(new Error('duplicate key'), { code: '23505' }), 'pg error');
    assert.equal((last().err as { code: string }).code, '23505');
    log.info({ error: { code: 'invalid_credentials' } }, 'api error');
    assert.equal((last().error as { code: string }).code, 'invalid_credentials');
    assert.ok(!text().includes('in-error-secret'));
  });

  test('an error cause is serialized and censored', () => {
    const { log, text, last } = captured();
    const cause = Object.assign(new Error('inner'), { refreshToken: 'cause-rt-secret', code: 'EPIPE' });
    log.error({ err: new Error('outer', { cause }) }, 'failed');
    assert.ok(!text().includes('cause-rt-secret'));
    assert.match(JSON.stringify(last().err), /inner/);
  });

  test('secret query parameters of URL strings are censored, the rest kept', () => {
    const { log, text, last } = captured();
    log.info({ url: 'https://graph.example/v19/me?fields=id&access_token=EAAG-url-secret&x=1' }, 'call');
    assert.ok(!text().includes('EAAG-url-secret'));
    assert.equal(last().url, `https://graph.example/v19/me?fields=id&access_token=${REDACTED}&x=1`);
  });

  test('cycles and class instances do not break logging', () => {
    const { log, last } = captured();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    log.info({ a, when: new Date(0), bytes: Buffer.from('hi') }, 'cycle');
    assert.equal((last().a as { self: string }).self, '[circular]');
    assert.equal(last().when, '1970-01-01T00:00:00.000Z');
  });
});
