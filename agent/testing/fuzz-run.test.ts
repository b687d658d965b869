/**
 * The fuzzer's checks catch what they are there for: a dissector that never returns is a hang (and the
 * run comes back), one that throws is a crash although the registry swallows it, one that keeps patient
 * data is a leak in the database files, the API and the CLI. Each is provoked by wrapping a real
 * dissector for the length of one run, on a real fixture capture. The built executable's outputs are
 * searched too.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../config.js';
import { PACKET_DISSECTORS, STREAM_DISSECTORS } from '../dissectors/index.js';
import type { StreamVerdict } from '../dissectors/types.js';
import { builtinFingerprintsDir, loadLibrary, type Library } from '../identify/index.js';
import { Store } from '../store/store.js';
import { builtCli, checkThroughCli } from './fuzz-cli.js';
import { executeRun, installTripwire } from './fuzz-run.js';

const fixture = (name: string) => readFileSync(join(packageRoot(), 'test-fixtures', name));
let library: Library;
let workDir: string;
beforeAll(() => {
  library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
  workDir = mkdtempSync(join(tmpdir(), 'auscult-fuzz-run-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Run `fn` with dissector `name`'s parse replaced by `wrap(original)`. */
async function withDissector<T>(name: string, wrap: (original: (...args: never[]) => unknown) => (...args: never[]) => unknown, fn: () => Promise<T>): Promise<T> {
  const d = [...PACKET_DISSECTORS, ...STREAM_DISSECTORS].find((x) => x.name === name) as unknown as { parse: (...args: never[]) => unknown };
  const original = d.parse;
  d.parse = wrap(original);
  try {
    return await fn();
  } finally {
    d.parse = original;
  }
}

describe('a fuzzing run', () => {
  it('of a clean capture finds nothing, and searched every output', async () => {
    const r = await executeRun(fixture('hl7-adt.pcap'), { library, workDir, timeoutMs: 60_000 });
    expect(r.findings).toEqual([]);
    expect(r.summary?.dissectors.produced.hl7).toBeGreaterThan(0);
    expect(r.devices).toBeGreaterThan(0);
    // /health, one list page, detail and observations of each device, three formats and one explain each.
    expect(r.outputs).toBe(2 + 2 * r.devices + 3 + r.devices);
  });

  it('reports a dissector that never returns as a hang at ingest, and comes back', async () => {
    const r = await withDissector('lldp', () => () => {
      for (;;);
    }, () => executeRun(fixture('evidence-lldp.pcap'), { library, workDir, timeoutMs: 1_000 }));
    expect(r.findings.map((f) => [f.kind, f.where])).toEqual([['hang', 'ingest']]);
  });

  it('reports a hang as the hang only when the interrupted writer cannot close', async () => {
    // Stuck while the writer iterated a statement, the connection refuses to checkpoint on close.
    const close = Store.prototype.close;
    Store.prototype.close = () => {
      throw new Error('database table is locked');
    };
    try {
      const r = await withDissector('lldp', () => () => {
        for (;;);
      }, () => executeRun(fixture('evidence-lldp.pcap'), { library, workDir, timeoutMs: 1_000 }));
      expect(r.findings.map((f) => [f.kind, f.where])).toEqual([['hang', 'ingest']]);
    } finally {
      Store.prototype.close = close;
    }
  });

  it('reports an exception a dissector throws, which the registry swallows', async () => {
    const thrown = await withDissector('lldp', () => () => {
      throw new TypeError('fuzzed');
    }, async () => {
      const tripwire = installTripwire();
      try {
        const r = await executeRun(fixture('evidence-lldp.pcap'), { library, workDir, timeoutMs: 60_000 });
        expect(r.findings).toEqual([]);
        expect(r.summary?.dissectors.rejected.lldp).toBeGreaterThan(0);
        return tripwire.take();
      } finally {
        tripwire.restore();
      }
    });
    expect(thrown.length).toBeGreaterThan(0);
    expect(thrown[0].dissector).toBe('lldp');
    expect(thrown[0].error).toContain('TypeError: fuzzed');
  });

  it('reports planted patient data kept by a dissector in the database files, the API and the CLI', async () => {
    const r = await withDissector('hl7', (original) => (...args: never[]) => {
      const v = original(...args) as StreamVerdict;
      if (v === null || !v.done) return v;
      return { done: true, observations: v.observations.map((o) => ({ ...o, fields: { ...o.fields, sending_facility: 'DOE^JANE' } })) };
    }, () => executeRun(fixture('hl7-adt.pcap'), { library, workDir, timeoutMs: 60_000 }));
    const where = r.findings.filter((f) => f.kind === 'leak').map((f) => f.where);
    expect(where).toContain('fuzz.db-wal');
    expect(where).toContain('fuzz.db (closed)');
    expect(where.some((w) => /^GET \/api\/v1\/devices\/\d+\/observations$/.test(w))).toBe(true);
    expect(where).toContain('auscult devices --format json');
    expect(where.some((w) => w.startsWith('auscult explain '))).toBe(true);
    expect(r.findings.find((f) => f.kind === 'leak')?.detail).toBe('planted patient data: "DOE^JANE"');
  });
});

const cli = builtCli();
describe.skipIf(cli === null)('a capture through the built executable', () => {
  it('runs read, devices in each format and explain, and finds nothing in a clean capture', () => {
    const r = checkThroughCli(cli as string, fixture('hl7-adt.pcap'), workDir, 60_000);
    expect(r.findings).toEqual([]);
    expect(r.outputs).toBe(1 + 3 + 2);
  });

  it('searches what the executable prints: a planted name in the capture\'s path shows in `read --json`', () => {
    const named = join(workDir, 'ward-DOE^JANE');
    mkdirSync(named);
    const r = checkThroughCli(cli as string, fixture('hl7-adt.pcap'), named, 60_000);
    expect(r.findings.map((f) => [f.kind, f.where])).toContainEqual(['leak', 'auscult read --json --no-progress (stdout)']);
  });
});
if (cli === null) console.log('fuzzing through the executable skipped: dist/agent/cli.js not built (npm test builds it first)');
