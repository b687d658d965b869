/**
 * Forwarding into a real rsyslog (Debian rsyslog, rsyslog-gnutls, rsyslog-relp) on loopback, with a
 * config the test writes: octet-counted TCP, TLS (openssl-made CA and server certificate, verified by
 * the forwarder) and RELP inputs, written to a file. Events are appended while the forwarders run;
 * rsyslog is killed (SIGKILL) mid-stream and started again, and every event id arrives: RELP because
 * each message waits for its own acknowledgement, TCP and TLS thanks to the resend window. rsyslog
 * escapes control characters on receive by default (#011 for TAB): the config turns that off so the
 * LEEF records (TAB-delimited) arrive as sent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardPositions } from '../store/forward-positions.js';
import { parseCef } from '../testing/cef-parser.js';
import { parseLeef } from '../testing/leef-parser.js';
import { MemoryEventLog, sampleEvent } from '../testing/memory-event-log.js';
import { rsyslogModuleMissing, skipReason, toolMissing } from '../testing/tools.js';
import { syslogDestination, type SyslogFormat } from './destination.js';
import { forward, type ForwardResult } from './forwarder.js';

const skip = skipReason('rsyslog forwarding tests', toolMissing('rsyslogd', 'openssl'), rsyslogModuleMissing('imtcp', 'imrelp', 'lmnsd_gtls'));

let dir: string;
const ports = { tcp: 0, tls: 0, relp: 0 };
let rsyslog: ChildProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
}

function writeConfig(): void {
  // A CA, and a server certificate for 127.0.0.1 signed by it.
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=auscult test CA', '-days', '2']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  writeFileSync(join(dir, 'rsyslog.conf'), `
global(workDirectory="${dir}" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="${dir}/ca.pem" defaultNetstreamDriverCertFile="${dir}/server.pem"
       defaultNetstreamDriverKeyFile="${dir}/server.key")
# Direct: a message is in the file before its input returns (RELP acknowledges after that).
main_queue(queue.type="Direct")
module(load="imtcp")
module(load="imrelp")
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" name="tcp")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" name="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imrelp" address="127.0.0.1" port="${ports.relp}" name="relp")
template(name="raw" type="string" string="%inputname% %msg%\\n")
action(type="omfile" file="${dir}/received.log" template="raw")
`);
}

async function startRsyslog(): Promise<void> {
  const child = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  rsyslog = child;
  // Listening when a TCP connect to every input succeeds.
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${err}`);
    const up = await Promise.all(Object.values(ports).map((p) => canConnect(p)));
    if (up.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`rsyslogd did not listen: ${err}`);
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function killRsyslog(): Promise<void> {
  const child = rsyslog;
  rsyslog = null;
  if (child === null || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  rmSync(join(dir, 'rsyslog.pid'), { force: true });
}

/** The event ids in the file, per input. */
function received(): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = { tcp: new Set(), tls: new Set(), relp: new Set() };
  const path = join(dir, 'received.log');
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const input = line.slice(0, sp);
    const msg = line.slice(sp + 1);
    out[input]?.add(idOf(msg));
  }
  return out;
}

const FORMAT_OF: Record<string, SyslogFormat> = { tcp: 'cef', tls: 'leef', relp: 'json' };

function idOf(msg: string): string {
  if (msg.startsWith('CEF:')) return parseCef(msg).extension.get('externalId') ?? '?';
  if (msg.startsWith('LEEF:')) return parseLeef(msg).attributes.get('externalId') ?? '?';
  return (JSON.parse(msg) as { id: string }).id;
}

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'auscult-rsyslog-'));
  ports.tcp = await freePort();
  ports.tls = await freePort();
  ports.relp = await freePort();
  writeConfig();
});
afterAll(async () => {
  await killRsyslog();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('forwarding into rsyslog', () => {
  it('every event id arrives over TCP, TLS and RELP although rsyslog is killed mid-stream', async () => {
    await startRsyslog();
    const log = new MemoryEventLog();
    const positions = ForwardPositions.open(join(dir, 'outbox.db'));
    const ac = new AbortController();
    const TOTAL = 3000;
    let appended = 0;
    const append = (n: number): void => {
      log.append(Array.from({ length: n }, (_, i) => sampleEvent(appended + i + 1)));
      appended += n;
    };
    append(1000);
    const runs: Promise<ForwardResult>[] = (['tcp', 'tls', 'relp'] as const).map((scheme) =>
      forward({
        source: log, positions, signal: ac.signal, follow: true, pollMs: 20, backoffMs: [50, 300], batchSize: 50,
        resendWindow: Number(process.env.AUSCULT_TEST_RESEND_WINDOW ?? 1500),
        destination: syslogDestination({ url: `${scheme}://127.0.0.1:${ports[scheme]}`, format: FORMAT_OF[scheme], caFile: scheme === 'tls' ? join(dir, 'ca.pem') : undefined }),
      }));
    // Killed mid-stream: once every forwarder has sent some of the first thousand, while the rest flows.
    const minPosition = (): number => Math.min(...['tcp', 'tls', 'relp'].map((s) => positions.all().find((p) => p.destination.startsWith(`syslog+${s}:`))?.deliveredSeq ?? 0));
    while (minPosition() < 100) await new Promise((r) => setTimeout(r, 5));
    await killRsyslog();
    const atKill = minPosition();
    append(1000);
    await new Promise((r) => setTimeout(r, 300));
    await startRsyslog();
    append(1000);
    const want = Array.from({ length: TOTAL }, (_, i) => `evt-test-${i + 1}`);
    let got = received();
    for (let i = 0; i < 600 && !want.every((id) => got.tcp.has(id) && got.tls.has(id) && got.relp.has(id)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = received();
    }
    ac.abort();
    const results = await Promise.all(runs);
    expect(atKill).toBeLessThan(1000);
    for (const input of ['tcp', 'tls', 'relp']) expect(want.filter((id) => !got[input].has(id)), input).toEqual([]);
    for (const r of results) {
      expect(r.deliveredSeq).toBe(TOTAL);
      expect(r.reconnects).toBeGreaterThanOrEqual(1);
    }
    expect(positions.all().map((p) => p.deliveredSeq)).toEqual([TOTAL, TOTAL, TOTAL]);
    positions.close();
  }, 120_000);
});
