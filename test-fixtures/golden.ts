/**
 * Golden-file support (the nDPI habit): every capture in `test-fixtures/` has `<capture>.expected.json`
 * beside it, produced by auscult itself and reviewed. `npm test` compares; `npm run fixtures:update`
 * regenerates them after a deliberate change in behaviour.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { packageRoot } from '../agent/config.js';
import { Pipeline, type PipelineOptions } from '../agent/pipeline.js';
import { builtinFingerprintsDir, loadLibrary, type Library } from '../agent/identify/index.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';

/** The captures with golden files: top-level `*.pcap`, `*.pcapng` (and gzip) in test-fixtures/. */
export function goldenCaptures(dir = fixtureDir()): string[] {
  return readdirSync(dir)
    .filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f))
    .sort();
}

/** test-fixtures/, whether running from sources (vitest) or compiled (the update script). */
export function fixtureDir(): string {
  return join(packageRoot(), 'test-fixtures');
}

export interface GoldenOutput {
  summary: { frames: number; ip_frames: number; fragments: number; malformed: Record<string, number>; unsupported: number; flows: number };
  devices: unknown[];
}

let library: Library | null = null;
/** The built-in signature library (loaded once): golden outputs include the identification. */
function goldenLibrary(): Library {
  library ??= loadLibrary({ builtinDir: builtinFingerprintsDir() });
  return library;
}

/** Ingest one capture into a scratch database and return what users would see of it. */
export async function goldenFor(capturePath: string, opts: PipelineOptions = {}): Promise<GoldenOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-golden-'));
  try {
    const dbPath = join(dir, 'golden.db');
    const store = new Store(dbPath);
    const pipeline = new Pipeline(store, { library: goldenLibrary(), ...opts });
    try {
      await readCaptureFile(capturePath, pipeline);
      pipeline.finish();
    } finally {
      pipeline.close();
    }
    const s = pipeline.summary();
    store.close();
    const reader = StoreReader.open(dbPath);
    const devices = [...reader.allDevices()].map((d) => reader.deviceDetail(d.id));
    reader.close();
    return {
      summary: {
        frames: s.frames, ip_frames: s.ipFrames, fragments: s.fragments, malformed: s.malformedByReason,
        unsupported: s.unsupported, flows: s.flows,
      },
      devices,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
