/**
 * Receivers for the platforms' own revocation callbacks (public, unauthenticated, verified by
 * signature with the instance's app secret):
 * - Facebook Login's deauthorize callback: form field `signed_request` (HMAC-SHA256);
 * - TikTok's `authorization.removed` webhook: `TikTok-Signature: t=..,s=..` over the raw body.
 * A bad signature answers 400 and changes nothing.
 */
import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { SignedRequestError, verifySignedRequest } from '../providers/meta/signedRequest.ts';
import { providerContext } from '../providers/registry.ts';
import { parseAuthorizationRemoved, verifyTikTokSignature } from '../providers/tiktok/tiktokWebhook.ts';
import { markRevokedByPlatform } from './markRevokedByPlatform.ts';

/** A signed_request older than this is refused as a replay. */
const SIGNED_REQUEST_MAX_AGE_MS = 24 * 3_600_000;

export const platformWebhookRoutes: RouteModule = async (app, ctx) => {
  // Signatures cover the exact bytes: these routes read their bodies as raw strings.
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded']);
    scope.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

    scope.post(
      '/api/webhooks/facebook/deauthorize',
      { schema: { tags: ['platform webhooks'], summary: "Facebook Login's deauthorize callback (signed_request)", body: z.string(), response: { 200: z.object({ ok: z.literal(true) }) } } },
      async (request) => {
        const signed = new URLSearchParams(rawBody(request.body)).get('signed_request');
        const secret = providerContext(ctx, 'facebook').client?.clientSecret;
        if (!signed || !secret) throw new AppError('bad_request', 'signed_request is missing');
        let userId: string;
        try {
          userId = verifySignedRequest(signed, secret, { nowMs: ctx.clock.nowMs(), maxAgeMs: SIGNED_REQUEST_MAX_AGE_MS }).user_id;
        } catch (err) {
          if (err instanceof SignedRequestError) throw new AppError('bad_request', `Invalid signed_request: ${err.message}`);
          throw err;
        }
        await markRevokedByPlatform(ctx, { kind: 'meta_user', userId }, 'deauthorized');
        return { ok: true as const };
      },
    );

    scope.post(
      '/api/webhooks/tiktok',
      { schema: { tags: ['platform webhooks'], summary: "TikTok's webhook (authorization.removed)", body: z.string(), response: { 200: z.object({ ok: z.literal(true) }) } } },
      async (request) => {
        const client = providerContext(ctx, 'tiktok').client;
        const header = request.headers['tiktok-signature'];
        const body = rawBody(request.body);
        if (!client || !verifyTikTokSignature(typeof header === 'string' ? header : undefined, body, client.clientSecret, ctx.clock.nowMs())) {
          throw new AppError('bad_request', 'Invalid TikTok-Signature');
        }
        const event = parseAuthorizationRemoved(body);
        // Other events (and other apps' events) are acknowledged and ignored.
        if (event && event.clientKey === client.clientId) {
          await markRevokedByPlatform(ctx, { kind: 'tiktok_open_id', openId: event.openId }, 'authorization_removed');
        }
        return { ok: true as const };
      },
    );
  });
};

function rawBody(body: unknown): string {
  return typeof body === 'string' ? body : '';
}
