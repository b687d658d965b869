import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from './capture/file-source.js';
import { Pipeline } from './pipeline.js';
import { Store } from './store/store.js';
import { loadFrames } from './testing/frames.js';
import { truncateAndCorrupt } from './testing/fuzz.js';

const fixtures = join(import.meta.dirname, '..', 'test-fixtures');

describe('Pipeline', () => {
  it('flushes early when many distinct observations wait, so a flood cannot grow memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-pipeline-'));
    try {
      const store = new Store(join(dir, 'p.db'));
      const pipeline = new Pipeline(store, { maxPendingObservations: 2 });
      await readCaptureFile(join(fixtures, 'evidence-mdns.pcap'), pipeline);
      // No finish(): whatever is in the database was written by the early flushes.
      const stored = store.db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number };
      expect(stored.n).toBeGreaterThan(0);
      expect(pipeline.dissection.pending).toBeLessThan(2);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Pipeline flush triggers', () => {
  /** Feed a fixture's frames again and again, `total` frames in all, without finish(). */
  async function feed(opts: ConstructorParameters<typeof Pipeline>[1], total: number): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-pipeline-flush-'));
    try {
      const store = new Store(join(dir, 'f.db'));
      const pipeline = new Pipeline(store, opts);
      const frames = await loadFrames(join(fixtures, 'lan-http.pcap'));
      for (let n = 0; n < total; ) {
        for (const f of frames) {
          if (n++ === total) break;
          pipeline.frame(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
        }
      }
      // Whatever the database holds was written by a flush during the feed.
      const devices = store.deviceCount();
      store.close();
      return devices;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('flushes when the inventory holds maxPendingRows rows (checked every 65,536 frames)', async () => {
    expect(await feed({ maxPendingRows: 1, flushIntervalMs: 0 }, 70_000)).toBeGreaterThan(0);
    expect(await feed({ maxPendingRows: 1, flushIntervalMs: 0 }, 60_000)).toBe(0);
  });

  it('flushes after flushIntervalMs of wall-clock time, and not before', async () => {
    expect(await feed({ flushIntervalMs: 1 }, 70_000)).toBeGreaterThan(0);
    expect(await feed({ flushIntervalMs: 3_600_000 }, 70_000)).toBe(0);
  });
});

describe('Pipeline on malformed clinical traffic', () => {
  it('counts what the clinical dissectors reject and keeps going: truncated and corrupted PDUs and messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-pipeline-bad-'));
    try {
      const store = new Store(join(dir, 'b.db'));
      const pipeline = new Pipeline(store, { maxFlows: 4096 });
      for (const capture of ['dicom-store.pcap', 'hl7-adt.pcap', 'poct1a-hello.pcap', 'wsd-sdc.pcap', 'bacnet-ip.pcap']) {
        const frames = await loadFrames(join(fixtures, capture));
        truncateAndCorrupt(frames, 11, (f, bytes) => pipeline.frame(bytes, 0, bytes.length, f.wireLen, f.tsMicros, f.linkType), 40);
      }
      pipeline.finish();
      pipeline.close();
      const s = pipeline.summary();
      expect(s.malformed).toBeGreaterThan(0);
      for (const d of ['dicom', 'hl7', 'poct1a', 'wsd', 'bacnet']) expect(s.dissectors.rejected[d], d).toBeGreaterThan(0);
      // The intact copies of each frame (the full-length truncation) were read as before.
      for (const d of ['dicom', 'hl7', 'poct1a', 'wsd', 'bacnet']) expect(s.dissectors.produced[d], d).toBeGreaterThan(0);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
