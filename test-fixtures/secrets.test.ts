/**
 * An SNMP community is a password: the net-snmp capture carries `hospital-ro` and `hospital-trap`, and
 * neither may reach the database files (main, WAL, shared memory) nor what the API shows.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { Pipeline } from '../agent/pipeline.js';
import { DeviceQuery } from '../agent/store/device-query.js';
import { openDatabase, Store } from '../agent/store/store.js';

const capture = join(import.meta.dirname, 'evidence-snmp.pcap');
const SECRETS = ['hospital-ro', 'hospital-trap'];

describe('secrets never land on disk', () => {
  it('keeps SNMP communities out of the database files and the device objects', async () => {
    // The capture really carries them: the test would prove nothing otherwise.
    const raw = readFileSync(capture).toString('latin1');
    for (const s of SECRETS) expect(raw).toContain(s);
    const dir = mkdtempSync(join(tmpdir(), 'auscult-secrets-'));
    try {
      const dbPath = join(dir, 's.db');
      const store = new Store(dbPath);
      const pipeline = new Pipeline(store);
      await readCaptureFile(capture, pipeline);
      pipeline.finish();
      // Inspect the files while the writer is still open, so the WAL still holds the transactions.
      const files = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(existsSync);
      expect(files.length).toBeGreaterThan(1);
      for (const f of files) for (const s of SECRETS) expect(readFileSync(f).includes(s), `${s} in ${f}`).toBe(false);
      store.close();
      const db = openDatabase(dbPath, { readonly: true });
      const q = new DeviceQuery(db);
      const shown = JSON.stringify([...q.all()].map((d) => [q.get(d.id), q.observations(d.id)]));
      db.close();
      expect(shown).toContain('community_seen');
      for (const s of SECRETS) expect(shown).not.toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
