import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { InstanceInvolvements, InstanceSightings } from './instances.js';
import { Statements } from './statements.js';
import { Store } from './store.js';

const digest = (uid: string) => createHash('sha256').update(uid).digest('hex');

describe('instance sightings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auscult-instances-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The keys stored in a database, hex. */
  function keys(path: string): string[] {
    const db = openDatabase(path, { readonly: true });
    const out = (db.prepare('SELECT hex(instance_key) FROM instance_sightings ORDER BY 1').pluck().all() as string[]);
    db.close();
    return out;
  }

  it('keeps a keyed hash of the digest under a salt of each database, never the digest', () => {
    const [a, b] = ['a.db', 'b.db'].map((n) => join(dir, n));
    for (const p of [a, b]) {
      const store = new Store(p);
      const x = store.macDeviceId('00:00:00:00:00:01', null, false, 1);
      const y = store.macDeviceId('00:00:00:00:00:02', null, false, 1);
      store.recordInstanceSighting(digest('1.2.3.4'), x, y, 1000);
      store.recordInstanceSighting(digest('1.2.3.4'), y, x, 2000);
      store.close();
    }
    const [ka, kb] = [keys(a), keys(b)];
    expect(new Set(ka).size).toBe(1); // one object, two sightings
    expect(ka[0]).toHaveLength(32); // 16 bytes
    expect(ka[0]).not.toBe(kb[0]);
    expect(digest('1.2.3.4').toUpperCase()).not.toContain(ka[0]);
  });

  it('keeps the earliest sending whatever the order they are recorded in, and marks every device sharing the object', () => {
    const store = new Store(join(dir, 'o.db'));
    const [m, a, s] = [1, 2, 3].map((n) => store.macDeviceId(`00:00:00:00:00:0${n}`, null, false, 1));
    store.takeChanged();
    store.recordInstanceSighting(digest('9.9'), a, s, 5000); // the archive's sending, read first
    expect([...store.takeChanged()]).toEqual([a, s]);
    store.recordInstanceSighting(digest('9.9'), m, a, 1000); // the modality's, earlier, read later
    expect([...store.takeChanged()]).toEqual([m, a, s]);
    store.recordInstanceSighting(digest('9.9'), m, a, 3000); // a repeat, later: first_seen stays
    const inv = new InstanceInvolvements(new Statements(openDatabase(join(dir, 'o.db'), { readonly: true })));
    expect(inv.of(m)).toEqual([{ sentMs: 1000, received: false, otherSentMs: 5000 }]);
    expect(inv.of(a)).toEqual([{ sentMs: 5000, received: true, otherSentMs: 1000 }]);
    expect(inv.of(s)).toEqual([{ sentMs: null, received: true, otherSentMs: 1000 }]);
    expect([...inv.devices()].sort()).toEqual([m, a, s]);
    store.close();
  });

  it('is bounded: past the limit the oldest sightings go', () => {
    const path = join(dir, 'bound.db');
    new Store(path).close();
    const db = openDatabase(path);
    db.prepare("INSERT INTO devices (id, mac, first_seen, last_seen) VALUES (1, '00:00:00:00:00:01', 0, 0), (2, '00:00:00:00:00:02', 0, 0)").run();
    const sightings = new InstanceSightings(db, 100);
    for (let i = 0; i < 250; i++) sightings.record(digest(`1.2.${i}`), 1, 2, i);
    const left = db.prepare('SELECT count(*), min(first_seen) FROM instance_sightings').raw().get() as [number, number];
    expect(left[0]).toBeLessThanOrEqual(100);
    expect(left[1]).toBeGreaterThan(100); // the oldest went
    db.close();
  });
});
