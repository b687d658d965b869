/**
 * `npm run bench:api`: the API at 100 k devices. Generates a capture of BENCH_API_DEVICES devices
 * (synthetic-capture.ts) in a temp dir, ingests it with `auscult read`, starts `auscult serve` on it in
 * its own process, and drives each route with autocannon (its own process) at a fixed BENCH_API_RATE
 * requests/s for BENCH_API_SECONDS, after BENCH_API_WARMUP seconds of the same load unmeasured (JIT,
 * the route's first answer, a miss): p50/p99/max latency, requests/s achieved, non-2xx, and the
 * server's CPU time per request during the measurement, per route against the issue's targets.
 * The server is pinned to CPU 0 and autocannon and this process to the others (bench-cpus.ts), so the
 * client's work (parsing 240 MB/s of answers) does not queue behind the server's on the same core; the
 * load average is printed before and after each route, and a loaded machine is said to be one.
 * Then times a full catch-up of the change feed from 0 (pages of 1,000, the most the API gives).
 * Every request carries a bearer token with scope read, made on the bench database; the server's
 * per-token rate limit is raised to BENCH_API_RATE_LIMIT a minute (so its cost is measured, as in a
 * deployment that allows a SIEM this much; 0 turns it off). Nothing big stays on disk.
 * Before the load, a serial pass (bench-api-cases.ts): BENCH_API_SERIAL requests per route one after
 * another, latency and CPU ms per request, the figure a shared machine measures reliably.
 * `--db FILE` uses an existing database instead of generating one (it is left in place; the bench
 * adds its tokens to it); `--serial-only` stops after the serial pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, thousands } from '../config.js';
import { StoreReader } from '../store/reader.js';
import { writeSyntheticCapture } from './synthetic-capture.js';
import { benchCases, catchUp, cpuSecondsOf, serialPass, serialTable, type BenchCase } from './bench-api-cases.js';
import { cpuPlan, formatLoad, loadAverages, onCpus, pinSelf, QUIET_LOAD } from './bench-cpus.js';
import { benchToken, startBenchServer } from './bench-db.js';

const DEVICES = Number(process.env.BENCH_API_DEVICES ?? 100_000);
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_API_WARMUP ?? 3);
const RATE_LIMIT_PER_MINUTE = Number(process.env.BENCH_API_RATE_LIMIT ?? 6_000_000);
const SERIAL_REQUESTS = Number(process.env.BENCH_API_SERIAL ?? 200);
const CATCH_UP_TARGET_S = 5;

interface Load { p50: number; p99: number; max: number; rps: number; requests: number; non2xx: number; errors: number }
interface Measured extends BenchCase, Load { cpuMsPerRequest: number; loadBefore: number[]; loadAfter: number[] }

/** autocannon in its own process on `cpus`, at RATE requests/s over CONNECTIONS connections for `seconds`. */
function autocannon(url: string, token: string, seconds: number, cpus: string | undefined): Load {
  const bin = join(createRequire(import.meta.url).resolve('autocannon/package.json'), '..', 'autocannon.js');
  const [command, args] = onCpus(cpus, process.execPath,
    [bin, '-j', '-H', `authorization=Bearer ${token}`, '-c', String(CONNECTIONS), '-d', String(seconds), '--overallRate', String(RATE), url]);
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as {
    latency: { p50: number; p99: number; max: number }; requests: { average: number; total: number }; non2xx: number; errors: number; timeouts: number;
  };
  return { p50: j.latency.p50, p99: j.latency.p99, max: j.latency.max, rps: j.requests.average, requests: j.requests.total, non2xx: j.non2xx, errors: j.errors + j.timeouts };
}

/** One route: warm-up load unmeasured, then the measured load with the server's CPU time and the load average around it. */
function measure(c: BenchCase, url: string, token: string, pid: number, cpus: string | undefined): Measured {
  if (WARMUP_SECONDS > 0) autocannon(url + c.path, token, WARMUP_SECONDS, cpus);
  const loadBefore = loadAverages();
  const cpu0 = cpuSecondsOf(pid);
  const m = autocannon(url + c.path, token, SECONDS, cpus);
  const cpuMsPerRequest = ((cpuSecondsOf(pid) - cpu0) * 1000) / Math.max(1, m.requests);
  return { ...c, ...m, cpuMsPerRequest, loadBefore, loadAfter: loadAverages() };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Generate the synthetic capture in `dir` and ingest it into `db` with `auscult read`. */
async function buildDatabase(cli: string, dir: string, db: string): Promise<void> {
  const pcap = join(dir, 'synthetic.pcap');
  let t = performance.now();
  const packets = await writeSyntheticCapture(pcap, DEVICES);
  process.stdout.write(`capture: ${thousands(DEVICES)} devices, ${thousands(packets)} packets (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
  t = performance.now();
  const read = spawnSync(process.execPath, [cli, 'read', pcap, '--db', db, '--no-progress', '--json'], {
    encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024,
  });
  if (read.status !== 0) throw new Error(`auscult read failed: ${read.stderr}`);
  process.stdout.write(`ingest: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

async function main(): Promise<void> {
  const plan = cpuPlan();
  const root = packageRoot();
  const cli = join(root, 'dist', 'agent', 'cli.js');
  const given = argValue('--db');
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-api-'));
  try {
    const db = given ?? join(dir, 'bench.db');
    if (given === undefined) await buildDatabase(cli, dir, db);
    // After the ingest (which uses every core): the bench's own work (the serial pass's client, the
    // catch-up's JSON parsing) stays off the server's core.
    pinSelf(plan.load);
    const reader = StoreReader.open(db);
    const devices = reader.deviceCount();
    const { byCategory } = reader.classificationSummary();
    const cases = benchCases(reader, devices);
    reader.close();
    process.stdout.write(`database: ${thousands(devices)} devices; categories ${JSON.stringify(byCategory)}\n`);
    process.stdout.write(`machine: ${plan.note}; load average ${formatLoad(loadAverages())}${loadAverages()[0] > QUIET_LOAD ? ` (LOADED: above ${QUIET_LOAD})` : ''}\n`);
    for (const cache of [false, true]) {
      const o = { requests: SERIAL_REQUESTS, cache, catchUp: cache, serverCpus: plan.server };
      const before = loadAverages();
      process.stdout.write(serialTable(await serialPass(cli, db, cases, o), o));
      process.stdout.write(`load average ${formatLoad(before)} -> ${formatLoad(loadAverages())}\n`);
    }
    if (process.argv.includes('--serial-only')) return;
    const token = benchToken(db, 'bench-api-load');

    const server = await startBenchServer(db, [], { cpus: plan.server, rateLimitPerMinute: RATE_LIMIT_PER_MINUTE });
    const results: Measured[] = [];
    try {
      for (const c of cases) {
        const m = measure(c, server.url, token, server.pid, plan.load);
        results.push(m);
        process.stdout.write(`${c.name}: p99 ${m.p99} ms, ${m.rps.toFixed(0)} req/s, server CPU ${m.cpuMsPerRequest.toFixed(3)} ms/request; load ${formatLoad(m.loadBefore)} -> ${formatLoad(m.loadAfter)}\n`);
      }
      const feedLoad = loadAverages();
      const cpu0 = cpuSecondsOf(server.pid);
      const feed = await catchUp(server.url, token);
      const feedCpu = cpuSecondsOf(server.pid) - cpu0;
      process.stdout.write('\n| route | target p99 ms | p50 ms | p99 ms | max ms | req/s | non-2xx | errors | server CPU ms / request | load before → after | met |\n');
      process.stdout.write('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n');
      for (const r of results) {
        const met = r.p99 <= r.targetMs && r.non2xx === 0 && r.errors === 0 && r.rps >= RATE * 0.95;
        process.stdout.write(`| ${r.name} (\`${r.path.replace(/\|/g, '%7C')}\`) | ${r.targetMs} | ${r.p50} | ${r.p99} | ${r.max} | ${r.rps.toFixed(0)} | ${r.non2xx} | ${r.errors} | ` +
          `${r.cpuMsPerRequest.toFixed(3)} | ${r.loadBefore[0].toFixed(2)} → ${r.loadAfter[0].toFixed(2)} | ${met ? 'yes' : 'no'} |\n`);
      }
      process.stdout.write(`\nfeed catch-up from 0: ${thousands(feed.items)} items in ${feed.pages} pages of up to 1,000, ${feed.seconds.toFixed(2)} s, server CPU ${feedCpu.toFixed(2)} s ` +
        `(target ${CATCH_UP_TARGET_S} s: ${feed.seconds <= CATCH_UP_TARGET_S ? 'met' : 'not met'}); load ${formatLoad(feedLoad)} -> ${formatLoad(loadAverages())}\n`);
      process.stdout.write(`load: ${RATE} req/s for ${SECONDS} s per route after ${WARMUP_SECONDS} s of warm-up, ${CONNECTIONS} connections (autocannon --overallRate); ` +
        `rate limit ${RATE_LIMIT_PER_MINUTE > 0 ? `${thousands(RATE_LIMIT_PER_MINUTE)} a minute per token` : 'off'}; ${plan.note}\n`);
      const loaded = results.filter((r) => r.loadBefore[0] > QUIET_LOAD || r.loadAfter[0] > QUIET_LOAD).length;
      if (loaded > 0) {
        process.stdout.write(`THE MACHINE WAS LOADED: 1-minute load average above ${QUIET_LOAD} around ${loaded} of ${results.length} routes; ` +
          'latencies include other processes\' work (the server CPU per request holds better). Run again on a quiet machine for the official figures.\n');
      }
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
