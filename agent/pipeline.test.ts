import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from './capture/file-source.js';
import { Pipeline } from './pipeline.js';
import { Store } from './store/store.js';

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
