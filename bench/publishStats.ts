/** Figures of one burst: throughput and lateness after the due time (ms). */
export type BurstResult = {
  done: number;
  expected: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Our runs: statements sent and worker CPU per published target (from the worker processes). */
  statementsPerTarget?: number;
  cpuMsPerTarget?: number;
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * `latenessMs`: per finished item, completion minus due time. Items not finished when the run
 * was cut off (`cutoffMs` after the due time) count as `cutoffMs` late: a slow run is never
 * made to look good by dropping what it did not finish. Throughput: finished items over the
 * time to the last one.
 */
export function summarize(latenessMs: number[], expected: number, cutoffMs: number): BurstResult {
  const finished = latenessMs.map((v) => Math.max(0, v)).sort((a, b) => a - b);
  const missing = Math.max(0, expected - finished.length);
  const sorted = [...finished, ...Array.from({ length: missing }, () => Math.max(cutoffMs, finished.at(-1) ?? 0))];
  const lastDone = finished.at(-1) ?? Number.NaN;
  return {
    done: finished.length,
    expected,
    perSecond: finished.length / Math.max(0.001, lastDone / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

export function formatTable(rows: { name: string; result: BurstResult }[]): string {
  const header = ['run', 'done', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'stmts/target', 'CPU ms/target'];
  const body = rows.map(({ name, result: r }) => [
    name,
    `${r.done}/${r.expected}`,
    fmt(r.perSecond),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.max),
    fmt(r.statementsPerTarget, 2),
    fmt(r.cpuMsPerTarget, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
