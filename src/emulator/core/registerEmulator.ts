import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ControllableClock, type Clock } from '../../clock.ts';
import { PLATFORM_IDS, type PlatformId } from '../../providers/types.ts';
import { registerSampleMedia } from '../platforms/sampleMedia.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { ClientRegistry, detectClientAuth } from './clientRegistry.ts';
import { ConsentPages } from './consentPages.ts';
import { Faults, type Fault } from './faults.ts';
import { platformFaultReply } from './platformFaults.ts';
import { GrantStore } from './grantStore.ts';
import { PublishedPosts } from './publishedPosts.ts';
import { RequestLog } from './requestLog.ts';
import type { EmulatorCore, EmulatorPlatformModule, FakeAccount, GrantPolicy } from './types.ts';

/**
 * The platform emulator as a Fastify plugin (mounted in-process under a prefix) or a standalone
 * server. Platform modules are found by convention: `src/emulator/platforms/<platform>.ts`
 * exporting `emulatorModule: EmulatorPlatformModule` (see core/README.md).
 */
const modules = new Map<PlatformId, EmulatorPlatformModule>();
for (const id of PLATFORM_IDS) {
  const file = new URL(`../platforms/${id}.ts`, import.meta.url);
  if (!fs.existsSync(file)) continue;
  const mod = (await import(file.href)) as { emulatorModule?: EmulatorPlatformModule };
  if (!mod.emulatorModule || mod.emulatorModule.platform !== id) throw new Error(`${file.pathname} must export \`emulatorModule\` for "${id}"`);
  modules.set(id, mod.emulatorModule);
}

export function emulatedPlatforms(): PlatformId[] {
  return [...modules.keys()];
}

const anyWebUrl = (url: string) => /^https?:\/\/[^/]/.test(url);

function createCore(clock: Clock, ownsClock: boolean, prefix: string, allowCallback: (url: URL) => boolean): EmulatorCore {
  const policies = new Map<PlatformId, GrantPolicy>();
  const accounts = new Map<PlatformId, FakeAccount[]>();
  const restore = () => {
    for (const [id, m] of modules) {
      policies.set(id, { ...m.policy });
      accounts.set(id, m.accounts.map((a) => ({ ...a })));
    }
  };
  restore();
  const policy = (platform: PlatformId): GrantPolicy => {
    const p = policies.get(platform);
    if (!p) throw new Error(`the emulator has no module for ${platform}`);
    return p;
  };
  const grants = new GrantStore(clock, policy, modules);
  const listAccounts = (platform: PlatformId) => accounts.get(platform) ?? [];
  const core: EmulatorCore = {
    clock,
    ownsClock,
    prefix,
    grants,
    clients: new ClientRegistry(modules.keys()),
    consent: new ConsentPages({ clock, grants, accounts: listAccounts, prefix }),
    faults: new Faults(),
    requests: new RequestLog(),
    posts: new PublishedPosts(),
    policy,
    callbackAllowed: (url) => {
      if (!anyWebUrl(url)) return false;
      try {
        return allowCallback(new URL(url));
      } catch {
        // Not a URL at all: refused like any other.
        return false;
      }
    },
    setPolicy: (platform, patch) => policies.set(platform, { ...policy(platform), ...patch }),
    accounts: listAccounts,
    account: (platform, id) => listAccounts(platform).find((a) => a.id === id),
    addAccount: (platform, account) => {
      const list = listAccounts(platform).filter((a) => a.id !== account.id);
      accounts.set(platform, [...list, account]);
    },
    reset: () => {
      restore();
      grants.clear();
      core.consent.clear();
      core.faults.clear();
      core.requests.clear();
      core.posts.clear();
    },
  };
  return core;
}

const pendingFaults = new WeakMap<object, Fault>();

/** The path after the prefix, as segments: ['x', 'api', '2', 'oauth2', 'token']. */
function segments(core: EmulatorCore, url: string): string[] {
  return url.split('?')[0]!.slice(core.prefix.length).split('/').slice(1);
}

/**
 * The admin API: `/_admin/...` and each module's `/<platform>/_admin/...` and `/<platform>/_meta/...`.
 * The consent pages (`/_consent/...`) are the user's, and the sample media (`/_samples/...`) are
 * public files the platforms' crawlers fetch, not the admin's.
 */
const PUBLIC_UNDERSCORE = new Set(['_consent', '_samples']);
export function isAdminPath(parts: string[]): boolean {
  const [first = '', second = ''] = parts;
  // A consent id is random base64url: it may start with "_" too.
  if (PUBLIC_UNDERSCORE.has(first)) return false;
  return first.startsWith('_') || second.startsWith('_');
}

/** Logs every request, applies injected faults, then hands over to the platform's routes. */
function registerPipeline(app: FastifyInstance, core: EmulatorCore): void {
  app.addHook('preHandler', async (request, reply) => {
    const parts = segments(core, request.url);
    const [platform = '', ...rest] = parts;
    if (platform.startsWith('_') || isAdminPath(parts)) return;
    const path = `/${rest.join('/')}`;
    const auth = detectClientAuth(request);
    const bearer = /^bearer /i.test(request.headers.authorization ?? '') ? (request.headers.authorization ?? '').slice(7) : null;
    core.requests.add({
      atMs: core.clock.nowMs(),
      platform,
      method: request.method,
      path,
      query: { ...(request.query as Record<string, string>) },
      body: request.body && typeof request.body === 'object' ? { ...(request.body as Record<string, unknown>) } : null,
      clientAuth: auth.method,
      bearer,
      contentType: request.headers['content-type'] ?? null,
    });
    const fault = core.faults.take(platform, request.method, path);
    if (!fault) return;
    switch (fault.kind) {
      case 'server_error':
      case 'rate_limit': {
        const answer = platformFaultReply(platform, fault.kind, fault, { path, nowMs: core.clock.nowMs() });
        return reply
          .status(answer.status)
          .headers(answer.headers)
          .type(answer.contentType ?? 'application/json; charset=utf-8')
          .send(JSON.stringify(answer.body));
      }
      case 'html_error':
        return reply
          .status(fault.status ?? 502)
          .type('text/html')
          .send('<!doctype html><html><body><h1>502 Bad Gateway</h1><p>The server is temporarily unavailable.</p></body></html>');
      case 'slow':
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 1_000));
        return;
      default:
        pendingFaults.set(request, fault);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const fault = pendingFaults.get(request);
    if (!fault) return payload;
    if (fault.kind === 'drop_after_commit') {
      request.raw.socket.destroy();
      return payload;
    }
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    reply.removeHeader('content-length');
    return text.slice(0, Math.floor(text.length / 2));
  });
}

export type EmulatorOptions = {
  clock: Clock;
  prefix?: string;
  ownsClock?: boolean;
  /**
   * Runs before every admin request (isAdminPath); it answers (401/403) to refuse. Mounted inside
   * Perennial, only the instance owner may reset the emulator, inject faults or revoke grants.
   * Absent: the admin API is open (the standalone emulator and tests, on loopback).
   */
  guardAdmin?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Where callbacks (Meta deauthorize, TikTok webhooks) may be sent. Default: any http(s) URL. */
  allowCallback?: (url: URL) => boolean;
};

/**
 * Mounts the emulator on `app` under `prefix` and returns its core (for in-process tests and the
 * sandbox). The emulator keeps its state in memory: it is a stand-in for the platforms.
 */
export async function registerEmulator(app: FastifyInstance, options: EmulatorOptions): Promise<EmulatorCore> {
  const prefix = options.prefix ?? '';
  const core = createCore(options.clock, options.ownsClock ?? false, prefix, options.allowCallback ?? (() => true));
  const guard = options.guardAdmin;
  await app.register(
    async (scoped) => {
      if (guard) {
        scoped.addHook('onRequest', async (request, reply) => {
          if (!isAdminPath(segments(core, request.url))) return;
          await guard(request, reply);
          // The guard answered (refused): stop here.
          if (reply.sent) return reply;
        });
      }
      await scoped.register(formbody);
      scoped.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
        const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
        return reply.status(status).send({ error: status >= 500 ? 'server_error' : 'invalid_request', error_description: err.message });
      });
      registerPipeline(scoped, core);
      registerAdminRoutes(scoped, core);
      registerSampleMedia(scoped);
      core.consent.routes(scoped);
      for (const [id, m] of modules) {
        await scoped.register(async (platformApp) => m.routes(platformApp, core), { prefix: `/${id}` });
      }
    },
    { prefix },
  );
  return core;
}

export type RunningEmulator = { url: string; core: EmulatorCore; close(): Promise<void> };

/**
 * A standalone emulator server (`perennial emulator`, tests). Without a clock it owns a flowing
 * ControllableClock that the admin API can move.
 */
export async function startEmulator(options: { clock?: Clock; port?: number; host?: string } = {}): Promise<RunningEmulator> {
  const ownsClock = !options.clock;
  const clock = options.clock ?? new ControllableClock({ flowing: true });
  const app = Fastify({ logger: false });
  const core = await registerEmulator(app, { clock, ownsClock, prefix: '' });
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, core, close: () => app.close() };
}
