import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signWebhook, verifyWebhookSignature } from './webhookSignature.ts';

test('a signature verifies with the same secret and body, and fails on any change or when stale', () => {
  const body = JSON.stringify({ type: 'connection.needs_reconnect', data: { connectionId: 'c1' } });
  const header = signWebhook('s3cret', 1_767_600_000, body);
  assert.match(header, /^t=1767600000,v1=[0-9a-f]{64}$/);
  assert.equal(verifyWebhookSignature('s3cret', header, body, 1_767_600_010), true);
  assert.equal(verifyWebhookSignature('other', header, body, 1_767_600_010), false);
  assert.equal(verifyWebhookSignature('s3cret', header, `${body} `, 1_767_600_010), false);
  assert.equal(verifyWebhookSignature('s3cret', header, body, 1_767_600_000 + 301), false, 'replayed after the tolerance');
  assert.equal(verifyWebhookSignature('s3cret', 'garbage', body, 1_767_600_000), false);
});
