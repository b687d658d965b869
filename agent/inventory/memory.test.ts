/**
 * Issue 13.4: what ingesting holds in memory is bounded by configuration, and the bounds change nothing
 * but when rows are written: the same devices, traffic and classifications whatever the flushes.
 * (Peak RSS itself is measured by `npm run bench`, never here.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { Pipeline, type PipelineOptions } from '../pipeline.js';
import type { AuscultEvent } from '../export/event.js';
import { IdSet } from '../store/id-set.js';
import { Store } from '../store/store.js';
import { writeManyDevices } from '../tools/many-devices.js';
import { MacIdCache } from './mac-ids.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
/** The smallest bounds the configuration allows, or smaller: flushes by pending rows, a tiny cache. */
const TIGHT: PipelineOptions = { maxPendingRows: 1000, deviceCache: 1024, identifyBatch: 16, flushIntervalMs: 0 };

interface Ingested {
  devices: string[];
  classified: number;
  malformed: Record<string, number>;
  /** device.new events with a MAC: what the events stage's mac.flood meter counts per minute. */
  newMacs: number;
  pending: number;
}

async function ingest(file: string, opts: PipelineOptions): Promise<Ingested> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-memory-'));
  try {
    const store = new Store(join(dir, 'm.db'));
    const pipeline = new Pipeline(store, {
      library: loadLibrary({ builtinDir: builtinFingerprintsDir() }), classifyEveryFlush: false, ...opts,
    });
    let maxPending = 0;
    const flush = pipeline.flush.bind(pipeline);
    pipeline.flush = () => {
      maxPending = Math.max(maxPending, pipeline.inventory.pendingRows);
      flush();
    };
    await readCaptureFile(file, pipeline);
    pipeline.finish();
    pipeline.close();
    const devices = [...store.reader.allDevices()].map((d) => `${d.mac ?? d.ips[0]?.ip} ${d.packets_sent} ${d.packets_received} ${d.category}`).sort();
    const out = {
      devices, classified: store.reader.classificationJsons().size, malformed: pipeline.summary().malformedByReason,
      newMacs: store.reader.events({ afterSeq: 0, limit: 100_000, type: 'device.new' }).filter((e) => (e as AuscultEvent<'device.new'>).details.mac !== null).length,
      pending: maxPending,
    };
    store.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('compact structures', () => {
  it('MacIdCache maps MACs (48-bit) to ids and starts again empty at its bound', () => {
    const c = new MacIdCache(1024);
    const mac = (i: number) => 0x001b21000000 + i * 7919;
    for (let i = 1; i <= 1000; i++) c.set(mac(i), i);
    for (let i = 1; i <= 1000; i++) expect(c.get(mac(i))).toBe(i);
    expect(c.get(0xffffffffffff)).toBe(0);
    for (let i = 1001; i <= 1100; i++) c.set(mac(i), i);
    expect(c.size).toBeLessThanOrEqual(1024);
    expect(c.get(mac(1100))).toBe(1100);
  });

  it('IdSet hands its members over in order and empties', () => {
    const s = new IdSet();
    for (const id of [5000, 1, 33, 32, 31, 100_000]) s.add(id);
    s.delete(33);
    expect([...s.take()]).toEqual([1, 31, 32, 5000, 100_000]);
    expect([...s.take()]).toEqual([]);
  });
});

describe('a MAC flood', () => {
  it('events-macof.pcap (dsniff macof): every flood frame is counted, its sender MAC a device, the same whatever the bounds', async () => {
    const file = join(fixtures, 'events-macof.pcap');
    const loose = await ingest(file, {});
    // Debian's macof writes an IPv4 total length of 20: the TCP header lies beyond the packet, so each
    // frame is malformed, but its sender MAC still counts as a device on the segment (README: Events).
    expect(loose.malformed.truncated_tcp).toBe(201);
    expect(loose.devices).toHaveLength(201);
    expect(loose.newMacs).toBe(201);
    // Flushed every 7 frames, a MAC cache of one entry (it starts again at every new MAC), batches of one.
    const tightest = { ...TIGHT, flushEveryFrames: 7, deviceCache: 1, identifyBatch: 1 };
    expect(await ingest(file, tightest)).toEqual({ ...loose, pending: expect.any(Number) as number });
  });

  it('20,000 new MACs: each one device, classified, the same with the tightest bounds (pending rows flushed at the bound)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-many-'));
    try {
      const file = join(dir, 'many.pcap');
      writeManyDevices(file, 20_000);
      const loose = await ingest(file, {});
      expect(loose.devices).toHaveLength(20_000);
      expect(loose.newMacs).toBe(20_000);
      const tight = await ingest(file, TIGHT);
      expect(tight.devices).toEqual(loose.devices);
      expect(tight.classified).toBe(loose.classified);
      expect(tight.newMacs).toBe(20_000);
      // Checked every 4,096 frames: at most the bound plus what that many frames add (2 rows each here).
      expect(tight.pending).toBeLessThanOrEqual(1000 + 2 * 4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
