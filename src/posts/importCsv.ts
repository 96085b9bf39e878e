import { isIP } from 'node:net';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { findMediaByNames, type MediaFile } from '../media/mediaRepo.ts';
import { isPrivateAddress } from '../providers/httpClient.ts';
import { isUuid } from '../workspaces/membership.ts';
import { composePost } from './composePost.ts';
import { listWorkspaceConnections, type ConnectionRef } from './connectionsLookup.ts';
import type { PostScope } from './createPost.ts';
import { parseImportCsv, type CsvRow, type RowError } from './csvRows.ts';
import { instantToLocal, type LocalTimeAdjustment } from './localTime.ts';
import type { PostContent } from './postContent.ts';
import { insertPosts, type NewPost } from './postsRepo.ts';
import { targetsScheduled } from './targetsRepo.ts';

export type { RowError } from './csvRows.ts';

/**
 * Bulk import of scheduled posts from CSV (format: csvRows.ts). The whole file is validated first
 * and every problem reported by row; then all rows are written in one transaction with
 * multi-row inserts, or none.
 *
 * Media URLs are checked here for shape, a known image or video extension and obviously private
 * hosts (localhost, private IP literals) and stored as `mediaUrls`; they are fetched at publish
 * time through the SSRF-guarded HttpClient, which resolves the name and refuses private
 * addresses then.
 */
export type TimeAdjustmentReport = { row: number; time: string; scheduledLocal: string; adjustment: LocalTimeAdjustment };

export type ImportResult = {
  imported: number;
  targets: number;
  postIds: string[];
  /** Rows whose local time fell in a daylight-saving gap or overlap, and what it became (first MAX_REPORTED). */
  adjustments: TimeAdjustmentReport[];
  adjustmentCount: number;
};

export type ImportPhase = 'validating' | 'writing';
export type ImportProgress = (phase: ImportPhase, done: number, total: number) => void;

/** Reported errors are capped (the count is not) so a broken 10,000-row file answers quickly. */
const MAX_REPORTED = 500;
/** Rows validated between progress reports (and yields to the event loop, so a progress bar can draw). */
const VALIDATE_CHUNK = 1000;
const WRITE_BATCH = 1000;

export async function importCsv(
  ctx: AppContext,
  scope: PostScope,
  file: string | Buffer,
  options: { dryRun?: boolean; onProgress?: ImportProgress } = {},
): Promise<ImportResult> {
  const rows = parseImportCsv(file);
  const now = ctx.clock.now();
  const connections = await listWorkspaceConnections(ctx.db, scope.workspaceId);
  const uploads = await findMediaByNames(ctx.db, scope.workspaceId, [...new Set(rows.flatMap((r) => r.media.filter((m) => !isUrlLike(m))))]);
  const validator = rowValidator(scope, connections, uploads, now);
  const posts: NewPost[] = [];
  const errors: RowError[] = [];
  const adjustments: TimeAdjustmentReport[] = [];
  options.onProgress?.('validating', 0, rows.length);
  for (let i = 0; i < rows.length; i += VALIDATE_CHUNK) {
    for (const row of rows.slice(i, i + VALIDATE_CHUNK)) {
      const checked = validator(row);
      errors.push(...checked.errors);
      if (checked.post) posts.push(checked.post);
      if (checked.adjustment) adjustments.push(checked.adjustment);
    }
    options.onProgress?.('validating', Math.min(i + VALIDATE_CHUNK, rows.length), rows.length);
    await yieldToEventLoop();
  }
  if (errors.length > 0) {
    throw new AppError('csv_invalid', `${errors.length} problem(s) in the file; nothing was imported. First: row ${errors[0]!.row}: ${errors[0]!.message}`, {
      details: { errorCount: errors.length, errors: errors.slice(0, MAX_REPORTED) },
    });
  }
  const targets = posts.reduce((n, p) => n + p.targets.length, 0);
  const report = { adjustments: adjustments.slice(0, MAX_REPORTED), adjustmentCount: adjustments.length };
  if (options.dryRun) return { imported: 0, targets, postIds: [], ...report };
  const postIds: string[] = [];
  options.onProgress?.('writing', 0, posts.length);
  await ctx.db.transaction(async (tx) => {
    for (let i = 0; i < posts.length; i += WRITE_BATCH) {
      postIds.push(...(await insertPosts(tx, posts.slice(i, i + WRITE_BATCH), now)));
      options.onProgress?.('writing', Math.min(i + WRITE_BATCH, posts.length), posts.length);
    }
    await targetsScheduled(tx, posts.flatMap((p) => p.targets.filter((t) => t.status === 'scheduled').map((t) => t.connectionId)), now);
  });
  return { imported: postIds.length, targets, postIds, ...report };
}

type CheckedRow = { errors: RowError[]; post?: NewPost; adjustment?: TimeAdjustmentReport };

function rowValidator(scope: PostScope, connections: ConnectionRef[], uploads: Map<string, MediaFile>, now: Date): (row: CsvRow) => CheckedRow {
  const byId = new Map(connections.map((c) => [c.id, c]));
  const byHandle = new Map<string, ConnectionRef[]>();
  for (const c of connections) {
    if (!c.handle) continue;
    const key = `${c.platform}:${c.handle.replace(/^@/, '').toLowerCase()}`;
    byHandle.set(key, [...(byHandle.get(key) ?? []), c]);
  }
  const media = new Map([...uploads.values()].map((m) => [m.id, m]));
  return (row) => {
    const errors: RowError[] = [];
    const add = (column: RowError['column'], code: string, message: string, platform?: string | null) =>
      errors.push({ row: row.row, column, code, message, ...(platform ? { platform } : {}) });
    const connectionIds: string[] = [];
    if (row.connections.length === 0) add('connections', 'connection_missing', 'no connection given');
    for (const ref of row.connections) {
      const found = resolveConnection(ref, byId, byHandle);
      if (found === 'ambiguous') add('connections', 'ambiguous_connection', `more than one connection matches "${ref}" in this workspace; use the connection's id`);
      else if (found === 'unknown') add('connections', 'unknown_connection', `no connection "${ref}" in this workspace`);
      else connectionIds.push(found.id);
    }
    const content: PostContent = { text: row.text, mediaIds: [] };
    if (row.link) {
      if (safeUrl(row.link)) content.link = row.link;
      else add('link', 'invalid_url', `"${row.link}" is not a public http(s) URL`);
    }
    for (const m of row.media) {
      if (isUrlLike(m)) {
        if (safeUrl(m)) content.mediaUrls = [...(content.mediaUrls ?? []), m];
        else add('media', 'unsafe_url', `"${m}" is not a public http(s) URL`);
      } else {
        const upload = uploads.get(m);
        if (upload) content.mediaIds.push(upload.id);
        else add('media', 'media_not_found', `no upload named "${m}" in this workspace`);
      }
    }
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(row.time)) {
      add('time', 'bad_time', `"${row.time}" is not a local date-time (YYYY-MM-DD HH:mm)`);
      return { errors };
    }
    let composed;
    try {
      composed = composePost({ content, connectionIds, scheduledAt: row.time.replace(' ', 'T') }, { connections: byId, media, timeZone: scope.timeZone, now });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      add('time', 'bad_time', err.message);
      return { errors };
    }
    for (const issue of composed.issues) add(columnOf(issue.field), issue.code, issue.message, issue.platform);
    if (composed.timeInPast) add('time', 'time_in_past', `${row.time} is in the past`);
    if (errors.length > 0) return { errors };
    const post: NewPost = { workspaceId: scope.workspaceId, content, scheduledAt: composed.scheduledAt, timeZone: scope.timeZone, createdBy: scope.userId, targets: composed.targets };
    const adjustment = composed.adjustment
      ? { row: row.row, time: row.time, scheduledLocal: instantToLocal(composed.scheduledAt!, scope.timeZone), adjustment: composed.adjustment }
      : undefined;
    return { errors, post, ...(adjustment ? { adjustment } : {}) };
  };
}

/** The CSV column a compose issue belongs to (a title, or an option only the connection can fix, has none of its own). */
function columnOf(field: 'text' | 'media' | 'title' | 'options' | 'connection'): RowError['column'] {
  if (field === 'connection' || field === 'options') return 'connections';
  if (field === 'title') return 'text';
  return field;
}

function resolveConnection(ref: string, byId: Map<string, ConnectionRef>, byHandle: Map<string, ConnectionRef[]>): ConnectionRef | 'unknown' | 'ambiguous' {
  if (isUuid(ref)) return byId.get(ref.toLowerCase()) ?? 'unknown';
  const [platform, ...rest] = ref.split(':');
  const handle = rest.join(':').trim().replace(/^@/, '').toLowerCase();
  const matches = (byHandle.get(`${platform!.trim().toLowerCase()}:${handle}`) ?? []).filter((c) => c.state !== 'disconnected');
  if (matches.length === 1) return matches[0]!;
  return matches.length > 1 ? 'ambiguous' : 'unknown';
}

const isUrlLike = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** http(s), a host name, and not a host that is private on its face (the fetch re-checks after DNS). */
function safeUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username || url.password) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) return !isPrivateAddress(host);
  return host.includes('.') && !/(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/.test(host);
}
