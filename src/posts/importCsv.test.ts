import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../http/errors.ts';
import { importCsv, type RowError } from './importCsv.ts';
import { runImportCommand } from './importCli.ts';
import { openPostsTestApp, type PostsTestApp } from './testing/postsTestApp.ts';

// The clock starts on Monday 2026-01-05 09:00 UTC; the workspace is in America/New_York.
describe('CSV import', () => {
  let t: PostsTestApp;
  let x: string;
  let linkedin: string;
  const scope = () => ({ workspaceId: t.workspaceId, timeZone: 'America/New_York', userId: t.auth.userId });
  const countPosts = async () => (await t.ctx.database.query<{ n: number }>('select count(*)::int as n from posts where workspace_id = $1', [t.workspaceId])).rows[0]!.n;
  const errorsOf = async (csv: string): Promise<RowError[]> => {
    try {
      await importCsv(t.ctx, scope(), csv);
    } catch (err) {
      assert.ok(err instanceof AppError && err.code === 'csv_invalid', String(err));
      return (err.details as { errors: RowError[] }).errors;
    }
    assert.fail('the import should have been refused');
  };

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'America/New_York' });
    x = await t.connect('x', { handle: 'acme' });
    linkedin = await t.connect('linkedin', { handle: 'acme-co' });
  });
  after(() => t.close());

  it('imports rows addressed by connection id and platform:handle, times read in the workspace zone', async () => {
    const csv = [
      'time,connections,text,media,link',
      `2026-01-06 09:00,x:acme;linkedin:@acme-co,"Hello, ""world""",https://93.184.216.34/cat.jpg,https://example.com/post`,
      `2026-03-08T02:30,${linkedin},"Line one\nline two",,`,
    ].join('\n');
    const result = await importCsv(t.ctx, scope(), csv);
    assert.equal(result.imported, 2);
    assert.equal(result.targets, 3);
    const rows = await t.ctx.database.query<{ text: string; scheduled_at: Date; media: unknown; n: number }>(
      `select p.content->>'text' as text, p.scheduled_at, p.content->'mediaUrls' as media,
              (select count(*)::int from post_targets t where t.post_id = p.id and t.status = 'scheduled') as n
       from posts p where p.id = any($1::uuid[]) order by p.scheduled_at`,
      [result.postIds],
    );
    assert.equal(rows.rows[0]!.text, 'Hello, "world"');
    assert.equal(new Date(rows.rows[0]!.scheduled_at).toISOString(), '2026-01-06T14:00:00.000Z');
    assert.deepEqual(rows.rows[0]!.media, ['https://93.184.216.34/cat.jpg']);
    assert.equal(rows.rows[0]!.n, 2);
    // 02:30 does not exist on 2026-03-08 in New York: moved forward to 03:30 EDT.
    assert.equal(new Date(rows.rows[1]!.scheduled_at).toISOString(), '2026-03-08T07:30:00.000Z');
    assert.equal(rows.rows[1]!.text, 'Line one\nline two');
  });

  it('reports every bad row (bad time, unknown connection, too long text, unsafe URL, past) and imports nothing', async () => {
    const before = await countPosts();
    const errors = await errorsOf(
      [
        'time,connections,text,media',
        `2026-01-06 09:00,x:acme,fine,`,
        `tomorrow,x:acme,bad time,`,
        `2026-02-30 09:00,x:acme,impossible date,`,
        `2026-01-06 09:00,x:nobody,unknown handle,`,
        `2026-01-06 09:00,${x},${'a'.repeat(281)},`,
        `2026-01-06 09:00,x:acme,private media,http://127.0.0.1/secret.png`,
        `2026-01-06 09:00,x:acme,missing upload,holiday.jpg`,
        `2026-01-01 09:00,x:acme,past,`,
      ].join('\n'),
    );
    assert.deepEqual(
      errors.map((e) => [e.row, e.column, e.code]),
      [
        [3, 'time', 'bad_time'],
        [4, 'time', 'bad_time'],
        [5, 'connections', 'unknown_connection'],
        [6, 'text', 'text_too_long'],
        [7, 'media', 'unsafe_url'],
        [8, 'media', 'media_not_found'],
        [9, 'time', 'time_in_past'],
      ],
    );
    assert.equal(await countPosts(), before);
  });

  it('refuses files without the required columns or rows', async () => {
    for (const csv of ['', 'time,text\n2026-01-06 09:00,hi', 'time,connections,text,colour\n2026-01-06 09:00,x:acme,hi,red', 'time,connections,text\n', 'time,connections,text\n"unterminated,x,y']) {
      await assert.rejects(importCsv(t.ctx, scope(), csv), (err: unknown) => err instanceof AppError && err.code === 'csv_invalid', JSON.stringify(csv));
    }
  });

  it('imports 10,000 rows in one transaction (multi-row inserts)', async () => {
    const lines = ['time,connections,text'];
    for (let i = 0; i < 10_000; i++) {
      const day = 6 + (i % 20);
      const minute = String(i % 60).padStart(2, '0');
      lines.push(`2026-01-${String(day).padStart(2, '0')} 10:${minute},x:acme;linkedin:acme-co,Post number ${i}`);
    }
    const before = await countPosts();
    const started = performance.now();
    const progress: number[] = [];
    const result = await importCsv(t.ctx, scope(), lines.join('\n'), { onProgress: (done) => progress.push(done) });
    const seconds = (performance.now() - started) / 1000;
    console.log(`# 10,000-row CSV import (20,000 targets) took ${seconds.toFixed(2)} s`);
    assert.equal(result.imported, 10_000);
    assert.equal(result.targets, 20_000);
    assert.equal(progress.at(-1), 10_000);
    assert.equal(await countPosts(), before + 10_000);
  });

  it('over HTTP: validates with dryRun, imports, and answers row errors with csv_invalid', async () => {
    const url = `/api/workspaces/${t.workspaceId}/imports/csv`;
    const headers = { ...t.auth.headers, 'content-type': 'text/csv' };
    const good = 'time,connections,text\n2026-01-07 09:00,x:acme,From HTTP\n';
    const before = await countPosts();
    const dry = await t.app.inject({ method: 'POST', url: `${url}?dryRun=true`, headers, payload: good });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.deepEqual(dry.json(), { dryRun: true, imported: 0, targets: 1 });
    assert.equal(await countPosts(), before);
    const res = await t.app.inject({ method: 'POST', url, headers, payload: good });
    assert.deepEqual(res.json(), { dryRun: false, imported: 1, targets: 1 });
    const bad = await t.app.inject({ method: 'POST', url, headers, payload: 'time,connections,text\nsoon,x:acme,hi\n' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'csv_invalid');
    assert.equal(bad.json().error.details.errors[0].row, 2);
    const other = await t.app.inject({ method: 'POST', url: `/api/workspaces/00000000-0000-4000-8000-000000000000/imports/csv`, headers, payload: good });
    assert.equal(other.statusCode, 404);
  });

  it('from the CLI: prints row errors and exits 1, or imports and exits 0', async () => {
    const dir = fs.mkdtempSync(path.join('.tmp', 'csv-'));
    const file = path.join(dir, 'posts.csv');
    let output = '';
    const out = new Writable({ write: (chunk, _e, done) => ((output += String(chunk)), done()) }) as unknown as NodeJS.WriteStream;
    fs.writeFileSync(file, 'time,connections,text\n2026-01-08 09:00,x:ghost,hi\n');
    assert.equal(await runImportCommand(t.ctx, [t.workspaceId, file], { dryRun: false, out }), 1);
    assert.match(output, /row 2, connections: no connection "x:ghost"/);
    fs.writeFileSync(file, 'time,connections,text\n2026-01-08 09:00,x:acme,hi\n2026-01-08 10:00,x:acme,again\n');
    output = '';
    assert.equal(await runImportCommand(t.ctx, [t.workspaceId, file], { dryRun: false, out }), 0);
    assert.match(output, /Imported 2 posts \(2 targets\)/);
    assert.equal(await runImportCommand(t.ctx, ['00000000-0000-4000-8000-000000000000', file], { dryRun: false, out }), 1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
