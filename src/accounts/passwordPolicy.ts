import { AppError } from '../http/errors.ts';

export const PASSWORD_MIN_LENGTH = 10;
/** Longer inputs only cost hashing time; no passphrase needs more. */
export const PASSWORD_MAX_LENGTH = 256;

const CHARACTER_CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/**
 * Throws `weak_password` unless the password has at least PASSWORD_MIN_LENGTH characters,
 * mixes at least two character classes (lower, upper, digits, other) and is not the email
 * address (or its local part). The message says what to change and never repeats the password.
 */
export function assertStrongPassword(password: string, email: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw new AppError('weak_password', `The password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (CHARACTER_CLASSES.filter((c) => c.test(password)).length < 2) {
    throw new AppError('weak_password', 'The password needs at least two kinds of characters (letters, digits, symbols, upper and lower case)');
  }
  const lowered = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  if (lowered === address || lowered === address.split('@')[0]) {
    throw new AppError('weak_password', 'The password must not be the email address');
  }
}
