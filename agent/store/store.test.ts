import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { openDatabase } from './database.js';
import { Store } from './store.js';

/** A read-only look at the file a Store writes (SQL stays in agent/store/: its tests read the tables). */
function inspect<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const work = mkdtempSync(join(tmpdir(), 'auscult-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Store', () => {
  it('creates the schema at the latest version, in WAL mode', () => {
    const path = join(work, 'new.db');
    const store = new Store(path);
    expect(store.reader.health().schemaVersion).toBe(SCHEMA_VERSION);
    expect(inspect(path, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    const tables = inspect(path, (db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all());
    expect(tables).toEqual([
      'advisories', 'advisory_indicators', 'api_token_uses', 'api_tokens', 'capture_counters', 'change_sequence', 'classifications', 'device_hostnames',
      'device_ips', 'device_risk', 'device_texts', 'device_tombstones', 'device_vlans', 'devices', 'edges', 'events', 'findings', 'forward_positions', 'hostname_search', 'hostname_search_config',
      'hostname_search_data', 'hostname_search_docsize', 'hostname_search_idx', 'ingests', 'instance_salt', 'instance_sightings',
      'observations', 'services', 'sqlite_sequence', 'vendor_names',
    ]);
    store.close();
  });

  it('applies only the migrations a database lacks, and reopening changes nothing', () => {
    const path = join(work, 'again.db');
    new Store(path).close();
    const store = new Store(path);
    expect(store.reader.health().schemaVersion).toBe(SCHEMA_VERSION);
    // Versions are assigned per branch (gaps allowed until the lead orders them): strictly increasing.
    for (let i = 1; i < MIGRATIONS.length; i++) expect(MIGRATIONS[i].version).toBeGreaterThan(MIGRATIONS[i - 1].version);
    store.close();
  });

  it('refuses a database written by a newer auscult, with the fix', () => {
    const path = join(work, 'future.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new Store(path)).toThrow(UserFacingError);
    expect(() => new Store(path)).toThrow(/newer than this auscult knows.*upgrade auscult/);
    expect(() => openDatabase(path, { readonly: true })).toThrow(/upgrade auscult/);
  });

  it('opens read-only handles only on existing databases', () => {
    expect(() => openDatabase(join(work, 'missing.db'), { readonly: true })).toThrow(/no database at .*ingest a capture first/);
  });

  it('moves traffic-only addresses off a router into devices of their own, keeping its bound ones', () => {
    const path = join(work, 'router.db');
    const store = new Store(path);
    const t = (n: number) => ({ packetsSent: n, bytesSent: n * 100, packetsReceived: 0, bytesReceived: 0, firstSeenMs: 1000, lastSeenMs: 2000 });
    const id = store.macDeviceId('00:1a:a1:0a:00:01', 'Cisco Systems, Inc', false, 1000);
    store.upsertAddress(id, '10.20.0.1', 4, { arp: true, traffic: true }, t(5));
    store.addTraffic(id, t(5));
    for (const ip of ['198.51.100.10', '198.51.100.20']) {
      store.upsertAddress(id, ip, 4, { traffic: true }, t(10));
      store.addTraffic(id, t(10));
    }
    store.markRouter(id);
    const rows = inspect(path, (db) => db.prepare('SELECT d.id, d.mac, d.routed_ip, d.is_router, d.packets_sent FROM devices d ORDER BY id').all());
    expect(rows).toEqual([
      { id, mac: '00:1a:a1:0a:00:01', routed_ip: null, is_router: 1, packets_sent: 5 },
      { id: id + 1, mac: null, routed_ip: '198.51.100.10', is_router: 0, packets_sent: 10 },
      { id: id + 2, mac: null, routed_ip: '198.51.100.20', is_router: 0, packets_sent: 10 },
    ]);
    expect(inspect(path, (db) => db.prepare('SELECT ip FROM device_ips WHERE device_id = ?').pluck().all(id))).toEqual(['10.20.0.1']);
    store.close();
  });

  it('moves a router\'s addresses onto devices that already exist, times and counters added', () => {
    const path = join(work, 'router2.db');
    const store = new Store(path);
    const t = (n: number, first: number, last: number) => ({ packetsSent: n, bytesSent: n * 100, packetsReceived: n, bytesReceived: n, firstSeenMs: first, lastSeenMs: last });
    const known = store.ipDeviceId('198.51.100.10', 500);
    store.upsertAddress(known, '198.51.100.10', 4, { traffic: true }, t(1, 500, 600));
    store.addTraffic(known, t(1, 500, 600));
    const id = store.macDeviceId('00:1a:a1:0a:00:01', 'Cisco Systems, Inc', false, 1000);
    // A capture whose clock stepped back: the second address's last packet precedes its first.
    store.upsertAddress(id, '198.51.100.10', 4, { traffic: true }, t(10, 1000, 2000));
    store.upsertAddress(id, '198.51.100.20', 4, { traffic: true }, t(20, 3000, 2500));
    store.addTraffic(id, t(30, 1000, 3000));
    store.markRouter(id);
    const rows = inspect(path, (db) => db.prepare('SELECT id, routed_ip, first_seen, last_seen, packets_sent, bytes_received FROM devices ORDER BY id').all());
    expect(rows).toEqual([
      { id: known, routed_ip: '198.51.100.10', first_seen: 500, last_seen: 2000, packets_sent: 11, bytes_received: 11 },
      { id, routed_ip: null, first_seen: 1000, last_seen: 3000, packets_sent: 0, bytes_received: 0 },
      { id: id + 1, routed_ip: '198.51.100.20', first_seen: 3000, last_seen: 3000, packets_sent: 20, bytes_received: 20 },
    ]);
    const ips = inspect(path, (db) => db.prepare('SELECT device_id, ip, packets_sent FROM device_ips ORDER BY device_id, ip').all());
    expect(ips).toEqual([
      { device_id: known, ip: '198.51.100.10', packets_sent: 11 },
      { device_id: id + 1, ip: '198.51.100.20', packets_sent: 20 },
    ]);
    store.close();
  });
});
