import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { forgiveLoginAttempt, loginKeys, reserveLoginAttempt } from './loginRateLimit.ts';
import { decoyPasswordHash, verifyPassword } from './passwordHash.ts';
import { createSession, type Session } from './sessionsRepo.ts';
import { findUserByEmail, toAuthUser, type AuthUser } from './usersRepo.ts';

/**
 * Email + password sign-in. Throttled per email and per IP before any hashing (`rate_limited`):
 * the attempt is counted as a failure first and forgiven if the password is right, so parallel
 * attempts cannot slip past the limit. A wrong email and a wrong password answer the same
 * `invalid_credentials` in about the same time.
 */
export async function signIn(
  ctx: AppContext,
  input: { email: string; password: string; ip: string },
): Promise<{ user: AuthUser; token: string; session: Session }> {
  const keys = loginKeys(input.email, input.ip);
  const reserved = await reserveLoginAttempt(ctx.db, [keys.email, keys.ip], ctx.clock.now());
  const row = await findUserByEmail(ctx.db, input.email);
  const matches = await verifyPassword(input.password, row?.passwordHash ?? (await decoyPasswordHash()));
  if (!row || !matches) {
    ctx.log.info({ ip: input.ip }, 'sign-in failed');
    throw new AppError('invalid_credentials', 'Wrong email or password');
  }
  await forgiveLoginAttempt(ctx.db, reserved, keys.email);
  const { token, session } = await createSession(ctx.db, row.id, ctx.clock.now(), ctx.config.sessionTtlMs);
  ctx.log.info({ userId: row.id }, 'user signed in');
  return { user: toAuthUser(row), token, session };
}
