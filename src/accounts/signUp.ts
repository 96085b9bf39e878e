import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { acceptLockedInvitation, lockUsableInvitation } from '../workspaces/acceptInvitation.ts';
import { getInstanceSettings } from './instanceSettings.ts';
import { hashPassword } from './passwordHash.ts';
import { assertStrongPassword } from './passwordPolicy.ts';
import { createSession, type Session } from './sessionsRepo.ts';
import { countUsers, insertUser, normalizeEmail, toAuthUser, type AuthUser } from './usersRepo.ts';

/** Serialises sign-ups, so two people racing to be the first user cannot both become instance owner. */
const SIGN_UP_LOCK = 7_315_101;

export type SignUpInput = { email: string; password: string; name?: string | undefined; invitationToken?: string | undefined };

/**
 * Who may sign up:
 * - the first user of the instance, who becomes its owner;
 * - anyone holding a valid invitation for this email (they join that workspace at once);
 * - anyone, once the instance owner has turned on open sign-up.
 * Otherwise `signup_closed`. Everything (user, membership, session) commits together or not at all.
 */
export async function signUp(ctx: AppContext, input: SignUpInput): Promise<{ user: AuthUser; token: string; session: Session }> {
  const email = normalizeEmail(input.email);
  assertStrongPassword(input.password, email);
  const passwordHash = await hashPassword(input.password); // slow: outside the transaction
  const now = ctx.clock.now();
  const name = input.name?.trim() || email.split('@')[0] || email;

  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SIGN_UP_LOCK})`);
    const first = (await countUsers(tx)) === 0;
    const invitation = input.invitationToken ? await lockUsableInvitation(tx, input.invitationToken, now) : undefined;
    if (!first && !invitation && !(await getInstanceSettings(tx)).openSignUp) {
      throw new AppError('signup_closed', 'Sign-up on this instance needs an invitation');
    }
    const row = await insertUser(tx, { email, name, passwordHash, isInstanceOwner: first, createdAt: now });
    if (!row) throw new AppError('email_taken', 'An account with this email already exists; sign in instead');
    const user = toAuthUser(row);
    if (invitation) await acceptLockedInvitation(tx, invitation, user, now);
    const { token, session } = await createSession(tx, user.id, now, ctx.config.sessionTtlMs);
    ctx.log.info({ userId: user.id, instanceOwner: first, invited: Boolean(invitation) }, 'user signed up');
    return { user, token, session };
  });
}
