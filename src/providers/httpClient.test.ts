import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertPublicUrl, createHttpClient, isPrivateAddress } from './httpClient.ts';
import { readJson } from './oauthHelpers.ts';
import { ProviderError } from './types.ts';

describe('HttpClient', () => {
  let server: http.Server;
  let origin: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/big') return res.end('x'.repeat(5000));
      if (req.url === '/slow') return setTimeout(() => res.end('{}'), 3_000);
      if (req.url === '/html') return res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
      if (req.url === '/cut') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"ab');
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('knows private and public addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '0.0.0.0', 'not-an-ip']) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['1.1.1.1', '8.8.8.8', '2606:4700:4700::1111']) assert.equal(isPrivateAddress(a), false, a);
  });

  it('refuses private targets, including names that resolve to them, unless trusted', async () => {
    const reject = (p: Promise<unknown>) => assert.rejects(p, (e: ProviderError) => e.reason === 'unsafe_url' && e.errorClass === 'bad_request');
    await reject(createHttpClient()(`${origin}/`));
    await reject(assertPublicUrl(new URL('https://internal.example/'), { resolve: async () => ['93.184.216.34', '10.0.0.5'] }));
    await reject(assertPublicUrl(new URL('file:///etc/passwd')));
    await reject(assertPublicUrl(new URL('https://user:pw@example.com/')));
    await assertPublicUrl(new URL('https://public.example/'), { resolve: async () => ['93.184.216.34'] });
    const ok = await createHttpClient({ trustedOrigins: [origin] })(`${origin}/`);
    assert.deepEqual(await ok.json(), { ok: true });
  });

  it('limits response size and time', async () => {
    const client = createHttpClient({ trustedOrigins: [origin], maxResponseBytes: 1000, timeoutMs: 10_000 });
    await assert.rejects(client(`${origin}/big`), (e: ProviderError) => e.reason === 'response_too_large' && e.errorClass === 'transient');
    await assert.rejects(client(`${origin}/slow`, { timeoutMs: 300 }), (e: ProviderError) => e.reason === 'timeout' && e.errorClass === 'transient');
    await assert.rejects(client('http://127.0.0.1:1/', { timeoutMs: 100 }), (e: ProviderError) => e.reason === 'unsafe_url');
  });

  it('turns HTML pages and truncated JSON into malformed_response', async () => {
    const client = createHttpClient({ trustedOrigins: [origin] });
    await assert.rejects(readJson(await client(`${origin}/html`), 'x'), (e: ProviderError) => e.reason === 'malformed_response' && e.errorClass === 'transient');
    await assert.rejects(readJson(await client(`${origin}/cut`), 'x'), (e: ProviderError) => e.reason === 'malformed_response' && !e.message.includes('ab'));
    const html400 = new Response('<html>nope</html>', { status: 400 });
    await assert.rejects(readJson(html400, 'x'), (e: ProviderError) => e.errorClass === 'bad_request');
  });
});
