/**
 * Delivers one webhook (a row of webhook_deliveries) to its endpoint: a signed POST through the
 * SSRF-guarded HTTP client (endpoint URLs must resolve to public addresses). A 2xx marks it
 * delivered; anything else is recorded in the delivery log and retried by pg-boss with backoff,
 * until the last try marks it failed. An unsafe URL or a disabled endpoint fails at once.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { registerJob } from '../jobs/jobRegistry.ts';
import { createHttpClient } from '../providers/httpClient.ts';
import { ProviderError, type HttpClient } from '../providers/types.ts';
import { webhookDeliveries, webhookEndpoints } from './schema.ts';
import { endpointSecret } from './webhookEndpointsRepo.ts';
import { SIGNATURE_HEADER, signWebhook } from './webhookSignature.ts';

export const WEBHOOK_DELIVER_QUEUE = 'webhook.deliver';
/** 8 tries: at once, then 30 s doubling up to 1 h (about 3 h in all) before the delivery is marked failed. */
export const WEBHOOK_RETRY = { limit: 7, delaySeconds: 30, maxDelaySeconds: 3_600 };
const WEBHOOK_TIMEOUT_MS = 10_000;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

export async function deliverWebhook(
  ctx: AppContext,
  deliveryId: string,
  options: { lastTry: boolean; http?: HttpClient },
): Promise<DeliveryOutcome> {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row || row.delivery.status !== 'pending') return 'skipped';
  const { delivery, endpoint } = row;
  const now = ctx.clock.now();
  const record = (fields: Partial<typeof webhookDeliveries.$inferInsert>) =>
    ctx.db.update(webhookDeliveries).set({ attempts: delivery.attempts + 1, lastAttemptAt: now, ...fields }).where(eq(webhookDeliveries.id, delivery.id));
  if (!endpoint.enabled) {
    await record({ status: 'failed', lastError: 'endpoint_disabled' });
    return 'failed';
  }
  const body = JSON.stringify(delivery.payload);
  const http = options.http ?? createHttpClient({ timeoutMs: WEBHOOK_TIMEOUT_MS, maxResponseBytes: 64 * 1024 });
  let status: number | null = null;
  let error: string;
  try {
    const res = await http(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Perennial-Webhooks/1',
        'perennial-event': delivery.eventType,
        'perennial-delivery': delivery.id,
        [SIGNATURE_HEADER]: signWebhook(endpointSecret(ctx, endpoint), Math.floor(now.getTime() / 1000), body),
      },
      body,
    });
    status = res.status;
    if (res.status >= 200 && res.status < 300) {
      await record({ status: 'delivered', lastStatusCode: status, lastError: null, deliveredAt: now });
      return 'delivered';
    }
    error = `http_${res.status}`;
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.reason === 'unsafe_url') {
      await record({ status: 'failed', lastError: 'unsafe_url' });
      return 'failed';
    }
    error = err.reason;
  }
  await record({ status: options.lastTry ? 'failed' : 'pending', lastStatusCode: status, lastError: error });
  return options.lastTry ? 'failed' : 'retry';
}

export class WebhookRetry extends Error {
  override name = 'WebhookRetry';
}

registerJob({
  queue: WEBHOOK_DELIVER_QUEUE,
  schema: z.strictObject({ deliveryId: z.uuid() }),
  retry: WEBHOOK_RETRY,
  concurrency: 4,
  async handle(ctx, data, job) {
    const outcome = await deliverWebhook(ctx, data.deliveryId, { lastTry: job.retryCount >= WEBHOOK_RETRY.limit });
    // Throwing hands the retry (with backoff) to pg-boss; the delivery log already holds the failure.
    if (outcome === 'retry') throw new WebhookRetry(`webhook delivery ${data.deliveryId} failed; retrying`);
  },
});
