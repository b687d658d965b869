/**
 * `npm run bench:api`: the API at 100 k devices. Generates a capture of BENCH_API_DEVICES devices
 * (synthetic-capture.ts) in a temp dir, ingests it with `auscult read`, starts `auscult serve` on it in
 * its own process, and drives each route with autocannon (its own process) at a fixed BENCH_API_RATE
 * requests/s for BENCH_API_SECONDS: p99 latency per route against the targets. Then times a
 * full catch-up of the change feed from 0 (pages of 1,000). Every request carries a bearer token with
 * scope read, made on the bench database; the server runs with the per-token rate limit off
 * (--rate-limit 0), which would otherwise refuse the load with 429. Nothing big stays on disk.
 * Before the load, a serial pass (bench-api-cases.ts): BENCH_API_SERIAL requests per route one after
 * another in-process, latency and CPU ms per request, the figure a shared machine measures reliably.
 * `--db FILE` uses an existing database instead of generating one (it is left in place);
 * `--serial-only` stops after the serial pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, thousands } from '../config.js';
import { StoreReader } from '../store/reader.js';
import { writeSyntheticCapture } from './synthetic-capture.js';
import { benchCases, benchToken, catchUp, serialPass, serialTable, type BenchCase } from './bench-api-cases.js';
import { startBenchServer } from './bench-db.js';

const DEVICES = Number(process.env.BENCH_API_DEVICES ?? 100_000);
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 20);
const SERIAL_REQUESTS = Number(process.env.BENCH_API_SERIAL ?? 200);
const CATCH_UP_TARGET_S = 5;

interface Measured extends BenchCase { p50: number; p99: number; max: number; rps: number; non2xx: number; errors: number }

function autocannon(url: string, token: string): { p50: number; p99: number; max: number; rps: number; non2xx: number; errors: number } {
  const bin = join(createRequire(import.meta.url).resolve('autocannon/package.json'), '..', 'autocannon.js');
  const r = spawnSync(process.execPath, [bin, '-j', '-H', `authorization=Bearer ${token}`, '-c', String(CONNECTIONS), '-d', String(SECONDS), '--overallRate', String(RATE), url], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as {
    latency: { p50: number; p99: number; max: number }; requests: { average: number }; non2xx: number; errors: number; timeouts: number;
  };
  return { p50: j.latency.p50, p99: j.latency.p99, max: j.latency.max, rps: j.requests.average, non2xx: j.non2xx, errors: j.errors + j.timeouts };
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
  const root = packageRoot();
  const cli = join(root, 'dist', 'agent', 'cli.js');
  const given = argValue('--db');
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-api-'));
  try {
    const db = given ?? join(dir, 'bench.db');
    if (given === undefined) await buildDatabase(cli, dir, db);
    const reader = StoreReader.open(db);
    const devices = reader.deviceCount();
    const { byCategory } = reader.classificationSummary();
    const cases = benchCases(reader, devices);
    reader.close();
    process.stdout.write(`database: ${thousands(devices)} devices; categories ${JSON.stringify(byCategory)}\n`);
    for (const cache of [false, true]) {
      const o = { requests: SERIAL_REQUESTS, cache, catchUp: cache };
      process.stdout.write(serialTable(await serialPass(cli, db, cases, o), o));
    }
    if (process.argv.includes('--serial-only')) return;
    const token = benchToken(db);

    const server = await startBenchServer(db);
    const results: Measured[] = [];
    try {
      for (const c of cases) {
        const m = autocannon(server.url + c.path, token);
        results.push({ ...c, ...m });
        process.stdout.write(`${c.name}: p99 ${m.p99} ms (${m.rps.toFixed(0)} req/s)\n`);
      }
      const feed = await catchUp(server.url, token);
      process.stdout.write('\n| route | target p99 ms | p50 ms | p99 ms | max ms | req/s | non-2xx | errors | met |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n');
      for (const r of results) {
        const met = r.p99 <= r.targetMs && r.non2xx === 0 && r.errors === 0 && r.rps >= RATE * 0.95;
        process.stdout.write(`| ${r.name} (\`${r.path.replace(/\|/g, '%7C')}\`) | ${r.targetMs} | ${r.p50} | ${r.p99} | ${r.max} | ${r.rps.toFixed(0)} | ${r.non2xx} | ${r.errors} | ${met ? 'yes' : 'no'} |\n`);
      }
      process.stdout.write(`\nfeed catch-up from 0: ${thousands(feed.items)} items in ${feed.pages} pages, ${feed.seconds.toFixed(2)} s (target ${CATCH_UP_TARGET_S} s: ${feed.seconds <= CATCH_UP_TARGET_S ? 'met' : 'not met'})\n`);
      process.stdout.write(`load: ${RATE} req/s for ${SECONDS} s per route, ${CONNECTIONS} connections (autocannon --overallRate)\n`);
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
