import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { importCsv, type ImportPhase, type ImportProgress, type RowError } from './importCsv.ts';

export const IMPORT_USAGE = `  import <workspace-id> <file.csv> [--dry-run]
                 Import scheduled posts from CSV (all rows or none); see README`;

/** What the command writes to: a TTY gets progress bars, anything else plain lines. */
export type ImportOutput = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };

/**
 * `perennial import <workspace> <file.csv>`: the same import as the HTTP endpoint, run against
 * the database directly (on the embedded engine, stop the server first: one process per data
 * folder). Progress covers both phases, validation and writing: a bar on a terminal, a plain
 * line at every tenth elsewhere (a log, a pipe, CI). Returns the process exit code.
 */
export async function runImportCommand(ctx: AppContext, args: string[], options: { dryRun: boolean; out?: ImportOutput }): Promise<number> {
  const out: ImportOutput = options.out ?? process.stderr;
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
  let input: Buffer;
  try {
    input = fs.readFileSync(file);
  } catch (err) {
    out.write(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  const progress = out.isTTY ? barProgress(out) : lineProgress(out);
  const started = performance.now();
  try {
    const result = await importCsv(ctx, { workspaceId, timeZone, userId: null }, input, { dryRun: options.dryRun, onProgress: progress.report });
    progress.stop();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    for (const a of result.adjustments) out.write(`  row ${a.row}: ${a.time} ${describeAdjustment(a.adjustment)}: scheduled at ${a.scheduledLocal} (${timeZone})\n`);
    if (result.adjustmentCount > result.adjustments.length) out.write(`  ... and ${result.adjustmentCount - result.adjustments.length} more rows adjusted for daylight saving\n`);
    out.write(
      options.dryRun
        ? `The file is valid: ${result.targets} targets would be scheduled (nothing written).\n`
        : `Imported ${result.imported} posts (${result.targets} targets) in ${seconds} s.\n`,
    );
    return 0;
  } catch (err) {
    progress.stop();
    if (!(err instanceof AppError)) throw err;
    out.write(`${err.message}\n`);
    const details = err.details as { errors?: RowError[]; errorCount?: number } | undefined;
    const errors = details?.errors ?? [];
    for (const e of errors) out.write(`  row ${e.row}, ${e.column}: ${e.message}\n`);
    if ((details?.errorCount ?? 0) > errors.length) out.write(`  ... and ${details!.errorCount! - errors.length} more\n`);
    return 1;
  }
}

const describeAdjustment = (a: string) => (a === 'dst_gap_shifted_forward' ? 'does not exist (clocks go forward)' : 'happens twice (clocks go back), the first one is used');

const LABELS: Record<ImportPhase, string> = { validating: 'Validating', writing: 'Writing' };

/** One bar per phase, redrawn in place. */
function barProgress(out: ImportOutput): { report: ImportProgress; stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  let phase: ImportPhase | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    report(next, done, total) {
      if (next !== phase) {
        stop();
        phase = next;
        bar = new cliProgress.SingleBar(
          { format: `${LABELS[next].padEnd(10)} [{bar}] {percentage}% | {value}/{total} rows`, stream: out as NodeJS.WriteStream },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar?.update(done);
    },
    stop,
  };
}

/** A line when a phase starts, at each tenth and when it ends: readable in a log file. */
function lineProgress(out: ImportOutput): { report: ImportProgress; stop(): void } {
  let phase: ImportPhase | undefined;
  let lastTenth = -1;
  return {
    report(next, done, total) {
      if (next !== phase) {
        phase = next;
        lastTenth = -1;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      out.write(`${LABELS[next]}: ${done}/${total} rows (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)\n`);
    },
    stop() {},
  };
}
