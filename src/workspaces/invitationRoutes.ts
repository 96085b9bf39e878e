import { z } from 'zod';
import { emailSchema } from '../accounts/authRoutes.ts';
import { AUTHENTICATED, requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { acceptInvitation, assertInvitationUsable } from './acceptInvitation.ts';
import { findInvitationPreview, listPendingInvitations, revokeInvitation } from './invitationsRepo.ts';
import { inviteMember } from './inviteMember.ts';
import { isUuid, requireWorkspaceRole } from './membership.ts';
import { roleSchema } from './roles.ts';
import { workspaceParams } from './workspaceRoutes.ts';

const invitationSchema = z.object({ id: z.uuid(), email: z.string(), role: roleSchema, createdAt: z.date(), expiresAt: z.date() });
/**
 * The link's token travels in request bodies, never in a URL path: request logs record paths,
 * and the token is a secret (the email link carries it in the URL fragment, which browsers never send).
 */
const tokenBody = z.strictObject({ token: z.string().min(1).max(200) });

/**
 * Invitations: admins invite by email (the link goes out by mail only), list and revoke pending
 * ones; the invited person previews and accepts with the link's token (or signs up with it:
 * POST /api/auth/signup with `invitationToken`).
 */
export const invitationRoutes: RouteModule = (app, ctx) => {
  app.post(
    '/api/workspaces/:workspaceId/invitations',
    {
      schema: {
        tags: ['invitations'],
        security: AUTHENTICATED,
        summary: 'Invite someone by email (admin; only owners invite owners); the link is valid 7 days, once',
        params: workspaceParams,
        body: z.strictObject({ email: emailSchema, role: roleSchema }),
        response: { 201: invitationSchema },
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      const invitation = await inviteMember(ctx, { ...user, role: access.role }, access.workspaceId, request.body);
      return reply.status(201).send(invitation);
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/invitations',
    {
      schema: {
        tags: ['invitations'],
        security: AUTHENTICATED,
        summary: 'Pending invitations (admin); expired ones are flagged',
        params: workspaceParams,
        response: { 200: z.object({ invitations: z.array(invitationSchema.extend({ expired: z.boolean() })) }) },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      return { invitations: await listPendingInvitations(ctx.db, workspaceId, ctx.clock.now()) };
    },
  );

  app.delete(
    '/api/workspaces/:workspaceId/invitations/:invitationId',
    {
      schema: {
        tags: ['invitations'],
        security: AUTHENTICATED,
        summary: 'Revoke a pending invitation (admin)',
        params: workspaceParams.extend({ invitationId: z.string() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      const { invitationId } = request.params;
      if (!isUuid(invitationId) || !(await revokeInvitation(ctx.db, workspaceId, invitationId, ctx.clock.now()))) throw notFound('invitation');
      ctx.log.info({ workspaceId, invitationId, by: user.id }, 'invitation revoked');
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/invitations/lookup',
    {
      schema: {
        tags: ['invitations'],
        security: [],
        summary: 'What an invitation link offers (no sign-in needed: the token is the proof)',
        body: tokenBody,
        response: { 200: z.object({ workspaceName: z.string(), email: z.string(), role: roleSchema, expiresAt: z.date() }) },
      },
    },
    async (request) => {
      const found = await findInvitationPreview(ctx.db, request.body.token);
      assertInvitationUsable(found, ctx.clock.now());
      return { workspaceName: found.workspaceName, email: found.email, role: found.role, expiresAt: found.expiresAt };
    },
  );

  app.post(
    '/api/invitations/accept',
    {
      schema: {
        tags: ['invitations'],
        security: AUTHENTICATED,
        summary: 'Accept an invitation as the signed-in user (the invitation email must be yours)',
        body: tokenBody,
        response: { 200: z.object({ workspaceId: z.uuid(), role: roleSchema }) },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const accepted = await acceptInvitation(ctx.db, request.body.token, user, ctx.clock.now());
      ctx.log.info({ workspaceId: accepted.workspaceId, userId: user.id }, 'invitation accepted');
      return accepted;
    },
  );
};
