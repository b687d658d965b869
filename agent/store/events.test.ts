import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventId } from '../events/event-id.js';
import type { NewEvent } from './events.js';
import { StoreReader } from './reader.js';
import { Store } from './store.js';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-events-'));
  store = new Store(join(dir, 'a.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function ev(type: NewEvent['type'], subject: string, deviceId: number | null, severity: NewEvent['severity'] = 'info'): NewEvent {
  return {
    id: eventId(type, subject), time: '2026-01-02T03:04:05.000Z', type, severity, device_id: deviceId,
    summary: `${type} ${subject}`, details: { mac: subject } as never,
  };
}

describe('events table', () => {
  it('assigns strictly increasing seq numbers and appends an id once', () => {
    const a = store.events.append(ev('device.new', 'aa', 1));
    const b = store.events.append(ev('service.new', 'bb', 2, 'low'));
    expect(a).toBe(1);
    expect(b).toBe(2);
    expect(store.events.append(ev('device.new', 'aa', 1))).toBeNull();
    const c = store.events.append(ev('arp.conflict', 'cc', 1, 'high'));
    expect(c).toBe(3);
    expect(store.reader.events({ afterSeq: 0, limit: 10 }).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('a rolled-back append leaves no gap a reader could wait on and no seq is reused', () => {
    store.events.append(ev('device.new', 'aa', 1));
    expect(() => store.transaction(() => {
      store.events.append(ev('device.new', 'bb', 2));
      throw new Error('killed');
    })).toThrow('killed');
    const next = store.events.append(ev('device.new', 'cc', 3));
    const seqs = store.reader.events({ afterSeq: 0, limit: 10 }).map((e) => e.seq);
    expect(seqs).toEqual([1, next]);
    expect(next).toBeGreaterThan(1);
  });

  it('lists after a seq with filters by type, device and minimum severity, and a limit', () => {
    store.events.append(ev('device.new', 'aa', 1));
    store.events.append(ev('service.new', 'bb', 2, 'low'));
    store.events.append(ev('arp.conflict', 'cc', 1, 'high'));
    store.events.append(ev('mac.flood', 'dd', null, 'high'));
    const r = StoreReader.open(join(dir, 'a.db'));
    try {
      expect(r.events({ afterSeq: 1, limit: 100 }).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(r.events({ afterSeq: 0, limit: 2 }).map((e) => e.seq)).toEqual([1, 2]);
      expect(r.events({ afterSeq: 0, limit: 100, type: 'arp.conflict' }).map((e) => e.seq)).toEqual([3]);
      expect(r.events({ afterSeq: 0, limit: 100, deviceId: 1 }).map((e) => e.seq)).toEqual([1, 3]);
      expect(r.events({ afterSeq: 0, limit: 100, minSeverity: 'low' }).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(r.events({ afterSeq: 0, limit: 100, minSeverity: 'high' }).map((e) => e.type)).toEqual(['arp.conflict', 'mac.flood']);
      const [first] = r.events({ afterSeq: 0, limit: 1 });
      expect(first).toEqual({
        id: eventId('device.new', 'aa'), seq: 1, time: '2026-01-02T03:04:05.000Z', type: 'device.new', severity: 'info',
        device_id: 1, summary: 'device.new aa', details: { mac: 'aa' },
      });
      expect(r.eventCounts()['arp.conflict']).toBe(1);
      expect(r.eventCounts()['device.silent']).toBe(0);
      expect(r.lastEventSeq()).toBe(4);
    } finally {
      r.close();
    }
  });

  it('ids are 40 hex characters and depend on every part', () => {
    const id = eventId('service.new', 'aa:bb', 'tcp', 80);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(eventId('service.new', 'aa:bb', 'tcp', 80)).toBe(id);
    expect(eventId('service.new', 'aa:bb', 'tcp', 81)).not.toBe(id);
    expect(eventId('service.new', 'aa:bc', 'tcp', 80)).not.toBe(id);
  });
});
