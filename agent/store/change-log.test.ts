import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';
import type { ChangeItem } from './change-query.js';
import { MIGRATIONS } from './migrations.js';
import { StoreReader } from './reader.js';
import { Store, type TrafficCounters } from './store.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-feed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 4, 1);
const t = (ms: number): TrafficCounters => ({ packetsSent: 1, bytesSent: 60, packetsReceived: 0, bytesReceived: 0, firstSeenMs: ms, lastSeenMs: ms });
let n = 0;
const fresh = (): { path: string; store: Store } => {
  const path = join(work, `feed-${++n}.db`);
  return { path, store: new Store(path) };
};
/** Device 1 (a MAC), device 2 (a routed address) folded into it: a tombstone at seq 3, device 1 at 4. */
function storeWithTombstone(path: string, tombstoneRetentionDays: number): Store {
  const store = new Store(path, { tombstoneRetentionDays });
  store.transaction(() => {
    store.macDeviceId('00:00:5e:00:53:aa', null, false, T0);
    store.ipDeviceId('198.51.100.7', T0);
  });
  store.transaction(() => store.reclaimRoutedAddress(1, '198.51.100.7'));
  return store;
}
const brief = (items: ChangeItem[]) => items.map((i) => (i.deleted ? { seq: i.seq, id: i.id, merged_into: i.merged_into } : { seq: i.seq, id: i.id }));

describe('the change sequence', () => {
  it('stamps each device a transaction writes once, with the next values, in the transaction that writes it', () => {
    const { path, store } = fresh();
    const [a, b] = store.transaction(() => {
      const a = store.macDeviceId('00:00:5e:00:53:01', null, false, T0);
      const b = store.macDeviceId('00:00:5e:00:53:02', null, false, T0);
      store.addTraffic(a, t(T0));
      store.upsertAddress(a, '192.0.2.1', 4, { arp: true }, t(T0));
      return [a, b];
    });
    const reader = StoreReader.open(path);
    let page = reader.changes(0, 100);
    expect(page.ok && brief(page.items)).toEqual([{ seq: 1, id: a }, { seq: 2, id: b }]);
    expect(page.ok && page.highWater).toBe(2);

    // A later write to a moves it to the end with a higher value; its old value is gone.
    store.transaction(() => store.upsertVlan(a, 20, T0 + 1, T0 + 1));
    page = reader.changes(0, 100);
    expect(page.ok && brief(page.items)).toEqual([{ seq: 2, id: b }, { seq: 3, id: a }]);
    page = reader.changes(2, 100);
    expect(page.ok && page.items.map((i) => !i.deleted && i.device.vlans)).toEqual([[20]]);
    expect(page.ok && { next: page.nextSince, high: page.highWater }).toEqual({ next: 3, high: 3 });
    // Caught up: an empty page that keeps since.
    page = reader.changes(3, 100);
    expect(page.ok && { items: page.items, next: page.nextSince }).toEqual({ items: [], next: 3 });
    reader.close();
    store.close();
  });

  it('takes no value for a transaction that rolled back', () => {
    const { path, store } = fresh();
    store.transaction(() => store.macDeviceId('00:00:5e:00:53:01', null, false, T0));
    expect(() => store.transaction(() => {
      store.addTraffic(1, t(T0 + 5));
      throw new Error('flush failed');
    })).toThrow('flush failed');
    store.transaction(() => store.upsertVlan(1, 7, T0, T0));
    const reader = StoreReader.open(path);
    const page = reader.changes(0, 10);
    expect(page.ok && brief(page.items)).toEqual([{ seq: 2, id: 1 }]);
    reader.close();
    store.close();
  });

  it('leaves a tombstone naming the device a merged one went into, before the merged state', () => {
    const { path, store } = fresh();
    const { router, routed } = store.transaction(() => {
      const router = store.macDeviceId('00:00:5e:00:53:aa', null, false, T0);
      const routed = store.ipDeviceId('198.51.100.7', T0);
      store.upsertObservation(routed, 'dhcp', JSON.stringify({ hostname: 'GW-Core' }), T0, T0, 1);
      return { router, routed };
    });
    store.transaction(() => store.reclaimRoutedAddress(router, '198.51.100.7'));
    const reader = StoreReader.open(path);
    const page = reader.changes(2, 10);
    expect(page.ok && brief(page.items)).toEqual([{ seq: 3, id: routed, merged_into: router }, { seq: 4, id: router }]);
    expect(page.ok && page.items[1].deleted === false && page.items[1].device.hostnames.map((h) => h.name)).toEqual(['GW-Core']);
    // The host name index followed the merge.
    expect(reader.listDevices({ hostname: 'w-co' }).items.map((d) => d.id)).toEqual([router]);
    reader.close();
    store.close();
  });

  it('prunes tombstones past their retention; a client behind them must resync, one starting at 0 need not', () => {
    const path = join(work, 'retention.db');
    const store = storeWithTombstone(path, 1);
    const reader = StoreReader.open(path);
    const before = reader.changes(1, 10);
    expect(before.ok && brief(before.items)).toEqual([{ seq: 3, id: 2, merged_into: 1 }, { seq: 4, id: 1 }]);
    store.pruneTombstones(Date.now() + 2 * 86_400_000);
    const after = reader.changes(1, 10);
    expect(after).toMatchObject({ ok: false, prunedThrough: 3, reason: expect.stringMatching(/older than the tombstones kept/) });
    expect(reader.changes(3, 10)).toMatchObject({ ok: true });
    expect(reader.changes(0, 10)).toMatchObject({ ok: true, items: [{ seq: 4, id: 1 }] });
    expect(reader.changes(5, 10)).toMatchObject({ ok: false, reason: expect.stringMatching(/ahead of this database/) });
    reader.close();
    store.close();
  });

  it('a writer other than the capture (an acknowledgement) never prunes tombstones: it does not know their retention', () => {
    const path = join(work, 'no-prune.db');
    storeWithTombstone(path, 365).close();
    const db = new Database(path);
    const reader = StoreReader.open(path);
    new ChangeLog(db, { pruneTombstones: false }).prune(Date.now() + 60 * 86_400_000, true);
    expect(reader.changes(1, 10)).toMatchObject({ ok: true, items: [{ seq: 3, id: 2, deleted: true }, { seq: 4, id: 1 }] });
    // The default retention (30 days) would have pruned it.
    new ChangeLog(db).prune(Date.now() + 60 * 86_400_000, true);
    expect(reader.changes(1, 10)).toMatchObject({ ok: false, prunedThrough: 3 });
    reader.close();
    db.close();
  });

  it('numbers the devices of a database from before the feed by id, and continues from there', () => {
    const path = join(work, 'old.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE devices (id INTEGER PRIMARY KEY, mac TEXT UNIQUE, routed_ip TEXT UNIQUE, mac_vendor TEXT,
      mac_locally_administered INTEGER NOT NULL DEFAULT 0, is_router INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL, packets_sent INTEGER NOT NULL DEFAULT 0, bytes_sent INTEGER NOT NULL DEFAULT 0,
      packets_received INTEGER NOT NULL DEFAULT 0, bytes_received INTEGER NOT NULL DEFAULT 0)`);
    db.close();
    // Built by the real migrations before the feed's, then the feed's.
    const store = new Store(join(work, 'seed.db'));
    store.transaction(() => {
      for (let i = 1; i <= 3; i++) store.macDeviceId(`00:00:5e:00:53:0${i}`, null, false, T0);
    });
    store.close();
    // The schema as it was just before the feed's migration: the feed's and the later ones undone (they rerun).
    const feedAt = MIGRATIONS.findIndex((m) => m.description.startsWith('change feed'));
    expect(MIGRATIONS.slice(feedAt + 1).map((m) => m.version)).toEqual([13, 14, 16, 17, 18]);
    const before = MIGRATIONS[feedAt - 1].version;
    const seeded = new Database(join(work, 'seed.db'));
    seeded.exec(`UPDATE devices SET change_seq = NULL; DELETE FROM change_sequence; DROP TABLE change_sequence; PRAGMA user_version = ${before}`);
    seeded.exec('DROP INDEX devices_change_seq; DROP INDEX devices_first_seen; ALTER TABLE devices DROP COLUMN change_seq');
    seeded.exec('DROP TABLE device_tombstones; DROP TABLE hostname_search; DROP TABLE device_hostnames; DROP INDEX device_vlans_vlan');
    // 13 (address sources, derived devices), 14 (findings, risk).
    for (const c of ['seen_dhcpv6', 'seen_lldp', 'seen_cdp', 'seen_ndp']) seeded.exec(`ALTER TABLE device_ips DROP COLUMN ${c}`);
    for (const c of ['derived_from_device_id', 'derived_protocol', 'derived_field', 'derived_message_type']) seeded.exec(`ALTER TABLE devices DROP COLUMN ${c}`);
    seeded.exec('DROP TABLE findings; DROP TABLE device_risk');
    // 16 (events retention, forwarding counters).
    seeded.exec('DROP INDEX events_recorded; ALTER TABLE events DROP COLUMN recorded_at_ms');
    for (const c of ['sent', 'resent', 'reconnects']) seeded.exec(`ALTER TABLE forward_positions DROP COLUMN ${c}`);
    // 17 (vendor names).
    for (const t of ['devices_vendor_name', 'devices_vendor_name_update', 'classifications_vendor_name', 'classifications_vendor_name_update']) seeded.exec(`DROP TRIGGER ${t}`);
    seeded.exec('DROP TABLE vendor_names; DROP INDEX classifications_vendor');
    // 18 (device texts).
    seeded.exec('DROP TABLE device_texts');
    seeded.close();
    const upgraded = new Store(join(work, 'seed.db'));
    upgraded.transaction(() => upgraded.upsertVlan(2, 5, T0, T0));
    const page = upgraded.reader.changes(0, 10);
    expect(page.ok && brief(page.items)).toEqual([{ seq: 1, id: 1 }, { seq: 3, id: 3 }, { seq: 4, id: 2 }]);
    upgraded.close();
  });
});
