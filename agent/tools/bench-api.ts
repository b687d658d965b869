/**
 * `npm run bench:api`: the API at 100 k devices. Generates a capture of BENCH_API_DEVICES devices
 * (synthetic-capture.ts) in a temp dir, ingests it with `auscult read`, starts `auscult serve` on it in
 * its own process, and drives each route with autocannon (its own process) at a fixed BENCH_API_RATE
 * requests/s for BENCH_API_SECONDS: p99 latency per route against the targets. Then times a
 * full catch-up of the change feed from 0 (pages of 1,000). Every request carries a bearer token with
 * scope read, made on the bench database; the server runs with the per-token rate limit off
 * (--rate-limit 0), which would otherwise refuse the load with 429. Nothing big stays on disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thousands } from '../config.js';
import { StoreReader } from '../store/reader.js';
import { benchToken, buildBenchDatabase, startBenchServer } from './bench-db.js';
import { SYNTHETIC_BASE_MS, syntheticHostname } from './synthetic-capture.js';

const DEVICES = Number(process.env.BENCH_API_DEVICES ?? 100_000);
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 20);
const CATCH_UP_TARGET_S = 5;

interface Case { name: string; path: string; targetMs: number }
interface Measured extends Case { p50: number; p99: number; max: number; rps: number; non2xx: number; errors: number }

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

async function catchUp(url: string, token: string): Promise<{ seconds: number; items: number; pages: number }> {
  const start = performance.now();
  let since = 0;
  let items = 0;
  let pages = 0;
  for (;;) {
    const r = await fetch(`${url}/api/v1/changes?since=${since}&limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`changes: ${r.status} ${await r.text()}`);
    const page = (await r.json()) as { items: unknown[]; next_since: number };
    pages++;
    if (page.items.length === 0) break;
    items += page.items.length;
    since = page.next_since;
  }
  return { seconds: (performance.now() - start) / 1000, items, pages };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-api-'));
  try {
    const db = join(dir, 'bench.db');
    const t = performance.now();
    await buildBenchDatabase(db, DEVICES, (line) => process.stdout.write(`${line}\n`));
    const reader = StoreReader.open(db);
    const devices = reader.deviceCount();
    const { byCategory } = reader.classificationSummary();
    const category = Object.keys(byCategory).find((c) => c !== 'unknown') ?? 'unknown';
    const sample = reader.device(Math.ceil(devices / 2));
    reader.close();
    const token = benchToken(db, 'bench-api');
    process.stdout.write(`ingest: ${thousands(devices)} devices in ${((performance.now() - t) / 1000).toFixed(1)} s; categories ${JSON.stringify(byCategory)}\n`);
    if (sample === null) throw new Error('no sample device');

    const mid = Math.floor(DEVICES / 2);
    const cases: Case[] = [
      { name: 'list, limit=100', path: '/api/v1/devices?limit=100', targetMs: 20 },
      { name: 'one device', path: `/api/v1/devices/${sample.id}`, targetMs: 10 },
      { name: 'filter vendor', path: '/api/v1/devices?vendor=mindray', targetMs: 30 },
      { name: 'filter category', path: `/api/v1/devices?category=${category}`, targetMs: 30 },
      { name: 'filter medical', path: '/api/v1/devices?medical=true', targetMs: 30 },
      { name: 'filter ip', path: `/api/v1/devices?ip=${sample.ips[0]?.ip ?? '10.0.0.1'}`, targetMs: 30 },
      { name: 'filter mac', path: `/api/v1/devices?mac=${sample.mac ?? ''}`, targetMs: 30 },
      { name: 'filter vlan', path: '/api/v1/devices?vlan=107', targetMs: 30 },
      { name: 'filter hostname', path: `/api/v1/devices?hostname=${syntheticHostname(mid).slice(-8)}`, targetMs: 30 },
      { name: 'filter seen_since', path: `/api/v1/devices?seen_since=${new Date(SYNTHETIC_BASE_MS + mid).toISOString()}`, targetMs: 30 },
      { name: 'change feed page', path: `/api/v1/changes?since=${mid}&limit=100`, targetMs: 30 },
    ];
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
