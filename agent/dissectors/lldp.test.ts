import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinkType } from '../capture/types.js';
import { DecodeStatus, PacketView } from '../decode/packet-view.js';
import { truncateAndCorrupt } from '../testing/fuzz.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { lldp, type LldpFields } from './lldp.js';
import type { Observation } from './types.js';
import { split } from '../testing/udp-dissectors.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const haveCorpus = existsSync(corpus);
if (!haveCorpus) console.warn(`lldp.test: ${corpus} is absent, corpus tests skipped (only synthetic frames are tested)`);

/** Decode a frame and run the dissector when the frame is LLDP (as the pipeline routes it). */
function parseFrame(v: PacketView, f: CapturedFrame, bytes = f.bytes): Observation<'lldp'>[] | null | 'skip' {
  const status = v.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, f.linkType);
  if (status !== DecodeStatus.OK || v.etherType !== 0x88cc) return 'skip';
  return split(lldp.parse(v)).out;
}

async function lldpFrames(path: string): Promise<CapturedFrame[]> {
  const v = new PacketView();
  return (await loadFrames(path)).filter((f) => parseFrame(v, f) !== 'skip');
}

/** identities.tsv as file → field → value → frame count. */
function identities(prefix: string): Map<string, Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, Map<string, number>>>();
  for (const line of readFileSync(join(corpus, 'identities.tsv'), 'utf8').split('\n')) {
    const [file, field, value, count] = line.split('\t');
    if (count === undefined || !field.startsWith(prefix)) continue;
    const byField = out.get(file) ?? new Map<string, Map<string, number>>();
    out.set(file, byField);
    const byValue = byField.get(field) ?? new Map<string, number>();
    byField.set(field, byValue);
    byValue.set(value, (byValue.get(value) ?? 0) + Number(count));
  }
  return out;
}

/** tshark's -T fields output escapes newlines. */
const tsharkEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');

const mac = (s: string) => Buffer.from(s.replace(/:/g, ''), 'hex');
function tlv(type: number, value: Buffer | number[] | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  return Buffer.concat([Buffer.from([(type << 1) | (v.length >> 8), v.length & 0xff]), v]);
}
const org = (oui: number, subtype: number, data: Buffer | number[] | string) =>
  tlv(127, Buffer.concat([Buffer.from([oui >> 16, (oui >> 8) & 0xff, oui & 0xff, subtype]), Buffer.from(data)]));

/** An LLDP-MED endpoint as TIA-1057 describes one (no public capture carries the inventory TLVs). */
function medEndpointFrame(): CapturedFrame {
  const bytes = Buffer.concat([
    mac('01:80:c2:00:00:0e'), mac('00:11:22:33:44:55'), Buffer.from([0x88, 0xcc]),
    tlv(1, [4, ...mac('00:11:22:33:44:00')]),
    tlv(2, [3, ...mac('00:11:22:33:44:55')]),
    tlv(3, [0, 120]),
    tlv(5, 'pump-icu-07'),
    tlv(6, 'Acme Infusion System 3.2'),
    tlv(7, [0x00, 0xa0, 0x00, 0x80]),
    tlv(8, [5, 1, 10, 1, 2, 3, 2, 0, 0, 0, 1, 0]),
    org(0x0080c2, 1, [0, 30]),
    org(0x0012bb, 1, [0x00, 0x33, 0x01]),
    org(0x0012bb, 5, 'HW 1.0'),
    org(0x0012bb, 6, 'FW 2.1'),
    org(0x0012bb, 7, 'SW 3.2.1'),
    org(0x0012bb, 8, 'SN12345'),
    org(0x0012bb, 9, 'Acme Medical'),
    org(0x0012bb, 10, 'Pump-X'),
    org(0x0012bb, 11, 'ASSET-42'),
    tlv(0, []),
  ]);
  return { bytes, wireLen: bytes.length, tsMicros: 1_700_000_000_000_000, linkType: LinkType.ETHERNET };
}

describe('LLDP on a constructed LLDP-MED endpoint frame', () => {
  it('decodes identity, capabilities, management address, port VLAN and MED inventory', () => {
    const out = parseFrame(new PacketView(), medEndpointFrame());
    expect(out).toEqual([{
      device: { mac: '00:11:22:33:44:55' },
      tsMs: 1_700_000_000_000,
      source: 'lldp',
      fields: {
        chassis_id: '00:11:22:33:44:00', chassis_id_subtype: 'mac', chassis_mac: '00:11:22:33:44:00',
        port_id: '00:11:22:33:44:55', port_id_subtype: 'mac', ttl_seconds: 120,
        hostname: 'pump-icu-07', system_description: 'Acme Infusion System 3.2',
        capabilities: ['telephone', 'station'], capabilities_enabled: ['station'],
        management_addresses: ['10.1.2.3'], native_vlan: 30, med_device_class: 'endpoint-class-1',
        hardware_revision: 'HW 1.0', firmware_revision: 'FW 2.1', software_revision: 'SW 3.2.1',
        serial_number: 'SN12345', manufacturer: 'Acme Medical', model: 'Pump-X', asset_id: 'ASSET-42',
      } satisfies LldpFields,
    }]);
  });

  it('requires Chassis ID, Port ID and TTL first, in order', () => {
    const v = new PacketView();
    const f = medEndpointFrame();
    const swapped = Buffer.from(f.bytes);
    // Put the Port ID TLV (9 bytes at 23) before the Chassis ID TLV (9 bytes at 14).
    f.bytes.copy(swapped, 14, 23, 32);
    f.bytes.copy(swapped, 23, 14, 23);
    expect(parseFrame(v, f, swapped)).toBeNull();
    expect(parseFrame(v, f, f.bytes.subarray(0, 14 + 9 + 9))).toBeNull();
  });
});

describe('LLDP keeps the complete TLVs before the snap length cut', () => {
  it('constructed frame cut inside a TLV, or at a TLV boundary short of its End TLV', () => {
    const v = new PacketView();
    const f = medEndpointFrame();
    // Cut inside the System Description TLV: Chassis, Port, TTL and System Name are kept.
    const inside = f.bytes.subarray(0, 14 + 9 + 9 + 4 + 13 + 10);
    const out = parseFrame(v, { ...f }, inside) as Observation<'lldp'>[];
    expect(out[0].fields).toEqual({
      chassis_id: '00:11:22:33:44:00', chassis_id_subtype: 'mac', chassis_mac: '00:11:22:33:44:00', port_id: '00:11:22:33:44:55',
      port_id_subtype: 'mac', ttl_seconds: 120, hostname: 'pump-icu-07', truncated: true,
    } satisfies LldpFields);
    // Cut right after the System Name TLV, by the snap length (wire length larger).
    const boundary = f.bytes.subarray(0, 14 + 9 + 9 + 4 + 13);
    expect((parseFrame(v, f, boundary) as Observation<'lldp'>[])[0].fields).toMatchObject({ hostname: 'pump-icu-07', truncated: true });
    // Mandatory TLVs cut: nothing to keep.
    expect(parseFrame(v, f, f.bytes.subarray(0, 14 + 9 + 9 + 3))).toBeNull();
    // The whole frame: not truncated.
    expect((parseFrame(v, f) as Observation<'lldp'>[])[0].fields.truncated).toBeUndefined();
  });

  const cut = join(fixtures, 'l2-lldp-cut.pcap');
  it.skipIf(!existsSync(cut))('lldpd LLDPDUs cut by tcpdump -s 200 (test-fixtures/l2-lldp-cut.pcap): names, descriptions, addresses kept', async () => {
    const v = new PacketView();
    const byHost = new Map<string, LldpFields[]>();
    for (const f of await lldpFrames(cut)) {
      const fields = (parseFrame(v, f) as Observation<'lldp'>[])[0].fields as unknown as LldpFields;
      const key = `${fields.chassis_id} ttl ${fields.ttl_seconds}`;
      byHost.set(key, [...(byHost.get(key) ?? []), fields]);
    }
    expect([...byHost.keys()].sort()).toEqual(['00:1a:a1:12:00:03 ttl 0', '00:1a:a1:12:00:03 ttl 8', '00:1c:2e:12:00:02 ttl 0', '00:1c:2e:12:00:02 ttl 8']);
    for (const f of byHost.get('00:1c:2e:12:00:02 ttl 8')!) {
      expect(f).toMatchObject({
        port_id: '1', port_description: '1', hostname: 'ProCurve Switch 2600-8-PWR',
        system_description: 'ProCurve J8762A Switch 2600-8-PWR, revision H.08.89, ROM H.08.5X (/sw/code/build/fish(ts_08_5))', capabilities_enabled: ['bridge'],
        management_addresses: ['10.12.0.2'], truncated: true,
      });
    }
    for (const f of byHost.get('00:1a:a1:12:00:03 ttl 8')!) {
      expect(f).toMatchObject({
        chassis_id: '00:1a:a1:12:00:03', chassis_id_subtype: 'mac', chassis_mac: '00:1a:a1:12:00:03', port_id: 'Gi1/0/48',
        port_id_subtype: 'local', ttl_seconds: 8, hostname: 'ward3-dist-sw2',
        system_description: 'Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(4)E7, RELEASE SOFTWARE (fc2)',
        capabilities: ['bridge', 'wlan-access-point', 'router', 'station'], capabilities_enabled: ['bridge', 'router'],
        management_addresses: ['10.12.0.3'], truncated: true,
      } satisfies Partial<LldpFields>);
    }
    // The shutdown LLDPDUs are short enough to be whole.
    for (const k of ['00:1a:a1:12:00:03 ttl 0', '00:1c:2e:12:00:02 ttl 0']) expect(byHost.get(k)![0].truncated).toBeUndefined();
  });
});

describe('LLDP never throws on truncated or corrupted frames', () => {
  it('constructed frame: every truncation and single-byte corruption', () => {
    checkRobust([medEndpointFrame()]);
  });

  it.skipIf(!haveCorpus)('corpus frames: every truncation and seeded corruptions', async () => {
    const frames: CapturedFrame[] = [];
    for (const name of ['tcpdump__LLDP_and_CDP.pcap', 'tcpdump__lldp_mudurl.pcap', 'zeek__lldp.pcap', 'tcpdump__lldp-app-priority.pcap', 'tcpdump__evb.pcap', 'tcpdump__lldp_8021_linkagg.pcap']) {
      frames.push(...(await lldpFrames(join(corpus, 'lldp_cdp', name))));
    }
    expect(frames.length).toBeGreaterThan(10);
    checkRobust(frames);
  });
});

function checkRobust(frames: CapturedFrame[]): void {
  const v = new PacketView();
  truncateAndCorrupt(frames, 12345, (f, bytes) => {
    const out = parseFrame(v, f, bytes);
    expect(out === 'skip' || out === null || Array.isArray(out)).toBe(true);
  });
}

const evidence = join(fixtures, 'evidence-lldp.pcap');

describe.skipIf(!existsSync(evidence))('LLDP from lldpd (test-fixtures/evidence-lldp.pcap)', () => {
  it('reads the LLDP-MED inventory of a class I endpoint and of a class III phone', async () => {
    const v = new PacketView();
    const byHost = new Map<string, LldpFields>();
    for (const f of await lldpFrames(evidence)) {
      for (const o of parseFrame(v, f) as Observation<'lldp'>[]) {
        const fields = o.fields as unknown as LldpFields;
        if (fields.hostname !== undefined) byHost.set(fields.hostname, fields);
      }
    }
    expect(byHost.get('mx800-icu3-bed07')).toMatchObject({
      chassis_mac: '00:09:fb:1e:00:31', system_description: 'IntelliVue MX800 patient monitor, software M.00.03',
      capabilities_enabled: ['station'], management_addresses: ['10.30.0.31'], med_device_class: 'endpoint-class-1',
      hardware_revision: 'A.01', firmware_revision: '2.10.4', software_revision: 'M.00.03', serial_number: 'DE71234567',
      manufacturer: 'Philips Medical Systems', model: 'MX800', asset_id: 'ICU3-BED07',
    });
    expect(byHost.get('ward3-phone-desk1')).toMatchObject({ med_device_class: 'endpoint-class-3', capabilities_enabled: ['telephone'], manufacturer: 'Polycom', model: 'VVX 411' });
    expect(byHost.get('ward3-access-sw1')).toMatchObject({ port_id: 'Gi1/0/24', port_id_subtype: 'local', capabilities_enabled: ['bridge', 'router'] });
  });

  it('reads the shutdown LLDPDU (TTL 0) each daemon sends when it stops', async () => {
    const v = new PacketView();
    const shutdowns = (await lldpFrames(evidence)).map((f) => (parseFrame(v, f) as Observation<'lldp'>[])[0]).filter((o) => o.fields.ttl_seconds === 0);
    expect(shutdowns.map((o) => o.device.mac).sort()).toEqual(['00:09:fb:1e:00:31', '00:1a:a1:1e:00:02', '64:16:7f:1e:00:41']);
  });
});

describe('LLDP says "not mine" to other traffic', () => {
  it('returns null for every frame of the DHCP and HTTP fixtures', async () => {
    const v = new PacketView();
    for (const name of ['lan-dhcp.pcap', 'lan-http.pcap']) {
      for (const f of await loadFrames(join(fixtures, name))) {
        v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
        expect(lldp.parse(v)).toBeNull();
      }
    }
  });
});

describe.skipIf(!haveCorpus)('LLDP on public captures', () => {
  it('agrees with tshark (identities.tsv) on lldp.chassis_mac, lldp.sysname and lldp.sysdesc, frame counts included', async () => {
    const expected = identities('lldp.');
    const files = new Set([...expected.keys(), 'lldp_cdp/tcpdump__lldp_8021_linkagg.pcap']);
    let compared = 0;
    for (const file of files) {
      const got = new Map<string, Map<string, number>>();
      const bump = (field: string, value: string | undefined) => {
        if (value === undefined) return;
        const m = got.get(field) ?? new Map<string, number>();
        got.set(field, m);
        m.set(value, (m.get(value) ?? 0) + 1);
      };
      const v = new PacketView();
      for (const f of await loadFrames(join(corpus, file))) {
        const out = parseFrame(v, f);
        if (out === 'skip' || out === null) continue;
        for (const o of out) {
          const fields = o.fields as unknown as LldpFields;
          bump('lldp.chassis_mac', fields.chassis_mac);
          bump('lldp.sysname', fields.hostname);
          bump('lldp.sysdesc', fields.system_description && tsharkEscape(fields.system_description));
        }
      }
      for (const field of ['lldp.chassis_mac', 'lldp.sysname', 'lldp.sysdesc']) {
        expect({ file, field, values: got.get(field) ?? new Map() }).toEqual({ file, field, values: expected.get(file)?.get(field) ?? new Map() });
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(7 * 3);
  });

  it('reads a Cisco switch: alias port ID, capabilities, port VLAN; the sender is the port MAC', async () => {
    const v = new PacketView();
    const frames = await lldpFrames(join(corpus, 'lldp_cdp', 'tcpdump__LLDP_and_CDP.pcap'));
    const out = parseFrame(v, frames[0]) as Observation<'lldp'>[];
    expect(out[0].device).toEqual({ mac: '00:19:2f:a7:b2:8d' });
    expect(out[0].fields).toMatchObject({
      chassis_mac: '00:19:2f:a7:b2:8d', port_id: 'Uplink to S1', port_id_subtype: 'interface-alias',
      port_description: 'GigabitEthernet0/13', hostname: 'S2.cisco.com', ttl_seconds: 120,
      capabilities: ['bridge', 'router'], capabilities_enabled: ['bridge'], native_vlan: 1,
    });
  });

  it('reads management addresses (IPv4 and IPv6) and the RFC 8520 MUD URL', async () => {
    const frames = await lldpFrames(join(corpus, 'lldp_cdp', 'tcpdump__lldp_mudurl.pcap'));
    const out = parseFrame(new PacketView(), frames[0]) as Observation<'lldp'>[];
    expect(out[0].fields).toMatchObject({
      management_addresses: ['62.12.173.114', '2001:8a8:1006:4:223:54ff:fec2:5702'],
      mud_url: 'https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0',
      capabilities: ['bridge', 'wlan-access-point', 'router', 'station'], capabilities_enabled: ['wlan-access-point'],
    });
  });

  it('falls back to the chassis MAC when the source MAC is all zeros', async () => {
    const frames = await lldpFrames(join(corpus, 'lldp_cdp', 'tcpdump__lldp-app-priority.pcap'));
    const out = parseFrame(new PacketView(), frames[0]) as Observation<'lldp'>[];
    expect(out[0].device).toEqual({ mac: '00:00:00:02:00:02' });
    expect(out[0].fields).toMatchObject({ port_id: 'leaf0b-eth10', port_id_subtype: 'interface-name', hostname: 'leaf0b' });
  });

  it('rejects LLDPDUs that do not start with a Chassis ID TLV (tshark: "Invalid Chassis ID")', async () => {
    const frames = await lldpFrames(join(corpus, 'lldp_cdp', 'tcpdump__lldp_8021_linkagg.pcap'));
    expect(frames).toHaveLength(2);
    for (const f of frames) expect(parseFrame(new PacketView(), f)).toBeNull();
  });
});
