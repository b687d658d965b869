/**
 * How `npm run bench:api` shares the machine between the server it measures and the load it makes:
 * `auscult serve` pinned to CPU 0, the clients (wrk, autocannon) and the bench itself to the other cores
 * (taskset, from util-linux). Unpinned, on two cores, a client reading 240 MB/s of answers and the server take
 * turns on the same cores and the latency measured is the client's as much as the server's. Also the
 * machine's load, which the bench prints around each measurement: other processes on the server's
 * core show up in its latency whatever the pinning.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';

/** Above this 1-minute load average (on two cores) the latencies include other processes' work. */
export const QUIET_LOAD = 1.5;

export interface CpuPlan {
  /** taskset CPU list for the server; undefined: not pinned. */
  server?: string;
  /** taskset CPU list for the clients (wrk, autocannon) and the bench process. */
  load?: string;
  /** What was pinned where, or why nothing was, for the bench's output. */
  note: string;
}

/** The server on CPU 0 and the load on the rest, when taskset exists and there are two cores or more. */
export function cpuPlan(cores = availableParallelism()): CpuPlan {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) {
    return { note: 'not pinned: taskset (Debian package util-linux) not found; the server and the clients share every core' };
  }
  if (cores < 2) return { note: 'not pinned: one core; the server and the clients share it' };
  const load = cores === 2 ? '1' : `1-${cores - 1}`;
  return { server: '0', load, note: `pinned (taskset): auscult serve on CPU 0; the clients (wrk, autocannon) and the bench on CPU ${load} (${cores} cores)` };
}

/** `command args` run on `cpus` (taskset -c) when given. */
export function onCpus(cpus: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}

/** Pin this process (and what it starts after, unless pinned elsewhere) to `cpus`. */
export function pinSelf(cpus: string | undefined): void {
  if (cpus !== undefined) spawnSync('taskset', ['-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

/** The 1, 5 and 15-minute load averages. */
export function loadAverages(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a, b, c];
}

export const formatLoad = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
