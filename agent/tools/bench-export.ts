/**
 * `npm run bench:export`: `auscult export devices` in each format on a database of BENCH_DEVICES
 * (default 100,000) devices that this script generates (addresses, a VLAN, a service, a DHCP host
 * name, a classification for one in three), and on one a tenth that size: peak RSS that does not grow
 * with the device count is the constant-memory proof. Wall time and peak RSS from GNU time, median of
 * BENCH_RUNS (default 1) runs. Nothing is kept: the databases live in a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, thousands } from '../config.js';
import { FORMAT_NAMES } from '../export/formats.js';
import { Store } from '../store/store.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const T0 = Date.UTC(2026, 0, 1);

const hex = (n: number) => n.toString(16).padStart(2, '0');

/** A database of `n` devices that look like a hospital floor's; returns its path. */
export function generateDatabase(dir: string, n: number): string {
  const path = join(dir, `bench-${n}.db`);
  const store = new Store(path);
  const BATCH = 5000;
  for (let start = 0; start < n; start += BATCH) {
    store.transaction(() => {
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const first = T0 + i * 10;
        const last = first + 3_600_000;
        const t = { packetsSent: 10, bytesSent: 1000, packetsReceived: 12, bytesReceived: 2000, firstSeenMs: first, lastSeenMs: last };
        const id = store.macDeviceId(`02:${hex(i >> 24)}:${hex((i >> 16) & 0xff)}:${hex((i >> 8) & 0xff)}:${hex(i & 0xff)}:01`, i % 3 ? 'Intel Corporate' : null, false, first);
        store.addTraffic(id, t);
        store.upsertAddress(id, `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, 4, { arp: true, dhcp: true }, t);
        if (i % 2 === 0) store.upsertAddress(id, `fe80::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`, 6, { traffic: true }, t);
        store.upsertVlan(id, 100 + (i % 8), first, last);
        store.upsertService(id, 'tcp', i % 5 === 0 ? 104 : 443, 3, first, last);
        store.upsertObservation(id, 'dhcp', JSON.stringify({ hostname: `ward-${i % 40}-bed-${i}`, vendor_class: 'MSFT 5.0' }), first, last, 2);
        if (i % 3 === 0) {
          const field = (value: string | null) => ({ value, confidence: value === null ? 0 : 80, sources: [] });
          const result = {
            vendor: field('Baxter'), model: field('Sigma Spectrum'), category: field('infusion-pump'), os: field(null), firmware: field('8.01'),
            criticality: 'high', confidence: 80, medical: true,
          };
          store.upsertClassification({
            deviceId: id, vendor: 'Baxter', model: 'Sigma Spectrum', category: 'infusion-pump', criticality: 'high', os: null, firmware: '8.01',
            medical: true, confidence: 80, result: JSON.stringify(result), libraryVersion: 'bench', classifiedAt: last,
          });
        }
      }
    });
  }
  store.close();
  return path;
}

interface Measure {
  wallS: number;
  /** User + system CPU time: what the export costs, less sensitive than wall time to a busy machine. */
  cpuS: number;
  peakRssMb: number;
  bytes: number;
}

function measureExport(db: string, format: string, out: string): Measure {
  const cli = join(packageRoot(), 'dist', 'agent', 'cli.js');
  const runs: Measure[] = [];
  for (let r = 0; r < RUNS; r++) {
    const p = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, 'export', 'devices', '--format', format, '--db', db, '--output', out], {
      encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
    });
    if (p.status !== 0) throw new Error(`export ${format} failed: ${p.stderr}`);
    const [wall, user, sys, rssKb] = p.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    runs.push({ wallS: wall, cpuS: user + sys, peakRssMb: rssKb / 1024, bytes: statSync(out).size });
  }
  runs.sort((a, b) => a.wallS - b.wallS);
  return runs[Math.floor(runs.length / 2)];
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-bench-export-'));
  try {
    const small = Math.max(1, Math.round(DEVICES / 10));
    const t = Date.now();
    const bigDb = generateDatabase(dir, DEVICES);
    console.error(`generated ${thousands(DEVICES)} devices in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const smallDb = generateDatabase(dir, small);
    console.log(`| format | ${thousands(DEVICES)} devices: wall s | CPU s | peak RSS MB | output MB | ${thousands(small)} devices: wall s | CPU s | peak RSS MB |`);
    console.log('|---|---|---|---|---|---|---|---|');
    for (const f of FORMAT_NAMES) {
      const out = join(dir, `out.${f}`);
      const big = measureExport(bigDb, f, out);
      const sm = measureExport(smallDb, f, out);
      console.log(`| ${f} | ${big.wallS.toFixed(2)} | ${big.cpuS.toFixed(2)} | ${big.peakRssMb.toFixed(0)} | ${(big.bytes / 1e6).toFixed(1)} | ${sm.wallS.toFixed(2)} | ${sm.cpuS.toFixed(2)} | ${sm.peakRssMb.toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("bench-export.js")) main();
