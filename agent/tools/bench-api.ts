/**
 * `npm run bench:api`: the API at 100 k devices. Generates a capture of BENCH_API_DEVICES devices
 * (synthetic-capture.ts) in a temp dir, ingests it with `auscult read`, starts `auscult serve` on it in
 * its own process, and per route: BENCH_API_WARMUP seconds of load unmeasured (JIT, the route's first
 * answer, a miss), then BENCH_API_SECONDS measured with wrk (bench-wrk.ts: C, paced at exactly
 * BENCH_API_RATE requests/s overall by bench-api-wrk.lua): p50/p90/p99/p99.9/max latency, the rate
 * achieved, sends behind schedule, HTTP errors, socket errors, and the server's CPU time per request,
 * against the issue's targets (`met`). Then BENCH_API_AUTOCANNON_SECONDS (default the same; 0: not run)
 * of autocannon's `--overallRate` on the warm route, reported in its own table as what it is: bursts
 * (mcollina/autocannon#174) from a client whose own CPU shows in its latency.
 * After the routes, the same wrk load on a control (bench-control-server.ts: plain node:http sending a
 * fixed buffer the size of the largest, then the smallest answer; BENCH_API_CONTROL=0 leaves it out):
 * the floor the machine gives at that moment, so a loaded run can be read.
 * The server is pinned to CPU 0 and the clients and this process to the others (bench-cpus.ts), so the
 * client's work does not queue behind the server's on the same core; the load average is printed
 * before and after each route, and a loaded machine is said to be one.
 * Then times a full catch-up of the change feed from 0 (pages of 1,000, the most the API gives).
 * Every request carries a bearer token with scope read, made on the bench database; the server's
 * per-token rate limit is raised to BENCH_API_RATE_LIMIT a minute (so its cost is measured, as in a
 * deployment that allows a SIEM this much; 0 turns it off). Nothing big stays on disk.
 * The servers (auscult's and the control) run in a network namespace of their own, reached over a veth
 * pair with an Ethernet MTU (bench-netns.ts): the path a SIEM polling the sensor takes, without the
 * loopback's 64 KB MTU and its delayed-ACK stalls. Without root or `ip`, or BENCH_API_NET=loopback:
 * on the loopback, said in the output's `network:` line.
 * Before the load, a serial pass (bench-api-cases.ts): BENCH_API_SERIAL requests per route one after
 * another, latency and CPU ms per request, the figure a shared machine measures reliably.
 * `--db FILE` uses an existing database instead of generating one (it is left in place; the bench
 * adds its tokens to it); `--serial-only` stops after the serial pass (and needs no wrk). */
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
import { startControlServer } from './bench-control-server.js';
import { benchCliArgs, benchToken, startBenchServer } from './bench-db.js';
import { openBenchNet, type BenchNet } from './bench-netns.js';
import { metTarget, runWrk, WRK_TIMEOUT_S, wrkMissing, type WrkResult } from './bench-wrk.js';

const DEVICES = Number(process.env.BENCH_API_DEVICES ?? 100_000);
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_API_WARMUP ?? 3);
const AUTOCANNON_SECONDS = Number(process.env.BENCH_API_AUTOCANNON_SECONDS ?? SECONDS);
/** BENCH_API_CONTROL=0 leaves out the control runs (bench-control-server.ts). */
const CONTROL = process.env.BENCH_API_CONTROL !== '0';
const RATE_LIMIT_PER_MINUTE = Number(process.env.BENCH_API_RATE_LIMIT ?? 6_000_000);
const SERIAL_REQUESTS = Number(process.env.BENCH_API_SERIAL ?? 200);
const CATCH_UP_TARGET_S = 5;

interface Load { p50: number; p99: number; max: number; rps: number; requests: number; non2xx: number; errors: number }
/** Around one measured run: the server's CPU time per request and the 1-minute load average before and after. */
interface Around { cpuMsPerRequest: number; loadBefore: number[]; loadAfter: number[] }
interface Measured extends BenchCase { wrk: WrkResult & Around; autocannon: (Load & Around) | null }

/** autocannon's command-line script; throws naming the fix when it is not installed (a devDependency). */
function autocannonBin(): string {
  try {
    return join(createRequire(import.meta.url).resolve('autocannon/package.json'), '..', 'autocannon.js');
  } catch {
    throw new Error('autocannon (a devDependency) is not installed: run `npm ci`, or BENCH_API_AUTOCANNON_SECONDS=0 to leave it out');
  }
}

/** autocannon in its own process on `cpus`, at RATE requests/s over CONNECTIONS connections for `seconds`. */
function autocannon(url: string, token: string, seconds: number, cpus: string | undefined): Load {
  const bin = autocannonBin();
  const [command, args] = onCpus(cpus, process.execPath,
    [bin, '-j', '-H', `authorization=Bearer ${token}`, '-c', String(CONNECTIONS), '-d', String(seconds), '--overallRate', String(RATE), url]);
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as {
    latency: { p50: number; p99: number; max: number }; requests: { average: number; total: number }; non2xx: number; errors: number; timeouts: number;
  };
  return { p50: j.latency.p50, p99: j.latency.p99, max: j.latency.max, rps: j.requests.average, requests: j.requests.total, non2xx: j.non2xx, errors: j.errors + j.timeouts };
}

/** `run` with the server's CPU time per request and the load average around it. */
async function around<T extends { requests: number }>(pid: number, run: () => T | Promise<T>): Promise<T & Around> {
  const loadBefore = loadAverages();
  const cpu0 = cpuSecondsOf(pid);
  const m = await run();
  const cpuMsPerRequest = ((cpuSecondsOf(pid) - cpu0) * 1000) / Math.max(1, m.requests);
  return { ...m, cpuMsPerRequest, loadBefore, loadAfter: loadAverages() };
}

/**
 * One route: the warm-up load unmeasured (wrk), the measured paced load (wrk), then autocannon's rate
 * mode on the warm route (its own figures; BENCH_API_AUTOCANNON_SECONDS=0 leaves it out).
 */
async function measure(c: BenchCase, url: string, token: string, pid: number, cpus: string | undefined): Promise<Measured> {
  const load = { url: url + c.path, authorization: `Bearer ${token}`, rate: RATE, connections: CONNECTIONS, cpus };
  if (WARMUP_SECONDS > 0) await runWrk({ ...load, seconds: WARMUP_SECONDS });
  const wrk = await around(pid, () => runWrk({ ...load, seconds: SECONDS }));
  const bursts = AUTOCANNON_SECONDS > 0 ? await around(pid, () => autocannon(url + c.path, token, AUTOCANNON_SECONDS, cpus)) : null;
  return { ...c, wrk, autocannon: bursts };
}

const routeCell = (r: BenchCase): string => `${r.name} (\`${r.path.replace(/\|/g, '%7C')}\`)`;
const ms = (x: number): string => x.toFixed(2);

function wrkRow(name: string, targetMs: number | null, w: WrkResult & Around): string {
  return `| ${name} | ${targetMs ?? '—'} | ${ms(w.p50)} | ${ms(w.p90)} | ${ms(w.p99)} | ${ms(w.p999)} | ${ms(w.max)} | ${w.rps.toFixed(0)} | ` +
    `${w.lateSends} (${w.maxLateMs.toFixed(0)} ms) | ${w.statusErrors} | ${w.socketErrors} | ${w.cpuMsPerRequest.toFixed(3)} | ${(w.clientCpuS / w.durationS).toFixed(2)} | ` +
    `${w.loadBefore[0].toFixed(2)} → ${w.loadAfter[0].toFixed(2)} | ${targetMs === null ? '—' : metTarget(w, targetMs, RATE) ? 'yes' : 'no'} |`;
}

/** The measured load (wrk, paced): the figures `met` is decided on; the controls below the routes. */
function wrkTable(results: readonly Measured[], controls: readonly Control[]): string {
  return [
    `\nwrk, paced at ${RATE} req/s overall (one schedule, slots ${(1000 / RATE).toFixed(3)} ms apart), ${CONNECTIONS} connections, ${SECONDS} s per route. ` +
    'Closed loop per connection: a connection waits for its answer before it takes a slot, so a stalled server delays sends ' +
    '(coordinated omission; "late" counts sends more than 1 ms behind their slot, and their latency excludes that wait). ' +
    `met: p99 ≤ target, ≥ 95 % of ${RATE} req/s achieved, no HTTP status ≥ 400, no socket error or timeout (${WRK_TIMEOUT_S} s).` +
    (controls.length === 0 ? '' : ' Control rows: a plain node:http server (not auscult) sending a fixed buffer of the size given, ' +
      'pinned and loaded the same way: the floor this machine gives at this moment.') + '\n',
    '| route | target p99 ms | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | req/s achieved | late sends (worst) | HTTP ≥ 400 | socket errors | server CPU ms / request | wrk CPU s / s | load before → after | met |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...results.map((r) => wrkRow(routeCell(r), r.targetMs, r.wrk)),
    ...controls.map((c) => wrkRow(`control: node:http, ${thousands(c.bytes)}-byte body`, null, c.wrk)),
    '',
  ].join('\n');
}

/** autocannon's rate mode on the same routes: bursts, shown for comparison, not the basis of `met`. */
function autocannonTable(results: readonly Measured[]): string {
  const rows = results.filter((r) => r.autocannon !== null).map((r) => {
    const a = r.autocannon as Load & Around;
    return `| ${routeCell(r)} | ${a.p50} | ${a.p99} | ${a.max} | ${a.rps.toFixed(0)} | ${a.non2xx} | ${a.errors} | ${a.cpuMsPerRequest.toFixed(3)} | ` +
      `${a.loadBefore[0].toFixed(2)} → ${a.loadAfter[0].toFixed(2)} |`;
  });
  if (rows.length === 0) return '\nautocannon: not run (BENCH_API_AUTOCANNON_SECONDS=0)\n';
  return [
    `\nautocannon --overallRate ${RATE} -c ${CONNECTIONS}, ${AUTOCANNON_SECONDS} s per route: BURSTS, not a steady rate. Its rate limiter lets each connection ` +
    'send its quota for the second back to back, then waits for the next 1-second tick (mcollina/autocannon#174, open), and it keeps every body ' +
    'as a JavaScript string: its latencies include its own queueing and CPU. For comparison only; not the basis of met.\n',
    '| route | p50 ms | p99 ms | max ms | req/s | non-2xx | errors | server CPU ms / request | load before → after |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows, '',
  ].join('\n');
}

interface Control { bytes: number; wrk: WrkResult & Around }

/**
 * The control (bench-control-server.ts) with bodies the size of the largest and the smallest answer
 * measured (wrk's bytes per request, headers included): warm-up and measurement as for a route.
 */
async function measureControls(results: readonly Measured[], cpus: { server?: string; load?: string }, net: BenchNet): Promise<Control[]> {
  const sizes = [...new Set(results.map((r) => Math.round(r.wrk.bytes / Math.max(1, r.wrk.requests))))];
  const out: Control[] = [];
  for (const bytes of [Math.max(...sizes), Math.min(...sizes)]) {
    const server = await startControlServer(bytes, cpus.server, net);
    try {
      const load = { url: `${server.url}/`, rate: RATE, connections: CONNECTIONS, cpus: cpus.load };
      if (WARMUP_SECONDS > 0) await runWrk({ ...load, seconds: WARMUP_SECONDS });
      out.push({ bytes, wrk: await around(server.pid, () => runWrk({ ...load, seconds: SECONDS })) });
    } finally {
      await server.stop();
    }
  }
  return out;
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
  const read = spawnSync(process.execPath, [...benchCliArgs(cli), 'read', pcap, '--db', db, '--no-progress', '--json'], {
    encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024,
  });
  if (read.status !== 0) throw new Error(`auscult read failed: ${read.stderr}`);
  process.stdout.write(`ingest: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

async function main(): Promise<void> {
  const missing = process.argv.includes('--serial-only') ? undefined : wrkMissing();
  if (missing !== undefined) throw new Error(`${missing}: bench:api measures the API's latency with wrk`);
  if (AUTOCANNON_SECONDS > 0 && !process.argv.includes('--serial-only')) autocannonBin();
  const plan = cpuPlan();
  const root = packageRoot();
  const cli = join(root, 'dist', 'agent', 'cli.js');
  const given = argValue('--db');
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-api-'));
  let net: BenchNet | undefined;
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
    net = openBenchNet();
    process.stdout.write(`network: ${net.note}\n`);
    process.stdout.write(`machine: ${plan.note}; load average ${formatLoad(loadAverages())}${loadAverages()[0] > QUIET_LOAD ? ` (LOADED: above ${QUIET_LOAD})` : ''}\n`);
    for (const cache of [false, true]) {
      const o = { requests: SERIAL_REQUESTS, cache, catchUp: cache, serverCpus: plan.server, net };
      const before = loadAverages();
      process.stdout.write(serialTable(await serialPass(cli, db, cases, o), o));
      process.stdout.write(`load average ${formatLoad(before)} -> ${formatLoad(loadAverages())}\n`);
    }
    if (process.argv.includes('--serial-only')) return;
    const token = benchToken(db, 'bench-api-load');

    const server = await startBenchServer(db, [], { cpus: plan.server, rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, net });
    const results: Measured[] = [];
    try {
      for (const c of cases) {
        const m = await measure(c, server.url, token, server.pid, plan.load);
        results.push(m);
        const w = m.wrk;
        process.stdout.write(`${c.name}: wrk p99 ${w.p99.toFixed(2)} ms at ${w.rps.toFixed(0)} req/s (${w.lateSends} sends late), server CPU ${w.cpuMsPerRequest.toFixed(3)} ms/request; ` +
          `${m.autocannon === null ? '' : `autocannon (bursts) p99 ${m.autocannon.p99} ms; `}load ${formatLoad(w.loadBefore)} -> ${formatLoad((m.autocannon ?? w).loadAfter)}\n`);
      }
      const controls = CONTROL && results.length > 0 ? await measureControls(results, plan, net) : [];
      const feedLoad = loadAverages();
      const cpu0 = cpuSecondsOf(server.pid);
      const feed = await catchUp(server.url, token);
      const feedCpu = cpuSecondsOf(server.pid) - cpu0;
      process.stdout.write(wrkTable(results, controls));
      process.stdout.write(autocannonTable(results));
      process.stdout.write(`\nfeed catch-up from 0: ${thousands(feed.items)} items in ${feed.pages} pages of up to 1,000, ${feed.seconds.toFixed(2)} s, server CPU ${feedCpu.toFixed(2)} s ` +
        `(target ${CATCH_UP_TARGET_S} s: ${feed.seconds <= CATCH_UP_TARGET_S ? 'met' : 'not met'}); load ${formatLoad(feedLoad)} -> ${formatLoad(loadAverages())}\n`);
      process.stdout.write(`load: ${RATE} req/s for ${SECONDS} s per route after ${WARMUP_SECONDS} s of warm-up, ${CONNECTIONS} connections, wrk 1 thread; ` +
        `${AUTOCANNON_SECONDS > 0 ? `then autocannon --overallRate for ${AUTOCANNON_SECONDS} s` : 'no autocannon'}; ${CONTROL ? 'controls after the routes' : 'no control'}; ` +
        `rate limit ${RATE_LIMIT_PER_MINUTE > 0 ? `${thousands(RATE_LIMIT_PER_MINUTE)} a minute per token` : 'off'}; ${plan.note}; network: ${net.note}\n`);
      const loaded = results.filter((r) => r.wrk.loadBefore[0] > QUIET_LOAD || r.wrk.loadAfter[0] > QUIET_LOAD).length;
      if (loaded > 0) {
        process.stdout.write(`THE MACHINE WAS LOADED: 1-minute load average above ${QUIET_LOAD} around ${loaded} of ${results.length} routes; ` +
          'latencies include other processes\' work (the server CPU per request holds better). Run again on a quiet machine for the official figures.\n');
      }
    } finally {
      await server.stop();
    }
  } finally {
    net?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
