/**
 * `auscult capture` as an admin runs it: on an interface fed by a namespace the test creates, stopped
 * by SIGTERM or SIGINT while traffic still arrives. It must exit within two seconds with the database
 * flushed, and must not have transmitted a single packet.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceQuery } from '../store/device-query.js';
import { createVethLab, netnsUnavailable, type VethLab } from '../testing/netns.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli.js');
const skip = netnsUnavailable();
if (skip) console.warn(`auscult capture tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('auscult capture on a veth pair', () => {
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
      await new Promise((r) => setTimeout(r, 2500));
      const sent = Date.now();
      child.kill(signal);
      const { code, at } = await exited;
      pinger.kill('SIGKILL');
      expect(code, err).toBe(0);
      expect(at - sent).toBeLessThan(2000);
      expect(lab.txPackets()).toBe(txBefore);
      expect(out).toMatch(new RegExp(`captured on ${lab.captureIf}: [\\d,]+ packets`));
      expect(out).toMatch(/libpcap: received [\d,]+ \| kernel drops 0 \| interface drops \d+/);
      const h = new Database(db, { readonly: true });
      const devices = [...new DeviceQuery(h).all()];
      const ingest = h.prepare('SELECT kind, source, status, frames, kernel_drops FROM ingests').get();
      h.close();
      const peer = devices.find((d) => d.mac === lab.peerMac);
      expect(peer?.mac_vendor).toMatch(/Philips/);
      expect(peer?.ips.map((a) => a.ip)).toContain(lab.peerIp);
      expect(ingest).toMatchObject({ kind: 'live', source: lab.captureIf, status: 'complete', kernel_drops: 0 });
    });
  }
});
