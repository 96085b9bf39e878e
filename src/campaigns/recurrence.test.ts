import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../http/errors.ts';
import { expandRecurrence, recurrenceSchema } from './recurrence.ts';

const parse = (r: unknown) => recurrenceSchema.parse(r);

describe('expandRecurrence', () => {
  it('every day at 09:00 for 30 days', () => {
    const occ = expandRecurrence(parse({ frequency: 'daily', times: ['09:00'], startDate: '2026-03-15', count: 30 }), 'Europe/Berlin');
    assert.equal(occ.length, 30);
    assert.equal(occ[0]!.local, '2026-03-15T09:00');
    assert.equal(occ[0]!.instant.toISOString(), '2026-03-15T08:00:00.000Z'); // CET
    assert.equal(occ[29]!.local, '2026-04-13T09:00');
    assert.equal(occ[29]!.instant.toISOString(), '2026-04-13T07:00:00.000Z'); // CEST: 09:00 stays 09:00 local
  });

  it('weekdays at 08:30 and 17:00 until a date (inclusive)', () => {
    const occ = expandRecurrence(
      parse({ frequency: 'daily', weekdays: ['mo', 'tu', 'we', 'th', 'fr'], times: ['17:00', '08:30'], startDate: '2026-01-09', untilDate: '2026-01-13' }),
      'America/New_York',
    );
    // Fri 9, (weekend skipped), Mon 12, Tue 13; two times each, in time order.
    assert.deepEqual(
      occ.map((o) => o.local),
      ['2026-01-09T08:30', '2026-01-09T17:00', '2026-01-12T08:30', '2026-01-12T17:00', '2026-01-13T08:30', '2026-01-13T17:00'],
    );
    assert.equal(occ[0]!.instant.toISOString(), '2026-01-09T13:30:00.000Z');
  });

  it('every other week on Monday and Thursday', () => {
    const occ = expandRecurrence(parse({ frequency: 'weekly', interval: 2, weekdays: ['mo', 'th'], times: ['12:00'], startDate: '2026-01-05', count: 5 }), 'UTC');
    assert.deepEqual(
      occ.map((o) => o.local.slice(0, 10)),
      ['2026-01-05', '2026-01-08', '2026-01-19', '2026-01-22', '2026-02-02'],
    );
  });

  it('a daily time inside the spring-forward gap moves forward that day only', () => {
    const occ = expandRecurrence(parse({ frequency: 'daily', times: ['02:30'], startDate: '2026-03-28', count: 3 }), 'Europe/Berlin');
    assert.deepEqual(
      occ.map((o) => [o.instant.toISOString(), o.adjustment]),
      [
        ['2026-03-28T01:30:00.000Z', null],
        ['2026-03-29T01:30:00.000Z', 'dst_gap_shifted_forward'], // 03:30 CEST
        ['2026-03-30T00:30:00.000Z', null],
      ],
    );
  });

  it('refuses invalid definitions', () => {
    const bad = [
      { frequency: 'daily', times: ['09:00'], startDate: '2026-01-01' }, // neither count nor until
      { frequency: 'daily', times: ['09:00'], startDate: '2026-01-01', count: 3, untilDate: '2026-02-01' },
      { frequency: 'weekly', times: ['09:00'], startDate: '2026-01-01', count: 3 }, // weekly without days
      { frequency: 'daily', times: ['9:00'], startDate: '2026-01-01', count: 3 },
      { frequency: 'daily', times: ['09:00', '09:00'], startDate: '2026-01-01', count: 3 },
      { frequency: 'daily', times: ['09:00'], startDate: '2026-01-10', untilDate: '2026-01-01' },
      { frequency: 'daily', times: ['09:00'], startDate: '2026-01-01', count: 3, extra: 1 },
      { frequency: 'hourly', times: ['09:00'], startDate: '2026-01-01', count: 3 },
    ];
    for (const r of bad) assert.equal(recurrenceSchema.safeParse(r).success, false, JSON.stringify(r));
  });

  it('refuses series that are empty or too long', () => {
    const isValidation = (err: unknown) => err instanceof AppError && err.code === 'validation_failed';
    assert.throws(() => expandRecurrence(parse({ frequency: 'daily', weekdays: ['sa'], times: ['09:00'], startDate: '2026-01-05', untilDate: '2026-01-09' }), 'UTC'), isValidation);
    assert.throws(() => expandRecurrence(parse({ frequency: 'daily', times: ['09:00', '10:00'], startDate: '2026-01-01', untilDate: '2028-01-01' }), 'UTC'), isValidation);
    assert.throws(() => expandRecurrence(parse({ frequency: 'daily', times: ['09:00'], startDate: '2026-02-30', count: 2 }), 'UTC'), isValidation);
  });
});
