import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../http/errors.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { importCsv, type ImportPhase, type RowError } from './importCsv.ts';
import { runImportCommand } from './importCli.ts';
import { openPostsTestApp, type PostsTestApp } from './testing/postsTestApp.ts';

// The clock starts on Monday 2026-01-05 09:00 UTC; the workspace is in America/New_York.
describe('CSV import', () => {
  let t: PostsTestApp;
  let x: string;
  let linkedin: string;
  const scope = () => ({ workspaceId: t.workspaceId, timeZone: 'America/New_York', userId: t.auth.userId });
  const countPosts = async () => (await t.ctx.database.query<{ n: number }>('select count(*)::int as n from posts where workspace_id = $1', [t.workspaceId])).rows[0]!.n;
  const errorsOf = async (csv: string | Buffer): Promise<RowError[]> => {
    const before = await countPosts();
    try {
      await importCsv(t.ctx, scope(), csv);
    } catch (err) {
      assert.ok(err instanceof AppError && err.code === 'csv_invalid', String(err));
      assert.equal(await countPosts(), before, 'nothing imported');
      return (err.details as { errors: RowError[] }).errors;
    }
    assert.fail('the import should have been refused');
  };
  const summary = (errors: RowError[]) => errors.map((e) => [e.row, e.column, e.code, ...(e.platform ? [e.platform] : [])]);

  before(async () => {
    t = await openPostsTestApp({ timeZone: 'America/New_York' });
    x = await t.connect('x', { handle: 'acme' });
    linkedin = await t.connect('linkedin', { handle: 'acme-co' });
    await t.connect('instagram', { handle: 'acme.gram' });
    await t.connect('mastodon', { handle: 'twin' });
    await t.connect('mastodon', { handle: 'twin' });
  });
  after(() => t.close());

  it('imports rows addressed by connection id and platform:handle, times read in the workspace zone', async () => {
    const csv = [
      'time,connections,text,media,link',
      `2026-01-06 09:00,x:acme;linkedin:@acme-co,"Hello, ""world""",https://93.184.216.34/cat.jpg,https://example.com/post`,
      `2026-01-07T10:00,${linkedin},"Line one\nline two",,`,
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
    assert.equal(rows.rows[1]!.text, 'Line one\nline two');
  });

  it('reads a file with a byte order mark and CRLF line ends; quoted newlines keep the row numbers right', async () => {
    const csv = Buffer.from(`\uFEFFTime,Connections,Text\r\n2026-01-06 11:00,x:acme,"two\r\nlines"\r\n\r\n2026-01-06 12:00,x:nobody,third\r\n`);
    // Row 2 spans two lines; the blank line is row 3 in a spreadsheet; the bad row is row 4.
    assert.deepEqual(summary(await errorsOf(csv)), [[4, 'connections', 'unknown_connection']]);
    const good = await importCsv(t.ctx, scope(), Buffer.from(`\uFEFFTime,Connections,Text\r\n2026-01-06 11:00,x:acme,"two\r\nlines"\r\n`));
    assert.equal(good.imported, 1);
  });

  it('reports every bad row by row and column, and imports nothing', async () => {
    const errors = await errorsOf(
      [
        'time,connections,text,media',
        `2026-01-06 09:00,x:acme,fine,`,
        `tomorrow,x:acme,bad time,`,
        `2026-02-30 09:00,x:acme,impossible date,`,
        `2026-01-06 09:75,x:acme,minutes overflow,`,
        `2026-01-01 09:00,x:acme,past,`,
        `2026-01-06 09:00,x:nobody,unknown handle,`,
        `2026-01-06 09:00,mastodon:twin,two accounts with this handle,`,
        `2026-01-06 09:00,${x};${linkedin},${'a'.repeat(281)},`,
        `2026-01-06 09:00,instagram:acme.gram,no picture,`,
        `2026-01-06 09:00,x:acme,private media,http://127.0.0.1/secret.png`,
        `2026-01-06 09:00,x:acme,not http,ftp://files.example.com/a.png`,
        `2026-01-06 09:00,x:acme,no extension,https://cdn.example.com/image`,
        `2026-01-06 09:00,x:acme,missing upload,holiday.jpg`,
      ].join('\n'),
    );
    assert.deepEqual(summary(errors), [
      [3, 'time', 'bad_time'],
      [4, 'time', 'bad_time'],
      [5, 'time', 'bad_time'],
      [6, 'time', 'time_in_past'],
      [7, 'connections', 'unknown_connection'],
      [8, 'connections', 'ambiguous_connection'],
      [9, 'text', 'text_too_long', 'x'], // LinkedIn takes 3,000: only X is named
      [10, 'media', 'media_required', 'instagram'],
      [11, 'media', 'unsafe_url'],
      [12, 'media', 'unsafe_url'],
      [13, 'media', 'media_type_unknown', 'x'],
      [14, 'media', 'media_not_found'],
    ]);
    assert.match(errors[2]!.message, /75.*minute/);
  });

  it('refuses a bad header or an empty file with errors on row 1', async () => {
    const cases: [string, string[]][] = [
      ['', ['empty_file']],
      ['\uFEFF', ['empty_file']],
      ['time,text\n2026-01-06 09:00,hi', ['missing_column']],
      ['time,connections,text,colour\n2026-01-06 09:00,x:acme,hi,red', ['unknown_column']],
      ['time,connections,text,Text\n2026-01-06 09:00,x:acme,hi,again', ['duplicate_column']],
      ['time,connection,connections,text\n2026-01-06 09:00,x:acme,x:acme,hi', ['duplicate_column']],
      ['time,connections,text\n', ['no_rows']],
      ['time,connections,text\n"unterminated,x,y', ['csv_malformed']],
      ['time,connections,text\n2026-01-06 09:00,x:acme', ['csv_malformed']],
    ];
    for (const [csv, expected] of cases) {
      assert.deepEqual((await errorsOf(csv)).map((e) => e.code), expected, JSON.stringify(csv));
    }
  });

  it('reports rows whose time falls in a daylight-saving gap or overlap, and what they became', async () => {
    const csv = ['time,connections,text', '2026-03-08 02:30,x:acme,in the spring gap', '2026-11-01 01:30,x:acme,twice in the fall', '2026-03-09 02:30,x:acme,ordinary'].join('\n');
    const result = await importCsv(t.ctx, scope(), csv, { dryRun: true });
    assert.equal(result.adjustmentCount, 2);
    assert.deepEqual(result.adjustments, [
      { row: 2, time: '2026-03-08 02:30', scheduledLocal: '2026-03-08T03:30', adjustment: 'dst_gap_shifted_forward' },
      { row: 3, time: '2026-11-01 01:30', scheduledLocal: '2026-11-01T01:30', adjustment: 'dst_overlap_earlier_offset' },
    ]);
    const res = await t.app.inject({ method: 'POST', url: `/api/workspaces/${t.workspaceId}/imports/csv`, headers: { ...t.auth.headers, 'content-type': 'text/csv' }, payload: csv });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().adjustmentCount, 2);
    const stored = await t.ctx.database.query<{ at: Date }>(`select scheduled_at as at from posts where content->>'text' = 'twice in the fall'`);
    assert.equal(new Date(stored.rows[0]!.at).toISOString(), '2026-11-01T05:30:00.000Z', '01:30 EDT, the first of the two');
  });

  it(`imports 10,000 rows in one transaction, reporting progress for validation and writing (${testEngine})`, async () => {
    const lines = ['time,connections,text'];
    for (let i = 0; i < 10_000; i++) {
      const day = 6 + (i % 20);
      const minute = String(i % 60).padStart(2, '0');
      lines.push(`2026-01-${String(day).padStart(2, '0')} 10:${minute},x:acme;linkedin:acme-co,Post number ${i}`);
    }
    const before = await countPosts();
    const progress: Record<ImportPhase, number[]> = { validating: [], writing: [] };
    const marks: Partial<Record<ImportPhase, number>> = {};
    const started = performance.now();
    const result = await importCsv(t.ctx, scope(), lines.join('\n'), {
      onProgress: (phase, done) => {
        marks[phase] ??= performance.now();
        progress[phase].push(done);
      },
    });
    const ended = performance.now();
    const s = (a: number, b: number) => ((b - a) / 1000).toFixed(2);
    console.log(
      `# 10,000-row CSV import (20,000 targets) on ${testEngine}: ${s(started, ended)} s in all ` +
        `(parse ${s(started, marks.validating!)} s, validate ${s(marks.validating!, marks.writing!)} s, write ${s(marks.writing!, ended)} s)`,
    );
    assert.equal(result.imported, 10_000);
    assert.equal(result.targets, 20_000);
    assert.deepEqual(progress.validating, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    assert.equal(progress.writing.at(0), 0);
    assert.equal(progress.writing.at(-1), 10_000);
    assert.equal(await countPosts(), before + 10_000);
  });

  it('over HTTP: validates with dryRun, imports, and answers row errors with csv_invalid', async () => {
    const url = `/api/workspaces/${t.workspaceId}/imports/csv`;
    const headers = { ...t.auth.headers, 'content-type': 'text/csv' };
    const good = 'time,connections,text\n2026-01-07 09:00,x:acme,From HTTP\n';
    const before = await countPosts();
    const dry = await t.app.inject({ method: 'POST', url: `${url}?dryRun=true`, headers, payload: good });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.deepEqual(dry.json(), { dryRun: true, imported: 0, targets: 1, adjustments: [], adjustmentCount: 0 });
    assert.equal(await countPosts(), before);
    const res = await t.app.inject({ method: 'POST', url, headers, payload: good });
    assert.deepEqual(res.json(), { dryRun: false, imported: 1, targets: 1, adjustments: [], adjustmentCount: 0 });
    const bad = await t.app.inject({ method: 'POST', url, headers, payload: 'time,connections,text\nsoon,x:acme,hi\n' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'csv_invalid');
    assert.equal(bad.json().error.details.errors[0].row, 2);
    const other = await t.app.inject({ method: 'POST', url: `/api/workspaces/00000000-0000-4000-8000-000000000000/imports/csv`, headers, payload: good });
    assert.equal(other.statusCode, 404);
  });

  it('on a terminal, the command draws a bar for validation and one for writing', async () => {
    let output = '';
    const out = Object.assign(new Writable({ write: (chunk, _e, done) => ((output += String(chunk)), done()) }), { isTTY: true, columns: 120 });
    const file = `.tmp/csv-tty-${process.pid}.csv`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(file, 'time,connections,text\n2026-01-08 09:00,x:acme,hi\n2026-01-08 10:00,x:acme,again\n');
    try {
      assert.equal(await runImportCommand(t.ctx, [t.workspaceId, file], { dryRun: false, out: out as unknown as NodeJS.WriteStream }), 0);
    } finally {
      rmSync(file, { force: true });
    }
    assert.match(output, /Validating +\[[^\]]*\] 100% \| 2\/2 rows/);
    assert.match(output, /Writing +\[[^\]]*\] 100% \| 2\/2 rows/);
    assert.match(output, /Imported 2 posts \(2 targets\)/);
    output = '';
    assert.equal(await runImportCommand(t.ctx, ['00000000-0000-4000-8000-000000000000', 'any.csv'], { dryRun: false, out: out as unknown as NodeJS.WriteStream }), 1);
    assert.match(output, /No workspace/);
  });
});
