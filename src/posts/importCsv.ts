import { isIP } from 'node:net';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { findMediaByNames, type MediaFile } from '../media/mediaRepo.ts';
import { isPrivateAddress } from '../providers/httpClient.ts';
import { isUuid } from '../workspaces/membership.ts';
import { composePost } from './composePost.ts';
import { listWorkspaceConnections, type ConnectionRef } from './connectionsLookup.ts';
import type { PostScope } from './createPost.ts';
import { parseImportCsv, type CsvRow } from './csvRows.ts';
import type { PostContent } from './postContent.ts';
import { insertPosts, type NewPost } from './postsRepo.ts';
import { POST_TARGETS_DUE_CHANNEL } from './targetsRepo.ts';

/**
 * Bulk import of scheduled posts from CSV (format: csvRows.ts). The whole file is validated first
 * and every problem reported by row; then all rows are written in one transaction with
 * multi-row inserts, or none.
 *
 * Media URLs are checked here for shape and obviously private hosts (localhost, private IP
 * literals) and stored as `mediaUrls`; they are fetched at publish time through the SSRF-guarded
 * HttpClient, which resolves the name and refuses private addresses then.
 */
export type RowError = { row: number; column: 'time' | 'connections' | 'text' | 'media' | 'link'; code: string; message: string };

export type ImportResult = { imported: number; targets: number; postIds: string[] };

/** Reported errors are capped (the count is not) so a broken 10,000-row file answers quickly. */
const MAX_REPORTED_ERRORS = 500;

export async function importCsv(
  ctx: AppContext,
  scope: PostScope,
  file: string | Buffer,
  options: { dryRun?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportResult> {
  const rows = parseImportCsv(file);
  const now = ctx.clock.now();
  const connections = await listWorkspaceConnections(ctx.db, scope.workspaceId);
  const uploads = await findMediaByNames(ctx.db, scope.workspaceId, [...new Set(rows.flatMap((r) => r.media.filter((m) => !isUrlLike(m))))]);
  const { posts, errors } = validateRows(rows, scope, connections, uploads, now);
  if (errors.length > 0) {
    throw new AppError('csv_invalid', `${errors.length} problem(s) in the file; nothing was imported. First: row ${errors[0]!.row}: ${errors[0]!.message}`, {
      details: { errorCount: errors.length, errors: errors.slice(0, MAX_REPORTED_ERRORS) },
    });
  }
  if (options.dryRun) return { imported: 0, targets: posts.reduce((n, p) => n + p.targets.length, 0), postIds: [] };
  const postIds: string[] = [];
  const BATCH = 1000;
  await ctx.db.transaction(async (tx) => {
    for (let i = 0; i < posts.length; i += BATCH) {
      postIds.push(...(await insertPosts(tx, posts.slice(i, i + BATCH), now)));
      options.onProgress?.(Math.min(i + BATCH, posts.length), posts.length);
    }
    await notifyDue(tx, POST_TARGETS_DUE_CHANNEL);
  });
  return { imported: postIds.length, targets: posts.reduce((n, p) => n + p.targets.length, 0), postIds };
}

function validateRows(rows: CsvRow[], scope: PostScope, connections: ConnectionRef[], uploads: Map<string, MediaFile>, now: Date) {
  const byId = new Map(connections.map((c) => [c.id, c]));
  const byHandle = new Map<string, ConnectionRef[]>();
  for (const c of connections) {
    if (!c.handle) continue;
    const key = `${c.platform}:${c.handle.replace(/^@/, '').toLowerCase()}`;
    byHandle.set(key, [...(byHandle.get(key) ?? []), c]);
  }
  const media = new Map([...uploads.values()].map((m) => [m.id, m]));
  const errors: RowError[] = [];
  const posts: NewPost[] = [];
  for (const row of rows) {
    const add = (column: RowError['column'], code: string, message: string) => errors.push({ row: row.row, column, code, message });
    const connectionIds: string[] = [];
    if (row.connections.length === 0) add('connections', 'connection_missing', 'no connection given');
    for (const ref of row.connections) {
      const found = resolveConnection(ref, byId, byHandle);
      if (typeof found === 'string') add('connections', found === 'ambiguous' ? 'ambiguous_connection' : 'unknown_connection', `${found === 'ambiguous' ? 'more than one connection matches' : 'no connection'} "${ref}" in this workspace`);
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
      continue;
    }
    let composed;
    try {
      composed = composePost({ content, connectionIds, scheduledAt: row.time.replace(' ', 'T') }, { connections: byId, media, timeZone: scope.timeZone, now });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      add('time', 'bad_time', err.message);
      continue;
    }
    for (const issue of composed.issues) add(issue.field === 'connection' ? 'connections' : issue.field === 'title' ? 'text' : issue.field, issue.code, issue.message);
    if (composed.timeInPast) add('time', 'time_in_past', `${row.time} is in the past`);
    posts.push({ workspaceId: scope.workspaceId, content, scheduledAt: composed.scheduledAt, timeZone: scope.timeZone, createdBy: scope.userId, targets: composed.targets });
  }
  return { posts, errors };
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
