import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../http/errors.ts';
import { localToInstant, type LocalTimeAdjustment } from '../posts/localTime.ts';

/**
 * A recurring series, rrule-like but small enough to validate fully:
 * - `frequency: 'daily'` every `interval` days, optionally only on `weekdays`;
 * - `frequency: 'weekly'` every `interval` weeks on `weekdays` (required);
 * at each of `times` (local "HH:mm" in the campaign's zone), from `startDate`, until `untilDate`
 * (inclusive, local) or for `count` occurrences (exactly one of the two).
 * Examples: every day at 09:00 for 30 days = `{ frequency: 'daily', times: ['09:00'], startDate, count: 30 }`;
 * weekdays at 08:30 and 17:00 until a date =
 * `{ frequency: 'daily', weekdays: ['mo','tu','we','th','fr'], times: ['08:30','17:00'], startDate, untilDate }`.
 */
export const WEEKDAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A series never materialises more posts than this (about three years of daily posts). */
export const MAX_OCCURRENCES = 1000;

const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a local date YYYY-MM-DD');
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time HH:mm');

export const recurrenceSchema = z
  .strictObject({
    frequency: z.enum(['daily', 'weekly']),
    interval: z.number().int().min(1).max(52).default(1),
    weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
    times: z.array(localTime).min(1).max(24),
    startDate: localDate,
    untilDate: localDate.optional(),
    count: z.number().int().min(1).max(MAX_OCCURRENCES).optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.untilDate === undefined) === (r.count === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'give exactly one of untilDate or count' });
    }
    if (r.frequency === 'weekly' && !r.weekdays) {
      ctx.addIssue({ code: 'custom', path: ['weekdays'], message: 'a weekly series needs weekdays' });
    }
    if (new Set(r.times).size !== r.times.length) {
      ctx.addIssue({ code: 'custom', path: ['times'], message: 'times must not repeat' });
    }
    if (r.weekdays && new Set(r.weekdays).size !== r.weekdays.length) {
      ctx.addIssue({ code: 'custom', path: ['weekdays'], message: 'weekdays must not repeat' });
    }
    if (r.untilDate !== undefined && r.untilDate < r.startDate) {
      ctx.addIssue({ code: 'custom', path: ['untilDate'], message: 'untilDate is before startDate' });
    }
  });

export type Recurrence = z.infer<typeof recurrenceSchema>;

export type Occurrence = { local: string; instant: Date; adjustment: LocalTimeAdjustment | null };

/** How far ahead a series may reach, whatever its definition (a guard for `untilDate`). */
const MAX_SPAN_DAYS = 366 * 5;

/**
 * Every occurrence of the series in order, as local times of `zone` and their instants (daylight
 * saving handled by `localToInstant`: a time in a gap moves forward, an ambiguous one takes the
 * earlier offset). Throws AppError('validation_failed') when the series is empty or would exceed
 * MAX_OCCURRENCES.
 */
export function expandRecurrence(r: Recurrence, zone: string): Occurrence[] {
  const start = DateTime.fromISO(r.startDate, { zone: 'UTC' });
  if (!start.isValid) throw new AppError('validation_failed', `startDate ${r.startDate} is not a real date`);
  const until = r.untilDate ? DateTime.fromISO(r.untilDate, { zone: 'UTC' }) : null;
  if (until && !until.isValid) throw new AppError('validation_failed', `untilDate ${r.untilDate} is not a real date`);
  const days = r.weekdays ? new Set(r.weekdays.map((d) => WEEKDAYS.indexOf(d) + 1)) : null;
  const times = [...r.times].sort();
  const startWeek = start.startOf('week');
  const out: Occurrence[] = [];
  for (let i = 0; i <= MAX_SPAN_DAYS; i++) {
    const day = start.plus({ days: i });
    if (until && day > until) break;
    if (r.count !== undefined && out.length >= r.count) break;
    if (!matches(r, day, i, startWeek, days)) continue;
    for (const time of times) {
      if (r.count !== undefined && out.length >= r.count) break;
      const local = `${day.toFormat('yyyy-MM-dd')}T${time}`;
      const { instant, adjustment } = localToInstant(local, zone);
      out.push({ local, instant, adjustment });
      if (out.length > MAX_OCCURRENCES) {
        throw new AppError('validation_failed', `The series has more than ${MAX_OCCURRENCES} occurrences; shorten it or split it`);
      }
    }
  }
  if (out.length === 0) throw new AppError('validation_failed', 'The series has no occurrence between its start and end');
  if (until === null && r.count !== undefined && out.length < r.count) {
    throw new AppError('validation_failed', `The series reaches beyond ${MAX_SPAN_DAYS} days; shorten it`);
  }
  return out;
}

function matches(r: Recurrence, day: DateTime, index: number, startWeek: DateTime, days: Set<number> | null): boolean {
  if (days && !days.has(day.weekday)) return false;
  if (r.frequency === 'daily') return index % r.interval === 0;
  const week = Math.floor(day.startOf('week').diff(startWeek, 'days').days / 7);
  return week % r.interval === 0;
}
