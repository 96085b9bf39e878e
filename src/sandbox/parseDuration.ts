import { Duration } from 'luxon';

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const COMPACT = /^(?:\d+[wdhms])+$/;

/**
 * A duration for the sandbox, in milliseconds: compact (`30d`, `1d12h`, `90m`, `2w`) or ISO 8601
 * (`P30D`, `PT12H`). Months and years are refused: their length depends on the start date, so
 * they would not say one thing. Returns undefined for anything else, zero included.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  let ms: number | undefined;
  if (COMPACT.test(value)) {
    ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+)([wdhms])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  } else if (value.startsWith('p')) {
    const d = Duration.fromISO(value.toUpperCase());
    if (!d.isValid || d.years || d.quarters || d.months) return undefined;
    ms = d.toMillis();
  }
  return ms !== undefined && Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}
