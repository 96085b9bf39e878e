/**
 * Workspace isolation and roles for EVERY route, table-driven from the routes the app actually
 * registered (`listRoutes`, collected by Fastify's onRoute hook): a route added later is covered
 * without editing this file, or fails it until it is.
 *
 * - Every route either has a `:workspaceId` or is on the explicit NON_WORKSPACE allowlist below.
 * - Every workspace route answers a non-member exactly as it answers a workspace that does not
 *   exist (404, same body), even with another workspace's real resource ids and even with a body
 *   that would not validate (membership is checked before the body is read: workspaceGuard.ts);
 *   and 401 without credentials.
 * - Every route with a resource id answers another workspace's resource, under my own workspace,
 *   exactly as a random id (404, same body), with a valid body.
 * - A viewer is refused (403 forbidden) on every write of a workspace route, and nothing changes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { listRoutes, type RegisteredRoute } from '../http/app.ts';
import { openHttpInstance, signUpOverHttp, type HttpAuth, type HttpInstance } from '../testing/httpInstance.ts';

/** Routes without a workspace in their path, and why that is safe. A new one must be added here, with its reason. */
const NON_WORKSPACE: { pattern: RegExp; why: string }[] = [
  { pattern: /^\/_emulator(\/|$)/, why: 'the platform emulator (sandbox accounts), no Perennial data' },
  { pattern: /^\/docs(\/|$)/, why: 'the OpenAPI document and its UI' },
  { pattern: /^\/(healthz|readyz)$/, why: 'health checks, no data' },
  { pattern: /^\/api\/auth\/(signup|signin|signout)$/, why: 'signing up, in and out' },
  { pattern: /^\/api\/session$/, why: 'the caller themself' },
  { pattern: /^\/api\/tokens(\/:tokenId)?$/, why: "the caller's own API tokens (another user's token id answers 404)" },
  { pattern: /^\/api\/instance\/settings$/, why: 'instance settings, instance owner only' },
  { pattern: /^\/api\/workspaces$/, why: "the caller's workspaces, and creating one" },
  { pattern: /^\/api\/invitations\/(lookup|accept)$/, why: 'by invitation token, bound to the invited email' },
  { pattern: /^\/api\/(planner|posts-at-risk)$/, why: "across the caller's own workspaces" },
  { pattern: /^\/api\/platforms$/, why: 'which platforms the instance offers' },
  { pattern: /^\/api\/oauth\/callback\/:platform$/, why: 'OAuth return; its one-time state is bound to the user and the workspace' },
  { pattern: /^\/api\/notifications(\/|$)/, why: "the caller's own notifications" },
  { pattern: /^\/api\/alerts\/popup(\/|$)/, why: "the caller's own alerts" },
  { pattern: /^\/api\/me\//, why: "the caller's own preferences and connections across their workspaces" },
  { pattern: /^\/api\/webhooks\/(facebook\/deauthorize|tiktok)$/, why: 'platform webhooks, authenticated by the platform signature' },
  { pattern: /^\/api\/sandbox(\/advance)?$/, why: 'the time-travel clock, instance owner only' },
  { pattern: /^\/media(\/|$)/, why: 'signed public media URLs platforms fetch (the signature is the access check)' },
  { pattern: /^\/web\/\*$/, why: 'static files of the web app' },
  {
    pattern: /^\/(signin|workspaces|connections|connections\/:connectionId\/reconnect|compose|planner|import|campaigns|campaigns\/new|campaigns\/:campaignId|at-risk|notifications|settings\/(notifications|account|workspace|members|access-register|webhooks)|overview|invitation)?$/,
    why: 'web app pages: the same static shell, data comes from the API',
  },
];

/** What each path parameter names, and how the test finds one of that kind in a workspace. */
type Resources = Record<string, string>;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A valid body per write route (by `METHOD url`), so a request gets past validation to the access checks. */
function sampleBody(route: RegisteredRoute, r: Resources): unknown {
  const key = `${route.method} ${route.url.replace('/api/workspaces/:workspaceId', '')}`;
  const bodies: Record<string, unknown> = {
    'PATCH ': { name: 'Renamed' },
    'PATCH /members/:userId': { role: 'editor' },
    'POST /invitations': { email: 'someone@example.test', role: 'viewer' },
    'POST /targets/:targetId/reschedule': { scheduledAt: '2031-02-03T10:00' },
    'POST /connections/:connectionId/targets/retry': {},
    'POST /targets/:targetId/mark-published': { url: 'https://bsky.app/profile/alice/post/1' },
    'POST /posts': { content: { text: 'Hello' }, connectionIds: [r.connectionId], scheduledAt: '2031-01-01T09:00' },
    'PATCH /posts/:postId': { content: { text: 'Edited' } },
    'POST /posts/:postId/reschedule': { scheduledAt: '2031-02-03T10:00' },
    'POST /posts/:postId/cancel': {},
    'POST /posts/:postId/duplicate': {},
    'POST /campaigns': {
      name: 'Daily',
      recurrence: { frequency: 'daily', times: ['09:00'], startDate: '2031-01-01', count: 2 },
      content: { text: 'Daily post' },
      connectionIds: [r.connectionId],
    },
    'PATCH /campaigns/:campaignId': { name: 'Renamed campaign' },
    'POST /connections/authorize': { platform: 'linkedin' },
    'POST /connections/password': { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' },
    'POST /connections/select': { selectionId: randomUUID(), platformAccountId: 'urn:li:person:li-alice' },
    'POST /webhooks': { url: 'https://93.184.216.34/hook', events: ['post.failed'] },
    'PATCH /webhooks/:endpointId': { enabled: false },
  };
  if (key in bodies) return bodies[key];
  assert.ok(!route.hasBody, `${route.method} ${route.url} takes a body: add a valid sample to sampleBody() in this test`);
  return undefined;
}

let s: HttpInstance;
let owner: HttpAuth;
let other: HttpAuth;
let viewer: HttpAuth;
let mine: Resources;
let theirs: Resources;
let routes: RegisteredRoute[];

async function api(method: string, url: string, auth: HttpAuth | null, body?: unknown) {
  const res = await s.app.inject({
    method: method as 'GET',
    url,
    headers: { ...auth?.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
}

/** A request to `route` with its parameters filled from `r` (the workspace included), as the route expects its body. */
async function callRoute(route: RegisteredRoute, auth: HttpAuth | null, r: Resources, body: unknown = sampleBody(route, r)) {
  const url = route.url.replace(/:(\w+)/g, (_, name: string) => {
    assert.ok(r[name], `no ${name} for ${route.method} ${route.url}: create one in the test's resources()`);
    return r[name]!;
  });
  const headers: Record<string, string> = { ...auth?.headers };
  let payload: string | Buffer | undefined;
  if (route.url.endsWith('/media') && route.method === 'POST') {
    const boundary = 'isolation-test-boundary';
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="dot.png"\r\ncontent-type: image/png\r\n\r\n`),
      PNG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  } else if (route.url.endsWith('/imports/csv')) {
    headers['content-type'] = 'text/csv';
    payload = `time,connections,text\n2031-01-01 09:00,${r.connectionId},Imported\n`;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await s.app.inject({ method: route.method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.body };
}

/** One of each kind of resource in `workspaceId`, made through the API by `auth`. */
async function resources(auth: HttpAuth, workspaceId: string, memberId: string): Promise<Resources> {
  const base = `/api/workspaces/${workspaceId}`;
  const connected = await api('POST', `${base}/connections/password`, auth, { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' });
  assert.equal(connected.status, 200, connected.body);
  const connectionId = (connected.json().connection as { id: string }).id;
  const post = await api('POST', `${base}/posts`, auth, { content: { text: 'Scheduled' }, connectionIds: [connectionId], scheduledAt: '2031-01-01T09:00' });
  assert.equal(post.status, 201, post.body);
  const campaign = await api('POST', `${base}/campaigns`, auth, {
    name: 'Weekly',
    recurrence: { frequency: 'daily', times: ['09:00'], startDate: '2031-01-01', count: 2 },
    content: { text: 'Campaign post' },
    connectionIds: [connectionId],
  });
  assert.equal(campaign.status, 201, campaign.body);
  const webhook = await api('POST', `${base}/webhooks`, auth, { url: 'https://93.184.216.34/hook', events: ['post.failed'] });
  assert.equal(webhook.status, 201, webhook.body);
  const invitation = await api('POST', `${base}/invitations`, auth, { email: `invited-${randomUUID().slice(0, 8)}@example.test`, role: 'viewer' });
  assert.equal(invitation.status, 201, invitation.body);
  const media = await callRoute({ method: 'POST', url: '/api/workspaces/:workspaceId/media', hasBody: false, config: undefined }, auth, { workspaceId });
  assert.equal(media.status, 201, media.body);
  // An account choice as a finished Page / organization authorization leaves it (the consent flow is tested in selectAccount.test.ts).
  const selection = await s.database.query<{ id: string }>(
    `insert into pending_account_selections (user_id, workspace_id, platform, accounts, expires_at, created_at)
     values ($1, $2, 'linkedin', $3::jsonb, $4, $5) returning id`,
    [auth.userId, workspaceId, JSON.stringify([{ platformAccountId: 'urn:li:person:li-alice', kind: 'member', displayName: 'Alice' }]), new Date(Date.now() + 15 * 60_000), new Date()],
  );
  return {
    workspaceId,
    connectionId,
    postId: post.json().id as string,
    targetId: (post.json().targets as { id: string }[])[0]!.id,
    campaignId: campaign.json().id as string,
    endpointId: (webhook.json().endpoint as { id: string }).id,
    invitationId: invitation.json().id as string,
    mediaId: (JSON.parse(media.body) as { id: string }).id,
    userId: memberId,
    selectionId: selection.rows[0]!.id,
  };
}

/** The same kinds of parameters, all random (ids that name nothing). */
function randomIds(r: Resources, keep: Resources = {}): Resources {
  return { ...Object.fromEntries(Object.keys(r).map((k) => [k, randomUUID()])), ...keep };
}

before(async () => {
  s = await openHttpInstance({ env: { TIME_TRAVEL: 'false' } });
  owner = await signUpOverHttp(s, 'owner@example.test');
  const open = await api('PATCH', '/api/instance/settings', owner, { openSignUp: true });
  assert.equal(open.status, 200, open.body);
  other = await signUpOverHttp(s, 'other@example.test');
  viewer = await signUpOverHttp(s, 'viewer@example.test');
  const mineWs = await api('POST', '/api/workspaces', owner, { name: 'Mine' });
  const theirWs = await api('POST', '/api/workspaces', other, { name: 'Theirs' });
  mine = await resources(owner, mineWs.json().id as string, owner.userId);
  theirs = await resources(other, theirWs.json().id as string, other.userId);
  // The viewer joins my workspace (the invitation path is tested in invitationRoutes.test.ts).
  await s.database.query(`insert into workspace_members (workspace_id, user_id, role, created_at) values ($1, $2, 'viewer', $3)`, [mine.workspaceId, viewer.userId, new Date()]);
  routes = [...listRoutes(s.app)];
});
after(async () => {
  await s?.close();
});

const workspaceRoutes = () => routes.filter((r) => r.url.includes(':workspaceId'));
const label = (r: RegisteredRoute) => `${r.method} ${r.url}`;

describe('workspace isolation, for every route', () => {
  test('every route has a :workspaceId or is an allowed non-workspace route', () => {
    assert.ok(routes.length > 100, `routes collected (${routes.length})`);
    assert.ok(workspaceRoutes().length > 40, `workspace routes (${workspaceRoutes().length})`);
    const unexplained = routes.filter((r) => !r.url.includes(':workspaceId') && !NON_WORKSPACE.some((a) => a.pattern.test(r.url)));
    assert.deepEqual(unexplained.map(label), [], 'add these to NON_WORKSPACE with the reason they need no workspace, or give them a :workspaceId');
  });

  test("a workspace I am not a member of answers like one that does not exist, whatever its ids and bodies", async () => {
    for (const route of workspaceRoutes()) {
      const theirsAnswer = await callRoute(route, owner, theirs);
      const missing = await callRoute(route, owner, randomIds(theirs));
      const malformed = await callRoute(route, owner, { ...randomIds(theirs), workspaceId: 'not-a-workspace' });
      // A body that would not validate gets the same 404: membership comes before validation.
      const invalid = route.hasBody ? await callRoute(route, owner, theirs, { bogus: true }) : theirsAnswer;
      for (const [what, res] of [['their workspace', theirsAnswer], ['a random id', missing], ['a malformed id', malformed], ['an invalid body', invalid]] as const) {
        assert.equal(res.status, 404, `${label(route)} with ${what}: ${res.status} ${res.body}`);
      }
      if (route.method !== 'HEAD') {
        assert.equal(theirsAnswer.body, missing.body, `${label(route)}: identical to a random id`);
        assert.equal(invalid.body, missing.body, `${label(route)}: an invalid body leaks nothing`);
        assert.equal(JSON.parse(missing.body).error.code, 'not_found');
      }
    }
  });

  test('without credentials every workspace route answers 401', async () => {
    for (const route of workspaceRoutes()) {
      const res = await callRoute(route, null, mine);
      assert.equal(res.status, 401, `${label(route)}: ${res.status} ${res.body}`);
    }
  });

  test("another workspace's resource under my workspace answers like a random id", async () => {
    const resourceRoutes = workspaceRoutes().filter((r) => /:(?!workspaceId)\w+/.test(r.url));
    assert.ok(resourceRoutes.length > 20);
    for (const route of resourceRoutes) {
      const foreign = await callRoute(route, owner, { ...theirs, workspaceId: mine.workspaceId! });
      const randomAll = await callRoute(route, owner, randomIds(theirs, { workspaceId: mine.workspaceId! }));
      assert.equal(foreign.status, 404, `${label(route)} with their ids: ${foreign.status} ${foreign.body}`);
      assert.equal(randomAll.status, 404, `${label(route)} with random ids: ${randomAll.status} ${randomAll.body}`);
      if (route.method !== 'HEAD') assert.equal(foreign.body, randomAll.body, `${label(route)}: identical to random ids`);
    }
    // And nothing of theirs changed.
    const post = await api('GET', `/api/workspaces/${theirs.workspaceId}/posts/${theirs.postId}`, other);
    assert.equal((post.json().content as { text: string }).text, 'Scheduled');
    assert.equal(post.json().status, 'scheduled');
    const hooks = await api('GET', `/api/workspaces/${theirs.workspaceId}/webhooks`, other);
    assert.equal((hooks.json().items as { enabled: boolean }[])[0]?.enabled, true);
  });

  test('a viewer may read but is refused every write (403), and nothing changes', async () => {
    const writes = workspaceRoutes().filter((r) => !['GET', 'HEAD'].includes(r.method));
    assert.ok(writes.length > 25);
    // The viewer acts on the owner's resources, and on the owner as a member (not on themself: leaving is allowed).
    for (const route of writes) {
      const res = await callRoute(route, viewer, mine);
      assert.equal(res.status, 403, `${label(route)} as viewer: ${res.status} ${res.body}`);
      assert.equal(JSON.parse(res.body).error.code, 'forbidden', label(route));
    }
    // Admin reads (members, invitations, webhooks, the register) and an editor's own account choice are not a viewer's.
    for (const route of workspaceRoutes().filter((r) => r.method === 'GET' && !/\/(members|invitations|webhooks|access-register|connections\/selections)(\/|$)/.test(r.url))) {
      const res = await callRoute(route, viewer, mine);
      assert.notEqual(res.status, 403, `${label(route)}: a viewer reads (${res.body})`);
    }
    const post = await api('GET', `/api/workspaces/${mine.workspaceId}/posts/${mine.postId}`, owner);
    assert.equal((post.json().content as { text: string }).text, 'Scheduled');
    const ws = await api('GET', `/api/workspaces/${mine.workspaceId}`, owner);
    assert.equal(ws.json().name, 'Mine');
    assert.equal(ws.json().archivedAt, null);
    const members = await api('GET', `/api/workspaces/${mine.workspaceId}/members`, owner);
    assert.equal((members.json().members as unknown[]).length, 2);
  });
});
