/**
 * What every emulated Meta platform (Facebook, Instagram, Threads) shares: the Graph error
 * envelope and its exact messages (platforms.md §1 errors), reading the access token from a
 * request, token authentication with data-access expiry, and the Meta-specific policy fields.
 */
import type { PlatformId } from '../../../providers/types.ts';
import type { Grant } from '../../core/grantStore.ts';
import type { EmulatorCore, FastifyReply, FastifyRequest, GrantPolicy } from '../../core/types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * GrantPolicy plus the Meta facts platforms.md marks uncertain. Numbers and booleans only, so
 * `PATCH /_admin/policies/:platform` can change every one of them.
 */
export type MetaPolicy = GrantPolicy & {
  /** Lifetime of the token a code exchange returns (1 h); `accessTtlMs` is the long-lived one. */
  shortTtlMs: number;
  /** Facebook data access: 90 days after the user was last active (their last login here). */
  dataAccessTtlMs: number;
  /** Whether fb_exchange_token on a long-lived token moves its expiry ([UNC]: default no). */
  exchangeExtends: boolean;
  /** The answer to a refresh of a too-young IG/Threads token ([UNC]: default 400, code 100). */
  tooYoungStatus: number;
  tooYoungCode: number;
  /** Instagram code exchange: `data[]`-wrapped (docs) or flat (live), permissions as array or string. */
  codeResponseWrapped: boolean;
  permissionsAsArray: boolean;
  /** How long a video container stays IN_PROGRESS. */
  videoProcessingMs: number;
};

export const META_POLICY: MetaPolicy = {
  accessTtlMs: 60 * DAY_MS,
  issueRefreshToken: () => false,
  refreshTtlMs: null,
  rotation: false,
  reuseGraceMs: 0,
  reuseKillsFamily: false,
  minRefreshAgeMs: 0,
  slidingRefreshEnd: true,
  idleDeathMs: null,
  hardEndMs: null,
  codeTtlMs: 10 * 60_000,
  shortTtlMs: HOUR_MS,
  dataAccessTtlMs: 90 * DAY_MS,
  exchangeExtends: false,
  tooYoungStatus: 400,
  tooYoungCode: 100,
  codeResponseWrapped: false,
  permissionsAsArray: false,
  videoProcessingMs: 60_000,
};

export function metaPolicy(core: EmulatorCore, platform: PlatformId): MetaPolicy {
  return { ...META_POLICY, ...core.policy(platform) } as MetaPolicy;
}

export type GraphErrorBody = { message: string; type?: string; code: number; error_subcode?: number };

export function graphError(reply: FastifyReply, status: number, error: GraphErrorBody): FastifyReply {
  const fbtrace_id = `emu${Math.random().toString(36).slice(2, 12)}`;
  return reply.status(status).send({ error: { type: 'OAuthException', ...error, fbtrace_id } });
}

/** Meta's date style in expiry messages: "Monday, 24-Oct-16 21:00:00 UTC". */
export function metaDate(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const month = d.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())}-${month}-${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** The 190 bodies of platforms.md §1, by why the token died. */
export function tokenErrorBody(reason: string, info: { clientId: string; expiresAtMs?: number | null; nowMs: number }): GraphErrorBody {
  switch (reason) {
    case 'expired':
      return {
        message: `Error validating access token: Session has expired on ${metaDate(info.expiresAtMs ?? info.nowMs)}. The current time is ${metaDate(info.nowMs)}.`,
        code: 190,
        error_subcode: 463,
      };
    case 'password_changed':
      return {
        message:
          'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
        code: 190,
        error_subcode: 460,
      };
    case 'role_lost':
      return { message: 'Error validating access token: The user associated with the Page access token does not have an appropriate role on the Page.', code: 190, error_subcode: 492 };
    case 'user_revoked':
    case 'app_revoked':
      return { message: `Error validating access token: The user has not authorized application ${info.clientId}.`, code: 190, error_subcode: 458 };
    case 'data_access_expired':
      return { message: 'Error validating access token: Data access has expired for this user.', code: 190 };
    case 'invalid_token':
      return { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 };
    default:
      return { message: 'Error validating access token: The session is invalid because the user logged out.', code: 190, error_subcode: 467 };
  }
}

/** `access_token` from the query, the form body, or an `Authorization: Bearer` header. */
export function accessTokenOf(request: FastifyRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const header = request.headers.authorization ?? '';
  const fromHeader = /^(bearer|oauth) /i.test(header) ? header.replace(/^\S+\s+/, '') : undefined;
  const value = query.access_token ?? body.access_token ?? fromHeader;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** When each (platform, user) was last active: a login resets Facebook's 90-day data access. */
export class DataAccess {
  #lastActive = new Map<string, number>();

  touch(platform: PlatformId, accountId: string, nowMs: number): void {
    this.#lastActive.set(`${platform}:${accountId}`, nowMs);
  }

  expiresAtMs(core: EmulatorCore, platform: PlatformId, accountId: string): number | null {
    const last = this.#lastActive.get(`${platform}:${accountId}`);
    return last === undefined ? null : last + metaPolicy(core, platform).dataAccessTtlMs;
  }
}

export type Authenticated = { grant: Grant; token: string; expiresAtMs: number | null; issuedAtMs: number };

/**
 * Authenticates a Graph call and answers the platform's error itself when the token is missing,
 * unknown, expired, revoked or past its data-access expiry. Returns null after replying.
 */
export function authenticateGraph(
  core: EmulatorCore,
  platform: PlatformId,
  request: FastifyRequest,
  reply: FastifyReply,
  dataAccess?: DataAccess,
): Authenticated | null {
  const token = accessTokenOf(request);
  const nowMs = core.clock.nowMs();
  if (!token) {
    graphError(reply, 400, { message: 'An active access token must be used to query information about the current user.', code: 2500 });
    return null;
  }
  const auth = core.grants.authenticate(platform, token);
  if (!auth.ok) {
    const reason = auth.error === 'revoked' ? (auth.grant?.revoked?.reason ?? 'app_revoked') : auth.error;
    const expiresAtMs = core.grants.find(token)?.record.expiresAtMs;
    graphError(reply, 400, tokenErrorBody(reason, { clientId: auth.grant?.clientId ?? '', expiresAtMs, nowMs }));
    return null;
  }
  const { grant, access } = auth.value;
  const dataEnd = dataAccess?.expiresAtMs(core, platform, grant.accountId);
  if (dataEnd != null && nowMs >= dataEnd) {
    graphError(reply, 400, tokenErrorBody('data_access_expired', { clientId: grant.clientId, nowMs }));
    return null;
  }
  return { grant, token, expiresAtMs: access.expiresAtMs, issuedAtMs: access.issuedAtMs };
}

/** A Graph-style numeric id, unique within one emulator run. */
export function createIdSequence(start: number): () => string {
  let next = start;
  return () => String(next++);
}

export function stringField(source: unknown, key: string): string | undefined {
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Facebook/Threads code-exchange refusals, by the grant store's error. */
export function codeErrorBody(error: string): GraphErrorBody {
  switch (error) {
    case 'code_used':
      return { message: 'This authorization code has been used.', code: 100, error_subcode: 36009 };
    case 'code_expired':
      return { message: 'This authorization code has expired.', code: 100, error_subcode: 36007 };
    case 'redirect_mismatch':
      return {
        message: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
        code: 100,
        error_subcode: 36008,
      };
    case 'invalid_code':
      return { message: 'Invalid verification code format.', code: 100 };
    default:
      return { message: 'Error validating verification code.', code: 100 };
  }
}

/** Client authentication refusals ('missing' id or a wrong secret). */
export function clientErrorBody(error: 'missing' | 'invalid'): GraphErrorBody {
  return error === 'missing' ? { message: 'Missing client_id parameter.', code: 101 } : { message: 'Error validating client secret.', code: 1 };
}
