/**
 * Stored device texts (device-texts.ts) hold only while every path that changes what a device's text
 * shows touches the device in its transaction. Checked byte for byte against the text built live
 * after real ingests of every fixture capture (flushed often: many transactions, merges of routed
 * addresses, derived devices, clinical blocks, findings), the bundled advisories, acknowledgements,
 * and on a database whose texts are missing (migrated from 17).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { bundledAdvisoriesDir, importAdvisories } from '../commands/advisories.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { jsonTextAscii } from '../output/escape.js';
import { Pipeline } from '../pipeline.js';
import { acknowledgeFinding } from '../risk/findings-run.js';
import { loadFindingData } from '../risk/finding-types.js';
import { openDatabase } from './database.js';
import { openFindingsStore } from './findings.js';
import { StoreReader } from './reader.js';
import { Store } from './store.js';

const CAPTURES = readdirSync('test-fixtures').filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join('test-fixtures', f));
const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-device-texts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every capture into one database, a flush every `flushEveryFrames` frames, with the advisories imported first. */
async function ingest(name: string, flushEveryFrames: number): Promise<string> {
  const path = join(dir, name);
  importAdvisories([bundledAdvisoriesDir()], path);
  const store = new Store(path);
  const pipeline = new Pipeline(store, { library, flushEveryFrames });
  for (const c of CAPTURES) await readCaptureFile(c, pipeline);
  pipeline.finish();
  pipeline.close();
  store.close();
  return path;
}

function problems(path: string): string[] {
  const reader = StoreReader.open(path);
  try {
    return reader.storedTextProblems();
  } finally {
    reader.close();
  }
}

describe('stored device texts', () => {
  it('equal the texts built live after every fixture capture, flushed every 50 frames', async () => {
    const path = await ingest('often.db', 50);
    expect(CAPTURES.length).toBeGreaterThan(40);
    expect(problems(path)).toEqual([]);
  });

  it('equal the texts built live after every fixture capture in one flush, then an acknowledgement', async () => {
    const path = await ingest('once.db', 5_000_000);
    expect(problems(path)).toEqual([]);
    const s = await openFindingsStore(path);
    const f = s.reader.findings({ limit: 1 }).items[0];
    expect(acknowledgeFinding(s, loadFindingData(), f.id, 'accepted')).toBe(true);
    s.close();
    expect(problems(path)).toEqual([]);
  });

  it('a database without them (migrated from 17) answers as before, and a writer opening it stores them', async () => {
    const path = await ingest('missing.db', 5_000_000);
    const feed = (): string => {
      const reader = StoreReader.open(path);
      try {
        const page = reader.changesJson(0, 1000);
        if (!page.ok) throw new Error(page.reason);
        // What the API sends: texts built live are escaped to ASCII there, stored ones are already.
        return jsonTextAscii(page.itemTexts.map(String).join(','));
      } finally {
        reader.close();
      }
    };
    const stored = feed();
    const db = openDatabase(path);
    const devices = db.prepare('SELECT count(*) FROM devices').pluck().get() as number;
    // Half missing, one stale (built at another value): those are built live.
    db.prepare('DELETE FROM device_texts WHERE device_id % 2 = 0').run();
    db.prepare('UPDATE device_texts SET seq = seq - 1, before = CAST(\'{"stale":\' AS BLOB) WHERE device_id = (SELECT min(device_id) FROM device_texts)').run();
    db.close();
    expect(problems(path).length).toBe(Math.floor(devices / 2) + 1);
    expect(feed()).toBe(stored);
    new Store(path).close();
    expect(problems(path)).toEqual([]);
    expect(feed()).toBe(stored);
    // A reader of a database no writer has migrated yet (no table at all): the texts built live.
    const v17 = openDatabase(path);
    v17.exec('DROP TABLE device_texts; PRAGMA user_version = 17');
    v17.close();
    expect(feed()).toBe(stored);
  });
});

describe('writes that change another device\'s text touch that device', () => {
  const T0 = Date.UTC(2026, 0, 5, 8);
  const traffic = (ms: number) => ({ packetsSent: 1, bytesSent: 60, packetsReceived: 1, bytesReceived: 60, firstSeenMs: ms, lastSeenMs: ms + 1 });
  /** A fresh store, `setup` committed, then `change` in a transaction of its own; the stored texts checked after each. */
  function check<T>(name: string, setup: (s: Store) => T, change: (s: Store, made: T) => void): void {
    const path = join(dir, name);
    const store = new Store(path);
    const made = store.transaction(() => setup(store));
    expect(problems(path)).toEqual([]);
    store.transaction(() => change(store, made));
    store.close();
    expect(problems(path)).toEqual([]);
  }

  it('a peer\'s first observation of a clinical protocol (its TLS conversations become the device\'s encrypted ones)', () => {
    check('peer-clinical.db', (s) => {
      const a = s.macDeviceId('02:00:5e:00:60:01', null, false, T0);
      const b = s.macDeviceId('02:00:5e:00:60:02', null, false, T0);
      s.upsertObservation(a, 'dicom', JSON.stringify({ calling_ae_title: 'MODALITY' }), T0, T0, 1);
      s.upsertEdge({ ...traffic(T0), clientDeviceId: a, serverDeviceId: b, clientIp: '192.0.2.1', serverIp: '192.0.2.2', transport: 'tcp', port: 443, flows: 1 });
      s.markConversation('tls', '192.0.2.1', '192.0.2.2', 443);
      return b;
    }, (s, b) => s.upsertObservation(b, 'dicom', JSON.stringify({ called_ae_title: 'PACS' }), T0 + 5, T0 + 5, 1));
  });

  it('a routed device folded into its router (devices derived from it, its peers)', () => {
    check('merge.db', (s) => {
      const router = s.macDeviceId('02:00:5e:00:61:01', null, false, T0);
      const routed = s.ipDeviceId('198.51.100.9', T0);
      const derived = s.macDeviceId('02:00:5e:00:61:02', null, false, T0);
      s.markDerived(derived, routed, 'hl7', 'OBX-18', 'ORU^R01');
      const peer = s.macDeviceId('02:00:5e:00:61:03', null, false, T0);
      s.upsertObservation(peer, 'dicom', JSON.stringify({ calling_ae_title: 'MODALITY' }), T0, T0, 1);
      s.upsertObservation(router, 'dicom', JSON.stringify({ called_ae_title: 'PACS' }), T0, T0, 1);
      s.upsertEdge({ ...traffic(T0), clientDeviceId: peer, serverDeviceId: routed, clientIp: '192.0.2.3', serverIp: '198.51.100.9', transport: 'tcp', port: 443, flows: 1 });
      s.markConversation('tls', '192.0.2.3', '198.51.100.9', 443);
      return router;
    }, (s, router) => s.reclaimRoutedAddress(router, '198.51.100.9'));
  });

  it('evidence and services moved from one device to another', () => {
    check('move.db', (s) => {
      const from = s.macDeviceId('02:00:5e:00:62:01', null, false, T0);
      const into = s.macDeviceId('02:00:5e:00:62:02', null, false, T0);
      s.upsertObservation(from, 'mdns', JSON.stringify({ hostname: 'moved' }), T0, T0, 1);
      s.upsertService(from, 'tcp', 80, 3, T0, T0);
      return [from, into];
    }, (s, [from, into]) => {
      s.moveObservation(from, into, 'mdns', JSON.stringify({ hostname: 'moved' }), T0, T0, 1);
      s.moveService(from, into, 'tcp', 80, 1, T0, T0);
    });
  });

  it('a router found: its conversations from an address it forwards move to that address\'s own device', () => {
    check('router.db', (s) => {
      const router = s.macDeviceId('02:00:5e:00:64:01', null, false, T0);
      const peer = s.macDeviceId('02:00:5e:00:64:02', null, false, T0);
      s.upsertAddress(router, '198.51.100.20', 4, { traffic: true }, traffic(T0));
      s.upsertObservation(router, 'dicom', JSON.stringify({ called_ae_title: 'PACS' }), T0, T0, 1);
      s.upsertObservation(peer, 'dicom', JSON.stringify({ calling_ae_title: 'MODALITY' }), T0, T0, 1);
      s.upsertEdge({ ...traffic(T0), clientDeviceId: peer, serverDeviceId: router, clientIp: '192.0.2.5', serverIp: '198.51.100.20', transport: 'tcp', port: 443, flows: 1 });
      s.markConversation('tls', '192.0.2.5', '198.51.100.20', 443);
      return router;
    }, (s, router) => s.markRouter(router));
  });

  it('a device found derived from another\'s message', () => {
    check('derived.db', (s) => [s.macDeviceId('02:00:5e:00:63:01', null, false, T0), s.macDeviceId('02:00:5e:00:63:02', null, false, T0)],
      (s, [a, b]) => s.markDerived(b, a, 'hl7', 'OBX-18', null));
  });
});
