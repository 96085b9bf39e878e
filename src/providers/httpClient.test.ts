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
      if (req.url === '/chunked') {
        res.write('x'.repeat(3000));
        return setTimeout(() => res.end('x'.repeat(2000)), 20);
      }
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
    const refused = [
      '127.0.0.1', '127.5.6.7', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '0.1.2.3',
      '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '240.0.0.1', '255.255.255.255',
      '::', '::1', 'fd00::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '::127.0.0.1', '::7f00:1',
      '2002:7f00:1::1', 'fec0::1', '64:ff9b::7f00:1', '64:ff9b:1::1', '2001::1', '2001:db8::1', '100::1', '3fff::1', '[::1]', 'not-an-ip', '',
    ];
    for (const a of refused) assert.equal(isPrivateAddress(a), true, a);
    for (const a of ['1.1.1.1', '8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001::200e']) assert.equal(isPrivateAddress(a), false, a);
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

  it('checks the address the connection really uses: a name that rebinds to a private address is refused at connect time', async () => {
    let hits = 0;
    server.on('request', () => hits++);
    const port = (server.address() as AddressInfo).port;
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    // The first answer (the pre-check) is public, the second (the connection's own lookup) is not.
    const rebinding = createHttpClient({ resolve: async () => answers.shift() ?? ['127.0.0.1'] });
    await assert.rejects(rebinding(`http://rebind.example:${port}/`), (e: ProviderError) => e.reason === 'unsafe_url' && e.errorClass === 'bad_request');
    assert.equal(answers.length, 0, 'the connection resolved the name itself');
    const allPrivate = createHttpClient({ resolve: async () => ['10.0.0.1'] });
    await assert.rejects(allPrivate(`http://internal.example:${port}/`), (e: ProviderError) => e.reason === 'unsafe_url');
    await assert.rejects(createHttpClient()(`http://localhost:${port}/`), (e: ProviderError) => e.reason === 'unsafe_url');
    for (const literal of ['http://[::1]:1/', 'http://[::ffff:127.0.0.1]:1/', 'http://[::ffff:7f00:1]:1/', 'http://0x7f000001:1/', 'http://2130706433:1/', 'http://127.1:1/']) {
      await assert.rejects(createHttpClient()(literal), (e: ProviderError) => e.reason === 'unsafe_url', literal);
    }
    assert.equal(hits, 0, 'no request reached the private server');
  });

  it('streams a body when asked, still bounded by size (a permanent failure for a file)', async () => {
    const client = createHttpClient({ trustedOrigins: [origin] });
    const ok = await client(`${origin}/big`, { stream: true, maxResponseBytes: 10_000 });
    assert.equal((await ok.text()).length, 5000);
    const tooLarge = (e: ProviderError) => e.reason === 'media_too_large' && e.errorClass === 'bad_request';
    await assert.rejects(client(`${origin}/big`, { stream: true, maxResponseBytes: 1000 }), tooLarge, 'refused from its content-length');
    const res = await client(`${origin}/chunked`, { stream: true, maxResponseBytes: 4000 });
    await assert.rejects(res.arrayBuffer(), tooLarge, 'refused while reading a body of unknown length');
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
