/**
 * `npm run bench:forward`: events per second forwarded into a real rsyslog on loopback (octet-counted
 * TCP and RELP inputs written to a file, main queue Direct so a RELP acknowledgement means written),
 * BENCH_EVENTS (default 20,000) CEF events per transport, from the outbox (positions in SQLite)
 * to the last acknowledgement. Needs rsyslogd and rsyslog-relp; nothing is kept.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syslogDestination } from '../forward/destination.js';
import { forward } from '../forward/forwarder.js';
import { ForwardPositions } from '../store/forward-positions.js';
import type { AuscultEvent } from '../export/event.js';
import type { EventSource } from '../export/event-source.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);

/** A read-only array of events as an EventSource. */
function arraySource(events: AuscultEvent[]): EventSource {
  return {
    after: (afterSeq, limit) => events.slice(afterSeq, afterSeq + limit),
    lastSeq: () => events.length,
    countBetween: (a, b) => Math.max(0, Math.min(b, events.length) - a),
    seqBefore: (through, count) => Math.max(0, through - count),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-forward-'));
  const tcp = await freePort();
  const relp = await freePort();
  writeFileSync(join(dir, 'rsyslog.conf'), `
global(workDirectory="${dir}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off")
main_queue(queue.type="Direct")
module(load="imtcp")
module(load="imrelp")
input(type="imtcp" address="127.0.0.1" port="${tcp}")
input(type="imrelp" address="127.0.0.1" port="${relp}")
action(type="omfile" file="${dir}/received.log")
`);
  const rsyslog = spawn('rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'pid')], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !((await canConnect(tcp)) && (await canConnect(relp))); i++) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.UTC(2026, 0, 1);
    const events: AuscultEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      id: `bench-${i + 1}`, seq: i + 1, time: new Date(t0 + i).toISOString(), type: 'device.new', severity: 'low', device_id: i + 1,
      summary: `New device 02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      details: { mac: '02:00:00:00:00:01', ip: `10.0.${(i >> 8) & 0xff}.${i & 0xff}`, mac_vendor: null },
    }));
    const positions = ForwardPositions.open(join(dir, 'outbox.db'));
    console.log(`| transport | events | seconds | events/s |`);
    console.log('|---|---|---|---|');
    for (const [scheme, port] of [['tcp', tcp], ['relp', relp]] as const) {
      const start = performance.now();
      const r = await forward({ source: arraySource(events), positions, destination: syslogDestination({ url: `${scheme}://127.0.0.1:${port}`, format: 'cef' }), batchSize: 500, resendWindow: 0 });
      const s = (performance.now() - start) / 1000;
      console.log(`| ${scheme} (CEF) | ${r.sent} | ${s.toFixed(2)} | ${Math.round(r.sent / s)} |`);
    }
    positions.close();
  } finally {
    rsyslog.kill('SIGTERM');
    await new Promise((r) => rsyslog.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
