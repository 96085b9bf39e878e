import type { EmailMessage } from '../mail/mailer.ts';
import type { Role } from './roles.ts';

/** The invitation email: plain text, the link, its role and deadline. */
export function invitationEmail(input: {
  to: string;
  inviterName: string;
  workspaceName: string;
  role: Role;
  link: string;
  expiresAt: Date;
}): EmailMessage {
  const text = [
    `${input.inviterName} invited you to the workspace "${input.workspaceName}" on Perennial, as ${input.role}.`,
    '',
    `Accept the invitation: ${input.link}`,
    '',
    `The link works once and until ${input.expiresAt.toUTCString()}. If you have no Perennial account yet, it lets you create one with this email address.`,
    'If you did not expect this email, ignore it.',
  ].join('\n');
  return { to: input.to, subject: `${input.inviterName} invited you to ${input.workspaceName} on Perennial`, text };
}
