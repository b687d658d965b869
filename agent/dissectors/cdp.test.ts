import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinkType } from '../capture/types.js';
import { DecodeStatus, PacketView } from '../decode/packet-view.js';
import { truncateAndCorrupt } from '../testing/fuzz.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { cdp, type CdpFields } from './cdp.js';
import type { Observation } from './types.js';
import { split } from '../testing/udp-dissectors.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const haveCorpus = existsSync(corpus);
if (!haveCorpus) console.warn(`cdp.test: ${corpus} is absent, corpus tests skipped (only constructed frames are tested)`);

/** Decode a frame and run the dissector when it is an 802.3/LLC frame (as the pipeline routes it). */
function parseFrame(v: PacketView, f: CapturedFrame, bytes = f.bytes): Observation<'cdp'>[] | null | 'skip' {
  const status = v.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, f.linkType);
  if (status !== DecodeStatus.OK || v.etherType > 1500) return 'skip';
  return split(cdp.parse(v)).out;
}

async function cdpFrames(path: string): Promise<CapturedFrame[]> {
  const v = new PacketView();
  return (await loadFrames(path)).filter((f) => {
    const out = parseFrame(v, f);
    return out !== 'skip' && out !== null;
  });
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

function tlv(type: number, value: Buffer | number[] | string): Buffer {
  const v = Buffer.from(value as string);
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(v.length + 4, 2);
  return Buffer.concat([h, v]);
}

/** RFC 1071 checksum over an even number of bytes (the constructed PDU is even). */
function internetChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A CDP v2 frame from an IP phone, built from the protocol description. */
function phoneFrame(): CapturedFrame {
  const pdu = Buffer.concat([
    Buffer.from([2, 180, 0, 0]),
    tlv(0x01, 'SEP001122334455'),
    tlv(0x02, [0, 0, 0, 2, 1, 1, 0xcc, 0, 4, 10, 20, 30, 40, 1, 1, 0xcc, 0, 4, 0, 0, 0, 0]),
    tlv(0x03, 'Port 10'),
    tlv(0x04, [0, 0, 0x04, 0x90]),
    tlv(0x05, 'SIP88xx.14-1-1'),
    tlv(0x06, 'Cisco IP Phone 8845'),
    tlv(0x0b, [1]),
  ]);
  if (pdu.length % 2) throw new Error('keep the constructed PDU even');
  pdu.writeUInt16BE(internetChecksum(pdu), 2);
  const llc = Buffer.from([0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(llc.length + pdu.length);
  const bytes = Buffer.concat([Buffer.from('01000ccccccc001122334455', 'hex'), len, llc, pdu]);
  return { bytes, wireLen: bytes.length, tsMicros: 1_700_000_000_000_000, linkType: LinkType.ETHERNET };
}

describe('CDP on a constructed IP phone frame', () => {
  it('decodes name, software, platform, port, capabilities, addresses (0.0.0.0 left out), duplex', () => {
    expect(parseFrame(new PacketView(), phoneFrame())).toEqual([{
      device: { mac: '00:11:22:33:44:55' },
      tsMs: 1_700_000_000_000,
      source: 'cdp',
      fields: {
        cdp_version: 2, ttl_seconds: 180, checksum_ok: true, hostname: 'SEP001122334455',
        addresses: ['10.20.30.40'], port_id: 'Port 10', capabilities: ['host', 'phone', 'two-port-mac-relay'],
        software_version: 'SIP88xx.14-1-1', platform: 'Cisco IP Phone 8845', duplex: 'full',
      } satisfies CdpFields,
    }]);
  });

  it('keeps a frame whose checksum is wrong, and says so', () => {
    const f = phoneFrame();
    const bad = Buffer.from(f.bytes);
    bad[22 + 4 + 4] ^= 0x20; // first letter of the device ID: 'S' → 's'
    const out = parseFrame(new PacketView(), f, bad) as Observation<'cdp'>[];
    expect(out[0].fields).toMatchObject({ checksum_ok: false, hostname: 'sEP001122334455' });
  });

  it('rejects other SNAP protocols and TLV lengths below the header size', () => {
    const f = phoneFrame();
    const dtp = Buffer.from(f.bytes);
    dtp[21] = 0x04; // PID 0x2004 is DTP
    expect(parseFrame(new PacketView(), f, dtp)).toBeNull();
    const short = Buffer.from(f.bytes);
    short.writeUInt16BE(3, 26 + 2);
    expect(parseFrame(new PacketView(), f, short)).toBeNull();
  });
});

describe('CDP keeps the complete TLVs before a cut or a damaged TLV', () => {
  it('a damaged TLV after the first ones: what came before it is kept, marked truncated', () => {
    const f = phoneFrame();
    const damaged = Buffer.from(f.bytes);
    // The Capabilities TLV (after Device ID 19, Addresses 26 and Port ID 11 bytes) claims length 2.
    damaged.writeUInt16BE(2, 26 + 19 + 26 + 11 + 2);
    const out = parseFrame(new PacketView(), f, damaged) as Observation<'cdp'>[];
    expect(out[0].fields).toEqual({
      cdp_version: 2, ttl_seconds: 180, checksum_ok: false, hostname: 'SEP001122334455', addresses: ['10.20.30.40'],
      port_id: 'Port 10', truncated: true,
    } satisfies CdpFields);
  });

  const cut = join(fixtures, 'l2-lldp-cut.pcap');
  it.skipIf(!existsSync(cut))('lldpd CDPv1 cut by tcpdump -s 200 (test-fixtures/l2-lldp-cut.pcap): all TLVs but the platform', async () => {
    const v = new PacketView();
    const frames = await cdpFrames(cut);
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      expect(f.bytes.length).toBeLessThan(f.wireLen);
      const out = parseFrame(v, f) as Observation<'cdp'>[];
      expect(out[0].device).toEqual({ mac: '00:1a:a1:12:00:03' });
      expect(out[0].fields).toEqual({
        cdp_version: 1, ttl_seconds: 8, checksum_ok: false, hostname: 'ward3-dist-sw2', addresses: ['10.12.0.3'],
        port_id: 'GigabitEthernet1/0/48', capabilities: ['router', 'switch', 'host'], truncated: true,
        software_version: 'Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(4)E7, RELEASE SOFTWARE (fc2)',
      } satisfies CdpFields);
    }
  });
});

describe('CDP never throws on truncated or corrupted frames', () => {
  it('constructed frame', () => checkRobust([phoneFrame()]));

  it.skipIf(!haveCorpus)('corpus frames: every truncation and seeded corruptions', async () => {
    const frames: CapturedFrame[] = [];
    for (const name of ['lldp_cdp/tcpdump__LLDP_and_CDP.pcap', 'lldp_cdp/zeek__cdp-v1.pcap', 'lldp_cdp/tcpdump__3560_CDP.pcap', 'mixed/pcpp__many-protocols.pcap']) {
      frames.push(...(await cdpFrames(join(corpus, name))));
    }
    expect(frames.length).toBe(14);
    checkRobust(frames);
  });
});

function checkRobust(frames: CapturedFrame[]): void {
  const v = new PacketView();
  truncateAndCorrupt(frames, 4242, (f, bytes) => {
    const out = parseFrame(v, f, bytes);
    expect(out === 'skip' || out === null || Array.isArray(out)).toBe(true);
  });
}

const evidence = join(fixtures, 'evidence-lldp.pcap');

describe.skipIf(!existsSync(evidence))('CDP v1 and v2 from lldpd (test-fixtures/evidence-lldp.pcap)', () => {
  it('reads both versions with valid checksums', async () => {
    const v = new PacketView();
    const seen = new Map<string, CdpFields>();
    for (const f of await cdpFrames(evidence)) {
      const fields = (parseFrame(v, f) as Observation<'cdp'>[])[0].fields as unknown as CdpFields;
      expect(fields.checksum_ok).toBe(true);
      seen.set(`${fields.hostname} v${fields.cdp_version}`, fields);
    }
    expect([...seen.keys()].sort()).toEqual(['ward3-access-sw1 v1', 'ward3-access-sw1 v2', 'ward3-phone-desk1 v1', 'ward3-phone-desk1 v2']);
    expect(seen.get('ward3-access-sw1 v2')).toMatchObject({
      platform: 'ES-2400-24P', port_id: 'GigabitEthernet1/0/24', addresses: ['10.30.0.2'], capabilities: ['router', 'switch', 'host'],
      software_version: 'Example Networks ES-2400-24P access switch, software 15.2(7)E8',
    });
  });
});

describe('CDP says "not mine" to other traffic', () => {
  it('returns null for every frame of the DHCP and HTTP fixtures', async () => {
    const v = new PacketView();
    for (const name of ['lan-dhcp.pcap', 'lan-http.pcap']) {
      for (const f of await loadFrames(join(fixtures, name))) {
        v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
        expect(cdp.parse(v)).toBeNull();
      }
    }
  });

  it.skipIf(!haveCorpus)('returns null for STP (LLC 42 42) and DTP (SNAP PID 0x2004) frames', async () => {
    const v = new PacketView();
    let seen = 0;
    for (const name of ['tcpdump__802.1D_spanning_tree.pcap', 'tcpdump__DTP.pcap']) {
      for (const f of await loadFrames(join(corpus, 'lldp_cdp', name))) {
        const out = parseFrame(v, f);
        if (out === 'skip') continue;
        seen++;
        expect(out).toBeNull();
      }
    }
    expect(seen).toBe(24);
  });
});

describe.skipIf(!haveCorpus)('CDP on public captures', () => {
  it('agrees with tshark (identities.tsv) on cdp.deviceid, cdp.platform and cdp.software lines, frame counts included', async () => {
    const expected = identities('cdp.');
    expect(expected.size).toBe(5);
    for (const [file, byField] of expected) {
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
          const fields = o.fields as unknown as CdpFields;
          bump('cdp.deviceid', fields.hostname);
          bump('cdp.platform', fields.platform);
          // tshark lists the software version line by line, trailing blanks trimmed (zeek__cdp-v1 has "Software \n").
          for (const line of fields.software_version?.split('\n') ?? []) bump('cdp.software', line.trimEnd());
        }
      }
      for (const field of ['cdp.deviceid', 'cdp.platform', 'cdp.software']) {
        expect({ file, field, values: got.get(field) ?? new Map() }).toEqual({ file, field, values: byField.get(field) ?? new Map() });
      }
    }
  });

  it('verifies every corpus checksum, including odd-length PDUs (sign-extended last byte)', async () => {
    const frames = await cdpFrames(join(corpus, 'lldp_cdp', 'ndpi__capwap.pcap'));
    expect(frames).toHaveLength(9);
    const v = new PacketView();
    const lastOctetHigh = new Set<boolean>();
    for (const f of frames) {
      const out = parseFrame(v, f) as Observation<'cdp'>[];
      expect((v.etherType - 8) % 2).toBe(1);
      lastOctetHigh.add((v.buf[v.l3Off + v.etherType - 1] & 0x80) !== 0);
      expect((out[0].fields as unknown as CdpFields).checksum_ok).toBe(true);
    }
    // Both odd-length cases occur: last octet below 0x80 (frames 4-6) and above (frames 10-12...).
    expect([...lastOctetHigh].sort()).toEqual([false, true]);
  });

  it('reads a 3560 switch: VTP domain, native VLAN, addresses, capabilities, duplex', async () => {
    const frames = await cdpFrames(join(corpus, 'lldp_cdp', 'tcpdump__3560_CDP.pcap'));
    const out = parseFrame(new PacketView(), frames[0]) as Observation<'cdp'>[];
    expect(out[0].device).toEqual({ mac: '00:19:06:ea:b8:85' });
    expect(out[0].fields).toMatchObject({
      cdp_version: 2, checksum_ok: true, hostname: 'Switch', platform: 'cisco WS-C3560G-24PS', port_id: 'GigabitEthernet0/5',
      addresses: ['192.168.0.1'], capabilities: ['switch', 'igmp'], vtp_domain: 'Lab', native_vlan: 1, duplex: 'full',
    });
  });

  it('reads CDP v1 (a 1601 router) and VLAN-tagged CDP', async () => {
    const v1 = await cdpFrames(join(corpus, 'lldp_cdp', 'zeek__cdp-v1.pcap'));
    expect((parseFrame(new PacketView(), v1[0]) as Observation<'cdp'>[])[0].fields).toMatchObject({
      cdp_version: 1, checksum_ok: true, hostname: 'R1', platform: 'cisco 1601', addresses: ['192.168.10.1'], capabilities: ['router'],
    });
    const v = new PacketView();
    const tagged = (await cdpFrames(join(corpus, 'mixed', 'pcpp__many-protocols.pcap'))).filter((f) => {
      parseFrame(v, f);
      return v.vlanCount > 0;
    });
    expect(tagged).toHaveLength(4);
    expect((parseFrame(v, tagged[0]) as Observation<'cdp'>[])[0].fields).toMatchObject({ hostname: 'R1', checksum_ok: true, addresses: ['10.118.10.1'] });
  });
});
