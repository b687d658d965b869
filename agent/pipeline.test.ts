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
