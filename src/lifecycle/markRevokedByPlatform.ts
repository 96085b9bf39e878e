/**
 * A platform told us (webhook) that a user removed our app: every live connection of that
 * platform user moves to needs_reconnect at once, with its posts paused and the alerts out.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';

export type PlatformUserMatch =
  /** Facebook Login: the app-scoped user id, kept in connections.meta.userId for Pages and IG accounts. */
  | { kind: 'meta_user'; userId: string }
  /** TikTok: the open_id is the connection's platform account id. */
  | { kind: 'tiktok_open_id'; openId: string };

export async function markRevokedByPlatform(ctx: AppContext, match: PlatformUserMatch, reason: string): Promise<string[]> {
  const now = ctx.clock.now();
  const where =
    match.kind === 'meta_user'
      ? sql`platform in ('facebook', 'instagram_fb') and meta->>'userId' = ${match.userId}`
      : sql`platform = 'tiktok' and platform_account_id = ${match.openId}`;
  const res = await ctx.db.execute(sql`select id from connections where ${where} and state in ('active', 'degraded')`);
  const ids = res.rows.map((r) => String(r.id));
  for (const connectionId of ids) {
    await ctx.db.transaction((tx) => markNeedsReconnect(ctx, tx, { connectionId, reason, now, accessAction: 'revoked' }));
  }
  if (ids.length > 0) ctx.log.info({ connections: ids.length, reason }, 'platform reported the app removed; connections need reconnecting');
  return ids;
}
