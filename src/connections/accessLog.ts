import type { Database } from '../db/database.ts';
import { accessLog } from './schema.ts';

/**
 * The append-only access register: every grant, refresh, revocation and disconnect, with who,
 * when, which account, which app and which scopes. Rows are only ever inserted.
 */
export type AccessAction =
  | 'granted'
  | 'refreshed'
  | 'reconnected'
  | 'revoked'
  | 'disconnected'
  | 'refresh_failed'
  | 'verify_failed'
  | 'connect_failed';

export type AccessEntry = {
  workspaceId: string;
  connectionId: string | null;
  actorUserId: string | null;
  action: AccessAction;
  platform: string;
  /** The OAuth client id (public), or null when there is none (Bluesky app passwords). */
  app: string | null;
  scopes: string[];
  /** Non-secret context: a reason code, an account id. Never a token or a platform message with one. */
  detail?: string | Record<string, unknown>;
  at: Date;
};

export async function recordAccess(db: Database, entry: AccessEntry): Promise<void> {
  await db.insert(accessLog).values({
    workspaceId: entry.workspaceId,
    connectionId: entry.connectionId,
    actorUserId: entry.actorUserId,
    action: entry.action,
    platform: entry.platform,
    app: entry.app,
    scopes: entry.scopes,
    detail: typeof entry.detail === 'string' ? { message: entry.detail } : (entry.detail ?? null),
    at: entry.at,
  });
}
