import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LinkType } from '../capture/types.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { Malformed, NonIp } from './counters.js';
import { ipToString, macAt, macToString } from './format.js';
import { DecodeStatus, EtherType, IpProto, PacketView } from './packet-view.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
let dhcp: CapturedFrame[];
let sll2: CapturedFrame[];
let stp: CapturedFrame[];
let pppoe: CapturedFrame[];

const decode = (v: PacketView, f: CapturedFrame, bytes = f.bytes, linkType = f.linkType) =>
  v.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, linkType);

beforeAll(async () => {
  dhcp = await loadFrames(join(fixtures, 'lan-dhcp.pcap'));
  sll2 = await loadFrames(join(fixtures, 'formats', 'any-sll2.pcap'));
  stp = await loadFrames(join(fixtures, 'l2-stp.pcap'));
  pppoe = await loadFrames(join(fixtures, 'l2-pppoe.pcap'));
});

describe('PacketView on frames recorded from dnsmasq, dhclient and ping', () => {
  it('decodes a DHCP DISCOVER: Ethernet, IPv4, UDP 68 → 67 and the BOOTP payload', () => {
    const v = new PacketView();
    const f = dhcp[0];
    expect(decode(v, f)).toBe(DecodeStatus.OK);
    expect(v.etherType).toBe(EtherType.IPV4);
    expect(v.ipVersion).toBe(4);
    expect(ipToString(v.buf, v.srcIpOff, 4)).toBe('0.0.0.0');
    expect(ipToString(v.buf, v.dstIpOff, 4)).toBe('255.255.255.255');
    expect(v.l4Proto).toBe(IpProto.UDP);
    expect([v.srcPort, v.dstPort]).toEqual([68, 67]);
    expect(v.payloadOff).toBe(14 + 20 + 8);
    expect(v.payloadLen).toBe(f.bytes.length - 42);
    expect(macToString(macAt(v.buf, v.dstMacOff))).toBe('ff:ff:ff:ff:ff:ff');
  });

  it('decodes ARP without going further', () => {
    const v = new PacketView();
    const arp = dhcp.find((f) => f.bytes.readUInt16BE(12) === EtherType.ARP)!;
    expect(decode(v, arp)).toBe(DecodeStatus.OK);
    expect(v.etherType).toBe(EtherType.ARP);
    expect(v.ipVersion).toBe(0);
    expect(v.l3Off).toBe(14);
  });

  it('decodes ICMP echo with type and code in the port fields', () => {
    const v = new PacketView();
    const ping = dhcp.find((f) => f.bytes.readUInt16BE(12) === EtherType.IPV4 && f.bytes[23] === IpProto.ICMP)!;
    expect(decode(v, ping)).toBe(DecodeStatus.OK);
    expect(v.l4Proto).toBe(IpProto.ICMP);
    expect(v.srcPort).toBe(8); // echo request
  });

  it('decodes Linux cooked v2 (tcpdump -i any)', () => {
    const v = new PacketView();
    const f = sll2[0];
    expect(f.linkType).toBe(LinkType.LINUX_SLL2);
    expect(decode(v, f)).toBe(DecodeStatus.OK);
    expect(v.ipVersion).toBe(4);
    expect(v.l4Proto).toBe(IpProto.ICMP);
    expect(v.l3Off).toBe(20);
  });

  it('keeps 802.1Q and 802.1ad VLAN ids (tags inserted per IEEE 802.1Q into a recorded frame)', () => {
    const v = new PacketView();
    const f = dhcp[0];
    const tag = (tpid: number, vid: number) => Buffer.from([tpid >> 8, tpid & 0xff, (vid >> 8) & 0x0f, vid & 0xff]);
    const single = Buffer.concat([f.bytes.subarray(0, 12), tag(0x8100, 10), f.bytes.subarray(12)]);
    expect(decode(v, f, single)).toBe(DecodeStatus.OK);
    expect([v.vlanOuter, v.vlanInner, v.vlanCount]).toEqual([10, 0, 1]);
    expect([v.srcPort, v.dstPort]).toEqual([68, 67]);
    const qinq = Buffer.concat([f.bytes.subarray(0, 12), tag(0x88a8, 100), tag(0x8100, 20), f.bytes.subarray(12)]);
    expect(decode(v, f, qinq)).toBe(DecodeStatus.OK);
    expect([v.vlanOuter, v.vlanInner, v.vlanCount]).toEqual([100, 20, 2]);
    expect(v.payloadLen).toBe(f.bytes.length - 42);
  });

  it('counts truncated and broken frames by reason instead of throwing', () => {
    const v = new PacketView();
    const f = dhcp[0];
    const cases: [Buffer, number][] = [
      [f.bytes.subarray(0, 10), Malformed.TRUNCATED_ETHERNET],
      [f.bytes.subarray(0, 14 + 12), Malformed.TRUNCATED_IPV4],
      [f.bytes.subarray(0, 14 + 20 + 4), Malformed.TRUNCATED_UDP],
      [Buffer.concat([f.bytes.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00])]), Malformed.TRUNCATED_VLAN],
    ];
    const badIhl = Buffer.from(f.bytes);
    badIhl[14] = 0x44; // IHL 4 words < 5
    cases.push([badIhl, Malformed.BAD_IPV4_HEADER_LENGTH]);
    const badTotal = Buffer.from(f.bytes);
    badTotal.writeUInt16BE(10, 16); // total length shorter than the header
    cases.push([badTotal, Malformed.BAD_IPV4_TOTAL_LENGTH]);
    const badUdp = Buffer.from(f.bytes);
    badUdp.writeUInt16BE(3, 14 + 20 + 4); // UDP length below its own header
    cases.push([badUdp, Malformed.BAD_UDP_LENGTH]);
    const rawV5 = Buffer.from(f.bytes.subarray(14));
    rawV5[0] = 0x55;
    for (const [bytes, reason] of cases) {
      expect(decode(v, f, bytes)).toBe(DecodeStatus.MALFORMED);
      expect(v.malformed).toBe(reason);
    }
    expect(decode(v, f, rawV5, LinkType.RAW)).toBe(DecodeStatus.MALFORMED);
    expect(v.malformed).toBe(Malformed.BAD_IP_VERSION);
    expect(decode(v, f, f.bytes, 147)).toBe(DecodeStatus.UNSUPPORTED);
  });

  it('decodes raw IPv4 (LINKTYPE_RAW) with no MAC', () => {
    const v = new PacketView();
    const f = dhcp[0];
    expect(decode(v, f, f.bytes.subarray(14), LinkType.RAW)).toBe(DecodeStatus.OK);
    expect(v.srcMacOff).toBe(-1);
    expect([v.srcPort, v.dstPort]).toEqual([68, 67]);
  });

  it('never throws on any truncation or single-byte corruption of recorded frames', () => {
    const v = new PacketView();
    for (const f of [...dhcp, ...sll2]) {
      for (let len = 0; len <= f.bytes.length; len += 3) decode(v, f, f.bytes.subarray(0, len));
      for (let i = 0; i < Math.min(f.bytes.length, 80); i++) {
        const b = Buffer.from(f.bytes);
        b[i] ^= 0xff;
        decode(v, f, b);
      }
    }
  });
});

describe('PacketView on PPPoE from rp-pppoe and pppd (test-fixtures/l2-pppoe.pcap)', () => {
  const type = (f: CapturedFrame) => f.bytes.readUInt16BE(f.bytes.readUInt16BE(12) === EtherType.VLAN ? 16 : 12);

  it('decodes IPv4 and IPv6 inside PPPoE sessions, untagged and on VLAN 7 (RFC 2516, PPP 0x0021 and 0x0057)', () => {
    const v = new PacketView();
    const seen = new Set<string>();
    for (const f of pppoe.filter((x) => type(x) === EtherType.PPPOE_SESSION)) {
      expect(decode(v, f)).toBe(DecodeStatus.OK);
      if (v.ipVersion === 0) continue;
      expect(v.nonIp).toBe(NonIp.NONE);
      expect(v.etherType).toBe(EtherType.PPPOE_SESSION);
      seen.add(`${v.ipVersion} vlan ${v.vlanOuter} ${ipToString(v.buf, v.srcIpOff, v.ipVersion)} proto ${v.l4Proto}`);
      expect(v.l3Off).toBe(14 + 4 * v.vlanCount + 6 + 2);
    }
    expect(seen).toEqual(new Set([
      '4 vlan 0 10.64.0.10 proto 1', '4 vlan 0 10.64.0.1 proto 1', '4 vlan 7 10.64.7.10 proto 1', '4 vlan 7 10.64.7.1 proto 1',
      '4 vlan 0 10.64.0.10 proto 6', '4 vlan 0 10.64.0.1 proto 6',
      // IPv6 link-local addresses from IPv6CP interface identifiers (random per session): ICMPv6 on both sessions.
      ...[...seen].filter((s) => /^6 vlan [07] fe80::[0-9a-f:]+ proto 58$/.test(s)),
    ]));
    expect([...seen].filter((s) => s.startsWith('6 vlan 0 ')).length).toBe(2);
    expect([...seen].filter((s) => s.startsWith('6 vlan 7 ')).length).toBe(2);
  });

  it('reads the HTTP request inside the PPPoE session: TCP ports and payload', () => {
    const v = new PacketView();
    const get = pppoe.find((f) => decode(v, f) === DecodeStatus.OK && v.dstPort === 8080 && v.payloadLen > 0)!;
    decode(v, get);
    expect(v.buf.subarray(v.payloadOff, v.payloadOff + 4).toString()).toBe('GET ');
  });

  it('counts discovery and PPP control (LCP, CHAP, IPCP, IPv6CP) by kind', () => {
    const v = new PacketView();
    const kinds = new Map<number, number>();
    for (const f of pppoe) {
      expect(decode(v, f)).toBe(DecodeStatus.OK);
      if (v.ipVersion === 0) kinds.set(v.nonIp, (kinds.get(v.nonIp) ?? 0) + 1);
    }
    expect([...kinds.keys()].sort()).toEqual([NonIp.PPPOE_DISCOVERY, NonIp.PPP_CONTROL]);
    expect(kinds.get(NonIp.PPPOE_DISCOVERY)).toBe(pppoe.filter((f) => type(f) === EtherType.PPPOE_DISCOVERY).length);
  });

  it('decodes a compressed PPP protocol field (RFC 1661 section 6.5) and counts broken sessions by reason', () => {
    const v = new PacketView();
    const ping = pppoe.find((f) => type(f) === EtherType.PPPOE_SESSION && f.bytes.readUInt16BE(20) === 0x0021)!;
    // The same frame with the protocol field compressed to one octet (0x21).
    const pfc = Buffer.concat([ping.bytes.subarray(0, 20), ping.bytes.subarray(21)]);
    expect(decode(v, ping, pfc)).toBe(DecodeStatus.OK);
    expect([v.ipVersion, v.l4Proto, v.l3Off]).toEqual([4, 1, 21]);
    const cases: [Buffer, number][] = [[ping.bytes.subarray(0, 14 + 5), Malformed.TRUNCATED_PPPOE], [ping.bytes.subarray(0, 14 + 7), Malformed.TRUNCATED_PPPOE]];
    const badVersion = Buffer.from(ping.bytes);
    badVersion[14] = 0x21;
    cases.push([badVersion, Malformed.BAD_PPPOE_HEADER]);
    const discoveryCode = Buffer.from(ping.bytes);
    discoveryCode[15] = 0x09; // PADI's code in a session frame
    cases.push([discoveryCode, Malformed.BAD_PPPOE_HEADER]);
    for (const [bytes, reason] of cases) {
      expect(decode(v, ping, bytes)).toBe(DecodeStatus.MALFORMED);
      expect(v.malformed).toBe(reason);
    }
    const ipx = Buffer.from(ping.bytes);
    ipx.writeUInt16BE(0x002b, 20);
    expect(decode(v, ping, ipx)).toBe(DecodeStatus.OK);
    expect(v.nonIp).toBe(NonIp.PPP_OTHER);
  });

  it('never throws on any truncation or single-byte corruption', () => {
    const v = new PacketView();
    for (const f of pppoe) {
      for (let len = 0; len <= f.bytes.length; len++) decode(v, f, f.bytes.subarray(0, len));
      for (let i = 12; i < Math.min(f.bytes.length, 60); i++) {
        const b = Buffer.from(f.bytes);
        b[i] ^= 0xff;
        decode(v, f, b);
      }
    }
  });
});

describe('PacketView on 802.2 LLC frames', () => {
  it('tells spanning tree BPDUs from the Linux bridge (l2-stp.pcap) by DSAP/SSAP 0x42', () => {
    const v = new PacketView();
    const bpdus = stp.filter((f) => f.bytes.readUInt16BE(12) <= 1500);
    expect(bpdus.length).toBeGreaterThan(5);
    for (const f of bpdus) {
      expect(decode(v, f)).toBe(DecodeStatus.OK);
      expect([v.nonIp, v.ipVersion, v.l3Off]).toEqual([NonIp.STP, 0, 14]);
    }
  });

  it('decodes IP and ARP in LLC/SNAP with OUI 00-00-00 (RFC 1042), counts other LLC frames', () => {
    const v = new PacketView();
    // A recorded frame re-encapsulated as RFC 1042 describes: 802.3 length, AA AA 03, OUI 0, EtherType.
    const snap = (f: CapturedFrame, oui = [0, 0, 0]) => {
      const body = Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, ...oui]), f.bytes.subarray(12)]);
      const len = Buffer.from([body.length >> 8, body.length & 0xff]);
      return Buffer.concat([f.bytes.subarray(0, 12), len, body]);
    };
    const f = dhcp[0];
    expect(decode(v, f, snap(f))).toBe(DecodeStatus.OK);
    expect([v.ipVersion, v.srcPort, v.dstPort, v.etherType, v.l3Off]).toEqual([4, 68, 67, EtherType.IPV4, 22]);
    const arp = dhcp.find((x) => x.bytes.readUInt16BE(12) === EtherType.ARP)!;
    expect(decode(v, arp, snap(arp))).toBe(DecodeStatus.OK);
    expect([v.nonIp, v.etherType, v.l3Off]).toEqual([NonIp.ARP, EtherType.ARP, 22]);
    expect(decode(v, f, snap(f, [0, 0, 0x0c]))).toBe(DecodeStatus.OK);
    expect(v.nonIp).toBe(NonIp.LLC_SNAP);
    const netbeui = Buffer.from(stp[0].bytes);
    netbeui[14] = netbeui[15] = 0xf0;
    expect(decode(v, stp[0], netbeui)).toBe(DecodeStatus.OK);
    expect(v.nonIp).toBe(NonIp.LLC_OTHER);
    expect(decode(v, f, snap(f).subarray(0, 14 + 6))).toBe(DecodeStatus.MALFORMED);
    expect(v.malformed).toBe(Malformed.TRUNCATED_LLC);
    expect(decode(v, f, snap(f).subarray(0, 14 + 2))).toBe(DecodeStatus.MALFORMED);
    expect(v.malformed).toBe(Malformed.TRUNCATED_LLC);
  });
});
