/**
 * Patient data never lands on disk. The clinical fixtures carry planted patient names, MRNs, birth
 * dates and measurement values (HL7 PID/NK1/PV1/OBX-5, DICOM patient tags, POCT1-A PT/OBS, SDC patient
 * context scopes, IntelliVue patient fields), and the same names in the forms that slip past a filter
 * looking for them: URL-encoded in a vendor's WS-Discovery scope (`DOE%5EJANE`), HL7-escaped in MSH
 * fields (`DOE\S\JANE`, `\X444F455E4A414E45\`), in ISO 2022 escape sequences in DICOM person names;
 * and the UIDs of the images, which identification follows (as salted hashes) from sender to sender.
 * None of them may appear, as sent or decoded, in the SQLite files (database, WAL, shared memory), in
 * the logs of `auscult read` at debug level, or in any API response.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testApp } from '../api/testing/test-app.js';
import { packageRoot } from '../agent/config.js';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { PLANTED, plantedIn } from '../agent/testing/planted.js';

const dir = import.meta.dirname;
const captures = readdirSync(dir).filter((f) => /^(dicom|hl7|poct1a|wsd|intellivue|bacnet)-.*\.pcap$/.test(f)).sort().map((f) => join(dir, f));

describe('patient data never lands on disk', () => {
  it('the fixtures really carry planted patient data (the test would prove nothing otherwise)', () => {
    const carrying = captures.filter((c) => plantedIn(readFileSync(c)).length > 0);
    expect(carrying.length).toBeGreaterThanOrEqual(6);
    const all = new Set(carrying.flatMap((c) => plantedIn(readFileSync(c))));
    for (const p of PLANTED) expect(all.has(p), p).toBe(true);
  });

  it('keeps it out of the database, WAL and shared-memory files and out of every API response', async () => {
    const work = mkdtempSync(join(tmpdir(), 'auscult-patient-'));
    try {
      const dbPath = join(work, 'p.db');
      const store = new Store(dbPath);
      const pipeline = new Pipeline(store, { library: loadLibrary({ builtinDir: builtinFingerprintsDir() }) });
      for (const c of captures) await readCaptureFile(c, pipeline);
      pipeline.finish();
      pipeline.close();
      // Inspect the files while the writer is open, so the WAL still holds the transactions.
      const files = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(existsSync);
      expect(files.length).toBeGreaterThan(1);
      for (const f of files) expect(plantedIn(readFileSync(f)), f).toEqual([]);
      // The clinical facts did arrive: the test is not passing on an empty database.
      const sources = [...store.reader.allDevices()].flatMap((d) => Object.keys(d.evidence));
      for (const s of ['hl7', 'poct1a']) expect(sources).toContain(s);
      // What the allow-lists dropped is counted (by dissector, never the values): the vendor and patient
      // scopes, the escaped MSH fields, the escaped Institution Name.
      const { dropped } = pipeline.summary().dissectors;
      for (const d of ['wsd', 'hl7', 'dicom']) expect(dropped[d], d).toBeGreaterThan(0);
      expect(plantedIn(JSON.stringify(pipeline.summary()))).toEqual([]);
      store.close();

      const reader = StoreReader.open(dbPath);
      const app = await testApp(reader);
      try {
        const bodies: string[] = [];
        let url: string | null = '/api/v1/devices?limit=1000';
        while (url !== null) {
          const r = await app.inject({ url });
          expect(r.statusCode).toBe(200);
          bodies.push(r.body);
          const page = r.json() as { items: { id: number }[]; next_cursor: string | null };
          for (const d of page.items) {
            for (const path of [`/api/v1/devices/${d.id}`, `/api/v1/devices/${d.id}/observations`]) {
              const one = await app.inject({ url: path });
              expect(one.statusCode).toBe(200);
              bodies.push(one.body);
            }
          }
          url = page.next_cursor === null ? null : `/api/v1/devices?limit=1000&cursor=${page.next_cursor}`;
        }
        expect(bodies.join('\n')).toContain('"hl7"');
        for (const b of bodies) expect(plantedIn(b)).toEqual([]);
      } finally {
        await app.close();
        reader.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  const cli = join(packageRoot(), 'dist', 'agent', 'cli.js');
  it.skipIf(!existsSync(cli))('keeps it out of the logs of `auscult read` at debug level', () => {
    const work = mkdtempSync(join(tmpdir(), 'auscult-patient-log-'));
    try {
      const r = spawnSync(process.execPath, [cli, 'read', '--json', '--db', join(work, 'l.db'), ...captures], {
        encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'trace' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(plantedIn(r.stdout + r.stderr)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
