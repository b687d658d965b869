/**
 * bench:api's measuring client: wrk (Debian package `wrk`, C with LuaJIT) paced at an exact overall
 * rate by agent/tools/bench-api-wrk.lua, which prints its result as one JSON line. wrk reads answers
 * without turning them into strings and costs a fraction of a core at 1,000 requests/s of 240 KB,
 * where autocannon's rate mode sends each second's quota in bursts (mcollina/autocannon#174) and spends
 * up to a core building strings of the bodies: its latency measured itself.
 * What wrk is not: an open-loop load. Each connection waits for its answer before taking its next slot,
 * so a stalled server delays sends instead of queueing them (coordinated omission); the script counts
 * the sends that fell behind schedule, and the bench reports them with the rate achieved and the max.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../config.js';
import { onCpus } from './bench-cpus.js';

export const WRK_PACKAGE = 'wrk';
/** The pacing script (a file beside this module's source; package.json `files` ships it). */
export const wrkScriptPath = (): string => join(packageRoot(), 'agent', 'tools', 'bench-api-wrk.lua');
/** The line bench-api-wrk.lua's done() prints, before its JSON. */
const RESULT_MARK = 'AUSCULT-WRK ';
/** A request without an answer after this long counts as a timeout (wrk's default, said explicitly). */
export const WRK_TIMEOUT_S = 2;

export interface WrkLoad {
  url: string;
  /** The Authorization header's value; passed through the environment, not argv. */
  authorization?: string;
  /** Requests/s overall, over every connection. */
  rate: number;
  connections: number;
  seconds: number;
  /** wrk threads; each keeps its own schedule at rate/threads. */
  threads?: number;
  /** taskset CPU list for wrk (bench-cpus.ts). */
  cpus?: string;
}

/** What one wrk run measured (latencies in ms). */
export interface WrkResult {
  requests: number;
  durationS: number;
  /** Requests completed per second of the run: the rate achieved. */
  rps: number;
  bytes: number;
  p50: number; p90: number; p99: number; p999: number; max: number; mean: number;
  /** Answers with an HTTP status of 400 or more (wrk counts no other status as an error). */
  statusErrors: number;
  /** Connect, read and write errors and timeouts (no answer within WRK_TIMEOUT_S). */
  socketErrors: number;
  timeouts: number;
  /** Requests sent more than 1 ms after their slot (every connection was waiting for an answer), and the worst. */
  lateSends: number;
  maxLateMs: number;
  /** wrk's own CPU time (user + sys) for the whole run. */
  clientCpuS: number;
}

/** Why wrk cannot run, naming its Debian package; undefined when it runs. */
export function wrkMissing(): string | undefined {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error === undefined && /wrk \S+/.test(`${r.stdout}${r.stderr}`)) return undefined;
  return `\`wrk\` not found on PATH (Debian: apt-get install ${WRK_PACKAGE})`;
}

/** wrk's command line for `load`, the script's arguments after `--`. */
export function wrkArgs(load: WrkLoad, script = wrkScriptPath()): string[] {
  const threads = load.threads ?? 1;
  return ['-t', String(threads), '-c', String(load.connections), '-d', `${load.seconds}s`, '--timeout', `${WRK_TIMEOUT_S}s`,
    '-s', script, load.url, '--', String(load.rate), String(threads)];
}

const num = (o: Record<string, unknown>, key: string): number => {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`wrk result: "${key}" is not a number (${JSON.stringify(v)})`);
  return v;
};

/** The result line in wrk's stdout (its human report is ignored). Throws naming what is missing. */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`wrk printed no result line (${RESULT_MARK.trim()}): was bench-api-wrk.lua loaded? Output: ${stdout.slice(0, 500)}`);
  let json: unknown;
  try {
    json = JSON.parse(line.slice(RESULT_MARK.length));
  } catch (err) {
    throw new Error(`wrk result line is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
  }
  if (typeof json !== 'object' || json === null || typeof (json as { latency_ms?: unknown }).latency_ms !== 'object') {
    throw new Error(`wrk result has no latency_ms: ${line.slice(0, 200)}`);
  }
  const o = json as Record<string, unknown>;
  const l = o.latency_ms as Record<string, unknown>;
  const requests = num(o, 'requests');
  const durationS = num(o, 'duration_s');
  const timeouts = num(o, 'timeouts');
  return {
    requests, durationS, rps: durationS > 0 ? requests / durationS : 0, bytes: num(o, 'bytes'),
    p50: num(l, 'p50'), p90: num(l, 'p90'), p99: num(l, 'p99'), p999: num(l, 'p99.9'), max: num(l, 'max'), mean: num(l, 'mean'),
    statusErrors: num(o, 'status_errors'),
    socketErrors: num(o, 'connect_errors') + num(o, 'read_errors') + num(o, 'write_errors') + timeouts,
    timeouts, lateSends: num(o, 'late_sends'), maxLateMs: num(o, 'max_late_ms'), clientCpuS: num(o, 'client_cpu_s'),
  };
}

/** One paced wrk run (its own process, on `load.cpus`). Rejects when wrk fails or prints no result. */
export async function runWrk(load: WrkLoad): Promise<WrkResult> {
  const [command, args] = onCpus(load.cpus, 'wrk', wrkArgs(load));
  const env = { ...process.env, AUSCULT_WRK_AUTHORIZATION: load.authorization ?? '' };
  // Asynchronous: a server in this process (the tests') keeps answering while wrk runs.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`wrk did not start (${err.message}); Debian: apt-get install ${WRK_PACKAGE}`)));
    child.once('close', resolve);
  });
  if (status !== 0) throw new Error(`wrk exited ${status}: ${stderr}${stdout}`.trim());
  return parseWrkOutput(stdout);
}

/** The rule for a route: p99 within target at the rate asked (95 % of it achieved), every answer 2xx, no socket error. */
export function metTarget(r: { p99: number; rps: number; statusErrors: number; socketErrors: number }, targetMs: number, rate: number): boolean {
  return r.p99 <= targetMs && r.rps >= rate * 0.95 && r.statusErrors === 0 && r.socketErrors === 0;
}
