/**
 * End to end: uploads published by the engine on platforms that pull by URL (Instagram, TikTok:
 * the emulator fetches the signed `/media/<id>` link from the running app) and on one that is
 * sent the bytes (X). The emulated posts carry the exact bytes uploaded; a link to an upload
 * whose bytes are gone fails the target.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { SAMPLE_MP4, sampleFor } from '../emulator/platforms/sampleMedia.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import { claimDueTargets } from '../publishing/claimDueTargets.ts';
import { defaultPublishDeps } from '../publishing/defaultPublishDeps.ts';
import { publishOptions } from '../publishing/publishingQueues.ts';
import { publishTarget } from '../publishing/publishTarget.ts';
import { insertScheduledPost } from '../publishing/testing/testPlatform.ts';
import type { PlatformId } from '../providers/types.ts';
import { mediaStores } from './mediaStores.ts';
import { uploadMedia } from './uploadMedia.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const JPEG = sampleFor('a.jpg')!.bytes;
const VIDEO = Buffer.concat([SAMPLE_MP4, Buffer.alloc(300_000, 9)]);

describe('publishing uploaded media end to end', () => {
  let h: LifecycleHarness;
  let app: App;
  let ctx: LifecycleHarness['ctx'];
  const connections = new Map<PlatformId, string>();

  before(async () => {
    h = await openLifecycleHarness();
    app = await buildApp(h.ctx, { routes: routeModules });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The instance as platforms reach it: PUBLIC_URL is the listening app.
    ctx = Object.assign(Object.create(Object.getPrototypeOf(h.ctx) as object) as object, h.ctx, { config: { ...h.ctx.config, publicUrl: origin } as Config }) as typeof h.ctx;
    connections.set('instagram', await h.connect('instagram', '17841400000021001'));
    connections.set('tiktok', await h.connect('tiktok', '-000AbCdEfGhAlice'));
    connections.set('x', await h.connect('x', '1500000000000000001'));
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  async function publishNow(mediaIds: string[], platforms: PlatformId[], text: string) {
    const at = ctx.clock.now();
    const ids = await insertScheduledPost(ctx.db, {
      workspaceId: h.workspaceId, at, now: at, content: { text, mediaIds },
      targets: platforms.map((platform) => ({ connectionId: connections.get(platform)!, platform })),
    });
    const claimed = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: 180_000, owner: `w-${text}` });
    for (const c of claimed) await publishTarget(ctx, c, publishOptions(ctx, defaultPublishDeps));
    const res = await ctx.db.execute(sql`select id, platform, status, platform_post_id, failure_code from post_targets where id in (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`);
    return res.rows as { platform: PlatformId; status: string; platform_post_id: string | null; failure_code: string | null }[];
  }

  const upload = (name: string, bytes: Buffer) => uploadMedia(ctx, { workspaceId: h.workspaceId, userId: h.userId, fileName: name, stream: Readable.from([bytes]) });
  const mediaOf = (platform: PlatformId, id: string) => h.emulator.core.posts.get(platform, id)!.media as { sha256?: string; bytes?: number }[];

  it('an uploaded image reaches Instagram (pulled from the signed link) and X (uploaded by the adapter)', async () => {
    const image = await upload('photo.jpg', JPEG);
    const targets = await publishNow([image.id], ['instagram', 'x'], 'image day');
    for (const t of targets) {
      assert.equal(t.status, 'published', `${t.platform}: ${t.failure_code}`);
      assert.deepEqual(mediaOf(t.platform, t.platform_post_id!).map((m) => m.sha256), [sha(JPEG)], t.platform);
    }
  });

  it('an uploaded video reaches TikTok (pulled, Range-capable route) and X (chunked upload)', async () => {
    const video = await upload('clip.mp4', VIDEO);
    const targets = await publishNow([video.id], ['tiktok', 'x'], 'video day');
    for (const t of targets) {
      assert.equal(t.status, 'published', `${t.platform}: ${t.failure_code}`);
      assert.deepEqual(mediaOf(t.platform, t.platform_post_id!).map((m) => [m.sha256, m.bytes]), [[sha(VIDEO), VIDEO.length]], t.platform);
    }
  });

  it('a target whose upload lost its bytes fails instead of publishing without them', async () => {
    const image = await upload('lost.jpg', JPEG);
    await mediaStores(ctx.config).forBackend('local').delete(image.storageKey);
    const [t] = await publishNow([image.id], ['instagram'], 'lost day');
    assert.equal(t!.status, 'failed');
    assert.equal(t!.platform_post_id, null);
  });
});
