/**
 * Each event type the inventory produces, on captures made by real software (test-fixtures/README.md),
 * and the promise that reading a capture again, even with --force, repeats no event.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFingerprints, reclassify } from '../commands/identify.js';
import { readFiles } from '../commands/read.js';
import type { AuscultEvent, EventType } from '../export/event.js';
import { createLogger } from '../log.js';
import { StoreReader } from '../store/reader.js';
import type { EventThresholds } from './thresholds.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const log = createLogger({ level: 'silent', pretty: false });
const library = loadFingerprints(undefined, null);
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-ev-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dbCount = 0;
async function read(files: string[], opts: { db?: string; force?: boolean; events?: Partial<EventThresholds> } = {}): Promise<string> {
  const db = opts.db ?? join(work, `${++dbCount}.db`);
  await readFiles(files.map((f) => join(fixtures, f)), { db, log, progress: false, library, force: opts.force, events: opts.events });
  return db;
}

function events(db: string): AuscultEvent[];
function events<T extends EventType>(db: string, type: T): AuscultEvent<T>[];
function events(db: string, type?: EventType): AuscultEvent[] {
  const r = StoreReader.open(db);
  try {
    return r.events({ afterSeq: 0, limit: 100_000, type });
  } finally {
    r.close();
  }
}

describe('events from captures of real software', () => {
  it('device.new: one per device, at its first packet, with its first address and MAC vendor (dnsmasq, dhclient)', async () => {
    const db = await read(['lan-dhcp.pcap']);
    const r = StoreReader.open(db);
    const deviceCount = r.deviceCount();
    r.close();
    const news = events(db, 'device.new');
    expect(news).toHaveLength(deviceCount);
    const monitor = news.find((e) => e.details.mac === '00:09:fb:0a:00:31')!;
    expect(monitor).toMatchObject({ severity: 'low', details: { mac_vendor: 'Philips Patient Monitoring' } });
    expect(monitor.summary).toContain('00:09:fb:0a:00:31 (Philips Patient Monitoring)');
    expect(Date.parse(monitor.time)).toBeGreaterThan(Date.parse('2020-01-01'));
    const seqs = events(db).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('device.address_changed: an address that moved from one MAC to another by DHCP/ARP, and a new address', async () => {
    const db = await read(['lan-dhcp.pcap', 'lan-http.pcap']);
    const moved = events(db, 'device.address_changed').filter((e) => e.details.previous_mac !== null);
    expect(moved.map((e) => e.details)).toContainEqual({
      ip: '10.20.0.101', mac: '00:09:fb:0a:00:31', previous_mac: '00:1b:21:0a:00:21', previous_device_id: expect.any(Number),
    });
    expect(events(db, 'device.address_changed').some((e) => e.details.previous_mac === null)).toBe(true);
  });

  it('device.hostname_new: names from DHCP and mDNS, as they came from the wire', async () => {
    const db = await read(['lan-dhcp.pcap', 'evidence-mdns.pcap']);
    const names = events(db, 'device.hostname_new').map((e) => `${e.details.source}:${e.details.hostname}`);
    expect(names).toEqual(expect.arrayContaining(['dhcp:ws-nurse-01', 'dhcp:mx800-icu3-bed07', 'mdns:ward3-printer']));
  });

  it('service.new: a port a device answered on', async () => {
    const db = await read(['lan-http.pcap']);
    expect(events(db, 'service.new').map((e) => `${e.details.transport}/${e.details.port}`)).toContain('tcp/80');
  });

  it('peer.external_new: the first conversation of an internal device with a public address, with peer and port', async () => {
    const db = await read(['routed.pcap']);
    const ext = events(db, 'peer.external_new');
    expect(ext.length).toBeGreaterThan(0);
    for (const e of ext) {
      expect(e.details.ip).toMatch(/^10\./);
      expect(e.details.peer_ip).toMatch(/^(198\.51\.100|203\.0\.113)\./);
    }
    expect(ext.map((e) => e.details)).toContainEqual({ ip: '10.20.0.31', peer_ip: '203.0.113.50', port: 80, transport: 'tcp', mac: '00:09:fb:0a:00:31' });
    expect(new Set(ext.map((e) => `${e.device_id}|${e.details.peer_ip}`)).size).toBe(ext.length);
  });

  it('device.identity_changed: vendor, model and category before and after (an analyst override, reclassify)', async () => {
    const db = await read(['lan-dhcp.pcap']);
    const dir = join(work, 'overrides');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'overrides.yaml'), '- mac: "00:09:fb:0a:00:31"\n  vendor: BD\n  model: Alaris 8015\n  category: infusion-pump\n');
    expect(events(db, 'device.identity_changed')).toEqual([]);
    reclassify(db, dir, false, log);
    const [changed, ...more] = events(db, 'device.identity_changed');
    expect(more).toEqual([]);
    expect(changed.details.mac).toBe('00:09:fb:0a:00:31');
    const byField = Object.fromEntries(changed.details.changes.map((c) => [c.field, c]));
    expect(byField.vendor).toMatchObject({ after: 'BD' });
    expect(byField.model).toEqual({ field: 'model', before: null, after: 'Alaris 8015' });
    expect(byField.category).toMatchObject({ after: 'infusion-pump' });
    expect(byField.vendor.before).not.toBe('BD');
    // The same change again says the same thing: no second event.
    reclassify(db, dir, true, log);
    expect(events(db, 'device.identity_changed')).toHaveLength(1);
  });

  it('arp.conflict: arpspoof claims the gateway\'s address with the attacker\'s MAC (dsniff, events-arpspoof.pcap)', async () => {
    const db = await read(['events-arpspoof.pcap']);
    const conflicts = events(db, 'arp.conflict');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      severity: 'high', details: { ip: '10.15.0.1', macs: ['00:1a:a1:0f:00:01', '00:1b:21:0f:00:66'], mac: '00:1a:a1:0f:00:01' },
    });
    expect(conflicts[0].summary).toBe('10.15.0.1 claimed by 2 MACs: 00:1a:a1:0f:00:01, 00:1b:21:0f:00:66');
    // The gateway's device: the address's earlier claimer.
    const r = StoreReader.open(db);
    expect(r.findDevices('00:1a:a1:0f:00:01')).toEqual([conflicts[0].device_id]);
    r.close();
    // A window shorter than the gap between the honest and the forged claims: no conflict.
    expect(events(await read(['events-arpspoof.pcap'], { events: { arpConflictWindowSeconds: 1 } }), 'arp.conflict')).toEqual([]);
  });

  it('mac.flood: macof\'s random source MACs within a minute, over the threshold (dsniff, events-macof.pcap)', async () => {
    const db = await read(['events-macof.pcap'], { events: { macFloodNewMacsPerMinute: 50 } });
    const floods = events(db, 'mac.flood');
    expect(floods).toHaveLength(1);
    expect(floods[0]).toMatchObject({ severity: 'high', device_id: null, details: { threshold: 50 } });
    expect(floods[0].details.new_macs_per_minute).toBeGreaterThan(50);
    expect(floods[0].time).toMatch(/:00\.000Z$/);
    // The default threshold (3,000 a minute) is far above this burst of a few hundred.
    expect(events(await read(['events-macof.pcap']), 'mac.flood')).toEqual([]);
  });

  it('reading the same captures again, even with --force, appends no event', async () => {
    const files = ['lan-dhcp.pcap', 'lan-http.pcap', 'routed.pcap', 'evidence-mdns.pcap'];
    const db = await read(files);
    const before = events(db);
    expect(before.length).toBeGreaterThan(20);
    await read(files, { db, force: true });
    expect(events(db)).toEqual(before);
    // Into a fresh database the same events have the same ids.
    const again = await read(files);
    expect(events(again).map((e) => e.id).sort()).toEqual(before.map((e) => e.id).sort());
  });
});
