/**
 * `auscult forward` through the built executable: an inventory snapshot to a TCP syslog receiver in
 * the test (octet-counted frames parsed back), --status, a receiver that stays unreachable (exit 1),
 * and usage errors (exit 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureDatabase, TOTAL_DEVICES } from '../../api/testing/fixture-db.js';
import { parseCef } from '../testing/cef-parser.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
let work: string;
let db: string;

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'warn' };
  for (const k of ['AUSCULT_CONFIG', 'AUSCULT_DB', 'AUSCULT_SPLUNK_TOKEN']) delete e[k];
  return e;
};
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: work, env: env() });
/** Async, so the receiver in this process can answer while the command runs. */
function runAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: work, env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Octet-counted syslog frames (RFC 6587) from a byte stream. */
function frames(bytes: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const sp = bytes.indexOf(0x20, i);
    const len = Number(bytes.toString('ascii', i, sp));
    out.push(bytes.toString('utf8', sp + 1, sp + 1 + len));
    i = sp + 1 + len;
  }
  return out;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-forward-'));
  db = buildFixtureDatabase(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('auscult forward', () => {
  it('--once --snapshot-every sends the inventory to a syslog receiver; --status shows the destination', async () => {
    const chunks: Buffer[] = [];
    const server = createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const r = await runAsync(['forward', '--once', '--db', db, '--syslog', `tcp://127.0.0.1:${port}`, '--snapshot-every', '24']);
    await new Promise((res) => setTimeout(res, 200));
    server.close();
    expect(r.code, r.stderr).toBe(0);
    const messages = frames(Buffer.concat(chunks));
    expect(messages).toHaveLength(TOTAL_DEVICES);
    for (const m of messages) {
      expect(m).toMatch(/^<134>1 \S+ \S+ auscult - device\.inventory \[origin software="auscult" swVersion="[^"]+"\] CEF:0\|/);
      parseCef(m.slice(m.indexOf('CEF:0|')));
    }
    const status = run(['forward', '--status', '--db', db]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^syslog\\+tcp://127\\.0\\.0\\.1:${port} cef: delivered through seq 0 of 0, lag 0 events, dropped by retention before delivery 0, last snapshot 20`));
  }, 60_000);

  it('--once exits 1 when the receiver stays unreachable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const r = await runAsync(['forward', '--once', '--db', db, '--syslog', `relp://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/receiver unreachable/);
  }, 60_000);

  it('usage errors exit 2 with the reason; the token never shows', () => {
    const cases: [string[], RegExp][] = [
      [['forward', '--once', '--db', db], /nothing to forward to/],
      [['forward', '--db', db, '--syslog', 'tcp://127.0.0.1:1'], /--once, --follow or --status/],
      [['forward', '--once', '--db', db, '--syslog', 'http://x:1'], /not udp\|tcp\|tls\|relp/],
      [['forward', '--once', '--db', db, '--syslog', 'tcp://x:1', '--syslog-ca', '/nonexistent'], /applies to tls/],
      [['forward', '--once', '--db', db, '--syslog', 'tcp://x:1', '--syslog-format', 'ocsf'], /Allowed choices/],
      [['forward', '--once', '--db', db, '--splunk-hec', 'https://user:s3cret@x:8088'], /not in the URL/],
      [['forward', '--once', '--db', db, '--splunk-hec', 'https://x:8088'], /needs --splunk-token/],
      [['forward', '--once', '--follow', '--db', db, '--syslog', 'tcp://x:1'], /cannot be used with/],
      [['forward', '--once', '--db', join(work, 'none.db'), '--syslog', 'tcp://x:1'], /no database/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toContain('s3cret');
    }
  });
});
