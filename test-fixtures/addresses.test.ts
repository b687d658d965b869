/**
 * Where devices and their addresses come from (issue 13, items 7, 8, 9), through the whole pipeline on
 * captures made by real software (test-fixtures) and public ones (../shared/corpus, skipped with a
 * printed reason when absent):
 * - a device named only by an HL7 OBX-18 EUI-64 is `derived` from the gateway's message, with capped
 *   confidence (hl7-pcd01.pcap);
 * - evidence a remote Internet host sends goes to its routed device, never to the gateway's MAC, and
 *   no public address is on two devices (zeek var-services-std-ports.pcap: a VMware NAT gateway);
 * - LLDP/CDP management addresses (lldpd), DHCPv6 REPLY and NDP advertisements (dnsmasq) bind
 *   addresses; dnsmasq's router advertisements make it a router; Samba is not Windows.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { addressScope } from '../agent/decode/address-scope.js';
import { builtinFingerprintsDir, DERIVED_MAX_CONFIDENCE, loadLibrary, type Library } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import type { DeviceDetail } from '../agent/store/device-json.js';
import { Store } from '../agent/store/store.js';
import { loadFrames } from '../agent/testing/frames.js';
import { corpusDir } from './agreement.js';
import { fixtureDir } from './golden.js';

const dir = fixtureDir();
const corpus = corpusDir();
let work = '';
let library: Library;
let runs = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-addr-'));
  library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The devices, with their peers, after `feed` gave the pipeline its frames (flushing every `flushEveryFrames`). */
async function devicesAfter(feed: (p: Pipeline) => Promise<void>, flushEveryFrames?: number): Promise<DeviceDetail[]> {
  const store = new Store(join(work, `${++runs}.db`));
  try {
    const pipeline = new Pipeline(store, { library, flushEveryFrames, flushIntervalMs: 0 });
    await feed(pipeline);
    pipeline.finish();
    pipeline.close();
    const reader = store.reader;
    return [...reader.allDevices()].map((d) => reader.deviceDetail(d.id)!);
  } finally {
    store.close();
  }
}

/** Ingest one capture (flushing every `flushEveryFrames` frames). */
const ingest = (path: string, flushEveryFrames?: number) => devicesAfter(async (p) => void (await readCaptureFile(path, p)), flushEveryFrames);

const byMac = (devices: DeviceDetail[], mac: string) => devices.find((d) => d.mac === mac)!;
const sources = (d: DeviceDetail) => Object.fromEntries(d.ips.map((a) => [a.ip, a.sources]));

describe('devices derived from another device\'s message (hl7-pcd01.pcap: IHE PCD-01 from a Philips gateway)', () => {
  it('the monitor named by OBX-18 is derived from the gateway, its MAC from the EUI-64, its confidence below the cap', async () => {
    const devices = await ingest(join(dir, 'hl7-pcd01.pcap'));
    const gateway = byMac(devices, '00:09:fb:40:00:21');
    const monitor = byMac(devices, '00:09:fb:4c:10:01');
    expect(gateway).toMatchObject({ kind: 'layer2', category: 'medical-device-gateway' });
    expect(gateway.derived).toBeUndefined();
    expect(monitor).toMatchObject({
      kind: 'derived', packets_sent: 0, ips: [], category: 'patient-monitor', medical: true,
      derived: { from_device: gateway.id, protocol: 'hl7', field: 'OBX-18', message_type: 'ORU^R01', mac_source: `hl7 OBX-18 EUI-64 from device ${gateway.id}` },
    });
    // What a gateway relays is weaker than what a device on the wire says: below the gateway, and capped.
    expect(monitor.confidence).toBeLessThanOrEqual(DERIVED_MAX_CONFIDENCE);
    expect(monitor.confidence).toBeLessThan(gateway.confidence);
    const c = monitor.classification as { confidence_cap?: { max: number; reason: string }; category: { confidence: number; score: number } };
    expect(c.confidence_cap).toEqual({ max: DERIVED_MAX_CONFIDENCE, reason: `known only from hl7 OBX-18 of device ${gateway.id}, never seen on the wire` });
    expect(c.category.score).toBeGreaterThan(c.category.confidence); // the evidence is kept, only the confidence capped
    // Devices seen on the wire carry no cap.
    expect((gateway.classification as { confidence_cap?: unknown }).confidence_cap).toBeUndefined();
  });
});

describe('addresses a device reports or is given', () => {
  it('LLDP and CDP management addresses are the switch\'s and the phone\'s, reported, not seen in traffic (lldpd)', async () => {
    const devices = await ingest(join(dir, 'evidence-lldp.pcap'));
    expect(sources(byMac(devices, '00:1a:a1:1e:00:02'))).toEqual({ '10.30.0.2': ['lldp', 'cdp'] });
    expect(sources(byMac(devices, '64:16:7f:1e:00:41'))).toEqual({ '10.30.0.41': ['lldp', 'cdp'] });
    expect(sources(byMac(devices, '00:09:fb:1e:00:31'))).toEqual({ '10.30.0.31': ['lldp'] });
    const cut = await ingest(join(dir, 'l2-lldp-cut.pcap'));
    expect(sources(byMac(cut, '00:1c:2e:12:00:02'))).toEqual({ '10.12.0.2': ['lldp'] });
    expect(sources(byMac(cut, '00:1a:a1:12:00:03'))).toEqual({ '10.12.0.3': ['lldp', 'cdp'] });
  });

  it('DHCPv6 REPLY addresses and NDP advertisements bind; dnsmasq\'s router advertisements make it a router that keeps its own addresses', async () => {
    const devices = await ingest(join(dir, 'dhcpv6-dnsmasq.pcap'));
    expect(sources(byMac(devices, '00:1b:21:50:00:50'))).toEqual({
      'fe80::21b:21ff:fe50:50': ['ndp', 'traffic'], 'fd00:a5c:50::12e': ['dhcpv6', 'traffic'],
    });
    const monitor = byMac(devices, '00:09:fb:50:00:31');
    expect(monitor.ips.find((a) => a.ip === 'fd00:a5c:50::13d')).toMatchObject({ sources: ['ndp', 'dhcpv6', 'traffic'], dhcp_lease_seconds: 600 });
    const router = byMac(devices, '00:0d:b9:50:00:01');
    expect(router.is_router).toBe(true);
    // Its link-local address (never forwarded) and the ULA it advertised with NDP stay its own.
    expect(sources(router)).toEqual({ 'fe80::20d:b9ff:fe50:1': ['traffic'], 'fd00:a5c:50::1': ['ndp', 'traffic'] });
    expect(devices.filter((d) => d.kind === 'routed')).toEqual([]);
  });
});

describe('Samba is not Windows (smb-samba.pcap: Samba 4 answers NativeOS "Windows 6.1")', () => {
  it('the server\'s OS is not Windows; its software is Samba', async () => {
    const server = byMac(await ingest(join(dir, 'smb-samba.pcap')), 'f8:bc:12:50:00:10');
    expect(server.evidence.smb).toMatchObject({ native_os: ['Windows 6.1'], native_lanman: ['Samba 4.17.12-Debian'] });
    expect(server.os).not.toBe('Windows');
    expect((server.classification as { software: { value: string } }).software.value).toBe('Samba 4.17.12-Debian');
  });
});

describe('a home router carrying one Internet address (routed.pcap cut to one remote web server)', () => {
  /** Devices after feeding `frames` (0-based indexes into routed.pcap), flushing every `flushEveryFrames`. */
  async function devicesOf(indexes: number[], flushEveryFrames: number): Promise<DeviceDetail[]> {
    const all = await loadFrames(join(dir, 'routed.pcap'));
    return devicesAfter(async (pipeline) => {
      for (const f of indexes.map((i) => all[i])) pipeline.frame(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
    }, flushEveryFrames);
  }
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('rtr is a router, and the web server\'s "Server:" header is 198.51.100.10\'s, whatever the order and the flushes', async () => {
    // Frames 1-2: pc1's ARP for rtr; 3-6: ping to 198.51.100.10; 29-40: HTTP to it (1-based, as tshark numbers them).
    const arpFirst = [...range(0, 5), ...range(28, 39)];
    const arpLast = [...range(2, 5), ...range(28, 39), 0, 1];
    for (const [order, flush] of [[arpFirst, 1e9], [arpFirst, 1], [arpLast, 1e9], [arpLast, 1]] as const) {
      const devices = await devicesOf([...order], flush);
      const rtr = byMac(devices, '00:1a:a1:0a:00:01');
      expect(rtr.is_router).toBe(true);
      expect(sources(rtr)).toEqual({ '10.20.0.1': ['arp'] });
      expect(rtr.evidence).toEqual({});
      const web = devices.filter((d) => d.ips.some((a) => a.ip === '198.51.100.10'));
      expect(web.map((d) => d.kind)).toEqual(['routed']);
      expect(web[0].evidence.http).toMatchObject({ server: ['SimpleHTTP/0.6 Python/3.11.2'] });
      expect(web[0].services.map((sv) => `${sv.transport}/${sv.port}`)).toEqual(['tcp/80']);
    }
  });
});

const varCapture = join(corpus, 'mdns', 'zeek__var-services-std-ports.pcap');
const xiaomi = join(corpus, 'consumer_iot', 'ndpi__xiaomi.pcap');
const corpusPresent = existsSync(varCapture) && existsSync(xiaomi);
if (!corpusPresent) console.warn(`router attribution corpus tests skipped: ${corpus} not found (../shared sits beside the checkout in CI)`);

/** Public addresses held by more than one device. */
function sharedPublicAddresses(devices: DeviceDetail[]): string[] {
  const holders = new Map<string, number>();
  for (const d of devices) for (const a of d.ips) if (addressScope(a.ip) === 'public') holders.set(a.ip, (holders.get(a.ip) ?? 0) + 1);
  return [...holders].filter(([, n]) => n > 1).map(([ip]) => ip);
}

describe.skipIf(!corpusPresent)('evidence a remote host sends goes to its routed device (../shared/corpus)', () => {
  it('a VMware NAT gateway carrying Internet addresses is a router; Google\'s "Server: gws" is 74.125.225.81\'s, whatever the flushes', async () => {
    for (const every of [undefined, 20, 3]) {
      const devices = await ingest(varCapture, every);
      const gateway = byMac(devices, '00:50:56:fd:dc:57');
      expect(gateway.is_router, `flush every ${every}`).toBe(true);
      expect(sources(gateway)).toEqual({ '172.16.238.2': ['arp', 'traffic'] });
      expect(gateway.evidence.http).toBeUndefined();
      expect(gateway.evidence.ssh).toBeUndefined();
      const google = devices.find((d) => d.kind === 'routed' && d.ips.some((a) => a.ip === '74.125.225.81'))!;
      expect(google.evidence.http).toMatchObject({ server: ['gws'] });
      expect(google.services.map((s) => `${s.transport}/${s.port}`)).toEqual(['tcp/80']);
      const ssh = devices.find((d) => d.kind === 'routed' && d.ips.some((a) => a.ip === '141.142.192.39'))!;
      expect(ssh.evidence.ssh).toMatchObject({ software: ['OpenSSH_4.3'] });
      // The Ubuntu host's conversation with Google names Google's device, not the gateway.
      const host = byMac(devices, '00:0c:29:bd:6f:01');
      expect(host.peers.filter((p) => p.peer_ip === '74.125.225.81').every((p) => p.peer_device_id === google.id)).toBe(true);
      expect(sharedPublicAddresses(devices)).toEqual([]);
    }
  });

  it('a public address sourced by two MACs is one routed device, and both MACs forward it (ndpi xiaomi.pcap)', async () => {
    const devices = await ingest(xiaomi);
    expect(sharedPublicAddresses(devices)).toEqual([]);
    const remote = devices.filter((d) => d.ips.some((a) => a.ip === '115.164.74.232'));
    expect(remote.map((d) => d.kind)).toEqual(['routed']);
    expect(byMac(devices, '00:0d:00:60:7d:a9').is_router).toBe(true);
    expect(byMac(devices, '00:03:00:3d:8e:78').is_router).toBe(true);
  });
});
