import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { assertLoginAllowed, clearLoginFailures, loginKeys, recordLoginFailure } from './loginRateLimit.ts';
import { decoyPasswordHash, verifyPassword } from './passwordHash.ts';
import { createSession, type Session } from './sessionsRepo.ts';
import { findUserByEmail, toAuthUser, type AuthUser } from './usersRepo.ts';

/**
 * Email + password sign-in. Throttled per email and per IP before any hashing (`rate_limited`);
 * a wrong email and a wrong password answer the same `invalid_credentials` in about the same time.
 */
export async function signIn(
  ctx: AppContext,
  input: { email: string; password: string; ip: string },
): Promise<{ user: AuthUser; token: string; session: Session }> {
  const keys = loginKeys(input.email, input.ip);
  await assertLoginAllowed(ctx.db, [keys.email, keys.ip], ctx.clock.now());
  const row = await findUserByEmail(ctx.db, input.email);
  const matches = await verifyPassword(input.password, row?.passwordHash ?? (await decoyPasswordHash()));
  const now = ctx.clock.now();
  if (!row || !matches) {
    await recordLoginFailure(ctx.db, [keys.email, keys.ip], now);
    ctx.log.info({ ip: input.ip }, 'sign-in failed');
    throw new AppError('invalid_credentials', 'Wrong email or password');
  }
  await clearLoginFailures(ctx.db, [keys.email]);
  const { token, session } = await createSession(ctx.db, row.id, now, ctx.config.sessionTtlMs);
  ctx.log.info({ userId: row.id }, 'user signed in');
  return { user: toAuthUser(row), token, session };
}
