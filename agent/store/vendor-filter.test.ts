/**
 * The vendor filter through vendor_names (migration 17) gives what LIKE over every device gave: the
 * same devices, in every order and page, the same counts, with hostile filters; names kept current
 * by the writes (identification, merges, rolled-back transactions) and backfilled on migration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_SORT_KEYS, type DeviceFilter } from './device-query.js';
import { SCHEMA_VERSION } from './migrations.js';
import { StoreReader } from './reader.js';
import { Store, type StoredClassification } from './store.js';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const MINUTE = 60_000;

/** MAC vendors as the IEEE registry spells them, and hostile ones (LIKE wildcards, escapes, non-ASCII, quotes). */
const MAC_VENDORS = [
  'GE Healthcare', 'Philips Medical Systems', 'Siemens Healthineers', null, 'Mindray 50%_Co', 'Back\\slash Inc',
  'Draeger Medical', 'ÄRZTE-Geräte GmbH', 'ärzte-geräte gmbh', 'Quote\'s "Devices"', 'under_score', 'ＧＥ Fullwidth', 'Cisco Systems, Inc',
] as const;
/** Identified vendors (the signature library's spelling), null: not classified or no vendor. */
const IDENTIFIED = [null, 'GE Healthcare', 'Dräger', 'Philips', null, 'B. Braun', 'Baxter%', 'Mindray', 'Hospira_x', 'Zoll \\ Medical'] as const;
/** The devices (index in build) of a rare MAC vendor, far apart: pages in id order read its ids, not a window. */
const SELDOM = [10, 50, 85];
const CATEGORIES = ['patient-monitor', 'infusion-pump', 'workstation', 'printer'] as const;

/** Filters to prove: common, rare, absent, one and two characters, wildcards and escapes, case and non-ASCII. */
const NEEDLES = [
  'GE', 'ge', 'gE hEALTH', 'Healthcare', 'a', 'e', 'Dr', 'zz', 'nothing-matches', '%', '_', '\\', '%_', '50%_', '\\s', 'Back\\slash',
  'seldom', 'SEEN CORP', 'ärzte', 'ÄRZTE', 'Ä', 'ä', 'geräte', 'ＧＥ', 'ｇｅ', '\'', '"', "Quote's \"Devices\"", 'Baxter%', ' ', ', Inc', 'x', 'Zoll \\ M',
];

const mac = (i: number): string => `00:1b:21:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

function classification(deviceId: number, vendor: string | null, i: number): StoredClassification {
  const category = CATEGORIES[i % CATEGORIES.length];
  const medical = category === 'patient-monitor' || category === 'infusion-pump';
  const field = (value: string | null) => ({ value, confidence: 50, reasons: [] });
  const result = {
    vendor: field(vendor), model: field(null), category: field(category), os: field(null), firmware: field(null),
    criticality: null, confidence: 50, medical,
  };
  return {
    deviceId, vendor, model: null, category, criticality: null, os: null, firmware: null, medical, confidence: 50,
    result: JSON.stringify(result), libraryVersion: 'test', classifiedAt: T0,
  };
}

/** 90 layer-2 devices (every vendor pair), 6 routed ones; some unclassified; VLANs, addresses, times spread. */
function build(path: string): void {
  const store = new Store(path);
  store.transaction(() => {
    for (let i = 0; i < 90; i++) {
      const t = T0 + ((i * 37) % 90) * MINUTE;
      const id = store.macDeviceId(mac(i), SELDOM.includes(i) ? 'Seldom Seen Corp' : MAC_VENDORS[i % MAC_VENDORS.length], false, t);
      store.addTraffic(id, { packetsSent: i, bytesSent: i, packetsReceived: 0, bytesReceived: 0, firstSeenMs: t, lastSeenMs: t + MINUTE });
      store.upsertVlan(id, 100 + (i % 3), t, t);
      store.upsertAddress(id, `10.0.0.${i + 1}`, 4, { arp: true }, { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, firstSeenMs: t, lastSeenMs: t });
      if (i % 7 !== 3) store.upsertClassification(classification(id, IDENTIFIED[i % IDENTIFIED.length], i));
    }
    for (let j = 0; j < 6; j++) {
      const id = store.ipDeviceId(`203.0.113.${j + 1}`, T0 + j * MINUTE);
      if (j % 2 === 0) store.upsertClassification(classification(id, IDENTIFIED[(j + 1) % IDENTIFIED.length], j));
    }
  });
  store.close();
}

/** The filter before migration 17: LIKE over each device's MAC vendor and identified vendor (the oracle). */
function likeIds(path: string, vendor: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(`SELECT d.id FROM devices d LEFT JOIN classifications c ON c.device_id = d.id
                WHERE d.mac_vendor LIKE '%' || @v || '%' ESCAPE '\\' OR c.vendor LIKE '%' || @v || '%' ESCAPE '\\' ORDER BY d.id`)
      .pluck()
      .all({ v: vendor.replace(/[\\%_]/g, (c) => `\\${c}`) }) as number[];
  } finally {
    db.close();
  }
}

/** Every page of a filtered list, `limit` at a time, following the positions. */
function pages(reader: StoreReader, f: DeviceFilter, limit: number): number[] {
  const ids: number[] = [];
  let after: DeviceFilter['after'];
  for (;;) {
    const page = reader.listDevices({ ...f, after, limit });
    ids.push(...page.items.map((d) => d.id));
    if (page.next === null) return ids;
    after = page.next;
  }
}

let work: string;
let path: string;
let reader: StoreReader;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-vendor-'));
  path = join(work, 'inventory.db');
  build(path);
  reader = StoreReader.open(path);
});
afterAll(() => {
  reader.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the vendor filter', () => {
  it('matches exactly the devices LIKE matched, with hostile, rare, common and absent filters', () => {
    const sizes = new Set<number>();
    for (const v of NEEDLES) {
      const expected = likeIds(path, v);
      sizes.add(expected.length);
      expect(reader.listDevices({ vendor: v, limit: 1000 }).items.map((d) => d.id), v).toEqual(expected);
      // Small pages: a window of ids checked device by device when it fills the page, else the matching ids.
      expect(pages(reader, { vendor: v }, 2), v).toEqual(expected);
      expect(pages(reader, { vendor: v }, 1), v).toEqual(expected);
      expect(pages(reader, { vendor: v, descending: true }, 3), v).toEqual([...expected].reverse());
      const medical = reader.listDevices({ vendor: v, medical: true, limit: 1000 }).items.length;
      expect(reader.countDevices({ vendor: v }), v).toEqual({ devices: expected.length, medical });
    }
    // The needles cover none, few and most devices.
    expect(Math.min(...sizes)).toBe(0);
    expect(Math.max(...sizes)).toBeGreaterThan(60);
    expect([...sizes].some((n) => n > 0 && n < 10)).toBe(true);
  });

  it('combined with the other filters, gives their devices that LIKE matched, and counts them', () => {
    const others: DeviceFilter[] = [
      { medical: true }, { medical: false }, { category: 'infusion-pump' }, { seenSinceMs: T0 + 45 * MINUTE }, { vlan: 101 },
      { category: 'infusion-pump', medical: true }, { category: 'printer', seenSinceMs: T0 + 30 * MINUTE }, { seenSinceMs: T0 + 88 * MINUTE },
      { mac: mac(0) }, { mac: mac(4) }, { ip: '10.0.0.5' }, { ip: '10.0.0.6' }, { medical: true, vlan: 100, seenSinceMs: T0 + 10 * MINUTE },
    ];
    for (const o of [{}, ...others]) {
      const expected = reader.listDevices({ ...o, limit: 1000 }).items;
      expect(reader.countDevices(o), JSON.stringify(o)).toEqual({ devices: expected.length, medical: expected.filter((d) => d.medical).length });
    }
    for (const v of NEEDLES) {
      const like = new Set(likeIds(path, v));
      for (const o of others) {
        const expected = reader.listDevices({ ...o, limit: 1000 }).items.filter((d) => like.has(d.id));
        const got = reader.listDevices({ ...o, vendor: v, limit: 1000 }).items;
        expect(got.map((d) => d.id), `${v} ${JSON.stringify(o)}`).toEqual(expected.map((d) => d.id));
        expect(reader.countDevices({ ...o, vendor: v }), `${v} ${JSON.stringify(o)}`)
          .toEqual({ devices: expected.length, medical: expected.filter((d) => d.medical).length });
      }
    }
  });

  it('in every order, pages through the same devices as one page, in the order of the unfiltered list', () => {
    for (const v of ['GE', 'a', '%', 'ärzte', 'nothing-matches', 'Philips']) {
      const like = new Set(likeIds(path, v));
      for (const sort of DEVICE_SORT_KEYS) {
        for (const descending of [false, true]) {
          const whole = reader.listDevices({ sort, descending, limit: 1000 }).items.map((d) => d.id).filter((id) => like.has(id));
          const f: DeviceFilter = { vendor: v, sort, descending };
          expect(reader.listDevices({ ...f, limit: 1000 }).items.map((d) => d.id), `${v} ${sort} ${descending}`).toEqual(whole);
          expect(pages(reader, f, 4), `${v} ${sort} ${descending}`).toEqual(whole);
        }
      }
    }
  });

  it('devices seen since a time: pages in id order through a window or the index give the filtered list', () => {
    const every = reader.listDevices({ limit: 1000 }).items;
    for (const minutes of [0, 30, 80, 88, 89, 95]) {
      const since = T0 + minutes * MINUTE;
      const expected = every.filter((d) => Date.parse(d.last_seen) >= since).map((d) => d.id);
      for (const limit of [1, 2, 5, 1000]) {
        expect(pages(reader, { seenSinceMs: since }, limit), `${minutes} ${limit}`).toEqual(expected);
        expect(pages(reader, { seenSinceMs: since, descending: true }, limit), `${minutes} ${limit} desc`).toEqual([...expected].reverse());
        expect(pages(reader, { seenSinceMs: since, vendor: 'e' }, limit), `${minutes} ${limit} e`).toEqual(expected.filter((id) => likeIds(path, 'e').includes(id)));
      }
    }
  });

  it('a category or medical filter: pages in id order through a window or the index give the filtered list', () => {
    const every = reader.listDevices({ limit: 1000 }).items;
    const filters: [DeviceFilter, (d: (typeof every)[number]) => boolean][] = [
      [{ category: 'printer' }, (d) => d.category === 'printer'], [{ category: 'unknown' }, (d) => d.category === 'unknown' && d.classification !== null],
      [{ medical: true }, (d) => d.medical], [{ medical: false }, (d) => !d.medical], [{ category: 'infusion-pump', medical: true }, (d) => d.category === 'infusion-pump'],
    ];
    for (const [f, keep] of filters) {
      const expected = every.filter(keep).map((d) => d.id);
      for (const limit of [1, 2, 5, 1000]) {
        expect(pages(reader, f, limit), `${JSON.stringify(f)} ${limit}`).toEqual(expected);
        expect(pages(reader, { ...f, descending: true }, limit), `${JSON.stringify(f)} ${limit} desc`).toEqual([...expected].reverse());
      }
      expect(reader.listDevices({ ...f, afterId: expected[1] ?? 0, limit: 2 }).items.map((d) => d.id), JSON.stringify(f)).toEqual(expected.filter((id) => id > (expected[1] ?? 0)).slice(0, 2));
    }
  });

  it('follows re-identification, merges and rolled-back transactions in the writing transaction', () => {
    const copy = join(work, 'changes.db');
    build(copy);
    const store = new Store(copy);
    const ids = (v: string) => store.reader.listDevices({ vendor: v, limit: 1000 }).items.map((d) => d.id);
    // Device 4 (MAC vendor null, unclassified) identified as a vendor no device had, then as another.
    expect(ids('Acme Infusion')).toEqual([]);
    store.transaction(() => store.upsertClassification(classification(4, 'Acme Infusion Systems', 1)));
    expect(ids('acme infusion')).toEqual([4]);
    store.transaction(() => store.upsertClassification(classification(4, 'Bcme Pumps', 1)));
    expect(ids('acme infusion')).toEqual([]);
    expect(ids('BCME')).toEqual([4]);
    expect(store.reader.countDevices({ vendor: 'bcme' }).devices).toBe(1);
    // A routed device identified, then folded into a router: only the router remains, without that vendor.
    const [routed] = store.reader.findDevices('203.0.113.2');
    store.transaction(() => store.upsertClassification(classification(routed, 'Routed Only Vendor', 0)));
    expect(ids('routed only')).toEqual([routed]);
    store.transaction(() => expect(store.reclaimRoutedAddress(1, '203.0.113.2')).toBe(routed));
    expect(ids('routed only')).toEqual([]);
    expect(store.reader.countDevices({ vendor: 'routed only' })).toEqual({ devices: 0, medical: 0 });
    // A transaction that fails leaves neither the device nor its vendor's name (a killed process likewise).
    expect(() => store.transaction(() => {
      store.macDeviceId('02:00:00:00:00:99', 'Rolled Back Ltd', false, T0);
      throw new Error('killed');
    })).toThrow('killed');
    expect(ids('rolled back')).toEqual([]);
    const db = new Database(copy, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM vendor_names WHERE name = 'Rolled Back Ltd'").pluck().get()).toBe(0);
    // Every vendor a device has is a name (what the filter relies on).
    expect(db.prepare(`SELECT count(*) FROM (SELECT mac_vendor AS n FROM devices UNION SELECT vendor FROM classifications)
                       WHERE n IS NOT NULL AND n NOT IN (SELECT name FROM vendor_names)`).pluck().get()).toBe(0);
    db.close();
    store.close();
    for (const v of NEEDLES) expect(idsOnReopen(copy, v), v).toEqual(likeIds(copy, v));
  });

  it('is backfilled when a database at version 16 with devices is migrated', () => {
    const old = join(work, 'v16.db');
    build(old);
    const db = new Database(old);
    for (const t of ['devices_vendor_name', 'devices_vendor_name_update', 'classifications_vendor_name', 'classifications_vendor_name_update']) db.exec(`DROP TRIGGER ${t}`);
    db.exec('DROP TABLE vendor_names; DROP INDEX classifications_vendor; DROP TABLE device_texts; PRAGMA user_version = 16');
    db.close();
    new Store(old).close();
    const migrated = new Database(old, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(migrated.prepare('SELECT count(*) FROM vendor_names').pluck().get()).toBe(
      new Set([...MAC_VENDORS, ...IDENTIFIED, 'Seldom Seen Corp'].filter((v) => v !== null)).size,
    );
    migrated.close();
    for (const v of NEEDLES) expect(idsOnReopen(old, v), v).toEqual(likeIds(old, v));
  });
});

function idsOnReopen(db: string, vendor: string): number[] {
  const r = StoreReader.open(db);
  try {
    return r.listDevices({ vendor, limit: 1000 }).items.map((d) => d.id);
  } finally {
    r.close();
  }
}
