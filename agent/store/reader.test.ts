import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../errors.js';
import { SCHEMA_VERSION } from './migrations.js';
import { StoreReader } from './reader.js';
import { Store } from './store.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-reader-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 4, 1);

describe('StoreReader', () => {
  it('opens a read-only connection, whose database refuses every write', () => {
    const path = join(work, 'ro.db');
    new Store(path).close();
    const reader = StoreReader.open(path);
    expect(reader.readonly).toBe(true);
    // Nothing it exposes writes; the connection under it could not either.
    const db = (reader as unknown as { db: Database.Database }).db;
    expect(() => db.prepare('DELETE FROM devices').run()).toThrow(/readonly/i);
    expect(() => db.exec('CREATE TABLE x (a)')).toThrow(/readonly/i);
    reader.close();
    expect(() => StoreReader.open(join(work, 'missing.db'))).toThrow(UserFacingError);
  });

  it('reports health and capture runs', () => {
    const store = new Store(join(work, 'health.db'));
    const reader = store.reader;
    expect(reader.readonly).toBe(false); // the writer's own: not for the API
    const none = { running: 0, complete: 0, incomplete: 0, interrupted: 0, failed: 0 };
    expect(reader.health()).toEqual({ schemaVersion: SCHEMA_VERSION, devices: 0, lastIngest: null, ingests: none, capture: null });
    const id = store.ingests.start({ kind: 'file', source: 'ward.pcap' });
    store.ingests.finish(id, { status: 'complete', frames: 10, bytes: 1000, malformed: 1, unsupported: 0, flows: 2 });
    store.macDeviceId('00:1b:21:00:00:01', 'Intel Corporate', false, T0);
    const h = reader.health();
    expect(h).toMatchObject({
      devices: 1, ingests: { ...none, complete: 1 },
      lastIngest: { id, kind: 'file', source: 'ward.pcap', status: 'complete', reason: null, frames: 10, kernel_drops: null },
    });
    expect(reader.ingests()).toEqual([h.lastIngest]);
    // A file read writes no capture counters; a live capture's last flush does, and health reports them.
    expect(h.capture).toBeNull();
    const live = store.ingests.start({ kind: 'live', source: 'eth1' });
    const counters = {
      source: 'eth1', framesReceived: 5, wireBytes: 500, kernelDrops: 3, interfaceDrops: 1, malformedByReason: {}, dissectorProduced: {},
      dissectorRejected: {}, flowsActive: 1, flowsEvicted: 0, flushes: 1, flushSecondsTotal: 0.01, lastPacketMs: T0,
    };
    store.writeCaptureCounters(live, counters);
    expect(reader.health().capture).toEqual({ ingestId: live, writtenAtMs: expect.any(Number), counters });
    expect(reader.integrityProblems()).toEqual([]);
    store.close();
  });

  it('reads one committed state in a snapshot, while the writer goes on', () => {
    const path = join(work, 'snapshot.db');
    const store = new Store(path);
    store.macDeviceId('00:1b:21:00:00:01', null, false, T0);
    const reader = StoreReader.open(path);
    reader.snapshot(() => {
      expect(reader.deviceCount()).toBe(1);
      store.macDeviceId('00:1b:21:00:00:02', null, false, T0); // not blocked by the open read
      expect(reader.deviceCount()).toBe(1);
      expect(reader.deviceIds()).toEqual([1]);
    });
    expect(reader.deviceCount()).toBe(2);
    reader.close();
    store.close();
  });

  it('changeVersion follows every write: another connection\'s (data_version), and the writer\'s own on its reader', () => {
    const path = join(work, 'version.db');
    const store = new Store(path);
    const reader = StoreReader.open(path);
    const v0 = reader.changeVersion();
    const d0 = reader.dataVersion();
    expect(reader.changeVersion()).toBe(v0);
    expect(reader.dataVersion()).toBe(d0);
    store.macDeviceId('00:1b:21:00:00:01', null, false, T0);
    expect(reader.dataVersion()).not.toBe(d0);
    const v1 = reader.changeVersion();
    expect(v1).not.toBe(v0);
    // The writer's own connection sees no data_version change of its own commits: it reads each time.
    store.macDeviceId('00:1b:21:00:00:02', null, false, T0);
    expect(store.reader.changeVersion()).not.toBe(v1);
    expect(reader.changeVersion()).toBe(store.reader.changeVersion());
    reader.close();
    store.close();
  });

  it('summarises the stored classifications', () => {
    const store = new Store(join(work, 'classified.db'));
    const classify = (deviceId: number, category: string, medical: boolean) => store.upsertClassification({
      deviceId, vendor: null, model: null, category, criticality: null, os: null, firmware: null, medical, confidence: 50,
      result: '{}', libraryVersion: 'v1', classifiedAt: T0,
    });
    for (let i = 1; i <= 3; i++) store.macDeviceId(`00:1b:21:00:00:0${i}`, null, false, T0);
    classify(1, 'infusion-pump', true);
    classify(2, 'printer', false);
    classify(3, 'infusion-pump', true);
    expect(store.reader.classificationSummary()).toEqual({ byCategory: { 'infusion-pump': 2, printer: 1 }, medical: 2 });
    expect(store.reader.classifiedWithOtherLibrary('v2')).toEqual([1, 2, 3]);
    expect(store.reader.classifiedWithOtherLibrary('v1')).toEqual([]);
    store.close();
  });
});

describe('device pages read by id range and by id list agree', () => {
  it('every device object is the same from an export (dense id ranges), a filtered export and a list in another order (id lists)', async () => {
    const { readFiles } = await import('../commands/read.js');
    const { loadFingerprints } = await import('../commands/identify.js');
    const { createLogger } = await import('../log.js');
    const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
    const db = join(work, 'pages.db');
    await readFiles(['lan-dhcp.pcap', 'dicom-tls.pcap', 'findings-telnet.pcap', 'vlan.pcap', 'routed.pcap', 'hl7-pcd01.pcap'].map((f) => join(fixtures, f)), {
      db, log: createLogger({ level: 'silent', pretty: false }), progress: false, library: loadFingerprints(undefined, null),
    });
    const reader = StoreReader.open(db);
    const all = [...reader.allDevices()];
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((d) => d.findings.length > 0)).toBe(true);
    expect(all.some((d) => d.clinical !== null)).toBe(true);
    const byId = new Map(all.map((d) => [d.id, d]));
    // Another order: the page's ids are not ascending, so its children are read by id list.
    const byVendor = reader.listDevices({ sort: 'vendor', limit: 1000 }).items;
    expect(byVendor.map((d) => d.id)).not.toEqual(all.map((d) => d.id));
    for (const d of byVendor) expect(d).toEqual(byId.get(d.id));
    // A filter leaves gaps in a page's id range: the rows of the devices in between are not theirs.
    // Filters leave gaps in a page's id range (read by range, the devices in between skipped) or make
    // it sparse (read by id list).
    for (const medical of [false, true]) {
      const some = [...reader.allDevices({ medical })];
      expect(some.length).toBeGreaterThan(5);
      for (const d of some) expect(d).toEqual(byId.get(d.id));
    }
    for (const d of all) expect(reader.device(d.id)).toEqual(d);
    reader.close();
  });
});
