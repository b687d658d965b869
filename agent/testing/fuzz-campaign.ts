/**
 * Test support for the fuzzer: a campaign of runs until a number of packets has been fed, each run a few
 * rounds of mutated fixture traffic (fuzz-round.ts) checked by fuzz-run.ts. A run with a finding leaves
 * its input in the failures directory as a capture named by seed and run, with the findings beside it,
 * to replay with `auscult read`. The report counts packets, crashes, hangs, leaks and inconsistencies,
 * and how far the mutations reached: malformed frames by reason, and per dissector the packets mutated
 * for it, what it produced, rejected and dropped, and the exceptions it threw.
 *
 * Beyond the per-stage watchdog of fuzz-run.ts, a watchdog thread kills the process (after saving the
 * input) when the main thread stops making progress at all, wherever it is stuck. At the end, the last
 * run's input goes through the built executable too (fuzz-cli.ts), when `npm run build` has made it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { builtCli, checkThroughCli } from './fuzz-cli.js';
import { buildRound, loadCorpus, type Corpus, type RoundTally } from './fuzz-round.js';
import { captureFile } from './fuzz-packet.js';
import { executeRun, installTripwire, type Finding, type FindingKind } from './fuzz-run.js';
import type { CapturedFrame } from './frames.js';
import { Rng } from './rng.js';

export interface CampaignOptions {
  /** The fixture captures (every capture below it). */
  fixtureDir: string;
  /** Packets to feed in all. */
  packets: number;
  seed: number;
  /** Rounds of the whole corpus per run (a run is rounds × corpus packets, the last one cut to the total). */
  roundsPerRun: number;
  /** Wall-clock limit of each stage of a run, ms. */
  timeoutMs: number;
  /** Where failing inputs are written. */
  failuresDir: string;
  /** Called after each run. */
  onRun?: (report: CampaignReport) => void;
}

export interface DissectorReach {
  /** Packets (payloads) mutated for this dissector. */
  mutated: number;
  produced: number;
  rejected: number;
  /** Values its allow-lists dropped. */
  dropped: number;
  /** Exceptions it threw (swallowed by the registry in production). */
  exceptions: number;
  /** Rejections in one round of the unmutated corpus (the reach is what mutation added). */
  baselineRejected: number;
}

export interface SavedFinding extends Finding {
  run: number;
  /** The failing input, replayable with `auscult read`. */
  input: string;
}

export interface CampaignReport {
  seed: number;
  runs: number;
  /** Rounds of the corpus fed (each run has several). */
  rounds: number;
  packets: number;
  /** Mutations applied (payload, framing, stream). */
  mutations: number;
  elapsedMs: number;
  counts: Record<FindingKind, number>;
  /** The first findings of each run that had any (at most 50 kept). */
  findings: SavedFinding[];
  malformedByReason: Record<string, number>;
  dissectors: Record<string, DissectorReach>;
  streams: { directions: number; undecided: number; declined: number; overflow: number };
  ops: Record<string, number>;
  /** API requests and CLI outputs searched. */
  outputs: number;
  /** The last run's input through the built `auscult` executable (fuzz-cli.ts): checked, or not built. */
  executable: 'checked' | 'not built';
  /** The slowest run (ingest and checks), ms, and its number: super-linear work shows here before it hangs. */
  slowestRunMs: number;
  slowestRun: number;
  corpus: { fixtures: number; frames: number };
}

const MAX_KEPT_FINDINGS = 50;
const add = (m: Record<string, number>, k: string, n: number) => (m[k] = (m[k] ?? 0) + n);

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const corpus = await loadCorpus(o.fixtureDir);
  const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
  const workDir = mkdtempSync(join(tmpdir(), 'auscult-fuzz-'));
  const report: CampaignReport = {
    seed: o.seed, runs: 0, rounds: 0, packets: 0, mutations: 0, elapsedMs: 0,
    counts: { crash: 0, hang: 0, leak: 0, inconsistent: 0 }, findings: [], malformedByReason: {}, dissectors: {},
    streams: { directions: 0, undecided: 0, declined: 0, overflow: 0 }, ops: {}, outputs: 0, executable: 'not built', slowestRunMs: 0, slowestRun: -1,
    corpus: { fixtures: corpus.fixtures.length, frames: corpus.frames },
  };
  const tripwire = installTripwire();
  const watchdog = new Watchdog(2 * o.timeoutMs + 30_000, join(workDir, 'current-input'), o.failuresDir, o.seed);
  try {
    await baseline(corpus, library, workDir, o.timeoutMs, report);
    let last: { run: number; file: { bytes: Buffer; ext: string } } | null = null;
    for (let run = 0; report.packets < o.packets; run++) {
      const rng = new Rng(o.seed, run);
      const tally: RoundTally = { mutated: 0, byOp: {}, byProto: {} };
      const rate = rng.pick([0.01, 0.03, 0.1, 0.3]);
      let frames: CapturedFrame[] = [];
      for (let r = 0; r < o.roundsPerRun; r++) frames.push(...buildRound(rng, corpus, r, { mutationRate: rate, framingShare: 0.08 }, tally));
      frames = frames.slice(0, o.packets - report.packets);
      const file = captureFile(frames);
      last = { run, file };
      watchdog.start(run, file.bytes, file.ext);
      const runStarted = performance.now();
      const res = await executeRun(file.bytes, {
        library, workDir, timeoutMs: o.timeoutMs, flushEveryFrames: rng.pick([1_000, 2_500, undefined]), beat: () => watchdog.beat(),
      });
      watchdog.stop();
      if (performance.now() - runStarted > report.slowestRunMs) {
        report.slowestRunMs = performance.now() - runStarted;
        report.slowestRun = run;
      }
      for (const e of tripwire.take()) {
        res.findings.push({ kind: 'crash', where: `dissector ${e.dissector} threw`, detail: e.error });
        reach(report, e.dissector).exceptions++;
      }
      report.runs++;
      report.rounds += o.roundsPerRun;
      report.packets += frames.length;
      report.mutations += tally.mutated;
      report.outputs += res.outputs;
      for (const [k, n] of Object.entries(tally.byOp)) add(report.ops, k, n);
      for (const [k, n] of Object.entries(tally.byProto)) reach(report, k).mutated += n;
      if (res.summary !== null) {
        for (const [k, n] of Object.entries(res.summary.malformedByReason)) add(report.malformedByReason, k, n);
        const d = res.summary.dissectors;
        for (const [k, n] of Object.entries(d.produced)) reach(report, k).produced += n;
        for (const [k, n] of Object.entries(d.rejected)) reach(report, k).rejected += n;
        for (const [k, n] of Object.entries(d.dropped)) reach(report, k).dropped += n;
        for (const k of Object.keys(report.streams) as (keyof CampaignReport['streams'])[]) report.streams[k] += res.summary.streams[k];
      }
      if (res.findings.length > 0) save(o, report, run, file, res.findings);
      report.elapsedMs = performance.now() - started;
      o.onRun?.(report);
    }
    const cli = builtCli();
    if (cli !== null && last !== null) {
      const r = checkThroughCli(cli, last.file.bytes, workDir, o.timeoutMs);
      report.executable = 'checked';
      report.outputs += r.outputs;
      if (r.findings.length > 0) save(o, report, last.run, last.file, r.findings);
    }
  } finally {
    watchdog.close();
    tripwire.restore();
    rmSync(workDir, { recursive: true, force: true });
  }
  report.elapsedMs = performance.now() - started;
  return report;
}

function reach(report: CampaignReport, dissector: string): DissectorReach {
  return (report.dissectors[dissector] ??= { mutated: 0, produced: 0, rejected: 0, dropped: 0, exceptions: 0, baselineRejected: 0 });
}

/** One unmutated round: the rejections it already has are not reach, and it must be clean. */
async function baseline(corpus: Corpus, library: ReturnType<typeof loadLibrary>, workDir: string, timeoutMs: number, report: CampaignReport): Promise<void> {
  const frames = buildRound(new Rng(0), corpus, 0, { mutationRate: 0, framingShare: 0 }, { mutated: 0, byOp: {}, byProto: {} });
  const res = await executeRun(captureFile(frames).bytes, { library, workDir, timeoutMs });
  if (res.findings.length > 0 || res.summary === null) {
    throw new Error(`the unmutated fixtures already fail the checks: ${res.findings.map((f) => `${f.kind} ${f.where}: ${f.detail}`).join('; ')}`);
  }
  for (const [k, n] of Object.entries(res.summary.dissectors.rejected)) reach(report, k).baselineRejected = n;
}

function save(o: CampaignOptions, report: CampaignReport, run: number, file: { bytes: Buffer; ext: string }, findings: Finding[]): void {
  mkdirSync(o.failuresDir, { recursive: true });
  const input = join(o.failuresDir, `fuzz-seed${o.seed}-run${run}.${file.ext}`);
  writeFileSync(input, file.bytes);
  const lines = findings.map((f) => `${f.kind} in ${f.where}\n${f.detail}\n`);
  writeFileSync(`${input}.txt`, `npm run fuzz -- --seed ${o.seed}: run ${run}\nreplay: auscult read --db /tmp/replay.db ${input}\n\n${lines.join('\n')}`);
  for (const f of findings) {
    report.counts[f.kind]++;
    if (report.findings.length < MAX_KEPT_FINDINGS) report.findings.push({ ...f, run, input });
  }
}

/**
 * A thread that watches the main thread's heartbeat: when a run makes no progress for `limitMs` (stuck
 * where no per-stage watchdog reaches), it saves the run's input as a hang, says so on stderr, and kills
 * the process (a JavaScript thread cannot interrupt another that never yields).
 */
class Watchdog {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private readonly worker: Worker;

  constructor(limitMs: number, private readonly inputPath: string, failuresDir: string, seed: number) {
    this.worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { state: this.state, limitMs, inputPath, failuresDir, seed } });
    this.worker.unref();
  }

  /** Run `run` starts; its input is kept on disk while it runs (a hang can leave no other trace). */
  start(run: number, input: Buffer, ext: string): void {
    writeFileSync(this.inputPath, input);
    Atomics.store(this.state, 2, ext === 'pcap' ? 0 : 1);
    Atomics.store(this.state, 0, run + 1);
    this.beat();
  }

  beat(): void {
    Atomics.add(this.state, 1, 1);
  }

  stop(): void {
    Atomics.store(this.state, 0, 0);
  }

  close(): void {
    void this.worker.terminate();
  }
}

/** The watchdog thread (plain JavaScript: it runs from sources under vitest as well as built). */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { state, limitMs, inputPath, failuresDir, seed } = workerData;
let last = -1;
let since = Date.now();
setInterval(() => {
  const beats = Atomics.load(state, 1);
  const run = Atomics.load(state, 0) - 1;
  if (beats !== last || run < 0) {
    last = beats;
    since = Date.now();
    return;
  }
  if (Date.now() - since < limitMs) return;
  fs.mkdirSync(failuresDir, { recursive: true });
  const saved = path.join(failuresDir, 'fuzz-seed' + seed + '-run' + run + '-hang.' + (Atomics.load(state, 2) === 0 ? 'pcap' : 'pcapng'));
  fs.copyFileSync(inputPath, saved);
  fs.writeSync(2, 'fuzz: HANG: seed ' + seed + ' run ' + run + ' made no progress for ' + Math.round((Date.now() - since) / 1000) +
    ' s; input saved to ' + saved + ' (replay: auscult read ' + saved + '); stopping the process\\n');
  process.kill(process.pid, 'SIGKILL');
}, 500);
`;

/** The report as a few readable lines (the `npm run fuzz` summary). */
export function formatReport(r: CampaignReport): string {
  const n = (x: number) => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const lines = [
    `seed ${r.seed}: ${n(r.packets)} packets in ${n(r.runs)} runs (${n(r.mutations)} mutations) in ${(r.elapsedMs / 1000).toFixed(1)} s; corpus ${r.corpus.fixtures} captures, ${n(r.corpus.frames)} frames`,
    `crashes ${r.counts.crash} | hangs ${r.counts.hang} | leaks ${r.counts.leak} | inconsistent databases ${r.counts.inconsistent} | outputs searched ${n(r.outputs)} (the built executable: ${r.executable}) | slowest run ${n(r.slowestRunMs)} ms (run ${r.slowestRun})`,
    `malformed: ${Object.entries(r.malformedByReason).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ') || 'none'}`,
    `streams: ${n(r.streams.directions)} directions, ${n(r.streams.declined)} declined by all, ${n(r.streams.undecided)} undecided, ${n(r.streams.overflow)} overflow`,
    'dissector        mutated   produced   rejected    dropped  exceptions  reached',
  ];
  for (const [name, d] of Object.entries(r.dissectors).sort()) {
    const reached = d.rejected > d.baselineRejected * r.rounds ? 'yes' : d.mutated === 0 ? 'no traffic' : 'NO';
    lines.push(`${name.padEnd(14)} ${n(d.mutated).padStart(9)} ${n(d.produced).padStart(10)} ${n(d.rejected).padStart(10)} ${n(d.dropped).padStart(10)} ${String(d.exceptions).padStart(11)}  ${reached}`);
  }
  for (const f of r.findings) lines.push(`${f.kind.toUpperCase()} run ${f.run} in ${f.where}: ${f.detail.split('\n')[0]} (input: ${f.input})`);
  return lines.join('\n');
}
