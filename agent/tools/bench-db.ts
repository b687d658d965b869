/**
 * The benchmarks' 100 k-device inventory and server (bench:api, bench:web): a synthetic capture of
 * `devices` devices (synthetic-capture.ts) ingested with the real `auscult read`, a token with scope
 * read made on it, and `auscult serve` in its own process (optionally pinned to CPUs: bench-cpus.ts)
 * with the per-token rate limit off or raised for the load.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, thousands } from '../config.js';
import { ApiTokens } from '../store/api-tokens.js';
import { inNet, type BenchNet } from './bench-netns.js';
import { writeSyntheticCapture } from './synthetic-capture.js';

export const benchCli = (): string => join(packageRoot(), 'dist', 'agent', 'cli.js');

/**
 * The Node flags a script's `#!` line gives node (`#!/usr/bin/env -S node --v8-pool-size=0`,
 * `#!/usr/bin/node --x`): the executable runs with them, so the bench starts it with them too.
 * Whitespace-separated, as `env -S` splits them; none when the line names no node or is no `#!` line.
 */
export function shebangNodeFlags(firstLine: string): string[] {
  if (!firstLine.startsWith('#!')) return [];
  const words = firstLine.slice(2).trim().split(/\s+/);
  const node = words.findIndex((w) => /(^|\/)node$/.test(w));
  return node < 0 ? [] : words.slice(node + 1).filter((w) => w.startsWith('-'));
}

/** The Node flags of the `auscult` executable's `#!` line (`cli`: the built one). */
export function benchNodeFlags(cli = benchCli()): string[] {
  const fd = openSync(cli, 'r');
  try {
    const head = Buffer.alloc(512);
    return shebangNodeFlags(head.toString('utf8', 0, readSync(fd, head, 0, head.length, 0)).split('\n')[0]);
  } finally {
    closeSync(fd);
  }
}

/** `auscult`'s command line after node, as its executable starts it: its Node flags, the script. */
export const benchCliArgs = (cli = benchCli()): string[] => [...benchNodeFlags(cli), cli];

/**
 * Generates and ingests the capture into `db` (the capture is deleted afterwards). With `reuse`, a
 * database already at `db` is kept as it is (a previous run's). Progress lines go to `say`.
 */
export async function buildBenchDatabase(db: string, devices: number, say: (line: string) => void, reuse = false): Promise<void> {
  if (reuse && existsSync(db)) {
    say(`database: reusing ${db}`);
    return;
  }
  const pcap = `${db}.synthetic.pcap`;
  try {
    let t = performance.now();
    const packets = await writeSyntheticCapture(pcap, devices);
    say(`capture: ${thousands(devices)} devices, ${thousands(packets)} packets (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    t = performance.now();
    const read = spawnSync(process.execPath, [...benchCliArgs(), 'read', pcap, '--db', db, '--no-progress', '--json'], {
      encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024,
    });
    if (read.status !== 0) throw new Error(`auscult read failed: ${read.stderr}`);
    say(`ingest: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(pcap, { force: true });
  }
}

/** A new token with scope read on `db` under `name` (replacing one of that name: a reused database). */
export function benchToken(db: string, name: string): string {
  const tokens = ApiTokens.open(db);
  try {
    tokens.revoke(name);
    const token = tokens.create(name, ['read'], null);
    if (token === null) throw new Error(`bench token ${name} exists already`);
    return token;
  } finally {
    tokens.close();
  }
}

export interface BenchServer { url: string; pid: number; stop: () => Promise<void> }

export interface BenchServerOptions {
  /** taskset CPU list to run the server on (bench-cpus.ts); undefined: any core. */
  cpus?: string;
  /** Requests a minute per token (`--rate-limit`); 0 (default): the limit is off. */
  rateLimitPerMinute?: number;
  /** The network to serve on (bench-netns.ts: a namespace behind a veth pair); undefined: the loopback. */
  net?: BenchNet;
}

/**
 * `auscult serve` on `db` in its own process (any free port, `extra` flags), once it listens; started
 * with the Node flags of the executable's `#!` line, as a user's `auscult serve` runs.
 */
export async function startBenchServer(db: string, extra: readonly string[] = [], o: BenchServerOptions = {}): Promise<BenchServer> {
  const serve = [...benchCliArgs(), 'serve', '--db', db, ...(o.net?.serveArgs() ?? []), '--port', '0', '--rate-limit', String(o.rateLimitPerMinute ?? 0), ...extra];
  const [command, args] = inNet(o.net, o.cpus, process.execPath, serve);
  // `ip netns exec` and taskset exec the server: the child's pid is the server's (its CPU time is read from /proc).
  const child = spawn(command, args, { env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /auscult API at (http:\/\/[^/\s]+)/.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${text}`)));
  });
  return { url, pid: child.pid ?? 0, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); } };
}
