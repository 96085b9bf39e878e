import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControllableClock } from '../../clock.ts';
import { ProviderError, type HttpClient, type ProviderContext } from '../types.ts';
import { callGraph } from './callGraph.ts';
import { parseBearerToken } from './tokenResponses.ts';

type Sent = { url: URL; init: RequestInit | undefined };

function contextAnswering(answer: (sent: Sent) => Response | Promise<Response>): { ctx: ProviderContext; sent: Sent[] } {
  const sent: Sent[] = [];
  const http: HttpClient = async (url, init) => {
    const s = { url: new URL(url), init };
    sent.push(s);
    return answer(s);
  };
  const ctx: ProviderContext = {
    clock: new ControllableClock({ startMs: Date.UTC(2026, 0, 5, 9) }),
    http,
    client: { clientId: 'app-1', clientSecret: 'the-app-secret' },
    hosts: { graph: 'https://graph.example' },
    redirectUri: 'https://perennial.example/cb',
    sandbox: false,
  };
  return { ctx, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    return err;
  }
  assert.fail('expected a ProviderError');
}

const parse = (body: unknown) => parseBearerToken(body, 'Test exchange');

describe('callGraph', () => {
  it('puts GET parameters in the query and POST parameters in a form body', async () => {
    const { ctx, sent } = contextAnswering(() => json(200, { access_token: 'new' }));
    await callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', query: { a: '1', skip: undefined }, what: 'Test' }, parse);
    await callGraph(ctx, { method: 'POST', url: 'https://graph.example/y', form: { b: '2', skip: undefined }, what: 'Test' }, parse);
    assert.equal(sent[0]!.url.search, '?a=1');
    assert.equal(sent[0]!.init?.body, undefined);
    assert.equal(sent[1]!.url.search, '');
    assert.equal(sent[1]!.init?.body, 'b=2');
    assert.equal((sent[1]!.init?.headers as Record<string, string>)['content-type'], 'application/x-www-form-urlencoded');
  });

  it('classifies Graph errors and never repeats a secret the request carried', async () => {
    const { ctx } = contextAnswering(() =>
      json(400, { error: { type: 'OAuthException', code: 190, error_subcode: 460, message: 'token tok-123 and secret the-app-secret are dead' } }),
    );
    const err = await failure(
      callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', query: { access_token: 'tok-123' }, what: 'Test call' }, parse),
    );
    assert.equal(err.errorClass, 'reconnect_needed');
    assert.equal(err.reason, 'password_changed');
    assert.equal(err.platformCode, '190/460');
    assert.equal(err.httpStatus, 400);
    assert.ok(!err.message.includes('tok-123') && !err.message.includes('the-app-secret'), err.message);
    assert.match(err.message, /^Test call failed: token \[redacted\]/);
  });

  it('carries Retry-After on throttling', async () => {
    const { ctx } = contextAnswering(() => json(429, { error: { code: 4, message: '(#4) Application request limit reached' } }, { 'retry-after': '120' }));
    const err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
    assert.deepEqual([err.errorClass, err.reason, err.retryAfterMs], ['transient', 'rate_limited', 120_000]);
  });

  it('reports HTML pages, empty and truncated bodies as malformed (transient unless 4xx)', async () => {
    const cases: [Response, string][] = [
      [new Response('<html><body>502 Bad Gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } }), 'transient'],
      [new Response('<html>Not found</html>', { status: 404 }), 'bad_request'],
      [new Response('{"access_token":"abc', { status: 200 }), 'transient'],
      [new Response('', { status: 200 }), 'transient'],
    ];
    for (const [response, errorClass] of cases) {
      const { ctx } = contextAnswering(() => response);
      const err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
      assert.deepEqual([err.errorClass, err.reason], [errorClass, 'malformed_response']);
      assert.ok(!err.message.includes('abc'));
    }
  });

  it('reports a 200 of the wrong shape as malformed, and an error envelope inside a 200 as the error', async () => {
    let { ctx } = contextAnswering(() => json(200, { token: 'x' }));
    let err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
    assert.deepEqual([err.errorClass, err.reason], ['transient', 'malformed_response']);
    ({ ctx } = contextAnswering(() => json(200, { error: { code: 190, error_subcode: 463, message: 'Session has expired' } })));
    err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
    assert.equal(err.reason, 'token_expired');
  });

  it('turns a network failure into a transient error and passes ProviderErrors through', async () => {
    let { ctx } = contextAnswering(() => {
      throw new TypeError('fetch failed');
    });
    let err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
    assert.deepEqual([err.errorClass, err.reason], ['transient', 'network_error']);
    ({ ctx } = contextAnswering(() => {
      throw new ProviderError('transient', 'timeout', 'slow');
    }));
    err = await failure(callGraph(ctx, { method: 'GET', url: 'https://graph.example/x', what: 'T' }, parse));
    assert.equal(err.reason, 'timeout');
  });

  it('lets a call re-label a classification', async () => {
    const { ctx } = contextAnswering(() => json(400, { error: { code: 100, message: 'too new' } }));
    const err = await failure(
      callGraph(
        ctx,
        { method: 'GET', url: 'https://graph.example/x', what: 'T', reclassify: (c) => ({ ...c, errorClass: 'transient', reason: 'min_age_not_reached' }) },
        parse,
      ),
    );
    assert.deepEqual([err.errorClass, err.reason, err.platformCode], ['transient', 'min_age_not_reached', '100']);
  });
});
