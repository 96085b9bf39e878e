import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { users } from './schema.ts';

/** Who is calling, as routes see it (contract: src/accounts/authenticate.ts). */
export type AuthUser = { id: string; email: string; name: string; isInstanceOwner: boolean };

export type UserRow = typeof users.$inferSelect;

/** Emails are compared trimmed and lower-cased everywhere. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toAuthUser(row: Pick<UserRow, 'id' | 'email' | 'name' | 'isInstanceOwner'>): AuthUser {
  return { id: row.id, email: row.email, name: row.name, isInstanceOwner: row.isInstanceOwner };
}

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, normalizeEmail(email)));
  return row;
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function countUsers(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

/** Inserts a user; returns undefined when the email is already taken (the unique index decides). */
export async function insertUser(
  db: Database,
  values: { email: string; name: string; passwordHash: string; isInstanceOwner: boolean; createdAt: Date },
): Promise<UserRow | undefined> {
  const [row] = await db
    .insert(users)
    .values({ ...values, email: normalizeEmail(values.email) })
    .onConflictDoNothing({ target: users.email })
    .returning();
  return row;
}
