import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** People who sign in. `email` is stored trimmed and lower-cased, so the unique index is case-insensitive. */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash so they can be raised later. */
  passwordHash: text('password_hash').notNull(),
  /** The first user of the instance; may change instance settings (open sign-up). */
  isInstanceOwner: boolean('is_instance_owner').notNull().default(false),
  createdAt: at('created_at').notNull(),
});

/**
 * Server-side sessions. The cookie carries a random id; only its SHA-256 is stored, so a
 * database dump does not let anyone sign in. The CSRF token is per session.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
);

/** Personal API tokens: `prn_<prefix>_<secret>`; the prefix finds the row, the SHA-256 of the whole token proves it. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull().unique(),
    tokenHash: text('token_hash').notNull(),
    createdAt: at('created_at').notNull(),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [index('api_tokens_user_id_idx').on(t.userId)],
);

/**
 * Failed sign-ins, one row per failure and key (`email:<sha256>` or `ip:<address>`), kept in the
 * database so that every API process counts the same failures. Rows older than the window are pruned.
 */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    key: text('key').notNull(),
    failedAt: at('failed_at').notNull(),
  },
  (t) => [index('login_failures_key_failed_at_idx').on(t.key, t.failedAt), index('login_failures_failed_at_idx').on(t.failedAt)],
);

/** One row (id = 1) of instance-wide settings the instance owner controls. */
export const instanceSettings = pgTable('instance_settings', {
  id: integer('id').primaryKey(),
  openSignUp: boolean('open_sign_up').notNull().default(false),
  updatedAt: at('updated_at').notNull(),
});
