/** Figures of one burst: throughput and lateness after the due time (ms). */
export type BurstResult = { done: number; expected: number; perSecond: number; p50: number; p99: number; max: number };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `latenessMs`: per item, completion minus due time. Throughput: items over the time to the last one. */
export function summarize(latenessMs: number[], expected: number): BurstResult {
  const sorted = latenessMs.map((v) => Math.max(0, v)).sort((a, b) => a - b);
  const max = sorted.at(-1) ?? Number.NaN;
  return {
    done: sorted.length,
    expected,
    perSecond: sorted.length / Math.max(0.001, max / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max,
  };
}

export function formatTable(rows: { name: string; result: BurstResult }[]): string {
  const header = ['run', 'done', 'publishes/s', 'p50 ms', 'p99 ms', 'max ms'];
  const body = rows.map(({ name, result: r }) => [
    name,
    `${r.done}/${r.expected}`,
    r.perSecond.toFixed(0),
    r.p50.toFixed(0),
    r.p99.toFixed(0),
    r.max.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
