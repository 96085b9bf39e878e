/**
 * Meta's deauthorize callback (platforms.md §1, "Proactive detection"): when a user removes the
 * app, Meta POSTs a form field `signed_request` (HMAC-SHA256 with the app secret) to the app's
 * configured "Deauthorize callback URL". Admin routes under `/<platform>/_meta/`:
 *   PUT  /_meta/deauthorize-callback { url }              configures the URL (null: none)
 *   POST /_meta/users/:accountId/deauthorize             the user removes the app: every grant
 *        dies (458 afterwards) and each app the user had granted is called back
 */
import { createSignedRequest } from '../../../providers/meta/signedRequest.ts';
import type { PlatformId } from '../../../providers/types.ts';
import type { EmulatorApp, EmulatorCore } from '../../core/types.ts';
import { stringField } from './graphReplies.ts';

export type Delivery = { clientId: string; url: string; status: number | null; error?: string };

export function registerDeauthorizeRoutes(app: EmulatorApp, core: EmulatorCore, platform: PlatformId): void {
  let callbackUrl: string | null = null;

  app.put('/_meta/deauthorize-callback', async (request, reply) => {
    const url = stringField(request.body, 'url') ?? null;
    if (url !== null && !core.callbackAllowed(url)) return reply.status(400).send({ error: 'url must be an http(s) URL (in the sandbox, on Perennial itself) or null' });
    callbackUrl = url;
    return { url: callbackUrl };
  });

  app.post('/_meta/users/:accountId/deauthorize', async (request, reply) => {
    const { accountId } = request.params as { accountId: string };
    if (!core.account(platform, accountId)) return reply.status(404).send({ error: `no fake account ${accountId}` });
    const clientIds = [...new Set(core.grants.listGrants(platform).filter((g) => g.accountId === accountId && !g.revoked).map((g) => g.clientId))];
    const revoked = core.grants.revokeAccount(platform, accountId, 'user_revoked');
    const deliveries: Delivery[] = [];
    for (const clientId of clientIds) {
      const client = core.clients.get(platform, clientId);
      if (!client || !callbackUrl) continue;
      const signedRequest = createSignedRequest(
        { algorithm: 'HMAC-SHA256', user_id: accountId, issued_at: Math.floor(core.clock.nowMs() / 1000) },
        client.clientSecret,
      );
      deliveries.push(await deliver(callbackUrl, clientId, signedRequest));
    }
    return { revoked, deliveries };
  });
}

async function deliver(url: string, clientId: string, signedRequest: string): Promise<Delivery> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ signed_request: signedRequest }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    return { clientId, url, status: response.status };
  } catch (err) {
    // The emulator reports a failed delivery to the admin caller instead of failing the action.
    return { clientId, url, status: null, error: err instanceof Error ? err.message : String(err) };
  }
}
