/**
 * Times as the app shows them: instants in the workspace's time zone, and local date-times
 * ("2026-03-29T09:00", what <input type=datetime-local> and the API's scheduledAt use).
 * "Now" is the server's clock when it sends one (a sandbox instance may run ahead of the wall clock).
 */

let serverOffsetMs = 0;

/** Called with the server's sandbox time (x-perennial-sandbox-time) to follow its clock. */
export function followServerTime(iso) {
  const ms = Date.parse(iso);
  if (Number.isFinite(ms)) serverOffsetMs = ms - Date.now();
}

export function nowMs() {
  return Date.now() + serverOffsetMs;
}

/** "5 Jan 2026, 10:00" in `timeZone`, or "—" for none. */
export function formatInstant(iso, timeZone) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** "in 3 days", "2 hours ago" relative to now. */
export function relative(iso) {
  if (!iso) return '';
  const diff = Date.parse(iso) - nowMs();
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const [unit, size] =
    abs >= 86_400_000 ? ['day', 86_400_000] : abs >= 3_600_000 ? ['hour', 3_600_000] : ['minute', 60_000];
  return rtf.format(Math.round(diff / size), unit);
}

/** The local date-time "YYYY-MM-DDTHH:mm" of an instant in `timeZone`. */
export function localDateTime(ms, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The local date "YYYY-MM-DD" of an instant in `timeZone`. */
export function localDate(ms, timeZone) {
  return localDateTime(ms, timeZone).slice(0, 10);
}

/** Adds whole days to a local date "YYYY-MM-DD" (calendar arithmetic, no zone involved). */
export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Every IANA zone the browser knows, for the workspace time-zone picker, with UTC (which
 * browsers leave out of the list) and the browser's own zone always present.
 */
export function timeZones() {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const extra = ['UTC', browserTimeZone()].filter((z) => !known.includes(z));
  return [...new Set(extra), ...known];
}

export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
