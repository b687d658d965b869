/**
 * `auscult capture` as an admin runs it: on an interface fed by a namespace the test creates, stopped
 * by SIGTERM or SIGINT while traffic still arrives. It must exit within two seconds with the database
 * flushed, and must not have transmitted a single packet.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreReader } from '../store/reader.js';
import { createVethLab, netnsUnavailable, type VethLab } from '../testing/netns.js';
import { pcapBindingMissing, skipReason, toolMissing } from '../testing/tools.js';
import { authHeaders, createTestToken } from '../../api/testing/test-app.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli.js');
const liveSkip = skipReason('live capture tests', netnsUnavailable(), pcapBindingMissing());
/** The tests that make the peer send traffic with ping. */
const trafficSkip = liveSkip ?? skipReason('capture tests with traffic', toolMissing('ping'));

/** Wait (up to 20 s) until the capture writing `db` has flushed some frames. */
async function untilFramesStored(db: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await new Promise((r) => setTimeout(r, 250));
    if (!existsSync(db)) continue;
    try {
      const reader = StoreReader.open(db);
      const frames = reader.health().lastIngest?.frames ?? 0;
      reader.close();
      if (frames > 0) return;
    } catch {
      // still being created and migrated
    }
  }
}

describe.skipIf(trafficSkip !== undefined)('auscult capture on a veth pair', () => {
  let lab: VethLab;
  let work: string;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
    lab = createVethLab('cap');
    work = mkdtempSync(join(tmpdir(), 'auscult-capture-'));
  });
  afterAll(() => {
    lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} while traffic flows: exits within 2 s, database flushed, nothing sent`, async () => {
      const db = join(work, `${signal}.db`);
      // Pings towards an address nobody holds: the peer broadcasts ARP requests; a fast ping keeps frames coming.
      const pinger = lab.spawnInNs('ping', ['-q', '-i', '0.05', '198.18.88.2']);
      const txBefore = lab.txPackets();
      const child = spawn(process.execPath, [cli, 'capture', '--interface', lab.captureIf, '--db', db], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null; at: number }>((r) => child.on('exit', (code) => r({ code, at: Date.now() })));
      // Until a flush has stored frames (a loaded machine may take seconds to start the capture), then 0.5 s more.
      await untilFramesStored(db);
      await new Promise((r) => setTimeout(r, 500));
      const sent = Date.now();
      child.kill(signal);
      const { code, at } = await exited;
      pinger.kill('SIGKILL');
      expect(code, err).toBe(0);
      expect(at - sent).toBeLessThan(2000);
      expect(lab.txPackets()).toBe(txBefore);
      expect(out).toMatch(new RegExp(`captured on ${lab.captureIf}: [\\d,]+ packets`));
      expect(out).toMatch(/libpcap: received [\d,]+ \| kernel drops 0 \| interface drops \d+/);
      const reader = StoreReader.open(db);
      const devices = [...reader.allDevices()];
      const [ingest] = reader.ingests();
      const run = reader.lastLiveIngest(lab.captureIf);
      reader.close();
      const peer = devices.find((d) => d.mac === lab.peerMac);
      expect(peer?.mac_vendor).toMatch(/Philips/);
      expect(peer?.ips.map((a) => a.ip)).toContain(lab.peerIp);
      expect(ingest).toMatchObject({ kind: 'live', source: lab.captureIf, status: 'complete', kernel_drops: 0 });
      // The run records the interface's transmit counter around it, for `auscult doctor`.
      expect(run).toMatchObject({ txPacketsStart: txBefore, txPacketsEnd: txBefore });
    });
  }
});

describe.skipIf(trafficSkip !== undefined)('auscult run: capture and API in one process', () => {
  let lab: VethLab;
  let work: string;
  beforeAll(() => {
    lab = createVethLab('run', '198.18.89.1', '00:1b:21:89:00:01');
    work = mkdtempSync(join(tmpdir(), 'auscult-run-'));
  });
  afterAll(() => {
    lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves devices while capturing, and stops within 2 s on SIGTERM', async () => {
    const pinger = lab.spawnInNs('ping', ['-q', '-i', '0.05', '198.18.89.2']);
    const txBefore = lab.txPackets();
    const child = spawn(process.execPath, [cli, 'run', '--interface', lab.captureIf, '--db', join(work, 'run.db'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((r) => child.on('exit', (code) => r({ code, at: Date.now() })));
    let url: string | undefined;
    for (let i = 0; i < 400 && !url; i++) {
      await new Promise((r) => setTimeout(r, 50));
      url = /auscult API at (http:\/\/[^/\s]+)/.exec(err)?.[1];
    }
    expect(url, err).toBeDefined();
    // A token created while `run` runs is accepted at once.
    const headers = authHeaders(createTestToken(join(work, 'run.db'), ['read']));
    // The capture flushes every 2 s; the API reads the same database.
    let found: { mac: string | null }[] = [];
    for (let i = 0; i < 40 && !found.some((d) => d.mac === lab.peerMac); i++) {
      await new Promise((r) => setTimeout(r, 250));
      found = ((await (await fetch(`${url}/api/v1/devices`, { headers })).json()) as { items: { mac: string | null }[] }).items;
    }
    expect(found.map((d) => d.mac)).toContain(lab.peerMac);
    // /health shows the capture's progress as of its last flush: frames, drops, the last packet's time.
    type Health = {
      status: string; last_ingest: { kind: string; status: string; frames: number; kernel_drops: number | null; last_packet_at: string | null; updated_at: string };
      capture: { source: string; frames_received: number; kernel_drops: number; age_seconds: number } | null;
    };
    const health = async (): Promise<Health> => (await (await fetch(`${url}/health`)).json()) as Health;
    const first = await health();
    expect(first).toMatchObject({ status: 'ok', last_ingest: { kind: 'live', status: 'running', kernel_drops: 0 } });
    expect(first.last_ingest.frames).toBeGreaterThan(0);
    // The same process's capture counters, as /metrics reports them, with their age.
    expect(first.capture).toMatchObject({ source: lab.captureIf, kernel_drops: 0 });
    expect(first.capture!.frames_received).toBeGreaterThan(0);
    expect(first.capture!.age_seconds).toBeLessThan(5);
    expect(Date.now() - Date.parse(first.last_ingest.last_packet_at!)).toBeLessThan(10_000);
    let later = first;
    for (let i = 0; i < 40 && later.last_ingest.frames === first.last_ingest.frames; i++) {
      await new Promise((r) => setTimeout(r, 250));
      later = await health();
    }
    expect(later.last_ingest.frames).toBeGreaterThan(first.last_ingest.frames);
    expect(later.last_ingest.updated_at > first.last_ingest.updated_at).toBe(true);
    const sent = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    pinger.kill('SIGKILL');
    expect(code, err).toBe(0);
    expect(at - sent).toBeLessThan(2000);
    expect(lab.txPackets()).toBe(txBefore);
  });
});

/** A CLI process with its stderr kept (the API's ready line is there). */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
  let err = '';
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => err };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(trafficSkip !== undefined)('auscult capture and auscult serve as separate processes', () => {
  let lab: VethLab;
  let work: string;
  beforeAll(() => {
    lab = createVethLab('hlt', '198.18.87.1', '00:09:fb:87:00:01');
    work = mkdtempSync(join(tmpdir(), 'auscult-health-'));
  });
  afterAll(() => {
    lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('/health reports the counters the capture process wrote at its flush, as /metrics does, with their age', async () => {
    const db = join(work, 'h.db');
    const pinger = lab.spawnInNs('ping', ['-q', '-i', '0.05', '198.18.87.2']);
    const capture = startCli(['capture', '--interface', lab.captureIf, '--db', db]);
    // The capture creates and migrates the database before it listens; serve opens it read-only.
    for (let i = 0; i < 100 && !existsSync(db); i++) await sleep(50);
    const serve = startCli(['serve', '--db', db, '--port', '0']);
    try {
      let url: string | undefined;
      for (let i = 0; i < 200 && !url && serve.child.exitCode === null; i++) {
        await sleep(50);
        url = /auscult API at (http:\/\/[^/\s]+)/.exec(serve.stderr())?.[1];
      }
      expect(url, serve.stderr()).toBeDefined();
      type Capture = { ingest_id: number; source: string; frames_received: number; kernel_drops: number; interface_drops: number; last_packet_at: string | null; written_at: string; age_seconds: number };
      const health = async () => (await (await fetch(`${url}/health`)).json()) as { status: string; capture: Capture | null };
      let first = await health();
      for (let i = 0; i < 60 && (first.capture === null || first.capture.frames_received === 0); i++) {
        await sleep(250);
        first = await health();
      }
      expect(first.status).toBe('ok');
      expect(first.capture, capture.stderr()).toMatchObject({ source: lab.captureIf, kernel_drops: 0 });
      const c1 = first.capture!;
      expect(c1.frames_received).toBeGreaterThan(0);
      expect(c1.age_seconds).toBeLessThan(5);
      expect(Date.now() - Date.parse(c1.last_packet_at!)).toBeLessThan(10_000);
      // The next flush (every 2 s) moves them on.
      let later = first;
      for (let i = 0; i < 40 && later.capture!.written_at === c1.written_at; i++) {
        await sleep(250);
        later = await health();
      }
      expect(later.capture!.frames_received).toBeGreaterThan(c1.frames_received);
      expect(Date.parse(later.capture!.last_packet_at!)).toBeGreaterThan(Date.parse(c1.last_packet_at!));

      // Stopped: the final counters stay, /metrics reports the same ones, and their age grows.
      capture.child.kill('SIGTERM');
      expect(await capture.exited, capture.stderr()).toBe(0);
      pinger.kill('SIGKILL');
      const stopped = (await health()).capture!;
      const metrics = await (await fetch(`${url}/metrics`, { headers: authHeaders(createTestToken(db, ['metrics'])) })).text();
      const series = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(series('auscult_frames_received_total')).toBe(stopped.frames_received);
      expect(series('auscult_kernel_drops_total')).toBe(stopped.kernel_drops);
      expect(series('auscult_interface_drops_total')).toBe(stopped.interface_drops);
      expect(metrics).toContain(`auscult_capture_info{source="${lab.captureIf}",ingest_id="${stopped.ingest_id}"} 1`);
      await sleep(1100);
      const aged = (await health()).capture!;
      expect(aged).toMatchObject({ frames_received: stopped.frames_received, written_at: stopped.written_at });
      expect(aged.age_seconds - stopped.age_seconds).toBeGreaterThanOrEqual(1);
    } finally {
      pinger.kill('SIGKILL');
      capture.child.kill('SIGKILL');
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});

describe('capture errors name the fix', () => {
  const notRoot = process.getuid?.() !== 0 ? 'needs root to switch to an unprivileged user' : undefined;
  const cannotSwitch = notRoot ?? toolMissing('setpriv') ?? pcapBindingMissing();
  // The checkout may sit in a directory only root can enter (mktemp -d makes 0700 ones).
  const privateCheckout = cannotSwitch === undefined &&
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', cli]).status !== 0
    ? `an unprivileged user cannot read ${cli} (a parent directory is private)` : undefined;
  const permissionSkip = skipReason('permission test', cannotSwitch, privateCheckout);
  it.skipIf(permissionSkip !== undefined)('no capture permission (an unprivileged user)', () => {
    const work = mkdtempSync(join(tmpdir(), 'auscult-perm-'));
    chmodSync(work, 0o777);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'capture', '-i', 'lo', '--db', join(work, 'p.db')], { encoding: 'utf8' });
    rmSync(work, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^auscult: no permission to capture on lo .*run auscult as root, or with CAP_NET_RAW .*setcap cap_net_raw=ep on a copy of node private to auscult, never on the system-wide node/);
    expect(r.stderr).not.toMatch(/net_admin/i);
  });

  it('libpcap binding missing', () => {
    const work = mkdtempSync(join(tmpdir(), 'auscult-nopcap-'));
    // Make the native binding fail to load, as it does when pcap could not be built without libpcap-dev.
    const hook = join(work, 'no-pcap.cjs');
    writeFileSync(hook, `const M = require('node:module'); const load = M._load;
M._load = function (request, ...rest) { if (/pcap_binding/.test(request)) throw new Error('libpcap.so.0.8: cannot open shared object file'); return load.call(this, request, ...rest); };`);
    const r = spawnSync(process.execPath, ['--require', hook, cli, 'capture', '-i', 'lo', '--db', join(work, 'x.db')], { encoding: 'utf8' });
    rmSync(work, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^auscult: live capture unavailable: the libpcap binding did not load .*apt-get install libpcap-dev.*npm ci again/);
  });

  it.skipIf(liveSkip !== undefined)('a bad BPF filter shows libpcap\'s message', () => {
    const r = spawnSync(process.execPath, [cli, 'capture', '-i', 'lo', '--filter', 'port nonsense', '--db', join(tmpdir(), `bpf-${process.pid}.db`)], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/filter/i);
  });
});
