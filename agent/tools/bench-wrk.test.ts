/**
 * bench:api's wrk client: its command line, the result line it parses, the `met` rule, and one short
 * real run against a loopback server (no latency assertion: latency is measured by the benchmark).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason, toolMissing } from '../testing/tools.js';
import { metTarget, parseWrkOutput, runWrk, wrkArgs, wrkMissing, wrkScriptPath } from './bench-wrk.js';

/** What wrk 4.1 printed in a run with bench-api-wrk.lua: its human report, then the script's line. */
const WRK_STDOUT = `Running 10s test @ http://127.0.0.1:41234/api/v1/devices?limit=100
  1 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.02ms  14.29ms   91.37%
    Req/Sec     1.00k    23.11     1.06k    80.00%
  10004 requests in 10.01s, 2.29GB read
Requests/sec:    999.40
Transfer/sec:    234.70MB
AUSCULT-WRK {"requests":10004,"duration_s":10.010000,"bytes":2459000000,"latency_ms":{"p50":1.900,"p90":2.800,"p99":4.100,"p99.9":9.000,"max":14.290,"mean":2.100},"status_errors":0,"connect_errors":0,"read_errors":1,"write_errors":0,"timeouts":2,"late_sends":3,"max_late_ms":4.500,"client_cpu_s":2.010}
`;

describe('wrk result line', () => {
  it('parses the script\'s JSON line and ignores the human report', () => {
    const r = parseWrkOutput(WRK_STDOUT);
    expect(r).toEqual({
      requests: 10004, durationS: 10.01, rps: 10004 / 10.01, bytes: 2459000000,
      p50: 1.9, p90: 2.8, p99: 4.1, p999: 9, max: 14.29, mean: 2.1,
      statusErrors: 0, socketErrors: 3, timeouts: 2, lateSends: 3, maxLateMs: 4.5, clientCpuS: 2.01,
    });
  });

  it('says what is wrong when the line is missing, not JSON, or lacks a field', () => {
    expect(() => parseWrkOutput('Running 10s test @ http://x/\n')).toThrow(/no result line \(AUSCULT-WRK\)/);
    expect(() => parseWrkOutput('AUSCULT-WRK {"requests":1,\n')).toThrow(/not JSON/);
    expect(() => parseWrkOutput('AUSCULT-WRK {"requests":1}\n')).toThrow(/no latency_ms/);
    const noP99 = WRK_STDOUT.replace('"p99":4.100,', '');
    expect(() => parseWrkOutput(noP99)).toThrow(/"p99" is not a number/);
  });
});

describe('wrk command line', () => {
  it('gives one thread, the connections, the run time, a timeout, the script and its rate after --', () => {
    expect(wrkArgs({ url: 'http://127.0.0.1:1/a', rate: 1000, connections: 20, seconds: 10 }, 'pace.lua'))
      .toEqual(['-t', '1', '-c', '20', '-d', '10s', '--timeout', '2s', '-s', 'pace.lua', 'http://127.0.0.1:1/a', '--', '1000', '1']);
  });

  it('keeps the token out of argv (the script reads it from the environment)', () => {
    const args = wrkArgs({ url: 'http://127.0.0.1:1/a', authorization: 'Bearer secret', rate: 1000, connections: 20, seconds: 1 }, 'pace.lua');
    expect(args.join(' ')).not.toContain('secret');
    expect(readFileSync(wrkScriptPath(), 'utf8')).toContain('os.getenv("AUSCULT_WRK_AUTHORIZATION")');
  });

  it('ships the pacing script with the package', () => {
    expect(existsSync(wrkScriptPath())).toBe(true);
    const files = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[] }).files;
    expect(files).toContain('agent/tools/bench-api-wrk.lua');
  });
});

describe('wrk missing', () => {
  it('names the Debian package, from the check and from a run', async () => {
    const path = process.env.PATH;
    const empty = mkdtempSync(join(tmpdir(), 'auscult-nowrk-'));
    try {
      process.env.PATH = empty;
      expect(wrkMissing()).toBe('`wrk` not found on PATH (Debian: apt-get install wrk)');
      await expect(runWrk({ url: 'http://127.0.0.1:1/', rate: 1, connections: 1, seconds: 1 })).rejects.toThrow(/apt-get install wrk/);
    } finally {
      process.env.PATH = path;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('met', () => {
  const ok = { p99: 4, rps: 990, statusErrors: 0, socketErrors: 0 };
  it('needs p99 within target, 95 % of the rate, no HTTP error and no socket error', () => {
    expect(metTarget(ok, 20, 1000)).toBe(true);
    expect(metTarget({ ...ok, p99: 20 }, 20, 1000)).toBe(true);
    expect(metTarget({ ...ok, p99: 20.01 }, 20, 1000)).toBe(false);
    expect(metTarget({ ...ok, rps: 950 }, 20, 1000)).toBe(true);
    expect(metTarget({ ...ok, rps: 949 }, 20, 1000)).toBe(false);
    expect(metTarget({ ...ok, statusErrors: 1 }, 20, 1000)).toBe(false);
    expect(metTarget({ ...ok, socketErrors: 1 }, 20, 1000)).toBe(false);
  });
});

const noWrk = skipReason('the real wrk run', toolMissing('wrk'));

describe.skipIf(noWrk !== undefined)('a real wrk run on loopback', () => {
  let server: Server;
  let url = '';
  const seen = { requests: 0, withToken: 0 };
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.requests++;
      if (req.headers.authorization === 'Bearer t0ken') seen.withToken++;
      // /missing answers 404: wrk counts it as an HTTP error.
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' }).end('{"items":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('runs the pacing script, sends the token, and is parsed; the schedule bounds what is sent', async () => {
    const rate = 200;
    const r = await runWrk({ url: `${url}/api`, authorization: 'Bearer t0ken', rate, connections: 4, seconds: 1 });
    expect(r.requests).toBeGreaterThan(0);
    expect(seen.withToken).toBe(seen.requests);
    expect(seen.requests).toBeGreaterThanOrEqual(r.requests);
    expect(r.statusErrors).toBe(0);
    expect(r.socketErrors).toBe(0);
    expect(r.p50).toBeLessThanOrEqual(r.p99);
    expect(r.p99).toBeLessThanOrEqual(r.max);
    // Not a timing assertion: whatever the machine's load, the schedule never allows more than one
    // request a slot (an unpaced loopback client would send thousands in this time).
    expect(r.requests).toBeLessThanOrEqual(rate * r.durationS + 4 + 1);
  });

  it('counts error statuses', async () => {
    const r = await runWrk({ url: `${url}/missing`, rate: 100, connections: 2, seconds: 1 });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.statusErrors).toBe(r.requests);
  });
});
