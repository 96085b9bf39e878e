import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../accounts/schema.ts';
import { workspaces } from '../workspaces/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One connected platform account in a workspace. Token fields hold vault ciphertext only
 * (src/vault/), with the connection id and field name as associated data. A disconnected
 * connection keeps its row (history, posts) with the secrets erased.
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    platform: text('platform').notNull(),
    platformAccountId: text('platform_account_id').notNull(),
    displayName: text('display_name').notNull(),
    handle: text('handle'),
    /** 'user' | 'page' | 'organization' | 'channel' | 'profile' */
    kind: text('kind').notNull(),
    state: text('state').notNull().default('active'),
    stateReason: text('state_reason'),
    stateChangedAt: at('state_changed_at').notNull(),
    accessExpiresAt: at('access_expires_at'),
    refreshExpiresAt: at('refresh_expires_at'),
    dataAccessExpiresAt: at('data_access_expires_at'),
    /** The earliest end no refresh can pass (LinkedIn's fixed refresh end, ...), or null. */
    hardEndAt: at('hard_end_at'),
    issuedAt: at('issued_at'),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    lastRefreshedAt: at('last_refreshed_at'),
    lastVerifiedAt: at('last_verified_at'),
    lastUsedAt: at('last_used_at'),
    /** Incremented on every token write; refresh writers fence on it. */
    tokenVersion: integer('token_version').notNull().default(1),
    /** Non-secret adapter data (instance URL, DID and PDS, IG user id, avatar). */
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    /** The OAuth app (client id) the grant belongs to, for the access log. */
    appClientId: text('app_client_id'),
    /**
     * The platform-side authorization a revocation ends, when it is wider than this connection
     * (Provider.grantKey: a Facebook user's grant to the app covers every Page token it gave).
     * A disconnect revokes at the platform only when no other live connection has the same key.
     */
    grantKey: text('grant_key'),
    connectedBy: uuid('connected_by').references(() => users.id, { onDelete: 'set null' }),
    connectedAt: at('connected_at').notNull(),
    disconnectedAt: at('disconnected_at'),
    accessTokenEnc: text('access_token_enc'),
    refreshTokenEnc: text('refresh_token_enc'),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    check('connections_state_check', sql`${t.state} in ('active', 'degraded', 'needs_reconnect', 'disconnected')`),
    uniqueIndex('connections_live_account_uq').on(t.workspaceId, t.platform, t.platformAccountId).where(sql`${t.disconnectedAt} is null`),
    index('connections_workspace_idx').on(t.workspaceId),
    index('connections_live_grant_key_idx').on(t.grantKey).where(sql`${t.disconnectedAt} is null`),
  ],
);

/**
 * Append-only record of every grant, refresh, revocation and disconnect (the access register).
 * A trigger (migration 0002) refuses UPDATE, DELETE and TRUNCATE on it.
 */
export const accessLog = pgTable(
  'access_log',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid('workspace_id').notNull(),
    connectionId: uuid('connection_id'),
    actorUserId: uuid('actor_user_id'),
    /** 'granted' | 'refreshed' | 'reconnected' | 'revoked' | 'disconnected' | 'refresh_failed' | 'verify_failed' | 'connect_failed' */
    action: text('action').notNull(),
    platform: text('platform').notNull(),
    app: text('app'),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    /** Non-secret context (a reason code, the previous account), never a token. */
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    at: at('at').notNull(),
  },
  (t) => [index('access_log_workspace_at_idx').on(t.workspaceId, t.at), index('access_log_connection_idx').on(t.connectionId)],
);

/**
 * One-time OAuth `state` values: only the SHA-256 of the state is stored; the PKCE verifier is
 * vault-encrypted. Bound to the user and workspace (and the connection, for a reconnect).
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    stateHash: text('state_hash').notNull().unique(),
    userId: uuid('user_id').notNull(),
    workspaceId: uuid('workspace_id').notNull(),
    platform: text('platform').notNull(),
    connectionId: uuid('connection_id'),
    instanceUrl: text('instance_url'),
    codeVerifierEnc: text('code_verifier_enc'),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('oauth_states_expires_idx').on(t.expiresAt)],
);

/**
 * A finished OAuth flow that found several accounts (Pages, organizations): the user picks one.
 * `grant_enc` (every offered account's tokens) is erased when the choice is made or expires;
 * the row itself goes a day after expiry (sweepExpiredAuthorizations).
 */
export const pendingAccountSelections = pgTable('pending_account_selections', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  userId: uuid('user_id').notNull(),
  workspaceId: uuid('workspace_id').notNull(),
  platform: text('platform').notNull(),
  connectionId: uuid('connection_id'),
  /** Non-secret choices shown to the user (id, kind, name, handle). */
  accounts: jsonb('accounts').$type<{ platformAccountId: string; kind: string; displayName: string; handle?: string }[]>().notNull(),
  /** Vault ciphertext of the grant's TokenSet and the per-account data; null once used or expired. */
  grantEnc: text('grant_enc'),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
  createdAt: at('created_at').notNull(),
}, (t) => [index('pending_account_selections_expires_idx').on(t.expiresAt)]);

/** Apps Perennial registered on per-instance platforms (a Mastodon server). */
export const platformApps = pgTable(
  'platform_apps',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    platform: text('platform').notNull(),
    instanceHost: text('instance_host').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    clientId: text('client_id').notNull(),
    clientSecretEnc: text('client_secret_enc').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [uniqueIndex('platform_apps_instance_uq').on(t.platform, t.instanceHost, t.redirectUri)],
);
