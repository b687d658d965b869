/**
 * Events retention: events past it are deleted, and what a forwarding destination had not accepted is
 * counted for it (position moved past, `dropped`, a forward.dropped event), never silent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventId } from '../events/event-id.js';
import type { AuscultEvent } from '../export/event.js';
import type { NewEvent } from './events.js';
import { ForwardPositions } from './forward-positions.js';
import { Store } from './store.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);
let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-retention-'));
  path = join(dir, 'a.db');
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const ev = (n: number): NewEvent => ({
  id: eventId('device.new', `dev-${n}`), time: '2020-01-02T03:04:05.000Z', type: 'device.new', severity: 'low', device_id: null,
  summary: `device ${n}`, details: { mac: null, ip: null, mac_vendor: null },
});

/** Appends events `from..to` at wall-clock `atMs` (capture time years before: retention counts from storing). */
function appendAt(store: Store, atMs: number, from: number, to: number): number[] {
  vi.setSystemTime(atMs);
  const seqs: number[] = [];
  store.transaction(() => {
    for (let n = from; n <= to; n++) seqs.push(store.events.append(ev(n))!);
  });
  return seqs;
}

describe('events retention', () => {
  it('deletes events stored longer ago than the retention; counts per destination what it had not accepted', () => {
    const store = new Store(path, { eventsRetentionDays: 30 });
    const old = appendAt(store, T0, 1, 10);
    const recent = appendAt(store, T0 + 20 * DAY_MS, 11, 15);
    const positions = ForwardPositions.open(path);
    positions.get('all-of-it');
    positions.delivered('all-of-it', recent[recent.length - 1]);
    positions.get('halfway');
    positions.delivered('halfway', old[3]); // had 4 of the 10 old ones
    positions.get('never'); // had nothing

    // Day 25: nothing is 30 days old yet.
    vi.setSystemTime(T0 + 25 * DAY_MS);
    expect(store.pruneEvents()).toBeNull();

    // Day 35: the first ten are past retention, the five recent ones are not.
    const pass = store.pruneEvents(T0 + 35 * DAY_MS);
    expect(pass).toEqual({
      throughSeq: old[9], deleted: 10,
      undelivered: [{ destination: 'halfway', dropped: 6 }, { destination: 'never', dropped: 10 }],
    });
    const events = store.reader.events({ afterSeq: 0, limit: 100 });
    expect(events.slice(0, 5).map((e) => e.seq)).toEqual(recent);
    // Each destination that lost events is told, in an event forwarded like any other.
    const dropped = events.filter((e): e is AuscultEvent<'forward.dropped'> => e.type === 'forward.dropped');
    expect(dropped.map((e) => [e.severity, e.device_id, e.details])).toEqual([
      ['high', null, { destination: 'halfway', dropped: 6, through_seq: old[9], retention_days: 30 }],
      ['high', null, { destination: 'never', dropped: 10, through_seq: old[9], retention_days: 30 }],
    ]);
    expect(dropped[0].summary).toBe('Events retention (30 days) dropped 6 events before halfway had them');
    // The counts stay in the database (forward --status, /metrics), the positions moved past the gap.
    expect(positions.all().map((p) => [p.destination, p.deliveredSeq, p.dropped])).toEqual([
      ['all-of-it', recent[4], 0], ['halfway', old[9], 6], ['never', old[9], 10],
    ]);
    // Nothing more is due: a second pass drops nothing and tells nothing.
    expect(store.pruneEvents(T0 + 36 * DAY_MS)).toBeNull();
    positions.close();
    store.close();
  });

  it('without destinations events past retention just go; a flush runs retention at most once a minute', () => {
    const store = new Store(path, { eventsRetentionDays: 1 });
    appendAt(store, T0, 1, 3);
    appendAt(store, T0 + 20_000, 4, 4);
    // The flush a day later runs retention as it commits: 1-3 are a day old, 4 not quite.
    appendAt(store, T0 + DAY_MS + 5_000, 5, 5);
    expect(store.reader.events({ afterSeq: 0, limit: 10 }).map((e) => e.summary)).toEqual(['device 4', 'device 5']);
    // 4 is past retention now, but the last look was less than a minute ago.
    appendAt(store, T0 + DAY_MS + 30_000, 6, 6);
    expect(store.reader.events({ afterSeq: 0, limit: 10 }).map((e) => e.summary)).toEqual(['device 4', 'device 5', 'device 6']);
    appendAt(store, T0 + DAY_MS + 70_000, 7, 7);
    expect(store.reader.events({ afterSeq: 0, limit: 10 }).map((e) => e.summary)).toEqual(['device 5', 'device 6', 'device 7']);
    store.close();
  });

  it('the default retention is 90 days', () => {
    const store = new Store(path);
    appendAt(store, T0, 1, 2);
    expect(store.pruneEvents(T0 + 89 * DAY_MS)).toBeNull();
    expect(store.pruneEvents(T0 + 91 * DAY_MS)?.deleted).toBe(2);
    store.close();
  });
});
