import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectThroughConsent, openConnectionHarness, type ConnectionHarness } from '../../connections/connectionTestHarness.ts';
import { loadCredential } from '../../connections/credentials.ts';
import { getProvider, providerContext } from '../registry.ts';
import { ProviderError } from '../types.ts';

/**
 * GOOGLE_OAUTH_TESTING_MODE: a Google app whose consent screen is External + Testing gets
 * refresh tokens that die 7 days after consent. The connection knows that end from the start
 * (hardEndAt, refreshExpiresAt), so the lifecycle can warn before it.
 */
const DAY = 86_400_000;
const ALICE = '109876543210000000001';

describe('YouTube with the Google app in testing mode', () => {
  let h: ConnectionHarness;
  before(async () => {
    h = await openConnectionHarness({ env: { GOOGLE_OAUTH_TESTING_MODE: 'true' } });
    // The emulator's Google app is in testing mode too, so the platform ends the grant when we said.
    const res = await fetch(`${h.emulator.url}/youtube/_admin/clients/sandbox-youtube/testing-mode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }) });
    assert.equal(res.status, 200);
  });
  after(async () => h?.close());

  it('sets the grant\'s hard end to consent + 7 days, and the platform ends it then', async () => {
    const res = await connectThroughConsent(h, { platform: 'youtube' }, ALICE);
    assert.equal(res.statusCode, 200, res.body);
    const connection = res.json().connection;
    const end = new Date(h.ctx.clock.nowMs() + 7 * DAY).toISOString();
    assert.equal(connection.hardEndAt, end);
    assert.equal(connection.refreshExpiresAt, end);

    const youtube = getProvider('youtube');
    const pctx = providerContext(h.ctx, 'youtube');
    h.ctx.clock.advance(7 * DAY - 60_000);
    const { credential } = await loadCredential(h.ctx, h.ctx.db, connection.id);
    assert.ok((await youtube.refresh(pctx, credential)).accessToken, 'still refreshable just before the end');
    h.ctx.clock.advance(60_000);
    await assert.rejects(youtube.refresh(pctx, credential), (err: ProviderError) => err.errorClass === 'reconnect_needed' && err.reason === 'invalid_grant');
  });

  it('without it, a YouTube grant has no hard end', async () => {
    const plain = await openConnectionHarness();
    try {
      const res = await connectThroughConsent(plain, { platform: 'youtube' }, ALICE);
      assert.equal(res.json().connection.hardEndAt, null);
      assert.equal(res.json().connection.refreshExpiresAt, null);
    } finally {
      await plain.close();
    }
  });
});
