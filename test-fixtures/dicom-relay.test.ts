/**
 * DICOM role direction (issue 13.6) on dicom-relay.pcap (make-dicom-relay-fixtures.sh): an ultrasound
 * scanner (Philips MAC, dcmtk storescu) stores an image to Orthanc (FUJIFILM MAC), and Orthanc sends the
 * same instance back to a Storage SCP on the scanner's host. The scanner is the EPIQ 7G, Orthanc the
 * archive relaying its images, whatever way the capture is cut into reads and whatever order they come in.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary, type Classification, type Library } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import type { Device } from '../agent/store/device-json.js';
import { Store } from '../agent/store/store.js';

const CAPTURE = join(import.meta.dirname, 'dicom-relay.pcap');
const SCANNER = '7c:94:b2:13:06:20';
const ORTHANC = '84:11:c2:30:13:06';
/** The image's SOP Instance UID (dicom-inputs/us-image.dump). */
const INSTANCE_UID = '2.25.299792458602214076662607015141592653';

/** The classic pcap file cut in two at the first gap of more than a second (between the two stores). */
function splitAtGap(file: Buffer): [Buffer, Buffer] {
  const header = file.subarray(0, 24);
  const records: { at: number; end: number; tsS: number }[] = [];
  for (let p = 24; p + 16 <= file.length;) {
    const len = file.readUInt32LE(p + 8);
    records.push({ at: p, end: p + 16 + len, tsS: file.readUInt32LE(p) + file.readUInt32LE(p + 4) / 1e6 });
    p += 16 + len;
  }
  const cut = records.findIndex((r, i) => i > 0 && r.tsS - records[i - 1].tsS > 1);
  expect(cut).toBeGreaterThan(0);
  const part = (from: number, to: number) => Buffer.concat([header, file.subarray(records[from].at, records[to - 1].end)]);
  return [part(0, cut), part(cut, records.length)];
}

let library: Library;
let work: string;
beforeAll(() => {
  library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
  work = mkdtempSync(join(tmpdir(), 'auscult-relay-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Each file in its own read (its own pipeline, as `auscult read` run once per file), one database. */
async function readEach(db: string, files: string[]): Promise<Map<string, Device>> {
  const store = new Store(db);
  try {
    for (const f of files) {
      const pipeline = new Pipeline(store, { library });
      await readCaptureFile(f, pipeline);
      pipeline.finish();
      pipeline.close();
    }
    return new Map([...store.reader.allDevices()].map((d) => [d.mac ?? '', d]));
  } finally {
    store.close();
  }
}

function expectRoles(devices: Map<string, Device>): void {
  const scanner = devices.get(SCANNER)!;
  const orthanc = devices.get(ORTHANC)!;
  expect([scanner.category, scanner.vendor, scanner.model]).toEqual(['imaging-us', 'Philips', 'EPIQ 7G']);
  expect([orthanc.category, orthanc.vendor, orthanc.model]).toEqual(['pacs', 'Fujifilm', null]);
  const images = (orthanc.classification as unknown as Classification).images!;
  expect(images.attribution).toBe('relayed');
  expect(images.notes).toEqual(['images relayed from Philips EPIQ 7G']);
  expect(images.because.map((b) => b.split(':')[0])).toEqual(['relay', 'archive', 'manufacturer']);
  expect((scanner.classification as unknown as Classification).images).toBeUndefined();
  // The scanner's Storage SCP got only its own image back: no archive vote from it.
  const scannerCategory = (scanner.classification as unknown as Classification).category;
  const against = scannerCategory.alternatives.flatMap((a) => a.signatures);
  for (const id of ['dicom-storage-scp', 'dicom-accepts-many-contexts', 'dicom-image-archive']) expect(against).not.toContain(id);
  // Orthanc is never that modality, model or maker, whatever else it is.
  const orthancModel = (orthanc.classification as unknown as Classification).model;
  expect(orthancModel.alternatives.map((a) => a.value)).not.toContain('EPIQ 7G');
}

describe('dicom-relay.pcap: the modality and the archive that relays its image', () => {
  it('in one read', async () => {
    expectRoles(await readEach(join(work, 'one.db'), [CAPTURE]));
  });

  const [first, second] = splitAtGap(readFileSync(CAPTURE));
  for (const [name, order] of [['in capture order', [first, second]], ['in reverse order', [second, first]]] as const) {
    it(`cut in two files (one association each) read ${name}`, async () => {
      const files = order.map((b, i) => {
        const f = join(work, `${name.replace(/\W+/g, '-')}-${i}.pcap`);
        writeFileSync(f, b);
        return f;
      });
      expectRoles(await readEach(join(work, `${name.replace(/\W+/g, '-')}.db`), files));
    });
  }

  it('keeps the instance UID only as a salted hash (agent/store/instances.test.ts: the salt is per database)', async () => {
    const db = join(work, 'uid.db');
    const digest = createHash('sha256').update(INSTANCE_UID).digest();
    await readEach(db, [CAPTURE]);
    for (const f of [db, `${db}-wal`].filter(existsSync)) {
      const bytes = readFileSync(f);
      expect(bytes.includes(INSTANCE_UID), f).toBe(false);
      expect(bytes.includes(digest.toString('hex')), f).toBe(false);
      expect(bytes.includes(digest.subarray(0, 16)), f).toBe(false);
    }
  });
});
