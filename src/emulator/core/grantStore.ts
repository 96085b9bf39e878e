import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { EmulatorPlatformModule, GrantPolicy } from './types.ts';

/**
 * Grants, authorization codes and tokens of every emulated platform, on the emulator's clock.
 * Platform modules turn the outcomes (`{ ok: false, error }`) into their platform's error bodies.
 */

export type RevokeReason = 'user_revoked' | 'password_changed' | 'role_lost' | 'reuse_detected' | 'logout' | 'app_revoked' | 'code_reused';

export type Grant = {
  id: string;
  platform: PlatformId;
  clientId: string;
  accountId: string;
  scopes: string[];
  createdAtMs: number;
  lastRefreshAtMs: number;
  /** Fixed refresh end (non-sliding policies), or null. */
  refreshEndsAtMs: number | null;
  hardEndAtMs: number | null;
  revoked: { reason: RevokeReason; atMs: number } | null;
  refreshCount: number;
};

export type TokenRecord = {
  token: string;
  kind: 'access' | 'refresh';
  grantId: string;
  jti: string;
  issuedAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  /** Refresh tokens: when it was used for a rotation, and what it was rotated into. */
  rotatedAtMs?: number;
  successor?: { access: TokenRecord; refresh: TokenRecord };
};

type CodeRecord = {
  code: string;
  platform: PlatformId;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  accountId: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  expiresAtMs: number;
  usedAtMs: number | null;
  grantId: string | null;
};

export type Issued = { grant: Grant; access: TokenRecord; refresh: TokenRecord | null; rotated: boolean };

export type CodeError = 'invalid_code' | 'code_expired' | 'code_used' | 'redirect_mismatch' | 'pkce_failed' | 'client_mismatch';
export type RefreshError = 'invalid_token' | 'expired' | 'revoked' | 'reused' | 'too_young' | 'idle_expired' | 'hard_end' | 'client_mismatch';
export type AccessError = 'invalid_token' | 'expired' | 'revoked';

export type Outcome<T, E> = { ok: true; value: T } | { ok: false; error: E; grant?: Grant };

export class GrantStore {
  readonly #clock: Clock;
  readonly #policy: (platform: PlatformId) => GrantPolicy;
  readonly #modules: Map<PlatformId, EmulatorPlatformModule>;
  #grants = new Map<string, Grant>();
  #tokens = new Map<string, TokenRecord>();
  #codes = new Map<string, CodeRecord>();
  /** Reuse detections by platform (counters). */
  readonly reuseDetections = new Map<PlatformId, number>();

  constructor(clock: Clock, policy: (platform: PlatformId) => GrantPolicy, modules: Map<PlatformId, EmulatorPlatformModule>) {
    this.#clock = clock;
    this.#policy = policy;
    this.#modules = modules;
  }

  clear(): void {
    this.#grants.clear();
    this.#tokens.clear();
    this.#codes.clear();
    this.reuseDetections.clear();
  }

  issueCode(input: Omit<CodeRecord, 'code' | 'expiresAtMs' | 'usedAtMs' | 'grantId'>): string {
    const code = randomBytes(18).toString('base64url');
    this.#codes.set(code, { ...input, code, expiresAtMs: this.#clock.nowMs() + this.#policy(input.platform).codeTtlMs, usedAtMs: null, grantId: null });
    return code;
  }

  /**
   * Redeems a code once. A second use fails and revokes the grant the first use created
   * (RFC 6749 §4.1.2: a replayed code may mean the code leaked).
   */
  redeemCode(platform: PlatformId, code: string, input: { clientId: string; redirectUri: string | undefined; codeVerifier: string | undefined }): Outcome<Issued, CodeError> {
    const record = this.#codes.get(code);
    const now = this.#clock.nowMs();
    if (!record || record.platform !== platform) return { ok: false, error: 'invalid_code' };
    if (record.usedAtMs !== null) {
      if (record.grantId) this.revokeGrant(record.grantId, 'code_reused');
      return { ok: false, error: 'code_used' };
    }
    if (now >= record.expiresAtMs) return { ok: false, error: 'code_expired' };
    if (record.clientId !== input.clientId) return { ok: false, error: 'client_mismatch' };
    if (input.redirectUri !== record.redirectUri) return { ok: false, error: 'redirect_mismatch' };
    if (record.codeChallenge) {
      const verifier = input.codeVerifier ?? '';
      const computed = record.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
      if (computed !== record.codeChallenge) return { ok: false, error: 'pkce_failed' };
    }
    record.usedAtMs = now;
    const issued = this.createGrant({ platform, clientId: record.clientId, accountId: record.accountId, scopes: record.scopes });
    record.grantId = issued.grant.id;
    return { ok: true, value: issued };
  }

  /** A new grant with its first tokens (also used directly by password logins). */
  createGrant(input: { platform: PlatformId; clientId: string; accountId: string; scopes: string[] }): Issued {
    const policy = this.#policy(input.platform);
    const now = this.#clock.nowMs();
    const grant: Grant = {
      id: randomUUID(),
      ...input,
      createdAtMs: now,
      lastRefreshAtMs: now,
      refreshEndsAtMs: !policy.slidingRefreshEnd && policy.refreshTtlMs !== null ? now + policy.refreshTtlMs : null,
      hardEndAtMs: policy.hardEndMs !== null ? now + policy.hardEndMs : null,
      revoked: null,
      refreshCount: 0,
    };
    this.#grants.set(grant.id, grant);
    const access = this.#mint(grant, 'access', policy.accessTtlMs === null ? null : now + policy.accessTtlMs);
    const refresh = policy.issueRefreshToken(input.scopes) ? this.#mint(grant, 'refresh', this.#refreshExpiry(grant, policy, now)) : null;
    return { grant, access, refresh, rotated: false };
  }

  /** The live grant of an access token, or why there is none. */
  authenticate(platform: PlatformId, token: string): Outcome<{ grant: Grant; access: TokenRecord }, AccessError> {
    const record = this.#tokens.get(token);
    const grant = record ? this.#grants.get(record.grantId) : undefined;
    if (!record || !grant || record.kind !== 'access' || grant.platform !== platform) return { ok: false, error: 'invalid_token' };
    const now = this.#clock.nowMs();
    if (grant.revoked || record.revokedAtMs !== null) return { ok: false, error: 'revoked', grant };
    if ((record.expiresAtMs !== null && now >= record.expiresAtMs) || (grant.hardEndAtMs !== null && now >= grant.hardEndAtMs)) {
      return { ok: false, error: 'expired', grant };
    }
    return { ok: true, value: { grant, access: record } };
  }

  /** Looks up any token (for introspection and revocation). */
  find(token: string): { record: TokenRecord; grant: Grant } | undefined {
    const record = this.#tokens.get(token);
    const grant = record ? this.#grants.get(record.grantId) : undefined;
    return record && grant ? { record, grant } : undefined;
  }

  /** A refresh grant, applying the platform's rotation, reuse, age, idle and end rules in that order. */
  refresh(platform: PlatformId, token: string, input: { clientId: string | null }): Outcome<Issued, RefreshError> {
    const found = this.find(token);
    if (!found || found.record.kind !== 'refresh' || found.grant.platform !== platform) return { ok: false, error: 'invalid_token' };
    const { record, grant } = found;
    const policy = this.#policy(platform);
    const now = this.#clock.nowMs();
    if (input.clientId !== null && grant.clientId !== input.clientId) return { ok: false, error: 'client_mismatch', grant };
    if (grant.revoked || record.revokedAtMs !== null) return { ok: false, error: 'revoked', grant };
    if (grant.hardEndAtMs !== null && now >= grant.hardEndAtMs) return { ok: false, error: 'hard_end', grant };
    if (policy.idleDeathMs !== null && now - grant.lastRefreshAtMs >= policy.idleDeathMs) return { ok: false, error: 'idle_expired', grant };
    if (record.rotatedAtMs !== undefined) {
      if (record.successor && now < record.rotatedAtMs + policy.reuseGraceMs) {
        return { ok: true, value: { grant, access: record.successor.access, refresh: record.successor.refresh, rotated: true } };
      }
      this.reuseDetections.set(platform, (this.reuseDetections.get(platform) ?? 0) + 1);
      if (policy.reuseKillsFamily) this.revokeGrant(grant.id, 'reuse_detected');
      return { ok: false, error: 'reused', grant };
    }
    if (record.expiresAtMs !== null && now >= record.expiresAtMs) return { ok: false, error: 'expired', grant };
    if (now - record.issuedAtMs < policy.minRefreshAgeMs) return { ok: false, error: 'too_young', grant };

    grant.lastRefreshAtMs = now;
    grant.refreshCount += 1;
    const access = this.#mint(grant, 'access', policy.accessTtlMs === null ? null : now + policy.accessTtlMs);
    if (!policy.rotation) {
      if (policy.slidingRefreshEnd && policy.refreshTtlMs !== null) record.expiresAtMs = now + policy.refreshTtlMs;
      return { ok: true, value: { grant, access, refresh: record, rotated: false } };
    }
    const refresh = this.#mint(grant, 'refresh', this.#refreshExpiry(grant, policy, now));
    record.rotatedAtMs = now;
    record.successor = { access, refresh };
    return { ok: true, value: { grant, access, refresh, rotated: true } };
  }

  /**
   * Replaces a still-valid access token with a fresh one (Instagram/Threads "refresh", Facebook's
   * fb_exchange_token), honouring the minimum age.
   */
  extendAccess(platform: PlatformId, token: string): Outcome<Issued, AccessError | 'too_young'> {
    const auth = this.authenticate(platform, token);
    if (!auth.ok) return auth;
    const { grant, access } = auth.value;
    const policy = this.#policy(platform);
    const now = this.#clock.nowMs();
    if (now - access.issuedAtMs < policy.minRefreshAgeMs) return { ok: false, error: 'too_young', grant };
    grant.lastRefreshAtMs = now;
    grant.refreshCount += 1;
    const next = this.#mint(grant, 'access', policy.accessTtlMs === null ? null : now + policy.accessTtlMs);
    return { ok: true, value: { grant, access: next, refresh: null, rotated: false } };
  }

  /**
   * Doorkeeper's `reuse_access_token` (Mastodon): when the account already holds a live access
   * token for this app with the same scopes, the grant just created is dropped and that token
   * is answered again, so two authorizations share one token.
   */
  reuseAccessToken(issued: Issued): Issued {
    const { grant } = issued;
    const now = this.#clock.nowMs();
    const scopes = (g: Grant) => [...g.scopes].sort().join(' ');
    for (const t of this.#tokens.values()) {
      const g = this.#grants.get(t.grantId);
      if (!g || g.id === grant.id || g.revoked || t.kind !== 'access' || t.revokedAtMs !== null || (t.expiresAtMs !== null && t.expiresAtMs <= now)) continue;
      if (g.platform !== grant.platform || g.clientId !== grant.clientId || g.accountId !== grant.accountId || scopes(g) !== scopes(grant)) continue;
      this.#grants.delete(grant.id);
      for (const [token, record] of this.#tokens) if (record.grantId === grant.id) this.#tokens.delete(token);
      return { grant: g, access: t, refresh: null, rotated: false };
    }
    return issued;
  }

  /** Revokes one token; revoking a refresh token (or with `wholeGrant`) ends the grant. */
  revokeToken(token: string, options: { wholeGrant?: boolean; reason?: RevokeReason } = {}): boolean {
    const found = this.find(token);
    if (!found) return false;
    found.record.revokedAtMs = this.#clock.nowMs();
    if (found.record.kind === 'refresh' || options.wholeGrant) this.revokeGrant(found.grant.id, options.reason ?? 'app_revoked');
    return true;
  }

  revokeGrant(grantId: string, reason: RevokeReason): void {
    const grant = this.#grants.get(grantId);
    if (grant && !grant.revoked) grant.revoked = { reason, atMs: this.#clock.nowMs() };
  }

  /** User actions: every grant of this account on this platform (to one app, given `clientId`) dies with `reason`. */
  revokeAccount(platform: PlatformId, accountId: string, reason: RevokeReason, options: { clientId?: string } = {}): number {
    let n = 0;
    for (const g of this.#grants.values()) {
      if (g.platform === platform && g.accountId === accountId && !g.revoked && (!options.clientId || g.clientId === options.clientId)) {
        this.revokeGrant(g.id, reason);
        n += 1;
      }
    }
    return n;
  }

  /** Expires the current access tokens of an account now (to exercise refresh paths without waiting). */
  expireAccessTokens(platform: PlatformId, accountId: string): number {
    let n = 0;
    const now = this.#clock.nowMs();
    for (const t of this.#tokens.values()) {
      const g = this.#grants.get(t.grantId);
      if (t.kind === 'access' && g?.platform === platform && g.accountId === accountId && (t.expiresAtMs === null || t.expiresAtMs > now)) {
        t.expiresAtMs = now;
        n += 1;
      }
    }
    return n;
  }

  listGrants(platform?: PlatformId): Grant[] {
    return [...this.#grants.values()].filter((g) => !platform || g.platform === platform);
  }

  #refreshExpiry(grant: Grant, policy: GrantPolicy, now: number): number | null {
    if (!policy.slidingRefreshEnd) return grant.refreshEndsAtMs;
    return policy.refreshTtlMs === null ? null : now + policy.refreshTtlMs;
  }

  #mint(grant: Grant, kind: 'access' | 'refresh', expiresAtMs: number | null): TokenRecord {
    const jti = randomBytes(12).toString('base64url');
    const mint = this.#modules.get(grant.platform)?.mintToken;
    const token = mint
      ? mint(kind, { grantId: grant.id, accountId: grant.accountId, expiresAtMs, jti })
      : `${grant.platform}-${kind === 'access' ? 'at' : 'rt'}-${randomBytes(24).toString('base64url')}`;
    const record: TokenRecord = { token, kind, grantId: grant.id, jti, issuedAtMs: this.#clock.nowMs(), expiresAtMs, revokedAtMs: null };
    this.#tokens.set(token, record);
    return record;
  }
}
