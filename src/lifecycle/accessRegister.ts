/**
 * The access register of a workspace (EU/UK compliance hygiene), from the append-only access_log:
 * per connected account, which app has access with which scopes, granted by whom and when, how
 * often it was refreshed, and when it was revoked or disconnected; plus every logged event.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { toDate } from './refreshesRepo.ts';

export type RegisterEntry = {
  connectionId: string;
  account: string;
  platform: string;
  app: string | null;
  scopes: string[];
  grantedBy: string | null;
  grantedAt: string | null;
  refreshes: number;
  lastRefreshedAt: string | null;
  revocations: number;
  lastRevokedAt: string | null;
  disconnectedAt: string | null;
  state: string;
};

export type RegisterEvent = { at: string; connectionId: string | null; action: string; platform: string; app: string | null; scopes: string[]; actor: string | null };

export async function accessRegister(db: Database, workspaceId: string): Promise<{ entries: RegisterEntry[]; events: RegisterEvent[] }> {
  const rows = await db.execute(sql`
    select c.id, c.display_name, c.handle, c.platform, c.app_client_id, c.scopes, c.state, c.disconnected_at, c.connected_at,
           u.email as granted_by,
           (select min(l.at) from access_log l where l.connection_id = c.id and l.action = 'granted') as granted_at,
           (select count(*)::int from access_log l where l.connection_id = c.id and l.action = 'refreshed') as refreshes,
           (select max(l.at) from access_log l where l.connection_id = c.id and l.action = 'refreshed') as last_refreshed_at,
           (select count(*)::int from access_log l where l.connection_id = c.id and l.action = 'revoked') as revocations,
           (select max(l.at) from access_log l where l.connection_id = c.id and l.action = 'revoked') as last_revoked_at
      from connections c left join users u on u.id = c.connected_by
     where c.workspace_id = ${workspaceId}
     order by c.connected_at, c.id`);
  const iso = (v: unknown) => toDate(v)?.toISOString() ?? null;
  const entries = rows.rows.map((r) => ({
    connectionId: String(r.id),
    account: r.handle ? `${String(r.display_name)} (${String(r.handle)})` : String(r.display_name),
    platform: String(r.platform),
    app: r.app_client_id === null ? null : String(r.app_client_id),
    scopes: Array.isArray(r.scopes) ? r.scopes.map(String) : [],
    grantedBy: r.granted_by === null ? null : String(r.granted_by),
    grantedAt: iso(r.granted_at) ?? iso(r.connected_at),
    refreshes: Number(r.refreshes),
    lastRefreshedAt: iso(r.last_refreshed_at),
    revocations: Number(r.revocations),
    lastRevokedAt: iso(r.last_revoked_at),
    disconnectedAt: iso(r.disconnected_at),
    state: String(r.state),
  }));
  const log = await db.execute(sql`
    select l.at, l.connection_id, l.action, l.platform, l.app, l.scopes, u.email as actor
      from access_log l left join users u on u.id = l.actor_user_id
     where l.workspace_id = ${workspaceId} order by l.at, l.id`);
  const events = log.rows.map((r) => ({
    at: iso(r.at)!,
    connectionId: r.connection_id === null ? null : String(r.connection_id),
    action: String(r.action),
    platform: String(r.platform),
    app: r.app === null ? null : String(r.app),
    scopes: Array.isArray(r.scopes) ? r.scopes.map(String) : [],
    actor: r.actor === null ? null : String(r.actor),
  }));
  return { entries, events };
}

const CSV_COLUMNS: (keyof RegisterEntry)[] = [
  'account', 'platform', 'app', 'scopes', 'grantedBy', 'grantedAt', 'refreshes', 'lastRefreshedAt', 'revocations', 'lastRevokedAt', 'disconnectedAt', 'state', 'connectionId',
];

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function registerCsv(entries: RegisterEntry[]): string {
  const cell = (v: unknown) => {
    let text = Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [CSV_COLUMNS.join(','), ...entries.map((e) => CSV_COLUMNS.map((k) => cell(e[k])).join(','))].join('\r\n') + '\r\n';
}
