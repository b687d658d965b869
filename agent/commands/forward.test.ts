/**
 * `auscult forward` through the built executable: an inventory snapshot to a TCP syslog receiver in
 * the test (octet-counted frames parsed back), --status, a receiver that stays unreachable (exit 1),
 * and usage errors (exit 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
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

describe('forwarding from the configuration file', () => {
  let eventsDb: string;
  let events: number;

  beforeAll(async () => {
    const { readFiles } = await import('./read.js');
    const { loadFingerprints } = await import('./identify.js');
    const { createLogger } = await import('../log.js');
    const { StoreReader } = await import('../store/reader.js');
    eventsDb = join(work, 'events.db');
    await readFiles([join(root, 'test-fixtures', 'events-arpspoof.pcap')], {
      db: eventsDb, log: createLogger({ level: 'silent', pretty: false }), progress: false, library: loadFingerprints(undefined, null),
    });
    const reader = StoreReader.open(eventsDb);
    events = reader.eventSource().countBetween(0, Number.MAX_SAFE_INTEGER);
    reader.close();
    expect(events).toBeGreaterThan(0);
  });

  async function tcpReceiver() {
    const chunks: Buffer[] = [];
    const server = createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as { port: number }).port,
      messages: () => frames(Buffer.concat(chunks)),
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it('the forward section names the receiver, the format, the retries; a flag on the command line wins', async () => {
    const rx = await tcpReceiver();
    const cfg = join(work, 'fwd', 'auscult.yaml');
    mkdirSync(join(work, 'fwd'), { recursive: true });
    writeFileSync(cfg, `forward:\n  syslog: tcp://127.0.0.1:${rx.port}\n  syslog_format: leef\n  resend_window_events: 10\n  retries: 2\n`);
    const fromFile = await runAsync(['forward', '--once', '--config', cfg, '--db', eventsDb]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const overridden = await runAsync(['forward', '--once', '--config', cfg, '--db', eventsDb, '--syslog-format', 'json']);
    expect(overridden.code, overridden.stderr).toBe(0);
    await new Promise((res) => setTimeout(res, 200));
    await rx.close();
    const messages = rx.messages();
    // Two destinations (the format is part of a destination's name): every event in LEEF, then in JSON.
    expect(messages).toHaveLength(2 * events);
    expect(messages.slice(0, events).every((m) => m.includes(' LEEF:2.0|auscult|'))).toBe(true);
    expect(messages.slice(events).every((m) => /\] \{"id":"/.test(m))).toBe(true);
    const status = run(['forward', '--status', '--db', eventsDb]);
    expect(status.stdout).toContain(`syslog+tcp://127.0.0.1:${rx.port} leef: delivered through seq`);
    expect(status.stdout).toContain(`syslog+tcp://127.0.0.1:${rx.port} json: delivered through seq`);

    // retries: 2 from the file, for a receiver that is not there.
    const closed = await tcpReceiver();
    await closed.close();
    writeFileSync(cfg, `forward:\n  syslog: tcp://127.0.0.1:${closed.port}\n  retries: 2\n`);
    const unreachable = await runAsync(['forward', '--once', '--config', cfg, '--db', eventsDb]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/after 2 attempts/);
  }, 60_000);

  it('the Splunk token comes from a file (relative to the configuration file), is sent, and is never logged nor stored', async () => {
    const token = 'f0e1d2c3-token-from-file-9a8b7c6d';
    const seen: { auth?: string; bodies: string[] } = { bodies: [] };
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/services/collector/event') {
          seen.auth = req.headers.authorization;
          seen.bodies.push(body);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    mkdirSync(join(work, 'hec', 'secrets'), { recursive: true });
    writeFileSync(join(work, 'hec', 'secrets', 'splunk-token'), `${token}\n`, { mode: 0o600 });
    const cfg = join(work, 'hec', 'auscult.yaml');
    writeFileSync(cfg, `forward:\n  splunk_hec: http://127.0.0.1:${port}\n  splunk_token_file: secrets/splunk-token\n`);
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [cli, 'forward', '--once', '--config', cfg, '--db', eventsDb], { cwd: work, env: { ...env(), AUSCULT_LOG_LEVEL: 'debug' } });
      let stderr = '';
      let stdout = '';
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.on('exit', (code) => resolve({ code, stderr, stdout }));
    });
    await new Promise<void>((res) => server.close(() => res()));
    expect(r.code, r.stderr).toBe(0);
    expect(seen.auth).toBe(`Splunk ${token}`);
    expect(seen.bodies.join('').split('\n').filter((l) => l !== '')).toHaveLength(events);
    expect(r.stderr + r.stdout).not.toContain(token);
    const status = run(['forward', '--status', '--db', eventsDb]);
    expect(status.stdout).toContain(`splunk-hec http://127.0.0.1:${port}: delivered through seq`);
    expect(status.stdout).not.toContain(token);
    for (const f of [eventsDb, `${eventsDb}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(token)).toBe(false);

    // The token itself is not a key of the file: an error naming it.
    writeFileSync(cfg, `forward:\n  splunk_hec: http://127.0.0.1:${port}\n  splunk_token: ${token}\n`);
    const bad = run(['forward', '--once', '--config', cfg, '--db', eventsDb]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${cfg}:3: unknown key "forward.splunk_token" (known in forward: syslog, syslog_format, syslog_ca, splunk_hec, splunk_token_file,`);
    expect(bad.stderr).not.toContain(token);
    // A missing or empty token file: named, and nothing sent.
    writeFileSync(cfg, `forward:\n  splunk_hec: http://127.0.0.1:${port}\n  splunk_token_file: secrets/none\n`);
    expect(run(['forward', '--once', '--config', cfg, '--db', eventsDb]).stderr).toContain(`--splunk-token-file ${join(work, 'hec', 'secrets', 'none')}: not found`);
    writeFileSync(join(work, 'hec', 'secrets', 'empty'), '\n');
    writeFileSync(cfg, `forward:\n  splunk_hec: http://127.0.0.1:${port}\n  splunk_token_file: secrets/empty\n`);
    expect(run(['forward', '--once', '--config', cfg, '--db', eventsDb]).stderr).toMatch(/secrets\/empty: empty/);
  }, 60_000);
});
