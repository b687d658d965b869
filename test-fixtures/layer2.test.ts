/**
 * Layer 2 through the whole pipeline (issue 13, items 9 and 10), on captures made by real software
 * (make-l2-fixtures.sh): every frame is decoded as far as IP or counted by what it carries; PPPoE
 * sessions reach flows and dissectors; spanning tree is not "rejected CDP"; LLDP and CDP cut by the
 * snap length still identify the switches that sent them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary, type Library } from '../agent/identify/index.js';
import { Pipeline, type PipelineSummary } from '../agent/pipeline.js';
import type { Device } from '../agent/store/device-json.js';
import { Store } from '../agent/store/store.js';
import { fixtureDir, goldenCaptures } from './golden.js';

const dir = fixtureDir();
let work = '';
let library: Library;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-l2-'));
  library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Ingest one capture; its summary and devices. */
async function ingest(name: string): Promise<{ s: PipelineSummary; devices: Device[] }> {
  const store = new Store(join(work, `${name}.db`));
  try {
    const pipeline = new Pipeline(store, { library });
    await readCaptureFile(join(dir, name), pipeline);
    pipeline.finish();
    pipeline.close();
    const reader = store.reader;
    return { s: pipeline.summary(), devices: [...reader.allDevices()].map((d) => reader.deviceDetail(d.id)!) };
  } finally {
    store.close();
  }
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('every frame is decoded as far as IP or counted by what it carries', () => {
  it('in every bundled capture: frames = IP + not IP (by kind) + malformed + unsupported link type', async () => {
    for (const name of goldenCaptures(dir)) {
      const { s } = await ingest(name);
      expect({ name, frames: s.ipFrames + total(s.nonIp) + s.malformed + s.unsupported }).toEqual({ name, frames: s.frames });
    }
  });

  it('l2-stp.pcap: the Linux bridge BPDUs are spanning tree, and no dissector rejects them', async () => {
    const { s } = await ingest('l2-stp.pcap');
    expect(s.nonIp).toEqual({ stp: 9, arp: 4 }); // as tshark counts them
    expect(s.dissectors.rejected.cdp).toBe(0);
    expect(total(s.dissectors.rejected)).toBe(0);
  });

  it('l2-pppoe.pcap: discovery and PPP control counted, IPv4/IPv6 in both sessions become flows, HTTP is dissected', async () => {
    const { s, devices } = await ingest('l2-pppoe.pcap');
    expect(Object.keys(s.nonIp).sort()).toEqual(['ppp_control', 'pppoe_discovery']);
    expect(s.nonIp.pppoe_discovery).toBe(10); // PADI, PADO (two on VLAN 7: both servers answer), PADR, PADS; as tshark counts them
    expect(s.nonIp.ppp_control).toBe(45); // LCP, CHAP, IPCP, IPv6CP
    expect(s.ipFrames).toBeGreaterThan(30);
    expect(s.dissectors.produced.http).toBeGreaterThan(0);
    const bras = devices.find((d) => d.mac === '00:1a:a1:12:00:0b')!;
    expect(bras.ips.map((i) => i.ip)).toEqual(expect.arrayContaining(['10.64.0.1', '10.64.7.1']));
    expect(bras.services.map((x) => `${x.transport}/${x.port}`)).toContain('tcp/8080');
    expect(bras.evidence.http).toMatchObject({ server: [expect.stringMatching(/^SimpleHTTP\/[\d.]+ Python\//)] });
    const gw2 = devices.find((d) => d.mac === '38:10:d5:12:00:12')!;
    expect(gw2.ips.map((i) => i.ip)).toContain('10.64.7.10');
    expect(gw2.vlans).toEqual([7]);
  });
});

describe('LLDP and CDP cut by the snap length still identify the switch (l2-lldp-cut.pcap, tcpdump -s 200)', () => {
  it('HP ProCurve: model and firmware from the system description; Cisco: IOS release from LLDP and CDP', async () => {
    const { s, devices } = await ingest('l2-lldp-cut.pcap');
    expect(total(s.dissectors.rejected)).toBe(0);
    const procurve = devices.find((d) => d.mac === '00:1c:2e:12:00:02')!;
    expect(procurve).toMatchObject({ vendor: 'HP', model: '2600-8-PWR (J8762A)', firmware: 'H.08.89', category: 'network-equipment' });
    expect(procurve.hostnames.map((h) => h.name)).toEqual(['ProCurve Switch 2600-8-PWR']);
    expect(procurve.evidence.lldp).toMatchObject({ truncated: [true], management_addresses: [['10.12.0.2']] });
    const cisco = devices.find((d) => d.mac === '00:1a:a1:12:00:03')!;
    expect(cisco).toMatchObject({ vendor: 'Cisco', os: 'Cisco IOS', firmware: '15.2(4)E7', category: 'network-equipment' });
    expect(cisco.evidence.cdp).toMatchObject({ truncated: [true], addresses: [['10.12.0.3']] });
  });
});
