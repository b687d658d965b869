import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LinkType } from '../capture/types.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { Malformed } from './counters.js';
import { ipToString, macAt, macToString } from './format.js';
import { DecodeStatus, EtherType, IpProto, PacketView } from './packet-view.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
let dhcp: CapturedFrame[];
let sll2: CapturedFrame[];

const decode = (v: PacketView, f: CapturedFrame, bytes = f.bytes, linkType = f.linkType) =>
  v.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, linkType);

beforeAll(async () => {
  dhcp = await loadFrames(join(fixtures, 'lan-dhcp.pcap'));
  sll2 = await loadFrames(join(fixtures, 'formats', 'any-sll2.pcap'));
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
