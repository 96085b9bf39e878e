/**
 * The narrow interface every platform adapter implements, and the platform facts it is built
 * from. Adapters talk HTTP to base URLs they are given: the real platform, or the emulator in
 * the sandbox. They never know which.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.ts';
import type { PlatformCredentialKey } from '../config.ts';

export const PLATFORM_IDS = [
  'facebook',
  'instagram', // Instagram API with Instagram Login (graph.instagram.com)
  'instagram_fb', // Instagram through Facebook Login (Page-linked professional account)
  'linkedin',
  'x',
  'tiktok',
  'youtube',
  'pinterest',
  'threads',
  'bluesky',
  'mastodon',
] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

/** How a failure should be handled by whoever called the adapter. */
export type ErrorClass =
  | 'transient' // network, timeout, 408, 429, 5xx: retry with backoff
  | 'refresh_needed' // the access token is dead but a refresh may fix it
  | 'reconnect_needed' // the grant is gone (invalid_grant, revoked, password changed, role lost)
  | 'app_misconfigured' // invalid_client, wrong secret: the instance's app, not this connection
  | 'bad_request'; // the request itself is wrong (content rejected, bad parameter)

/**
 * Every adapter failure is a ProviderError. `reason` is a stable snake_case code shown to users
 * and used in tests (`invalid_grant`, `token_revoked`, `password_changed`, `rate_limited`,
 * `rotation_lost`, `min_age_not_reached`, `malformed_response`, ...). The message never contains
 * a token.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly errorClass: ErrorClass;
  readonly reason: string;
  readonly httpStatus: number | undefined;
  /** The platform's own error code/subcode, as text (e.g. "190/460", "65601", "invalid_grant"). */
  readonly platformCode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    errorClass: ErrorClass,
    reason: string,
    message: string,
    options: { httpStatus?: number; platformCode?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.errorClass = errorClass;
    this.reason = reason;
    this.httpStatus = options.httpStatus;
    this.platformCode = options.platformCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * True when the platform answered and refused, so the call created nothing: a 4xx (429
 * included), or a token, app or content error. A 5xx, a timeout, a dropped connection or a
 * garbled 2xx answer may come after the platform acted: the outcome of a create call is then
 * uncertain.
 */
export function isDefiniteRefusal(err: ProviderError): boolean {
  if (err.errorClass !== 'transient') return true;
  return err.httpStatus !== undefined && err.httpStatus >= 400 && err.httpStatus < 500;
}

/**
 * Thrown by `publish` when every step so far is done and saved and the platform is still
 * processing (an Instagram container, a TikTok post): the publishing engine polls again after
 * `retryAfterMs` and resumes from the saved state. A poll is not a retry: no attempt is counted,
 * no rate-limit token is taken, no lookup is made.
 */
export class PublishStillProcessing extends ProviderError {
  override name = 'PublishStillProcessing';
  constructor(reason: string, message: string, pollAfterMs: number) {
    super('transient', reason, message, { retryAfterMs: pollAfterMs });
  }
}

/**
 * Thrown by `publish` when the platform says the post was made but gave us no id (an Instagram
 * container already PUBLISHED): the engine looks the post up (from its recorded intent) instead
 * of publishing again.
 */
export class PublishOutcomeUncertain extends ProviderError {
  override name = 'PublishOutcomeUncertain';
  constructor(reason: string, message: string) {
    super('transient', reason, message);
  }
}

/**
 * Thrown by `publish` when a non-idempotent step was started earlier (its marker saved) but its
 * result never was, and the engine's lookup did not find the post: repeating the step could
 * post twice, so the target becomes `unknown` for the user to decide.
 */
export class PublishOutcomeUnknown extends ProviderError {
  override name = 'PublishOutcomeUnknown';
  constructor(reason: string, message: string) {
    super('transient', reason, message);
  }
}

/** What a token endpoint gave us, normalised. */
export type TokenSet = {
  accessToken: string;
  /** null: never expires (Mastodon, a Facebook Page token with expires_at 0). */
  accessExpiresAt: Date | null;
  /** undefined: the response carried none, so the stored one is kept (never overwritten by empty). */
  refreshToken?: string;
  refreshExpiresAt?: Date | null;
  scopes: string[];
  issuedAt: Date;
  /** Facebook/Threads data-access expiry (debug_token), where known. */
  dataAccessExpiresAt?: Date | null;
  /**
   * An end of the whole grant that no refresh can pass, known when it is granted (Google with
   * the app in testing mode: consent + 7 days). Stored as connections.hard_end_at.
   */
  hardEndAt?: Date | null;
};

/** A platform account the user can connect (a Page, an organization, a board owner, the member). */
export type AccountChoice = {
  platformAccountId: string;
  kind: 'user' | 'page' | 'organization' | 'channel' | 'profile';
  displayName: string;
  handle?: string;
  avatarUrl?: string;
  /** Tokens specific to this account (a Page token), when they differ from the user grant's. */
  tokens?: TokenSet;
  /** Non-secret per-account data the adapter needs later (IG user id, Bluesky DID and PDS, ...). */
  meta?: Record<string, unknown>;
};

/** What the vault hands an adapter: the decrypted credential of one connection. */
export type StoredCredential = {
  accessToken: string;
  accessExpiresAt: Date | null;
  refreshToken: string | null;
  refreshExpiresAt: Date | null;
  issuedAt: Date;
  scopes: string[];
  platformAccountId: string;
  meta: Record<string, unknown>;
};

export type VerifyResult = {
  valid: boolean;
  /** Set when not valid: the ProviderError-style reason. */
  reason?: string;
  accessExpiresAt?: Date | null;
  dataAccessExpiresAt?: Date | null;
  scopes?: string[];
};

/**
 * One image or video of a post. `url` is where a platform that pulls by URL fetches it (a signed
 * link to an upload, a presigned S3 URL, or a user's remote URL; `bytes` 0 when unknown). An
 * upload also carries `read`, its bytes straight from storage, for adapters that send the bytes
 * themselves (src/media/fetchMedia.ts chooses between the two and applies the platform's limits).
 */
export type PublishMedia = {
  kind: 'image' | 'video';
  url: string;
  mimeType: string;
  bytes: number;
  altText?: string;
  /** The upload's id (absent for remote URLs). */
  mediaId?: string;
  read?: (range?: { start: number; end: number }) => Promise<Readable>;
};

/** A post as one platform will receive it (after per-platform overrides). */
export type PublishRequest = {
  /** Our id for this target; adapters put it where the platform lets us find the post again. */
  idempotencyKey: string;
  text: string;
  link?: string;
  media: PublishMedia[];
  options: Record<string, unknown>;
};

/**
 * Multi-step publishing (containers, uploads) records each completed step through `save`, so a
 * retry after a crash resumes from `state` instead of starting over.
 */
export type PublishProgress = {
  state: Record<string, unknown>;
  save(state: Record<string, unknown>): Promise<void>;
};

export type PublishResult = { platformPostId: string; url: string | null };

/** The platform's rules, as data (from ../shared/platforms.md). Uncertain facts stay configurable. */
export type PlatformFacts = {
  id: PlatformId;
  displayName: string;
  /** Which instance-wide OAuth app it uses; null: per-instance (Mastodon) or none (Bluesky). */
  credentialKey: PlatformCredentialKey | null;
  connectMethod: 'oauth2' | 'app_password';
  pkce: boolean;
  scopeSeparator: ' ' | ',';
  defaultScopes: string[];
  clientAuth: 'basic' | 'body' | 'query' | 'none';
  refresh: {
    kind: 'oauth_refresh' | 'extend_same_token' | 'xrpc_refresh' | 'none';
    rotates: boolean;
    /** IG/Threads: a token younger than this cannot be refreshed. */
    minAgeMs?: number;
    /** Google 6 months, Pinterest 60 days: the refresh token dies when unused this long. */
    idleDeathMs?: number;
    /** LinkedIn: the refresh token's end is fixed at the first grant and never moves. */
    fixedRefreshEnd?: boolean;
  };
  /** Defaults when a response omits lifetimes (always prefer the response's own fields). */
  defaultAccessTtlMs: number | null;
  defaultRefreshTtlMs: number | null;
  canRevoke: boolean;
  canVerify: boolean;
  /** The platform lets us list recent posts, so an uncertain publish can be checked, not repeated. */
  canFindRecentPosts: boolean;
  /**
   * Named hosts the adapter calls (e.g. { www: 'https://www.facebook.com', graph: 'https://graph.facebook.com' }).
   * In the sandbox each alias becomes `<emulator>/<platform>/<alias>`. Per-instance platforms
   * (Mastodon) name one alias `instance`, filled from the user's instance URL.
   */
  hosts: Record<string, string>;
  /** The user names their server (Mastodon instance, Bluesky PDS); it is validated and SSRF-guarded. */
  instanceUrl?: 'required' | 'optional';
  limits: { textMax: number; mediaRequired: boolean; maxImages: number; maxVideoBytes?: number; maxImageBytes?: number };
};

/**
 * An HTTP client with timeouts and size limits; adapters never call `fetch` directly.
 * `stream`: the body comes back unbuffered (media downloads), bounded by `maxResponseBytes`.
 */
export type HttpClient = (url: string | URL, init?: RequestInit & { timeoutMs?: number; maxResponseBytes?: number; stream?: boolean }) => Promise<Response>;

/** What an adapter gets for each call. */
export type ProviderContext = {
  clock: Clock;
  http: HttpClient;
  /** The instance's app for this platform; null for platforms without one. */
  client: { clientId: string; clientSecret: string } | null;
  /** `facts.hosts` resolved for this run: the real hosts, or the emulator's. */
  hosts: Record<string, string>;
  redirectUri: string;
  /** True when `hosts` point at the emulator (for display only: adapters must not branch on it). */
  sandbox?: boolean;
  /**
   * The instance's app for this platform is in the platform's testing mode (Google: consent
   * screen External + Testing, GOOGLE_OAUTH_TESTING_MODE), whose grants end early.
   */
  appTestingMode?: boolean;
  /**
   * Per-instance platforms: maps a stored server URL (`credential.meta.instanceUrl`) to the base
   * URL to call (the server itself, or its emulator stand-in), so a context built without
   * `instanceUrl` still reaches the connection's server.
   */
  instanceBase?: (instanceUrl: string) => string;
};

/** What identifies whose authorization a connection holds (see Provider.grantKey). */
export type GrantOwner = { appClientId: string | null; platformAccountId: string; meta: Record<string, unknown> };

/** Per-instance app registration (Mastodon): the app this instance of Perennial uses there. */
export type RegisteredApp = { clientId: string; clientSecret: string };

export interface Provider {
  readonly facts: PlatformFacts;
  /** The platform's consent URL (OAuth platforms). */
  authorizationUrl(ctx: ProviderContext, input: { state: string; codeChallenge?: string; scopes?: string[] }): URL;
  /** Code → tokens (including Meta's short → long-lived step) and the accounts the user may pick. */
  exchangeCode(ctx: ProviderContext, input: { code: string; codeVerifier?: string }): Promise<{ tokens: TokenSet; accounts: AccountChoice[] }>;
  /** A new TokenSet; `refreshToken` undefined when the platform returned none. Throws ProviderError. */
  refresh(ctx: ProviderContext, credential: StoredCredential): Promise<TokenSet>;
  verify(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult>;
  publish(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest, progress: PublishProgress): Promise<PublishResult>;
  /**
   * Looks for a post we may already have published (by idempotency key, or by text) created at or
   * after `since`; posts whose platform id is in `skip` (recorded by our other targets) never match.
   */
  findRecentPost?(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest, since: Date, skip?: ReadonlySet<string>): Promise<PublishResult | null>;
  revoke?(ctx: ProviderContext, credential: StoredCredential): Promise<void>;
  /**
   * The platform-side authorization `revoke` ends, when it can be wider than one connection (a
   * Facebook user's grant to the app covers every Page token it gave, in every workspace).
   * Connections with the same key share it: a disconnect revokes at the platform only when no
   * other live connection has the key, and otherwise only erases its own tokens. Absent or
   * null: revoking ends this connection's tokens and nothing else.
   */
  grantKey?(connection: GrantOwner): string | null;
  /** Per-instance platforms (Mastodon): registers our app on `ctx.hosts.instance` (POST /api/v1/apps). */
  registerApp?(ctx: ProviderContext, input: { appName: string; website: string; scopes: string[] }): Promise<RegisteredApp>;
  /** Password-style connect (Bluesky app passwords): no redirect, the session is created directly. */
  connectWithPassword?(ctx: ProviderContext, input: { identifier: string; password: string }): Promise<{ tokens: TokenSet; accounts: AccountChoice[] }>;
  /** Maps a platform response to an error class; adapters use it to build ProviderErrors. */
  classifyError(status: number, body: unknown): { errorClass: ErrorClass; reason: string; platformCode?: string } | null;
}
