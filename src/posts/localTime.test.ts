import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../http/errors.ts';
import { instantToLocal, localDateOf, localToInstant } from './localTime.ts';

describe('localToInstant', () => {
  it('reads an ordinary local time in the zone', () => {
    assert.deepEqual(localToInstant('2026-01-15T09:00', 'Europe/Berlin'), {
      instant: new Date('2026-01-15T08:00:00Z'),
      adjustment: null,
    });
    assert.equal(localToInstant('2026-07-15T09:00', 'America/New_York').instant.toISOString(), '2026-07-15T13:00:00.000Z');
    assert.equal(localToInstant('2026-07-15T09:00:30', 'UTC').instant.toISOString(), '2026-07-15T09:00:30.000Z');
  });

  it('shifts a time inside the spring-forward gap forward by the gap (Europe/Berlin)', () => {
    const r = localToInstant('2026-03-29T02:30', 'Europe/Berlin');
    assert.equal(r.instant.toISOString(), '2026-03-29T01:30:00.000Z'); // 03:30 CEST
    assert.equal(r.adjustment, 'dst_gap_shifted_forward');
    assert.equal(instantToLocal(r.instant, 'Europe/Berlin'), '2026-03-29T03:30');
  });

  it('shifts a time inside the spring-forward gap forward by the gap (America/New_York)', () => {
    const r = localToInstant('2026-03-08T02:15', 'America/New_York');
    assert.equal(r.instant.toISOString(), '2026-03-08T07:15:00.000Z'); // 03:15 EDT
    assert.equal(r.adjustment, 'dst_gap_shifted_forward');
  });

  it('takes the earlier offset for a time that happens twice (Europe/Berlin fall back)', () => {
    const r = localToInstant('2026-10-25T02:30', 'Europe/Berlin');
    assert.equal(r.instant.toISOString(), '2026-10-25T00:30:00.000Z'); // 02:30 CEST, not CET
    assert.equal(r.adjustment, 'dst_overlap_earlier_offset');
  });

  it('takes the earlier offset for a time that happens twice (America/New_York fall back)', () => {
    const r = localToInstant('2026-11-01T01:30', 'America/New_York');
    assert.equal(r.instant.toISOString(), '2026-11-01T05:30:00.000Z'); // 01:30 EDT
    assert.equal(r.adjustment, 'dst_overlap_earlier_offset');
  });

  it('leaves the times just around a transition alone', () => {
    assert.equal(localToInstant('2026-03-29T01:59', 'Europe/Berlin').adjustment, null);
    assert.equal(localToInstant('2026-03-29T03:00', 'Europe/Berlin').instant.toISOString(), '2026-03-29T01:00:00.000Z');
    assert.equal(localToInstant('2026-10-25T03:00', 'Europe/Berlin').instant.toISOString(), '2026-10-25T02:00:00.000Z');
  });

  it('refuses malformed times, impossible dates and unknown zones', () => {
    for (const [local, zone] of [
      ['2026-02-30T09:00', 'UTC'],
      ['2026-01-01 09:00', 'UTC'],
      ['2026-01-01T09:00Z', 'UTC'],
      ['2026-01-01T24:00', 'UTC'],
      ['2026-01-01T09:75', 'UTC'], // not 10:15
      ['2026-01-01T09:60', 'Europe/Berlin'],
      ['2026-01-01T09:30:60', 'UTC'],
      ['2026-13-01T09:00', 'UTC'],
      ['2026-01-01T09:00', 'Mars/Olympus'],
    ] as const) {
      assert.throws(() => localToInstant(local, zone), (err: unknown) => err instanceof AppError && err.code === 'validation_failed', local);
    }
  });

  it('gives local dates in the zone', () => {
    assert.equal(localDateOf(new Date('2026-01-15T23:30:00Z'), 'Europe/Berlin'), '2026-01-16');
    assert.equal(localDateOf(new Date('2026-01-15T03:30:00Z'), 'America/New_York'), '2026-01-14');
  });
});
