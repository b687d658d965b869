/**
 * `npm run bench`: whole-process throughput of `auscult read` beside `tcpdump -r F -w /dev/null` and
 * `ndpiReader -q -i F` on the same files in the same run: the public bench captures in
 * ../shared/corpus/bench/ and one large file made by concatenating them (>= 1.5 M packets). Both tools
 * also read a file twice as long: auscult's peak RSS on it shows memory levels off, and what its second
 * half adds gives each tool's steady-state packets/s. auscult's own account of its time on the large file
 * (packets, database writes, identification; start-up is the rest of the wall time) and a warm-up run
 * (agent/tools/warmup.ts: the bench files read three times in one process) show where the time goes.
 * Wall time and peak RSS come from GNU time (wait4 rusage); each command runs RUNS times, median kept.
 *
 * Many devices (issue 13.4): captures of 100,000 and 1,000,000 new source MACs, generated here into the
 * temporary directory (agent/tools/many-devices.ts), read BENCH_MANY_RUNS times (default 1): peak RSS
 * against the 300 MB bound, and time. BENCH_ONLY=many runs only this part; BENCH_ONLY=files skips it.
 * BENCH_MANY_ARGS adds flags to those reads (`--heap-growth-percent 0`: V8's own heap growth).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadSummary } from '../commands/read.js';
import { packageRoot, thousands } from '../config.js';
import { writeManyDevices } from './many-devices.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MANY_RUNS = Number(process.env.BENCH_MANY_RUNS ?? 1);
const ONLY = process.env.BENCH_ONLY ?? '';
const MANY_ARGS = (process.env.BENCH_MANY_ARGS ?? '').split(/\s+/).filter(Boolean);
const MANY_DEVICES = [100_000, 1_000_000];
const MANY_RSS_BOUND_MB = 300;
const LARGE_MIN_PACKETS = 1_500_000;
const TIME = '/usr/bin/time';

interface Measure {
  wallS: number;
  peakRssMb: number;
  /** CPU time, user + sys (what a loaded machine does not inflate much, unlike wall time). */
  cpuS?: number;
  /** auscult only: its own account of the run (`auscult read --json`): elapsed and where it went. */
  split?: Split;
}

type Split = Pick<ReadSummary, 'elapsedMs' | 'timingsMs'>;

interface Row {
  tool: string;
  file: string;
  packets: number;
  sizeMb: number;
  m: Measure;
}

function timed(cmd: string, args: string[]): Measure & { stdout: string } {
  const r = spawnSync(TIME, ['-f', 'BENCH %e %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = (r.stderr ?? '').split('\n').reverse().find((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr ?? '').slice(-500)}`);
  const [, wall, rssKb, user, sys] = line.split(' ');
  return { wallS: Number(wall), peakRssMb: Number(rssKb) / 1024, cpuS: Number(user) + Number(sys), stdout: r.stdout };
}

function median(ms: Measure[]): Measure {
  const sorted = [...ms].sort((a, b) => a.wallS - b.wallS);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return { wallS: mid.wallS, peakRssMb: Math.max(...ms.map((m) => m.peakRssMb)), cpuS: mid.cpuS, split: mid.split };
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Concatenate classic pcap files (same link type) `times` times into one capture. */
function concatenate(files: string[], out: string, times: number): void {
  const heads = files.map((f) => readFileSync(f).subarray(0, 24));
  for (const h of heads) {
    if (h.readUInt32LE(0) !== 0xa1b2c3d4 || h.readUInt32LE(20) !== heads[0].readUInt32LE(20)) {
      throw new Error('bench files must be little-endian microsecond pcap with one link type');
    }
  }
  const fd = openSync(out, 'w');
  try {
    writeSync(fd, heads[0]);
    for (let i = 0; i < times; i++) for (const f of files) writeSync(fd, readFileSync(f).subarray(24));
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const root = packageRoot();
  const benchDir = join(root, '..', 'shared', 'corpus', 'bench');
  if (!existsSync(benchDir)) {
    process.stdout.write(`bench: skipped: ${benchDir} not found (the shared corpus sits beside the checkout)\n`);
    return;
  }
  for (const tool of ['tcpdump', 'ndpiReader', TIME]) {
    if (!have(tool)) throw new Error(`bench needs ${tool}: apt-get install tcpdump libndpi-bin time`);
  }
  const cli = join(root, 'dist', 'agent', 'cli.js');
  // Run it as the executable runs: with the node flags of its first line (`#!/usr/bin/env -S node ...`).
  const nodeFlags = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(cli, 'utf8').split('\n', 1)[0])?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  if (ONLY === 'many') {
    manyDevices(nodeFlags, cli);
    return;
  }
  const files = readdirSync(benchDir).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(benchDir, f));
  const work = mkdtempSync(join(tmpdir(), 'auscult-bench-'));
  try {
    const packetsOf = new Map<string, number>();
    const auscult = (file: string): Measure => {
      const runs: Measure[] = [];
      for (let i = 0; i < RUNS; i++) {
        const db = join(work, 'bench.db');
        for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
        const r = timed(process.execPath, [...nodeFlags, cli, 'read', file, '--db', db, '--json', '--no-progress']);
        const summary = JSON.parse(r.stdout) as Split & { frames: number };
        packetsOf.set(file, summary.frames);
        runs.push({ wallS: r.wallS, peakRssMb: r.peakRssMb, split: { elapsedMs: summary.elapsedMs, timingsMs: summary.timingsMs } });
      }
      return median(runs);
    };
    const repeat = (cmd: string, args: string[]): Measure => median(Array.from({ length: RUNS }, () => timed(cmd, args)));

    const setPackets = files.reduce((n, f) => {
      auscult(f);
      return n + (packetsOf.get(f) ?? 0);
    }, 0);
    const copies = Math.ceil(LARGE_MIN_PACKETS / setPackets);
    const large = join(work, 'large.pcap');
    concatenate(files, large, copies);
    // Memory must level off with file size: the same data at twice the large file's length. The same
    // file also gives the steady-state rate: what the second half costs beyond the large file.
    const double = join(work, 'double.pcap');
    concatenate(files, double, 2 * copies);
    const doubleAuscult = auscult(double);
    const doubleNdpi = repeat('ndpiReader', ['-q', '-i', double]);
    const doublePackets = packetsOf.get(double)!;
    rmSync(double, { force: true });

    const rows: Row[] = [];
    for (const file of [...files, large]) {
      const sizeMb = statSync(file).size / 1e6;
      const name = file === large ? `large (${files.length} files concatenated)` : file.split('/').pop()!;
      const a = auscult(file);
      const packets = packetsOf.get(file)!;
      rows.push({ tool: 'auscult read', file: name, packets, sizeMb, m: a });
      rows.push({ tool: 'tcpdump -r -w /dev/null', file: name, packets, sizeMb, m: repeat('tcpdump', ['-r', file, '-w', '/dev/null']) });
      rows.push({ tool: 'ndpiReader -q -i', file: name, packets, sizeMb, m: repeat('ndpiReader', ['-q', '-i', file]) });
    }
    // JIT warm-up: the bench files once, read three times in one process (each into a new database).
    const set = join(work, 'set.pcap');
    concatenate(files, set, 1);
    const warm = warmup(nodeFlags, root, set);
    const setNdpi = repeat('ndpiReader', ['-q', '-i', set]);
    report(rows, { packets: doublePackets, auscult: doubleAuscult, ndpi: doubleNdpi }, { rounds: warm, ndpi: setNdpi });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (ONLY !== 'files') manyDevices(nodeFlags, cli);
}

/** `auscult read` of generated captures with MANY_DEVICES new source MACs: peak RSS and time. */
function manyDevices(nodeFlags: string[], cli: string): void {
  const work = mkdtempSync(join(tmpdir(), 'auscult-bench-many-'));
  const out = [
    '',
    `many devices: one TCP SYN from each of N new source MACs (agent/tools/many-devices.ts); runs per size: ${MANY_RUNS} (median wall, max RSS)` +
      (MANY_ARGS.length > 0 ? `; read with ${MANY_ARGS.join(' ')}` : ''),
    '',
    '| devices | packets | MB | wall s | CPU s (user+sys) | database writes s | identification s | heap growth % | peak RSS MB | RSS bound |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  try {
    for (const n of MANY_DEVICES) {
      const file = join(work, `many-${n}.pcap`);
      const packets = writeManyDevices(file, n);
      const sizeMb = statSync(file).size / 1e6;
      const runs: (Measure & { devices: number; heapGrowth: string })[] = [];
      for (let i = 0; i < MANY_RUNS; i++) {
        const db = join(work, 'many.db');
        for (const x of ['', '-wal', '-shm']) rmSync(db + x, { force: true });
        const r = timed(process.execPath, [...nodeFlags, cli, 'read', file, '--db', db, '--json', '--no-progress', ...MANY_ARGS]);
        const summary = JSON.parse(r.stdout) as Split & { devices: { total: number }; heap?: { growthPercent: number } };
        // 0, or no `heap` at all (a build before the bound): V8's own growth.
        const heapGrowth = summary.heap === undefined || summary.heap.growthPercent === 0 ? 'V8' : String(summary.heap.growthPercent);
        runs.push({ ...r, split: { elapsedMs: summary.elapsedMs, timingsMs: summary.timingsMs }, devices: summary.devices.total, heapGrowth });
      }
      rmSync(file, { force: true });
      const m = median(runs);
      const s = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(1);
      out.push(
        `| ${thousands(runs[0].devices)} | ${thousands(packets)} | ${sizeMb.toFixed(1)} | ${m.wallS.toFixed(1)} | ${(m.cpuS ?? 0).toFixed(1)} | ${s(m.split?.timingsMs.store)} | ` +
          `${s(m.split?.timingsMs.identification)} | ${runs[0].heapGrowth} | ${m.peakRssMb.toFixed(0)} | ≤ ${MANY_RSS_BOUND_MB} MB: ${m.peakRssMb <= MANY_RSS_BOUND_MB ? 'met' : 'MISSED'} |`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** One line of agent/tools/warmup.js. */
interface WarmRound extends Split {
  round: number;
  frames: number;
}

/** agent/tools/warmup.js on `file`, RUNS times: per round, the run whose elapsed time is the median. */
function warmup(nodeFlags: string[], root: string, file: string): WarmRound[] {
  const tool = join(root, 'dist', 'agent', 'tools', 'warmup.js');
  const runs = Array.from({ length: RUNS }, () => {
    const r = spawnSync(process.execPath, [...nodeFlags, tool, file, '3'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`warmup failed (${r.status}): ${(r.stderr ?? '').slice(-500)}`);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as WarmRound);
  });
  return runs[0].map((_, i) => {
    const sorted = runs.map((r) => r[i]).sort((a, b) => a.elapsedMs - b.elapsedMs);
    return sorted[Math.floor(sorted.length / 2)];
  });
}

interface Warm {
  rounds: WarmRound[];
  ndpi: Measure;
}

interface Double {
  packets: number;
  auscult: Measure;
  ndpi: Measure;
}

function report(rows: Row[], double: Double, warm: Warm): void {
  const doubleRss = double.auscult.peakRssMb;
  const out: string[] = [
    `runs per command: ${RUNS} (median wall time, max peak RSS); whole-process figures`,
    '',
    '| file | tool | packets | MB | wall s | packets/s | MB/s | peak RSS MB | packets/s vs ndpiReader |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ndpi = rows.find((x) => x.file === r.file && x.tool.startsWith('ndpiReader'))!;
    const pps = r.packets / r.m.wallS;
    const ratio = pps / (ndpi.packets / ndpi.m.wallS);
    out.push(
      `| ${r.file} | ${r.tool} | ${thousands(r.packets)} | ${r.sizeMb.toFixed(1)} | ${r.m.wallS.toFixed(2)} | ` +
        `${thousands(pps)} | ${(r.sizeMb / r.m.wallS).toFixed(1)} | ${r.m.peakRssMb.toFixed(0)} | ${ratio.toFixed(2)}x |`,
    );
  }
  const ours = rows.filter((r) => r.tool === 'auscult read');
  const large = ours[ours.length - 1];
  const largeNdpi = rows.find((r) => r.file === large.file && r.tool.startsWith('ndpiReader'))!;
  const verdict = [
    '',
    `large file: auscult ${thousands(large.packets / large.m.wallS)} packets/s vs ndpiReader ` +
      `${thousands(largeNdpi.packets / largeNdpi.m.wallS)} packets/s: ` +
      `${large.m.wallS <= largeNdpi.m.wallS ? 'target met' : 'TARGET MISSED'}`,
    split(large, largeNdpi),
    steadyState(large, largeNdpi, double),
    warmLine(warm),
    `peak RSS on the large file ${large.m.peakRssMb.toFixed(0)} MB (target < 300 MB: ${large.m.peakRssMb < 300 ? 'met' : 'MISSED'}); ` +
      `on a file twice as long ${doubleRss.toFixed(0)} MB (flat in file size: ${doubleRss < large.m.peakRssMb * 1.15 ? 'yes' : 'NO'})`,
  ];
  process.stdout.write([...out, ...verdict].join('\n') + '\n');
}

/** Where auscult's wall time on the large file went, by its own account, beside ndpiReader's whole run. */
function split(large: Row, largeNdpi: Row): string {
  const sp = large.m.split;
  if (sp === undefined) return '';
  const s = (ms: number) => (ms / 1000).toFixed(2);
  return (
    `auscult's ${large.m.wallS.toFixed(2)} s on the large file: start-up and exit ${s(large.m.wallS * 1000 - sp.elapsedMs)} s, ` +
    `packets ${s(sp.timingsMs.packets)} s, database writes ${s(sp.timingsMs.store)} s, identification ${s(sp.timingsMs.identification)} s ` +
    `(ndpiReader's whole run ${largeNdpi.m.wallS.toFixed(2)} s)`
  );
}

/** The same capture read three times in one process: what the first round pays for a cold JIT. */
function warmLine(warm: Warm): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const r = (w: WarmRound) =>
    `round ${w.round}: packets ${s(w.timingsMs.packets)} s, database writes ${s(w.timingsMs.store)} s, identification ${s(w.timingsMs.identification)} s`;
  return (
    `JIT warm-up: the bench files once (${thousands(warm.rounds[0].frames)} packets) read 3 times in one process, each into a new ` +
    `database: ${warm.rounds.map(r).join('; ')} (ndpiReader's whole run on that file ${warm.ndpi.wallS.toFixed(2)} s)`
  );
}

/**
 * Packets/s of the second half of the double file: (its packets less the large file's) over (its wall
 * time less the large file's). Start-up, JIT warm-up, the final write and identification cancel out,
 * leaving the rate a long-running capture sees. Reported beside the whole-process target, not instead of it.
 */
function steadyState(large: Row, largeNdpi: Row, double: Double): string {
  const extra = double.packets - large.packets;
  const oursS = double.auscult.wallS - large.m.wallS;
  const theirsS = double.ndpi.wallS - largeNdpi.m.wallS;
  if (oursS <= 0 || theirsS <= 0) return 'steady state: not measurable (the double file did not take longer than the large one)';
  const ours = extra / oursS;
  const theirs = extra / theirsS;
  return (
    `steady state (the second half of a file twice as long): auscult ${thousands(ours)} packets/s vs ndpiReader ` +
    `${thousands(theirs)} packets/s (${(ours / theirs).toFixed(2)}x)`
  );
}

main();
