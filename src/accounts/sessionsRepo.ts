import { eq, lte } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { randomSecret, sha256Hex } from './secretTokens.ts';
import { sessions, users } from './schema.ts';
import { toAuthUser, type AuthUser } from './usersRepo.ts';

export type Session = { id: string; userId: string; csrfToken: string; createdAt: Date; expiresAt: Date };

/**
 * Creates a session and returns the cookie value (`token`), which exists only in the reply:
 * the table keeps its SHA-256. Expired sessions (anyone's) are removed on the way, so the table
 * holds live sessions only, without a sweeper.
 */
export async function createSession(
  db: Database,
  userId: string,
  now: Date,
  ttlMs: number,
): Promise<{ token: string; session: Session }> {
  const token = randomSecret();
  await db.delete(sessions).where(lte(sessions.expiresAt, now));
  const [row] = await db
    .insert(sessions)
    .values({
      userId,
      tokenHash: sha256Hex(token),
      csrfToken: randomSecret(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMs),
    })
    .returning();
  if (!row) throw new Error('session insert returned no row');
  return { token, session: { id: row.id, userId, csrfToken: row.csrfToken, createdAt: row.createdAt, expiresAt: row.expiresAt } };
}

/** The session a cookie value names, with its user, whether or not it has expired. */
export async function findSessionByToken(db: Database, token: string): Promise<{ session: Session; user: AuthUser } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sha256Hex(token)));
  if (!row) return undefined;
  const { id, userId, csrfToken, createdAt, expiresAt } = row.session;
  return { session: { id, userId, csrfToken, createdAt, expiresAt }, user: toAuthUser(row.user) };
}

export async function deleteSession(db: Database, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}
