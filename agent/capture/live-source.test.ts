/**
 * Live capture against real kernel traffic: a veth pair whose peer sits in a private network
 * namespace and sends ARP and ICMP towards the end we capture on. The captured end has no address
 * and IPv6 disabled, so the kernel never transmits on it and its tx counter proves auscult did not.
 * Needs root, `ip netns`, `ping` and the pcap binding; skipped with a printed reason otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createVethLab, netnsUnavailable, sh, type VethLab } from '../testing/netns.js';
import { pcapBindingMissing, skipReason, toolMissing } from '../testing/tools.js';
import { openLiveCapture } from './live-source.js';
import { UserFacingError } from '../errors.js';
import { LinkType } from './types.js';

const PEER_IP = '198.18.77.1';
/** Nobody answers: the peer keeps broadcasting ARP requests for it. */
const UNRESOLVED_IP = '198.18.77.2';
/** Static neighbour entry: the peer sends ICMP echo requests to it without asking ARP first. */
const STATIC_IP = '198.18.77.3';
const STATIC_MAC = '02:00:5e:00:77:03';

const skip = skipReason('live-source tests', netnsUnavailable(), toolMissing('ping'), pcapBindingMissing());

let lab: VethLab;
const txPackets = (): number => lab.txPackets();

/** Starts `ping` inside the namespace; the caller kills it. */
function pingFromPeer(target: string, intervalS: string): ChildProcess {
  return lab.spawnInNs('ping', ['-q', '-i', intervalS, target]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(20);
}

describe.skipIf(skip !== undefined)('openLiveCapture on a veth fed from a network namespace', () => {
  let jsDir = '';

  beforeAll(() => {
    lab = createVethLab('lt', PEER_IP, '00:09:fb:77:00:01');
    sh('ip', ['netns', 'exec', lab.ns, 'ip', 'neigh', 'replace', STATIC_IP, 'lladdr', STATIC_MAC, 'dev', lab.peerIf]);

    // The shutdown test runs live-source in a child process, which needs JavaScript.
    jsDir = mkdtempSync(join(tmpdir(), 'auscult-live-'));
    mkdirSync(join(jsDir, 'capture'));
    // The module and what it imports, in the same layout (agent/capture/, agent/errors.ts).
    for (const name of ['capture/live-source', 'capture/types', 'errors']) {
      const source = readFileSync(new URL(`../${name}.ts`, import.meta.url), 'utf8');
      const out = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      });
      writeFileSync(join(jsDir, `${name}.js`), out.outputText);
    }
  });

  afterAll(() => {
    lab?.destroy();
    if (jsDir !== '') rmSync(jsDir, { recursive: true, force: true });
  });

  it('delivers ARP and ICMP frames with Ethernet link type and current timestamps, sending nothing', async () => {
    const frames: { caplen: number; wireLen: number; tsMicros: number; linkType: number; etherType: number }[] = [];
    const txBefore = txPackets();
    const startMicros = Date.now() * 1000;
    const capture = openLiveCapture({ interface: lab.captureIf }, {
      frame(bytes, offset, caplen, wireLen, tsMicros, linkType) {
        frames.push({ caplen, wireLen, tsMicros, linkType, etherType: bytes.readUInt16BE(offset + 12) });
      },
    });
    const arp = pingFromPeer(UNRESOLVED_IP, '0.2');
    const icmp = pingFromPeer(STATIC_IP, '0.05');
    try {
      await waitFor(() => frames.some((f) => f.etherType === 0x0806) && frames.filter((f) => f.etherType === 0x0800).length >= 5, 8000);
    } finally {
      await stop(arp);
      await stop(icmp);
    }
    const statsOpen = capture.stats();
    capture.close();
    const endMicros = Date.now() * 1000;

    expect(capture.linkType).toBe(LinkType.ETHERNET);
    expect(frames.some((f) => f.etherType === 0x0806)).toBe(true);
    expect(frames.filter((f) => f.etherType === 0x0800).length).toBeGreaterThanOrEqual(5);
    for (const f of frames) {
      expect(f.linkType).toBe(LinkType.ETHERNET);
      expect(f.tsMicros).toBeGreaterThanOrEqual(startMicros - 1_000_000);
      expect(f.tsMicros).toBeLessThanOrEqual(endMicros + 1_000_000);
      expect(f.caplen).toBeGreaterThanOrEqual(42); // smallest ARP frame without padding
      expect(f.caplen).toBeLessThanOrEqual(f.wireLen);
    }
    expect(txPackets()).toBe(txBefore);

    expect(statsOpen.received).toBeGreaterThanOrEqual(frames.length);
    expect(statsOpen.kernelDrops).toBe(0);
    // After close: the last counters read, and close() again is harmless.
    const statsClosed = capture.stats();
    expect(statsClosed.received).toBeGreaterThanOrEqual(statsOpen.received);
    expect(() => capture.close()).not.toThrow();
    expect(capture.stats()).toEqual(statsClosed);
  });

  it('reports an unknown interface with the available ones', () => {
    const open = (): unknown => openLiveCapture({ interface: 'nosuch0' }, { frame() {} });
    expect(open).toThrow(UserFacingError);
    expect(open).toThrow(/unknown interface nosuch0; available: .*\blo\b/);
  });

  it('reports a bad BPF filter with libpcap\'s message', () => {
    const open = (): unknown => openLiveCapture({ interface: lab.captureIf, filter: 'tcp port' }, { frame() {} });
    expect(open).toThrow(/bad capture filter "tcp port": .*syntax error/);
  });

  /**
   * Runs live-source in a child that closes the capture on SIGINT and returns how long the child
   * took to exit after the signal (Infinity if it was still running after `limitMs`).
   */
  async function exitDelayAfterSigint(filter: string, limitMs: number): Promise<number> {
    const script = `
      import { openLiveCapture } from ${JSON.stringify(pathToFileURL(join(jsDir, 'capture', 'live-source.js')).href)};
      const capture = openLiveCapture({ interface: ${JSON.stringify(lab.captureIf)}, filter: ${JSON.stringify(filter)} }, { frame() {} });
      process.on('SIGINT', () => capture.close());
      process.stdout.write('open\\n');`;
    // NODE_PATH lets the transpiled module in the temp dir resolve the pcap package.
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_PATH: fileURLToPath(new URL('../../node_modules', import.meta.url)) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('open')) resolve(); });
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      await sleep(500); // let frames flow through the open capture
      const exited = new Promise<number>((resolve) => child.once('exit', () => resolve(Date.now())));
      const signalledAt = Date.now();
      child.kill('SIGINT');
      const exitedAt = await Promise.race([exited, sleep(limitMs).then(() => Infinity)]);
      return exitedAt - signalledAt;
    } finally {
      await stop(child);
    }
  }

  // Without the binding patch this case also passes: the flood hands libpcap a new ring block
  // within the buffer timeout, and that dispatch is what used to finish the close.
  it('lets the process exit within 2 s of close() while a ping flood keeps arriving', async () => {
    const flood = pingFromPeer(STATIC_IP, '0.01');
    try {
      expect(await exitDelayAfterSigint('', 5000)).toBeLessThan(2000);
    } finally {
      await stop(flood);
    }
  });

  // The case that hung with unpatched pcap@3.1.0: traffic keeps arriving on the interface but none
  // of it passes the filter, so no dispatch ever ran again to finish the close.
  it('lets the process exit within 2 s of close() while only filtered-out traffic arrives', async () => {
    const flood = pingFromPeer(STATIC_IP, '0.01');
    try {
      expect(await exitDelayAfterSigint('udp port 67', 5000)).toBeLessThan(2000);
    } finally {
      await stop(flood);
    }
  });
});
