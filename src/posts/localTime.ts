import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../http/errors.ts';

/**
 * Local date-times (what people type, in the workspace's IANA zone) to instants and back.
 *
 * Daylight-saving rules, chosen once and tested:
 * - **gap** (a local time that does not exist, e.g. 02:30 on the spring-forward night): the time
 *   moves forward by the length of the gap (02:30 Europe/Berlin on 2026-03-29 → 03:30 CEST), as
 *   luxon and most calendars do;
 * - **overlap** (a local time that happens twice, e.g. 02:30 on the fall-back night): the earlier
 *   instant, i.e. the offset in force before the clocks go back (02:30 CEST, not 02:30 CET).
 * The result says which rule applied so the API can tell the user.
 */
export type LocalTimeAdjustment = 'dst_gap_shifted_forward' | 'dst_overlap_earlier_offset';

export type ResolvedLocalTime = { instant: Date; adjustment: LocalTimeAdjustment | null };

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const HOUR_MS = 3_600_000;

/** Zone checks build an Intl formatter (about a millisecond); a bulk import asks thousands of times. */
const validZones = new Map<string, boolean>();

export function isValidTimeZone(zone: string): boolean {
  let valid = validZones.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (validZones.size < 1000) validZones.set(zone, valid);
  }
  return valid;
}

/** "2026-03-29T09:00" (seconds optional, no offset) in `zone` → the instant. Throws AppError('validation_failed'). */
export function localToInstant(local: string, zone: string): ResolvedLocalTime {
  const m = LOCAL_PATTERN.exec(local);
  if (!m) throw new AppError('validation_failed', `"${local}" is not a local date-time (expected YYYY-MM-DDTHH:mm)`);
  if (!isValidTimeZone(zone)) throw new AppError('validation_failed', `"${zone}" is not an IANA time zone`);
  // Strict: every field in range (no 09:75 rolling over to 10:15, no February 30).
  const wall = DateTime.fromISO(local, { zone: 'UTC' });
  // ISO 8601 allows 24:00 (the end of the day); people mean a time of the day.
  if (m[4] === '24') throw new AppError('validation_failed', `"${local}" is not a real calendar date-time (hours go up to 23)`);
  if (!wall.isValid) {
    throw new AppError('validation_failed', `"${local}" is not a real calendar date-time (${wall.invalidExplanation ?? wall.invalidReason ?? 'out of range'})`);
  }
  // The wall-clock fields read as if they were UTC; real instants are this minus the zone's offset.
  const wallMs = wall.toMillis();
  const tz = cachedOffsets(zone);
  // Offsets either side of any transition near this wall time (transitions are hours apart).
  const offsets = new Set([tz.offset(wallMs - 14 * HOUR_MS), tz.offset(wallMs), tz.offset(wallMs + 14 * HOUR_MS)]);
  const matches = [...offsets]
    .map((offsetMin) => wallMs - offsetMin * 60_000)
    .filter((ms) => ms + tz.offset(ms) * 60_000 === wallMs)
    .sort((a, b) => a - b);
  if (matches.length >= 2) return { instant: new Date(matches[0]!), adjustment: 'dst_overlap_earlier_offset' };
  if (matches.length === 1) return { instant: new Date(matches[0]!), adjustment: null };
  // A gap: read the wall time with the offset in force before it, which lands after the gap.
  const before = tz.offset(wallMs - 14 * HOUR_MS);
  return { instant: new Date(wallMs - before * 60_000), adjustment: 'dst_gap_shifted_forward' };
}

/**
 * A zone's UTC offset (minutes) at an instant, memoised per quarter hour: zone transitions fall
 * on quarter hours, and luxon's lookup (an Intl call) costs tens of microseconds, which a
 * 10,000-row import would pay several times per row.
 */
const OFFSET_BUCKET_MS = 15 * 60_000;
const offsetCaches = new Map<string, { offset(ms: number): number }>();

function cachedOffsets(zone: string): { offset(ms: number): number } {
  let cached = offsetCaches.get(zone);
  if (!cached) {
    const tz = IANAZone.create(zone);
    const memo = new Map<number, number>();
    cached = {
      offset(ms: number): number {
        const bucket = Math.floor(ms / OFFSET_BUCKET_MS);
        let value = memo.get(bucket);
        if (value === undefined) {
          value = tz.offset(bucket * OFFSET_BUCKET_MS);
          if (memo.size > 100_000) memo.clear();
          memo.set(bucket, value);
        }
        return value;
      },
    };
    offsetCaches.set(zone, cached);
  }
  return cached;
}

/** The instant as a local "YYYY-MM-DDTHH:mm" in `zone` (seconds only when not zero). */
export function instantToLocal(instant: Date, zone: string): string {
  const dt = DateTime.fromJSDate(instant, { zone });
  return dt.second === 0 ? dt.toFormat("yyyy-MM-dd'T'HH:mm") : dt.toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** The local calendar date ("YYYY-MM-DD") of an instant in `zone`. */
export function localDateOf(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat('yyyy-MM-dd');
}
