/**
 * The heap growth bound (README: Memory): V8 honours it when set after start-up, the ingesting
 * commands set it from the flag or the file, and a user's own node flag wins. Peak RSS is measured by
 * `npm run bench` (many devices), not here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, type HeapBound } from './heap.js';
import { pcapBindingMissing, skipReason } from './testing/tools.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const fixture = join(root, 'test-fixtures', 'lan-dhcp.pcap');
let work: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-heap-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `auscult read --json` of one small capture into a new database: its exit code and `heap`. */
function readHeap(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
  const base: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'warn' };
  for (const k of ['AUSCULT_CONFIG', 'AUSCULT_DB', 'NODE_OPTIONS']) delete base[k];
  const db = join(work, `${Math.random().toString(36).slice(2)}.db`);
  const r = spawnSync(process.execPath, [...nodeArgs, cli, 'read', fixture, '--db', db, '--json', '--no-progress', ...args], {
    encoding: 'utf8', cwd: work, env: { ...base, ...env },
  });
  const heap = r.status === 0 ? (JSON.parse(r.stdout) as { heap: HeapBound }).heap : undefined;
  return { code: r.status, stderr: r.stderr, heap };
}

describe('boundHeapGrowth', () => {
  it('leaves a node --heap-growing-percent of the user alone, in either spelling', () => {
    expect(boundHeapGrowth(20, '--max-old-space-size=512 --heap-growing-percent=50')).toMatchObject({ growthPercent: 50, source: 'node' });
    expect(boundHeapGrowth(20, '--heap_growing_percent 7')).toMatchObject({ growthPercent: 7, source: 'node' });
    expect(boundHeapGrowth(20, '--heap-growing-percent=0')).toMatchObject({ growthPercent: 0, source: 'node' });
  });

  it('V8 honours the growth set after start-up: a small growth collects more often', () => {
    // A live set replaced in turn, so that what dies has been promoted: the old generation grows by
    // allocation and each limit reached is a full collection. Counted, not timed.
    const script = `
      import { PerformanceObserver, constants } from 'node:perf_hooks';
      import { boundHeapGrowth } from ${JSON.stringify(join(root, 'dist', 'agent', 'heap.js'))};
      boundHeapGrowth(Number(process.argv[1]), '');
      let major = 0;
      const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++; });
      obs.observe({ entryTypes: ['gc'] });
      const ring = new Array(200000);
      for (let i = 0; i < 4000000; i++) ring[i % ring.length] = { i, s: String(i) };
      setTimeout(() => { obs.disconnect(); process.stdout.write(String(major)); }, 50);`;
    const majors = (percent: number) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, String(percent)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout);
    };
    expect(majors(10)).toBeGreaterThan(majors(1000));
  });
});

describe('the ingesting commands', () => {
  it('read sets the default growth and reports it with V8\'s heap limit in --json', () => {
    const r = readHeap([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.heap).toMatchObject({ growthPercent: DEFAULT_HEAP_GROWTH_PERCENT, source: 'auscult' });
    expect(r.heap!.limitMiB).toBeGreaterThan(256);
  });

  it('takes memory.heap_growth_percent from the file; --heap-growth-percent wins over it', () => {
    const cfg = join(work, 'heap.yaml');
    writeFileSync(cfg, 'memory:\n  heap_growth_percent: 50\n');
    expect(readHeap(['--config', cfg]).heap).toMatchObject({ growthPercent: 50, source: 'auscult' });
    expect(readHeap(['--config', cfg, '--heap-growth-percent', '0']).heap).toMatchObject({ growthPercent: 0, source: 'auscult' });
  });

  it('rejects a growth out of range, on the command line and in the file', () => {
    for (const bad of ['-1', '1001', '1.5', 'lots']) {
      const r = readHeap(['--heap-growth-percent', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--heap-growth-percent must be an integer from 0 to 1000/);
    }
    const cfg = join(work, 'bad-heap.yaml');
    writeFileSync(cfg, 'memory:\n  heap_growth_percent: 2000\n');
    const r = readHeap(['--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}:2: memory.heap_growth_percent: expected an integer from 0 to 1000, found number 2000`);
  });

  it('the user\'s node flags win: node\'s own --heap-growing-percent, and a hard cap in NODE_OPTIONS applies too', () => {
    expect(readHeap(['--heap-growth-percent', '30'], {}, ['--heap-growing-percent=15']).heap).toMatchObject({ growthPercent: 15, source: 'node' });
    // Node itself refuses the growth flag in NODE_OPTIONS (it is no option Node allows there), so a
    // hard cap is what a user sets there; it stays in force beside auscult's growth bound.
    const capped = readHeap([], { NODE_OPTIONS: '--max-old-space-size=200' }).heap!;
    expect(capped).toMatchObject({ growthPercent: DEFAULT_HEAP_GROWTH_PERCENT, source: 'auscult' });
    expect(capped.limitMiB).toBeGreaterThanOrEqual(200);
    expect(capped.limitMiB).toBeLessThan(300);
  });

  const noPcap = skipReason('heap growth of capture and run', pcapBindingMissing());
  it.skipIf(noPcap !== undefined)('capture and run set it before they open the interface, and log it (debug)', () => {
    for (const [command, args, percent] of [['capture', [], DEFAULT_HEAP_GROWTH_PERCENT], ['run', ['--heap-growth-percent', '35', '--port', '0'], 35]] as const) {
      // A filter libpcap rejects ends the command right after the bound is set: no traffic needed.
      const r = spawnSync(process.execPath, [cli, command, '-i', 'lo', '--filter', 'port nonsense', '--db', join(work, `${command}.db`), ...args], {
        encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'debug', AUSCULT_CONFIG: '', NODE_OPTIONS: '' },
      });
      expect(r.status, r.stderr).toBe(2);
      const line = r.stderr.split('\n').find((l) => l.includes('"heap growth"'));
      expect(line, r.stderr).toBeDefined();
      expect((JSON.parse(line!) as { heap: HeapBound }).heap).toMatchObject({ growthPercent: percent, source: 'auscult' });
    }
  });
});
