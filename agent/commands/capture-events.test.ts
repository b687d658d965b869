/**
 * The live-only events of a real `auscult capture` on a veth pair the test creates, configured by a
 * config file as an admin would: `device.silent` (a peer that stops talking, with a 2 s silence
 * threshold) and `capture.drops` (a 1 MiB kernel buffer, the capture process stopped with SIGSTOP
 * while the peer floods, so the ring fills and the kernel drops: a tiny buffer alone is not enough
 * on a fast machine, the reader keeps up with a burst; stopping it makes the drops certain).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuscultEvent, EventType } from '../export/event.js';
import { StoreReader } from '../store/reader.js';
import { createVethLab, netnsUnavailable, sh, type VethLab } from '../testing/netns.js';
import { pcapBindingMissing, skipReason, toolMissing } from '../testing/tools.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli.js');
const skip = skipReason('live event tests', netnsUnavailable(), pcapBindingMissing(), toolMissing('ping'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `auscult capture --config FILE` with a config file naming the interface, the database and `extra` lines. */
function startCapture(work: string, name: string, captureIf: string, extra: string) {
  const db = join(work, `${name}.db`);
  const config = join(work, `${name}.yaml`);
  writeFileSync(config, `store:\n  path: ${db}\ncapture:\n  interface: ${captureIf}\n${extra}`);
  const child = spawn(process.execPath, [cli, 'capture', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, db, exited, stdout: () => out, stderr: () => err };
}

/** Read the database the capture writes, or undefined while it does not exist or is being created. */
function readDb<T>(db: string, read: (r: StoreReader) => T): T | undefined {
  if (!existsSync(db)) return undefined;
  try {
    const reader = StoreReader.open(db);
    try {
      return read(reader);
    } finally {
      reader.close();
    }
  } catch {
    return undefined; // being created and migrated
  }
}

const eventsOf = <T extends EventType>(db: string, type: T): AuscultEvent<T>[] =>
  (readDb(db, (r) => r.events({ afterSeq: 0, limit: 1000, type })) ?? []) as AuscultEvent<T>[];

/** Poll `probe` every 250 ms for up to `ms`, until it returns something other than undefined. */
async function until<T>(ms: number, probe: () => T | undefined): Promise<T | undefined> {
  for (let waited = 0; waited < ms; waited += 250) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(250);
  }
  return probe();
}

/** A neighbour entry for an address nobody holds, so the peer sends IP packets there without asking ARP. */
function staticNeighbour(lab: VethLab, ip: string): void {
  sh('ip', ['netns', 'exec', lab.ns, 'ip', 'neigh', 'add', ip, 'lladdr', '02:00:00:00:00:02', 'dev', lab.peerIf, 'nud', 'permanent']);
}

describe.skipIf(skip !== undefined)('live-only events from auscult capture on a veth pair', () => {
  let work: string;
  const labs: VethLab[] = [];
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
    work = mkdtempSync(join(tmpdir(), 'auscult-live-events-'));
  });
  afterAll(() => {
    for (const lab of labs) lab.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('device.silent: a peer that stops talking for events.silent_after_seconds (2 s), not before', async () => {
    const lab = createVethLab('sil', '198.18.85.1', '00:09:fb:85:00:01');
    labs.push(lab);
    // The peer pings an address nobody holds through a static neighbour entry: a frame every 100 ms
    // (without it, the peer's ARP attempts come in bursts with pauses of seconds).
    staticNeighbour(lab, '198.18.85.2');
    // Nothing else from the peer: no IPv6 router solicitations after the ping stops.
    sh('ip', ['netns', 'exec', lab.ns, 'sysctl', '-qw', `net.ipv6.conf.${lab.peerIf}.disable_ipv6=1`]);
    const pinger = lab.spawnInNs('ping', ['-q', '-i', '0.1', '198.18.85.2']);
    const txBefore = lab.txPackets();
    const capture = startCapture(work, 'silent', lab.captureIf, 'events:\n  silent_after_seconds: 2\n');
    try {
      const peerId = await until(20_000, () => readDb(capture.db, (r) => [...r.allDevices()].find((d) => d.mac === lab.peerMac)?.id));
      expect(peerId, capture.stderr()).toBeDefined();
      // Talking: three more flushes (2 s each) and no silence reported.
      await sleep(4500);
      expect(eventsOf(capture.db, 'device.silent')).toEqual([]);

      pinger.kill('SIGKILL');
      const stoppedAt = Date.now();
      const silent = await until(15_000, () => {
        const e = eventsOf(capture.db, 'device.silent');
        return e.length > 0 ? e : undefined;
      });
      expect(silent, capture.stderr()).toHaveLength(1);
      const e = silent![0];
      expect(e).toMatchObject({ type: 'device.silent', severity: 'medium', device_id: peerId, details: { mac: lab.peerMac } });
      const lastSeen = Date.parse(e.details.last_seen);
      expect(lastSeen).toBeGreaterThan(stoppedAt - 1000);
      expect(lastSeen).toBeLessThanOrEqual(stoppedAt + 100);
      expect(e.details.silent_seconds).toBeGreaterThanOrEqual(2);
      // The event's time is when the silence reached the threshold.
      expect(Date.parse(e.time) - lastSeen).toBe(2000);
      // Still silent at later checks: reported once.
      await sleep(4500);
      expect(eventsOf(capture.db, 'device.silent')).toHaveLength(1);
    } finally {
      pinger.kill('SIGKILL');
      capture.child.kill('SIGTERM');
    }
    expect(await capture.exited, capture.stderr()).toBe(0);
    expect(lab.txPackets()).toBe(txBefore);
  });

  it('capture.drops: a 1 MiB buffer and a stopped reader while the peer floods', async () => {
    const lab = createVethLab('drp', '198.18.84.1', '00:09:fb:84:00:01');
    labs.push(lab);
    staticNeighbour(lab, '198.18.84.2');
    const txBefore = lab.txPackets();
    const capture = startCapture(work, 'drops', lab.captureIf,
      '  buffer_size_mib: 1\nevents:\n  capture_drops_threshold: 1000\n  capture_drops_interval_seconds: 60\n');
    try {
      // The first flush writes the counters: the capture listens.
      const listening = await until(20_000, () => readDb(capture.db, (r) => r.captureCounters() ?? undefined));
      expect(listening, capture.stderr()).toBeDefined();
      expect(eventsOf(capture.db, 'capture.drops')).toEqual([]);

      capture.child.kill('SIGSTOP');
      let flood: SpawnSyncReturns<string>;
      try {
        // 65,536 echo requests at once (-l preloads them: no reply is awaited), far more than 1 MiB of ring holds.
        flood = spawnSync('ip', ['netns', 'exec', lab.ns, 'ping', '-q', '-f', '-i', '0', '-l', '65536', '-w', '3', '198.18.84.2'], { encoding: 'utf8' });
      } finally {
        capture.child.kill('SIGCONT');
      }
      expect(flood.error).toBeUndefined();
      expect(Number(/(\d+) packets transmitted/.exec(flood.stdout)?.[1])).toBeGreaterThanOrEqual(65_536);

      const drops = await until(15_000, () => {
        const e = eventsOf(capture.db, 'capture.drops');
        return e.length > 0 ? e : undefined;
      });
      expect(drops, capture.stderr()).toHaveLength(1);
      const e = drops![0];
      expect(e).toMatchObject({ type: 'capture.drops', severity: 'medium', device_id: null, details: { interface: lab.captureIf, threshold: 1000 } });
      expect(e.details.dropped).toBeGreaterThanOrEqual(1000);
      // /health and /metrics read the same drops from the counters the capture wrote.
      const stored = readDb(capture.db, (r) => r.captureCounters());
      expect(stored?.counters.kernelDrops).toBeGreaterThanOrEqual(e.details.dropped);
    } finally {
      capture.child.kill('SIGCONT');
      capture.child.kill('SIGTERM');
    }
    expect(await capture.exited, capture.stderr()).toBe(0);
    expect(capture.stdout()).toMatch(/kernel drops [1-9][\d,]* \|/);
    expect(lab.txPackets()).toBe(txBefore);
  });
});
