import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { importCsv, type RowError } from './importCsv.ts';

export const IMPORT_USAGE = `  import <workspace-id> <file.csv> [--dry-run]
                 Import scheduled posts from CSV (all rows or none); see README`;

/**
 * `perennial import <workspace> <file.csv>`: the same import as the HTTP endpoint, run against
 * the database directly (on the embedded engine, stop the server first: one process per data
 * folder). Returns the process exit code.
 */
export async function runImportCommand(ctx: AppContext, args: string[], options: { dryRun: boolean; out?: NodeJS.WriteStream }): Promise<number> {
  const out = options.out ?? process.stderr;
  const [workspaceId, file] = args;
  if (!workspaceId || !file) {
    out.write(`Usage:\n${IMPORT_USAGE}\n`);
    return 2;
  }
  const res = await ctx.db.execute(sql`select time_zone from workspaces where id::text = ${workspaceId}`);
  const timeZone = (res.rows[0] as { time_zone: string } | undefined)?.time_zone;
  if (!timeZone) {
    out.write(`No workspace ${workspaceId}\n`);
    return 1;
  }
  const bar = new cliProgress.SingleBar({ format: 'Importing [{bar}] {percentage}% | {value}/{total} posts', stream: out }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  let barStarted = false;
  try {
    const result = await importCsv(ctx, { workspaceId, timeZone, userId: null }, fs.readFileSync(file), {
      dryRun: options.dryRun,
      onProgress: (done, total) => {
        if (!barStarted) bar.start(total, 0);
        barStarted = true;
        bar.update(done);
      },
    });
    if (barStarted) bar.stop();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    out.write(
      options.dryRun
        ? `The file is valid: ${result.targets} targets would be scheduled (nothing written).\n`
        : `Imported ${result.imported} posts (${result.targets} targets) in ${seconds} s.\n`,
    );
    return 0;
  } catch (err) {
    if (barStarted) bar.stop();
    if (!(err instanceof AppError)) throw err;
    out.write(`${err.message}\n`);
    const details = err.details as { errors?: RowError[] } | undefined;
    for (const e of details?.errors ?? []) out.write(`  row ${e.row}, ${e.column}: ${e.message}\n`);
    return 1;
  }
}
