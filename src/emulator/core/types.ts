import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { ConsentPages } from './consentPages.ts';
import type { ClientRegistry } from './clientRegistry.ts';
import type { Faults } from './faults.ts';
import type { GrantStore } from './grantStore.ts';
import type { PublishedPosts } from './publishedPosts.ts';
import type { RequestLog } from './requestLog.ts';

/**
 * How a platform's grants live and die. Every [UNC] fact of platforms.md is a field here, so
 * tests (and the admin API: PATCH /_admin/policies/:platform) can change it.
 */
export type GrantPolicy = {
  /** null: access tokens never expire (Mastodon). */
  accessTtlMs: number | null;
  /** Whether a grant gets a refresh token (X: only with the offline.access scope). */
  issueRefreshToken: (scopes: string[]) => boolean;
  /** null: the refresh token has no expiry of its own. */
  refreshTtlMs: number | null;
  /** Each refresh returns a new refresh token and retires the old one. */
  rotation: boolean;
  /** A retired refresh token still works this long, answering with the same successor (Bluesky: 2 h). */
  reuseGraceMs: number;
  /** Presenting a retired refresh token (after any grace) kills the grant and every token in it. */
  reuseKillsFamily: boolean;
  /** A token younger than this cannot be refreshed (Instagram/Threads 24 h). */
  minRefreshAgeMs: number;
  /** false: the refresh token's end is fixed at the first grant (LinkedIn). */
  slidingRefreshEnd: boolean;
  /** The grant dies when not refreshed this long (Google 6 months, Pinterest 60 days). */
  idleDeathMs: number | null;
  /** The grant dies this long after it was created, whatever happens (Google testing mode: 7 days). */
  hardEndMs: number | null;
  /** Authorization codes live this long (X: 30 s). */
  codeTtlMs: number;
};

export const DEFAULT_POLICY: GrantPolicy = {
  accessTtlMs: 3_600_000,
  issueRefreshToken: () => true,
  refreshTtlMs: null,
  rotation: false,
  reuseGraceMs: 0,
  reuseKillsFamily: false,
  minRefreshAgeMs: 0,
  slidingRefreshEnd: true,
  idleDeathMs: null,
  hardEndMs: null,
  codeTtlMs: 10 * 60_000,
};

/** A fake person or page on a platform. `extra` carries platform-specific fields (a Page's owner, a DID). */
export type FakeAccount = {
  id: string;
  username: string;
  displayName: string;
  /** For password logins (Bluesky app passwords). */
  password?: string;
  extra?: Record<string, unknown>;
};

export type EmulatorCore = {
  readonly clock: Clock;
  /** True when the emulator owns its clock (standalone): the admin API may move it. */
  readonly ownsClock: boolean;
  /** The mount prefix ('' standalone, '/_emulator' in-process). */
  readonly prefix: string;
  readonly grants: GrantStore;
  readonly clients: ClientRegistry;
  readonly consent: ConsentPages;
  readonly faults: Faults;
  readonly requests: RequestLog;
  readonly posts: PublishedPosts;
  /** Whether a callback URL (Meta deauthorize, TikTok webhook) may be configured (in-process: Perennial's own origin only). */
  callbackAllowed(url: string): boolean;
  policy(platform: PlatformId): GrantPolicy;
  setPolicy(platform: PlatformId, patch: Partial<GrantPolicy>): void;
  accounts(platform: PlatformId): FakeAccount[];
  account(platform: PlatformId, id: string): FakeAccount | undefined;
  addAccount(platform: PlatformId, account: FakeAccount): void;
  /** Removes every grant, code, fault, log entry and post; restores policies and accounts. */
  reset(): void;
};

export type EmulatorApp = FastifyInstance;
export type { FastifyReply, FastifyRequest };

/**
 * A platform module. `routes` registers the platform's endpoints on an app already scoped to
 * `/<platform>`, so a module writes paths as `/<host-alias>/...` (e.g. `/api/2/oauth2/token`
 * for the `api` host of X). Form and JSON bodies are parsed; every request is logged and
 * fault-injected by the core before the handler runs.
 */
export type EmulatorPlatformModule = {
  platform: PlatformId;
  policy: GrantPolicy;
  accounts: FakeAccount[];
  routes(app: EmulatorApp, core: EmulatorCore): void;
  /** Turns a token into its string form (default: an opaque random string). Bluesky mints JWTs. */
  mintToken?: (kind: 'access' | 'refresh', info: { grantId: string; accountId: string; expiresAtMs: number | null; jti: string }) => string;
};
