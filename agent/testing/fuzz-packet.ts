/**
 * Test support for the fuzzer: where the layers of a captured frame are, a frame rebuilt around a new
 * transport payload with every length and checksum made consistent again (so the mutated bytes get past
 * the decoder to the dissectors), and frames written back as a capture file that `auscult read` replays.
 */
import { LinkType } from '../capture/types.js';
import { DecodeStatus, IpProto, PacketView } from '../decode/packet-view.js';
import type { CapturedFrame } from './frames.js';

/** Where a frame's layers are, from the decoder's own view of it. */
export interface Anatomy {
  /** `tcp`/`udp`: a transport payload; `l2`: a non-IP frame (LLDP, CDP...) whose payload starts at l3Off. */
  kind: 'tcp' | 'udp' | 'l2' | 'other';
  l3Off: number;
  ipVersion: number;
  l4Off: number;
  payloadOff: number;
  payloadLen: number;
  etherType: number;
  srcPort: number;
  dstPort: number;
  /** IPv4 total length / IPv6 payload length / UDP length were 0 (offloaded captures): left at 0. */
  ipLenZero: boolean;
  udpLenZero: boolean;
  /** IPv4 UDP without a checksum: left without one. */
  udpNoChecksum: boolean;
}

const view = new PacketView();

export function anatomy(f: CapturedFrame): Anatomy | null {
  if (view.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType) !== DecodeStatus.OK) return null;
  const v = view;
  const b = f.bytes;
  let kind: Anatomy['kind'] = 'other';
  if (v.ipVersion === 0) kind = 'l2';
  else if (v.isFragment) kind = 'other';
  else if (v.l4Proto === IpProto.TCP) kind = 'tcp';
  else if (v.l4Proto === IpProto.UDP) kind = 'udp';
  const ipLenZero = v.ipVersion === 4 ? b.readUInt16BE(v.l3Off + 2) === 0 : v.ipVersion === 6 ? b.readUInt16BE(v.l3Off + 4) === 0 : false;
  return {
    kind, l3Off: v.l3Off, ipVersion: v.ipVersion, l4Off: v.l4Off,
    payloadOff: kind === 'l2' ? v.l3Off : v.payloadOff,
    payloadLen: kind === 'l2' ? v.end - v.l3Off : v.payloadLen,
    etherType: v.etherType, srcPort: v.srcPort, dstPort: v.dstPort, ipLenZero,
    udpLenZero: kind === 'udp' && b.readUInt16BE(v.l4Off + 4) === 0,
    udpNoChecksum: kind === 'udp' && v.ipVersion === 4 && b.readUInt16BE(v.l4Off + 6) === 0,
  };
}

export function payloadOf(f: CapturedFrame, a: Anatomy): Buffer {
  return f.bytes.subarray(a.payloadOff, a.payloadOff + a.payloadLen);
}

/** IP and UDP lengths are 16 bits: a payload grows no further than this. */
export const MAX_PAYLOAD = 65_000;
/** An 802.3 length field above 1500 would read as an EtherType. */
const MAX_8023_LENGTH = 1500;

/**
 * The frame with `payload` in place of its transport payload (or, for a non-IP frame, of everything
 * after the link header), lengths and checksums fixed; `seq` replaces the TCP sequence number.
 */
export function withPayload(f: CapturedFrame, a: Anatomy, payload: Buffer, seq?: number): CapturedFrame {
  const link = linkLengths(f);
  const max = link.length8023 >= 0 ? MAX_8023_LENGTH - (a.payloadOff - link.length8023 - 2) : MAX_PAYLOAD;
  const b = Buffer.concat([f.bytes.subarray(0, a.payloadOff), payload.subarray(0, Math.max(0, Math.min(max, MAX_PAYLOAD)))]);
  if (link.length8023 >= 0) b.writeUInt16BE(b.length - link.length8023 - 2, link.length8023);
  if (link.pppoe >= 0) b.writeUInt16BE(b.length - link.pppoe - 6, link.pppoe + 4);
  if (a.kind !== 'l2') {
    fixIpLength(b, a, b.length - a.l3Off);
    if (a.kind === 'tcp') {
      if (seq !== undefined) b.writeUInt32BE(seq >>> 0, a.l4Off + 4);
      b.writeUInt16BE(0, a.l4Off + 16);
      b.writeUInt16BE(transportChecksum(b, a, IpProto.TCP), a.l4Off + 16);
    } else if (a.kind === 'udp') {
      if (!a.udpLenZero) b.writeUInt16BE(b.length - a.l4Off, a.l4Off + 4);
      b.writeUInt16BE(0, a.l4Off + 6);
      if (!a.udpNoChecksum) b.writeUInt16BE(transportChecksum(b, a, IpProto.UDP) || 0xffff, a.l4Off + 6);
    }
  }
  return { bytes: b, wireLen: b.length, tsMicros: f.tsMicros, linkType: f.linkType };
}

/**
 * Where an Ethernet or Linux cooked frame states the length of what follows: the 802.3 length field (LLC
 * frames, SNAP-encapsulated IP too) and the PPPoE session header (RFC 2516), -1 when absent.
 */
function linkLengths(f: CapturedFrame): { length8023: number; pppoe: number } {
  const b = f.bytes;
  let off = f.linkType === LinkType.ETHERNET ? 12 : f.linkType === LinkType.LINUX_SLL ? 14 : -1;
  if (off < 0 || b.length < off + 2) return { length8023: -1, pppoe: -1 };
  let type = b.readUInt16BE(off);
  while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && off + 6 <= b.length) {
    off += 4;
    type = b.readUInt16BE(off);
  }
  if (type <= 1500 && f.linkType === LinkType.ETHERNET) return { length8023: off, pppoe: -1 };
  return { length8023: -1, pppoe: type === 0x8864 && b.length >= off + 8 ? off + 2 : -1 };
}

/** Sets the IP length fields for a packet of `ipBytes` from the IP header on, and the IPv4 header checksum. */
function fixIpLength(b: Buffer, a: Anatomy, ipBytes: number): void {
  if (a.ipVersion === 4) {
    if (!a.ipLenZero) b.writeUInt16BE(ipBytes, a.l3Off + 2);
    const hlen = (b[a.l3Off] & 0x0f) << 2;
    b.writeUInt16BE(0, a.l3Off + 10);
    b.writeUInt16BE(~sum16(b, a.l3Off, a.l3Off + hlen, 0) & 0xffff, a.l3Off + 10);
  } else if (a.ipVersion === 6 && !a.ipLenZero) {
    b.writeUInt16BE(ipBytes - 40, a.l3Off + 4);
  }
}

/** One's-complement sum of 16-bit words over [from, to), folded. */
function sum16(b: Buffer, from: number, to: number, initial: number): number {
  let s = initial;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < to) s += b[i] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 768/793/8200 checksum of the transport segment with its pseudo-header. */
function transportChecksum(b: Buffer, a: Anatomy, proto: number): number {
  const len = b.length - a.l4Off;
  let s = 0;
  if (a.ipVersion === 4) {
    s = sum16(b, a.l3Off + 12, a.l3Off + 20, 0);
  } else {
    s = sum16(b, a.l3Off + 8, a.l3Off + 40, 0);
    s += len >>> 16;
  }
  s += proto + (len & 0xffff);
  return ~sum16(b, a.l4Off, b.length, s) & 0xffff;
}

/** Frames as a classic pcap (all of one link type) or, when link types are mixed, a pcapng file. */
export function captureFile(frames: readonly CapturedFrame[]): { bytes: Buffer; ext: 'pcap' | 'pcapng' } {
  const types = [...new Set(frames.map((f) => f.linkType))];
  return types.length <= 1 ? { bytes: pcapFile(frames, types[0] ?? 1), ext: 'pcap' } : { bytes: pcapngFile(frames, types), ext: 'pcapng' };
}

function pcapFile(frames: readonly CapturedFrame[], linkType: number): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262_144, 16);
  head.writeUInt32LE(linkType, 20);
  parts.push(head);
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(f.tsMicros / 1e6), 0);
    rec.writeUInt32LE(f.tsMicros % 1e6, 4);
    rec.writeUInt32LE(f.bytes.length, 8);
    rec.writeUInt32LE(Math.max(f.wireLen, f.bytes.length), 12);
    parts.push(rec, f.bytes);
  }
  return Buffer.concat(parts);
}

/** pcapng: a section header, one interface per link type, an enhanced packet block per frame (microseconds). */
function pcapngFile(frames: readonly CapturedFrame[], linkTypes: number[]): Buffer {
  const block = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const out = Buffer.alloc(12 + padded.length);
    out.writeUInt32LE(type, 0);
    out.writeUInt32LE(out.length, 4);
    padded.copy(out, 8);
    out.writeUInt32LE(out.length, out.length - 4);
    return out;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const parts = [block(0x0a0d0d0a, shb)];
  for (const t of linkTypes) {
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(t, 0);
    idb.writeUInt32LE(262_144, 4);
    parts.push(block(1, idb));
  }
  for (const f of frames) {
    const epb = Buffer.alloc(20);
    epb.writeUInt32LE(linkTypes.indexOf(f.linkType), 0);
    const ts = BigInt(f.tsMicros);
    epb.writeUInt32LE(Number(ts >> 32n), 4);
    epb.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    epb.writeUInt32LE(f.bytes.length, 12);
    epb.writeUInt32LE(Math.max(f.wireLen, f.bytes.length), 16);
    parts.push(block(6, Buffer.concat([epb, f.bytes])));
  }
  return Buffer.concat(parts);
}
