/**
 * Test support for the fuzzer: mutations of the framing itself (link, IP and transport headers), the
 * small share of mutations that must move the decoder's malformed counters rather than reach a
 * dissector: headers cut short, lying IPv4/IPv6/UDP lengths, bad header lengths and versions, stacks of
 * VLAN tags, IPv6 extension headers, fragments, snap-length cuts. Moving a payload to another protocol
 * (EtherType, UDP port) is done only to frames that carry no planted patient data: in another protocol,
 * those bytes are no longer patient data, and a dissector that keeps them would be a false alarm.
 */
import { LinkType } from '../capture/types.js';
import type { Anatomy } from './fuzz-packet.js';
import type { CapturedFrame } from './frames.js';
import { plantedIn } from './planted.js';
import type { Rng } from './rng.js';

export const FRAMING_OPS = [
  'cut-header', 'snap-cut', 'ip-header-length', 'ip-length', 'ip-version', 'tcp-data-offset', 'udp-length',
  'vlan-tags', 'ethertype', 'udp-port', 'ipv6-extension', 'ip-fragment',
] as const;
export type FramingOp = (typeof FRAMING_OPS)[number];

/** UDP ports of the packet dissectors, for payloads sent to the wrong one. */
const DISSECTOR_PORTS = [53, 67, 68, 137, 138, 161, 162, 546, 547, 1900, 3702, 5353, 5355, 24005, 47808];
const ETHERTYPES = [0x88cc, 0x0806, 0x05dc, 0x0026, 0x8863, 0x8864, 0x888e, 0x86dd, 0x0800, 0x8100, 0x88a8];

/**
 * Header lengths that move where the payload starts: a TCP segment with planted data would then continue
 * its stream with bytes from further on, as if some had been deleted (see fuzz-mutate.ts).
 */
const SHIFTING: ReadonlySet<FramingOp> = new Set(['ip-header-length', 'tcp-data-offset']);

/**
 * A framing mutation of `f` (null when the chosen one does not apply to this frame). `planted`: the frame
 * carries planted patient data, its payload may be cut but not shifted.
 */
export function mutateFraming(rng: Rng, f: CapturedFrame, a: Anatomy, planted = false): { frame: CapturedFrame; op: FramingOp } | null {
  const op = rng.pick(FRAMING_OPS);
  if (planted && SHIFTING.has(op)) return null;
  const b = Buffer.from(f.bytes);
  const done = (bytes: Buffer, wireLen = bytes.length) => ({ frame: { ...f, bytes, wireLen: Math.max(wireLen, bytes.length) }, op });
  const ip4 = a.ipVersion === 4;
  const ip6 = a.ipVersion === 6;
  const ethernet = f.linkType === LinkType.ETHERNET && b.length >= 14;
  switch (op) {
    case 'cut-header':
      return done(b.subarray(0, rng.int(Math.max(1, a.kind === 'l2' ? a.l3Off + 4 : a.payloadOff))));
    case 'snap-cut':
      return a.payloadLen > 0 ? done(b.subarray(0, a.payloadOff + rng.int(a.payloadLen)), f.wireLen) : null;
    case 'ip-header-length':
      if (!ip4) return null;
      b[a.l3Off] = 0x40 | rng.pick([0, 1, 4, 6, 15]);
      return done(b);
    case 'ip-length':
      if (ip4) b.writeUInt16BE(rng.pick([1, 19, 20, 21, 0xffff, b.length - a.l3Off + 100]) & 0xffff, a.l3Off + 2);
      else if (ip6) b.writeUInt16BE(rng.pick([1, 7, 8, 0xffff, b.length - a.l3Off]) & 0xffff, a.l3Off + 4);
      else return null;
      return done(b);
    case 'ip-version':
      if (!ip4 && !ip6) return null;
      b[a.l3Off] = (rng.pick([0, 5, 6, 4, 15]) << 4) | (b[a.l3Off] & 0x0f);
      return done(b);
    case 'tcp-data-offset':
      if (a.kind !== 'tcp') return null;
      b[a.l4Off + 12] = (rng.pick([0, 1, 4, 15, 6]) << 4) | (b[a.l4Off + 12] & 0x0f);
      return done(b);
    case 'udp-length':
      if (a.kind !== 'udp') return null;
      b.writeUInt16BE(rng.pick([1, 7, 8, 9, 0xffff, b.length - a.l4Off + 1]) & 0xffff, a.l4Off + 4);
      return done(b);
    case 'vlan-tags': {
      if (!ethernet) return null;
      const tags = Buffer.alloc(4 * rng.range(1, 4));
      for (let i = 0; i < tags.length; i += 4) {
        tags.writeUInt16BE(rng.pick([0x8100, 0x88a8, 0x9100]), i);
        tags.writeUInt16BE(rng.int(4096), i + 2);
      }
      // TPID and TCI of each tag after the addresses; the original EtherType follows the last one.
      return done(Buffer.concat([b.subarray(0, 12), tags, b.subarray(12)]));
    }
    case 'ethertype':
      if (!ethernet || plantedIn(b).length > 0) return null;
      b.writeUInt16BE(rng.pick(ETHERTYPES), 12);
      return done(b);
    case 'udp-port':
      if (a.kind !== 'udp' || plantedIn(b).length > 0) return null;
      b.writeUInt16BE(rng.pick(DISSECTOR_PORTS), a.l4Off + 2);
      return done(b);
    case 'ipv6-extension': {
      if (!ip6) return null;
      // A Hop-by-Hop header in front of the transport header, its length lying as often as not.
      const ext = Buffer.alloc(8);
      ext[0] = b[a.l3Off + 6];
      ext[1] = rng.pick([0, 0, 1, 255]);
      const out = Buffer.concat([b.subarray(0, a.l3Off + 40), ext, b.subarray(a.l3Off + 40)]);
      out[a.l3Off + 6] = 0;
      out.writeUInt16BE((out.readUInt16BE(a.l3Off + 4) + 8) & 0xffff, a.l3Off + 4);
      return done(out);
    }
    case 'ip-fragment':
      if (!ip4) return null;
      b.writeUInt16BE(rng.pick([0x2000, 0x0001, 0x2001, 0x1fff]), a.l3Off + 6);
      return done(b);
  }
}
