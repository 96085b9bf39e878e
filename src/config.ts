import path from 'node:path';
import { z } from 'zod';

/**
 * The one place that reads the environment. Everything else receives a frozen `Config`.
 * A bad value stops start-up with a message naming the variable (see `loadConfig`).
 */

/** Platforms whose apps are registered once per instance (client id + secret). */
export const PLATFORM_CREDENTIAL_KEYS = [
  'FACEBOOK',
  'INSTAGRAM',
  'THREADS',
  'LINKEDIN',
  'X',
  'TIKTOK',
  'GOOGLE',
  'PINTEREST',
] as const;
export type PlatformCredentialKey = (typeof PLATFORM_CREDENTIAL_KEYS)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

const url = z.url({ protocol: /^https?$/ });

/** `kid:base64key[,kid:base64key...]`; the first key encrypts, all of them decrypt. */
const encryptionKeys = z
  .string()
  .transform((value, ctx) => {
    const keys: { id: string; key: Buffer }[] = [];
    for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [id, b64] = part.split(':');
      const key = b64 ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
      if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected kid:base64key pairs separated by commas, each key 32 bytes (openssl rand -base64 32)',
        });
        return z.NEVER;
      }
      keys.push({ id, key });
    }
    if (keys.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'no key given' });
      return z.NEVER;
    }
    return keys;
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: url.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  ENCRYPTION_KEYS: encryptionKeys.optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Perennial <perennial@localhost>'),
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(24 * 14),
  SECURE_COOKIES: bool.optional(),
  /** Runs the instance and the in-process emulator on one controllable clock (issue: time travel). */
  TIME_TRAVEL: bool.default(false),
  /** Base URL of an external emulator (`perennial emulator`); default: the in-process one. */
  EMULATOR_URL: url.optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  /** Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated IPs/CIDRs). */
  TRUST_PROXY: z.string().min(1).optional(),
  /** Embedded engine only (PGlite has no autovacuum): how often the busy tables are vacuumed. */
  VACUUM_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(10),
  /** `perennial sandbox ...`: the running instance to move (default PUBLIC_URL) and an owner's API token. */
  PERENNIAL_URL: url.optional(),
  PERENNIAL_API_TOKEN: z.string().min(1).optional(),
  /** Mastodon and Bluesky (no instance-wide app): use the emulator. Default: while no real app is configured. */
  OPEN_NETWORKS_SANDBOX: bool.optional(),
  /** Publishing: how long after its time a target keeps retrying temporary failures. */
  PUBLISH_RETRY_WINDOW_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(6 * 60),
  /** Publishing: how long a paused target may wait for a reconnect after its time before it fails. */
  PUBLISH_RECONNECT_GRACE_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(15),
  /** Days before an end no refresh can pass at which users are warned (comma-separated, e.g. 7,3,1). */
  ALERT_THRESHOLD_DAYS: z
    .string()
    .regex(/^\s*\d{1,3}\s*(,\s*\d{1,3}\s*)*$/, 'must be whole numbers of days separated by commas, e.g. 7,3,1')
    .default('7,3,1')
    .transform((v) => [...new Set(v.split(',').map((d) => Number(d.trim())))].filter((d) => d > 0).sort((x, y) => y - x)),
  /** How often connections of platforms that can revoke silently are verified. */
  CONNECTION_VERIFY_INTERVAL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  /** Security policy: a connection unused this many days must be re-authorized (0: off). */
  CONNECTION_REAUTH_AFTER_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
  /** The Google OAuth app's consent screen is External + Testing: its refresh tokens die 7 days after consent. */
  GOOGLE_OAUTH_TESTING_MODE: bool.default(false),
  /** Largest file one upload may carry (images and videos), in megabytes. */
  MEDIA_MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(100_000).default(1024),
  /** S3-compatible storage for new uploads (on when S3_BUCKET is set); files already in DATA_DIR/media stay there. */
  S3_BUCKET: z.string().min(1).optional(),
  S3_ENDPOINT: url.optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style addressing (`endpoint/bucket/key`), what most self-hosted servers need. Default: on when S3_ENDPOINT is set. */
  S3_FORCE_PATH_STYLE: bool.optional(),
  /** Objects are publicly readable under this base URL (CDN or public bucket): platforms get it instead of presigned URLs. */
  S3_PUBLIC_URL: url.optional(),
  ...Object.fromEntries(
    PLATFORM_CREDENTIAL_KEYS.flatMap((p) => [
      [`${p}_CLIENT_ID`, z.string().min(1).optional()],
      [`${p}_CLIENT_SECRET`, z.string().min(1).optional()],
    ]),
  ),
});

export type PlatformCredentials = { clientId: string; clientSecret: string };

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  logLevel: string;
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  encryptionKeys: readonly { id: string; key: Buffer }[] | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  sessionTtlMs: number;
  secureCookies: boolean;
  timeTravel: boolean;
  emulatorUrl: string | undefined;
  shutdownGraceMs: number;
  /** Proxies trusted for X-Forwarded-For; empty: the socket's address is the client's. */
  trustProxy: readonly string[];
  vacuumIntervalMs: number;
  sandboxApiUrl: string | undefined;
  /** A personal API token for the CLI's API calls (never logged). */
  sandboxApiToken: string | undefined;
  /** Mastodon and Bluesky run against the emulator (see OPEN_NETWORKS_SANDBOX). */
  openNetworksSandbox: boolean;
  publishRetryWindowMs: number;
  publishReconnectGraceMs: number;
  /** Warning thresholds in days before an unpreventable end, largest first. */
  alertThresholdDays: readonly number[];
  connectionVerifyIntervalMs: number;
  /** null: no inactivity re-authentication policy. */
  connectionReauthAfterMs: number | null;
  /** Google's app is in testing mode: every YouTube grant ends 7 days after consent (hard_end_at). */
  googleOAuthTestingMode: boolean;
  /** Largest upload accepted, in bytes. */
  mediaMaxUploadBytes: number;
  /** S3-compatible storage for new uploads; undefined: the DATA_DIR/media folder. */
  s3: Readonly<{
    bucket: string;
    endpoint: string | undefined;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    publicUrl: string | undefined;
  }> | undefined;
  /** Real OAuth apps by platform; a platform without one runs against the emulator (sandbox). */
  platformCredentials: Readonly<Partial<Record<PlatformCredentialKey, PlatformCredentials>>>;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Time travel moves one clock: this process's, which the in-process emulator follows. It is refused
 * wherever something outside that clock would be reached: a real platform app, the real Mastodon
 * and Bluesky networks, or an external emulator (it keeps its own time).
 */
function timeTravelProblems(e: { OPEN_NETWORKS_SANDBOX?: boolean; EMULATOR_URL?: string }, realApps: string[]): string[] {
  const problems: string[] = [];
  if (realApps.length > 0) {
    problems.push(
      `time travel runs only on the sandbox, but real credentials are configured for ${realApps.join(', ')} ` +
        `(${realApps.map((p) => `${p}_CLIENT_ID`).join(', ')}); unset them or TIME_TRAVEL`,
    );
  }
  if (e.OPEN_NETWORKS_SANDBOX === false) {
    problems.push('time travel runs only on the sandbox, but OPEN_NETWORKS_SANDBOX=false sends Mastodon and Bluesky to the real networks; unset it or TIME_TRAVEL');
  }
  if (e.EMULATOR_URL) {
    problems.push('time travel moves the in-process emulator with the instance, but EMULATOR_URL points to an external emulator with its own clock; unset EMULATOR_URL or TIME_TRAVEL');
  }
  return problems;
}

/** A copy of the process environment, for the command line to adjust (`--time-travel`) before `loadConfig`. */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/**
 * The test harness's own switches (src/testing, scripts/test.ts sets them): the PostgreSQL server
 * to run the suite on (`npm run test:pg`), and the migrated PGlite image each test file loads.
 */
export function loadTestSettings(env: Record<string, string | undefined> = process.env): { pgUrl: string | undefined; pgliteTemplate: string | undefined } {
  return { pgUrl: env.PERENNIAL_TEST_PG_URL || undefined, pgliteTemplate: env.PERENNIAL_TEST_PGLITE_TEMPLATE || undefined };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data as z.infer<typeof envSchema> & Record<string, string | undefined>;

  const platformCredentials: Partial<Record<PlatformCredentialKey, PlatformCredentials>> = {};
  for (const p of PLATFORM_CREDENTIAL_KEYS) {
    const clientId = e[`${p}_CLIENT_ID`];
    const clientSecret = e[`${p}_CLIENT_SECRET`];
    if (Boolean(clientId) !== Boolean(clientSecret)) {
      const missing = clientId ? `${p}_CLIENT_SECRET` : `${p}_CLIENT_ID`;
      throw new ConfigError(`Invalid configuration:\n  ${missing}: required when the other half of ${p}'s credentials is set`);
    }
    if (clientId && clientSecret) platformCredentials[p] = Object.freeze({ clientId, clientSecret });
  }
  if (e.DATABASE_URL && !e.ENCRYPTION_KEYS) {
    throw new ConfigError(
      'Invalid configuration:\n  ENCRYPTION_KEYS: required with DATABASE_URL (every process must encrypt and decrypt stored tokens with the same keys; ' +
        'generate one with: echo "k1:$(openssl rand -base64 32)")',
    );
  }
  const sandboxProblems = e.TIME_TRAVEL ? timeTravelProblems(e, Object.keys(platformCredentials)) : [];
  if (sandboxProblems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${sandboxProblems.map((p) => `  TIME_TRAVEL: ${p}`).join('\n')}`);
  }

  const s3Set = ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PUBLIC_URL', 'S3_FORCE_PATH_STYLE'].filter((k) => cleaned[k] !== undefined);
  if (!e.S3_BUCKET && s3Set.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  S3_BUCKET: required when ${s3Set.join(', ')} is set`);
  }
  if (e.S3_BUCKET && (!e.S3_ACCESS_KEY_ID || !e.S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError(`Invalid configuration:\n  ${e.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'}: required when S3_BUCKET is set`);
  }
  const s3 = e.S3_BUCKET
    ? Object.freeze({
        bucket: e.S3_BUCKET,
        endpoint: e.S3_ENDPOINT?.replace(/\/+$/, ''),
        region: e.S3_REGION,
        accessKeyId: e.S3_ACCESS_KEY_ID!,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
        forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
        publicUrl: e.S3_PUBLIC_URL?.replace(/\/+$/, ''),
      })
    : undefined;

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    encryptionKeys: e.ENCRYPTION_KEYS ? Object.freeze(e.ENCRYPTION_KEYS) : undefined,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
    secureCookies: e.SECURE_COOKIES ?? publicUrl.startsWith('https://'),
    timeTravel: e.TIME_TRAVEL,
    emulatorUrl: e.EMULATOR_URL?.replace(/\/+$/, ''),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    trustProxy: Object.freeze((e.TRUST_PROXY ?? '').split(',').map((p) => p.trim()).filter(Boolean)),
    vacuumIntervalMs: e.VACUUM_INTERVAL_MINUTES * 60_000,
    sandboxApiUrl: e.PERENNIAL_URL?.replace(/\/+$/, ''),
    sandboxApiToken: e.PERENNIAL_API_TOKEN,
    openNetworksSandbox: e.OPEN_NETWORKS_SANDBOX ?? Object.keys(platformCredentials).length === 0,
    publishRetryWindowMs: e.PUBLISH_RETRY_WINDOW_MINUTES * 60_000,
    publishReconnectGraceMs: e.PUBLISH_RECONNECT_GRACE_MINUTES * 60_000,
    alertThresholdDays: Object.freeze(e.ALERT_THRESHOLD_DAYS),
    connectionVerifyIntervalMs: e.CONNECTION_VERIFY_INTERVAL_HOURS * 3_600_000,
    connectionReauthAfterMs: e.CONNECTION_REAUTH_AFTER_DAYS > 0 ? e.CONNECTION_REAUTH_AFTER_DAYS * 86_400_000 : null,
    googleOAuthTestingMode: e.GOOGLE_OAUTH_TESTING_MODE,
    mediaMaxUploadBytes: e.MEDIA_MAX_UPLOAD_MB * 1024 * 1024,
    s3,
    platformCredentials: Object.freeze(platformCredentials),
  });
}
