import type { FastifyInstance } from 'fastify';
import { ControllableClock } from '../../clock.ts';
import { isPlatformId } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { FaultInput } from './faults.ts';
import type { RevokeReason } from './grantStore.ts';
import type { EmulatorCore, GrantPolicy } from './types.ts';

/**
 * The admin API under `<emulator>/_admin`, for tests and the sandbox. It exposes the same
 * operations as `EmulatorCore` for callers in another process.
 */
const USER_ACTIONS: Record<string, RevokeReason> = {
  revoke: 'user_revoked',
  'password-change': 'password_changed',
  'role-loss': 'role_lost',
};

function platformParam(value: string): PlatformId {
  if (!isPlatformId(value)) throw Object.assign(new Error(`unknown platform ${value}`), { statusCode: 404 });
  return value;
}

export function registerAdminRoutes(app: FastifyInstance, core: EmulatorCore): void {
  app.get('/_admin/counters', async () => ({
    refreshesByGrant: Object.fromEntries(core.requests.refreshesByGrant),
    reuseDetections: Object.fromEntries(core.grants.reuseDetections),
    requestsByEndpoint: core.requests.byEndpoint(),
  }));

  app.get('/_admin/requests', async (request) => {
    const q = request.query as { platform?: string; path?: string };
    return { requests: core.requests.list(q) };
  });
  app.delete('/_admin/requests', async () => {
    core.requests.clear();
    return { ok: true };
  });

  app.post('/_admin/faults', async (request) => ({ fault: core.faults.add(request.body as FaultInput) }));
  app.get('/_admin/faults', async () => ({ faults: core.faults.list() }));
  app.delete('/_admin/faults', async () => {
    core.faults.clear();
    return { ok: true };
  });

  app.post('/_admin/users/:platform/:accountId/:action', async (request, reply) => {
    const { platform, accountId, action } = request.params as { platform: string; accountId: string; action: string };
    const p = platformParam(platform);
    if (action === 'expire-access') return { affected: core.grants.expireAccessTokens(p, accountId) };
    const reason = USER_ACTIONS[action];
    if (!reason) return reply.status(404).send({ error: `unknown action ${action}` });
    return { affected: core.grants.revokeAccount(p, accountId, reason) };
  });

  app.get('/_admin/grants', async (request) => {
    const { platform } = request.query as { platform?: string };
    return { grants: core.grants.listGrants(platform && isPlatformId(platform) ? platform : undefined) };
  });

  app.get('/_admin/posts', async (request) => {
    const { platform, accountId } = request.query as { platform?: string; accountId?: string };
    return { posts: core.posts.list({ platform: platform && isPlatformId(platform) ? platform : undefined, accountId }) };
  });

  app.post('/_admin/accounts/:platform', async (request) => {
    const p = platformParam((request.params as { platform: string }).platform);
    const body = request.body as { id: string; username: string; displayName: string; password?: string; extra?: Record<string, unknown> };
    core.addAccount(p, body);
    return { accounts: core.accounts(p) };
  });

  /** Numbers only (function-valued fields such as issueRefreshToken stay in code). */
  app.patch('/_admin/policies/:platform', async (request) => {
    const p = platformParam((request.params as { platform: string }).platform);
    const patch = request.body as Partial<Record<keyof GrantPolicy, number | boolean | null>>;
    const allowed = Object.fromEntries(Object.entries(patch).filter(([k, v]) => k !== 'issueRefreshToken' && (v === null || ['number', 'boolean'].includes(typeof v))));
    core.setPolicy(p, allowed as Partial<GrantPolicy>);
    const { issueRefreshToken: _omit, ...policy } = core.policy(p);
    return { policy };
  });

  app.post('/_admin/clock/advance', async (request, reply) => {
    const { ms } = request.body as { ms?: number };
    if (!core.ownsClock || !(core.clock instanceof ControllableClock)) {
      return reply.status(409).send({ error: 'this emulator shares the application clock; move it there' });
    }
    if (typeof ms !== 'number' || ms < 0) return reply.status(400).send({ error: 'ms must be a non-negative number' });
    core.clock.advance(ms);
    return { nowMs: core.clock.nowMs() };
  });
  app.get('/_admin/clock', async () => ({ nowMs: core.clock.nowMs() }));

  app.post('/_admin/reset', async () => {
    core.reset();
    return { ok: true };
  });
}
