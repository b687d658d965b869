/**
 * The routes `npm run bench:api` drives, the server it drives them on, and its serial pass: each route
 * requested N times one after another over one connection, reporting latency and the server process's
 * CPU time (user + sys) per request. On a shared machine CPU time per request is the figure that holds
 * still; it bounds what the server can answer: 1,000 req/s on one core needs about 1 ms or less.
 */
import { readFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { Agent, get as httpGet } from 'node:http';
import type { StoreReader } from '../store/reader.js';
import { benchToken, startBenchServer } from './bench-db.js';
import type { BenchNet } from './bench-netns.js';
import { SYNTHETIC_BASE_MS, syntheticHostname } from './synthetic-capture.js';

export interface BenchCase { name: string; path: string; targetMs: number }

/** The routes and targets (p99 ms at 1,000 req/s) on a database of `devices` synthetic devices. */
export function benchCases(reader: StoreReader, devices: number): BenchCase[] {
  const { byCategory } = reader.classificationSummary();
  const category = Object.keys(byCategory).find((c) => c !== 'unknown') ?? 'unknown';
  const sample = reader.device(Math.ceil(reader.deviceCount() / 2));
  if (sample === null) throw new Error('no sample device');
  const mid = Math.floor(devices / 2);
  return [
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
}

/**
 * A JSON body's text. The API answers in ASCII only (every other character as a \u escape), and Node
 * 20's UTF-8 decoder has no ASCII fast path: it took 1.0-1.3 s of a catch-up's client CPU, against
 * 0.15-0.4 s to check the bytes are ASCII and read them as Latin-1, which gives the same string.
 */
export function jsonBodyText(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

/**
 * A full catch-up of the change feed from 0, pages of 1,000: the largest the API allows
 * (MAX_CHANGES_PAGE), which a client catching up uses; pages are sequential, each `since` is the
 * previous page's `next_since`, as a client must.
 */
export interface CatchUp { seconds: number; cpuSeconds: number; items: number; pages: number }

export interface SerialResult { name: string; path: string; mean: number; p50: number; p99: number; cpuMs: number; bytes: number }

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export interface SerialOptions {
  requests: number;
  /** Unmeasured requests per route first (JIT, the response cache's first miss). */
  warmup?: number;
  /** With the API's response cache (repeat requests are hits), or without (each one reads and serialises). */
  cache: boolean;
  /** Also time a full catch-up of the change feed from 0. */
  catchUp?: boolean;
  /** taskset CPU list for the server (bench-cpus.ts). */
  serverCpus?: string;
  /** The network the server runs on (bench-netns.ts); undefined: the loopback. */
  net?: BenchNet;
}

/** CPU seconds (user + system) the process `pid` has used so far (Linux /proc; clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One GET over `agent`'s keep-alive connection: the status and the body as one buffer. */
function getBytes(url: string, token: string, agent: Agent): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * A full catch-up of the change feed from 0 with pages of 1,000, parsing every page as a SIEM client
 * would (JSON.parse of the whole answer, decoded as jsonBodyText does). node:http with one keep-alive
 * connection and the body's chunks joined once: fetch's body stream cost this client 1.5-2x the CPU
 * for the same 240 MB (BENCHMARKS.md), and on a machine of two cores the client's CPU is part of the catch-up's wall time.
 */
export async function catchUp(url: string, token: string): Promise<{ seconds: number; items: number; pages: number }> {
  const start = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let since = 0;
  let items = 0;
  let pages = 0;
  try {
    for (;;) {
      const r = await getBytes(`${url}/api/v1/changes?since=${since}&limit=1000`, token, agent);
      if (r.status !== 200) throw new Error(`changes: ${r.status} ${r.body.toString('utf8', 0, 500)}`);
      const page = JSON.parse(jsonBodyText(r.body)) as { items: unknown[]; next_since: number };
      pages++;
      if (page.items.length === 0) break;
      items += page.items.length;
      since = page.next_since;
    }
  } finally {
    agent.destroy();
  }
  return { seconds: (performance.now() - start) / 1000, items, pages };
}

/**
 * Each case `requests` times in a row (after the warm-up), one request at a time over one keep-alive
 * connection, against `auscult serve` in its own process: latency as the client sees it, and the
 * server process's CPU time per request. Throws on a non-200 answer.
 */
export async function serialPass(cli: string, db: string, cases: readonly BenchCase[], o: SerialOptions): Promise<{ routes: SerialResult[]; catchUp: CatchUp | null }> {
  const { requests, warmup = 20 } = o;
  const token = benchToken(db, 'bench-api-serial');
  const server = await startBenchServer(db, o.cache ? [] : ['--response-cache-mib', '0'], { cpus: o.serverCpus, net: o.net });
  const headers = { authorization: `Bearer ${token}` };
  const get = async (path: string): Promise<number> => {
    const r = await fetch(server.url + path, { headers });
    const body = await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${Buffer.from(body).toString('utf8', 0, 200)}`);
    return body.byteLength;
  };
  const out: SerialResult[] = [];
  try {
    for (const c of cases) {
      let bytes = 0;
      for (let i = 0; i < warmup; i++) await get(c.path);
      const times: number[] = [];
      const cpu0 = cpuSecondsOf(server.pid);
      for (let i = 0; i < requests; i++) {
        const t = performance.now();
        bytes = await get(c.path);
        times.push(performance.now() - t);
      }
      const cpuMs = ((cpuSecondsOf(server.pid) - cpu0) * 1000) / requests;
      times.sort((a, b) => a - b);
      out.push({ name: c.name, path: c.path, mean: times.reduce((a, b) => a + b, 0) / requests, p50: percentile(times, 50), p99: percentile(times, 99), cpuMs, bytes });
    }
    if (o.catchUp !== true) return { routes: out, catchUp: null };
    const cpu0 = cpuSecondsOf(server.pid);
    const feed = await catchUp(server.url, token);
    return { routes: out, catchUp: { ...feed, cpuSeconds: cpuSecondsOf(server.pid) - cpu0 } };
  } finally {
    await server.stop();
  }
}

/** The serial pass as a Markdown table. */
export function serialTable({ routes, catchUp }: { routes: readonly SerialResult[]; catchUp: CatchUp | null }, o: SerialOptions): string {
  const rows = routes.map((r) => `| ${r.name} | ${r.mean.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuMs.toFixed(2)} | ${r.bytes} |`);
  return [
    `\nserial, one connection, ${o.requests} requests per route after a warm-up, server CPU per request, ${o.cache ? 'response cache on (repeats are hits)' : 'response cache off'}:\n`,
    '| route | mean ms | p50 ms | p99 ms | CPU ms / request | response bytes |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...(catchUp === null ? [] : [
      `feed catch-up from 0 (serial pass): ${catchUp.items} items in ${catchUp.pages} pages, ${catchUp.seconds.toFixed(2)} s, CPU ${catchUp.cpuSeconds.toFixed(2)} s`,
      '',
    ]),
  ].join('\n');
}
