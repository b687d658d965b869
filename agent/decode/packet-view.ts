/**
 * Layered packet decoding into one reused view, in the manner of gopacket's DecodingLayerParser:
 * the decoder records offsets into the captured buffer and a few numbers; it allocates nothing, so
 * bulk traffic costs a handful of byte reads per packet. Strings are made later, and only for the
 * rare packets something keeps (see `agent/decode/format.ts`). One class on purpose (hence its
 * length): every layer writes the same view, and the IP path stays a chain of small methods V8 inlines.
 */
import { LinkType } from '../capture/types.js';
import { Malformed, NonIp, type MalformedReason, type NonIpKind } from './counters.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  IPV6: 0x86dd,
  LLDP: 0x88cc,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  EAPOL: 0x888e,
} as const;

/** PPP protocol numbers (RFC 1661, IANA PPP DLL protocol numbers) that carry IP. */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

export const IpProto = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
} as const;

/** Result of `decode()`. */
export const DecodeStatus = {
  /** Decoded as far as we go (L4 or the last layer we know). */
  OK: 0,
  /** Broken or cut short; `PacketView.malformed` says why. */
  MALFORMED: 1,
  /** Link type we do not decode. */
  UNSUPPORTED: 2,
} as const;

const MAX_VLAN_TAGS = 3;

export class PacketView {
  /** Buffer holding the frame; valid only while the frame is being processed. */
  buf: Buffer = Buffer.alloc(0);
  /** Capture timestamp, microseconds since the epoch. */
  tsMicros = 0;
  /** Captured and on-the-wire lengths of the frame. */
  caplen = 0;
  wireLen = 0;
  /** LINKTYPE_* of the frame. */
  linkType = 0;
  /** Offset one past the last captured byte of the frame. */
  end = 0;

  /** Offsets of source and destination MAC in `buf` (-1 when the link layer carries none, e.g. raw IP). */
  srcMacOff = -1;
  dstMacOff = -1;
  /** Outer and inner 802.1Q/802.1ad VLAN ids (0 when untagged) and how many tags were present. */
  vlanOuter = 0;
  vlanInner = 0;
  vlanCount = 0;
  /**
   * EtherType after VLAN tags (or the SLL protocol); values <= 1500 mean an 802.3 length (LLC frame).
   * An LLC/SNAP frame whose SNAP header carries an EtherType (RFC 1042) has that EtherType instead.
   * PPPoE session frames keep 0x8864 whatever they carry.
   */
  etherType = 0;
  /** Offset of the network layer (ARP, IP, LLC, PPPoE header...); of IP also inside PPPoE or SNAP. */
  l3Off = 0;
  /** What a frame decoded without IP carries (NonIp code); NONE for IP frames. */
  nonIp: NonIpKind = NonIp.NONE;

  /** 4 or 6 when the frame carries IP, else 0. */
  ipVersion = 0;
  /** Offsets of the source/destination IP address bytes (4 or 16 bytes). */
  srcIpOff = 0;
  dstIpOff = 0;
  /** IP TTL / hop limit. */
  ttl = 0;
  /** IPv4 fragment (MF set or offset non-zero) or IPv6 with a Fragment header. */
  isFragment = false;
  /** A non-first fragment: carries no transport header. */
  isLaterFragment = false;
  /** Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...), 0 when unknown. */
  l4Proto = 0;
  /** Offset of the transport header, 0 when absent. */
  l4Off = 0;
  /** TCP/UDP ports; ICMP type and code for ICMP/ICMPv6. */
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  tcpFlags = 0;
  /** Transport payload: offset and captured length (bounded by the IP length, so Ethernet padding is excluded). */
  payloadOff = 0;
  payloadLen = 0;
  /** IP payload length as the IP header states it (bytes counted for flows). */
  ipLen = 0;

  /** Why the frame was malformed, when `decode()` returned MALFORMED. */
  malformed: MalformedReason = Malformed.NONE;

  private reset(buf: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): void {
    this.buf = buf;
    this.tsMicros = tsMicros;
    this.caplen = caplen;
    this.wireLen = wireLen;
    this.linkType = linkType;
    this.end = offset + caplen;
    this.srcMacOff = -1;
    this.dstMacOff = -1;
    this.vlanOuter = 0;
    this.vlanInner = 0;
    this.vlanCount = 0;
    this.etherType = 0;
    this.l3Off = offset;
    this.nonIp = NonIp.NONE;
    this.ipVersion = 0;
    this.isFragment = false;
    this.isLaterFragment = false;
    this.l4Proto = 0;
    this.l4Off = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.payloadOff = 0;
    this.payloadLen = 0;
    this.ipLen = 0;
    this.malformed = Malformed.NONE;
  }

  /** Decode one frame into this view. Returns a DecodeStatus. */
  decode(buf: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): number {
    this.reset(buf, offset, caplen, wireLen, tsMicros, linkType);
    switch (linkType) {
      case LinkType.ETHERNET:
        return this.ethernet(offset);
      case LinkType.LINUX_SLL:
        return this.sll(offset);
      case LinkType.LINUX_SLL2:
        return this.sll2(offset);
      case LinkType.RAW:
      case LinkType.RAW_BSD12:
      case LinkType.RAW_BSD14:
        return this.rawIp(offset);
      case LinkType.NULL:
      case LinkType.LOOP:
        return this.loopback(offset);
      case LinkType.IPV4:
        return this.ipv4(offset);
      case LinkType.IPV6:
        return this.ipv6(offset);
      default:
        return DecodeStatus.UNSUPPORTED;
    }
  }

  private fail(reason: MalformedReason): number {
    this.malformed = reason;
    return DecodeStatus.MALFORMED;
  }

  private ethernet(off: number): number {
    if (this.end - off < 14) return this.fail(Malformed.TRUNCATED_ETHERNET);
    this.dstMacOff = off;
    this.srcMacOff = off + 6;
    return this.etherPayload(off + 12);
  }

  /** Reads the EtherType at `typeOff`, walks VLAN tags, then dispatches on the network protocol. */
  private etherPayload(typeOff: number): number {
    const b = this.buf;
    let type = (b[typeOff] << 8) | b[typeOff + 1];
    let off = typeOff + 2;
    while (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD) {
      if (this.end - off < 4) return this.fail(Malformed.TRUNCATED_VLAN);
      if (this.vlanCount === MAX_VLAN_TAGS) return this.fail(Malformed.TOO_MANY_VLAN_TAGS);
      const vid = ((b[off] << 8) | b[off + 1]) & 0x0fff;
      if (this.vlanCount === 0) this.vlanOuter = vid;
      else if (this.vlanCount === 1) this.vlanInner = vid;
      this.vlanCount++;
      type = (b[off + 2] << 8) | b[off + 3];
      off += 4;
    }
    this.etherType = type;
    this.l3Off = off;
    if (type === EtherType.IPV4) return this.ipv4(off);
    if (type === EtherType.IPV6) return this.ipv6(off);
    return this.notIp(type, off);
  }

  /** Everything but plain IPv4/IPv6 after the link header: decoded as far as IP, or its kind noted. */
  private notIp(type: number, off: number): number {
    if (type <= 1500) return this.llc(off);
    switch (type) {
      case EtherType.ARP:
        if (this.end - off < 28) return this.fail(Malformed.TRUNCATED_ARP);
        return this.kind(NonIp.ARP);
      case EtherType.PPPOE_SESSION:
        return this.pppoeSession(off);
      case EtherType.PPPOE_DISCOVERY:
        return this.kind(NonIp.PPPOE_DISCOVERY);
      case EtherType.LLDP:
        return this.kind(NonIp.LLDP);
      case EtherType.EAPOL:
        return this.kind(NonIp.EAPOL);
      default:
        return this.kind(NonIp.OTHER_ETHERTYPE);
    }
  }

  private kind(k: NonIpKind): number {
    this.nonIp = k;
    return DecodeStatus.OK;
  }

  /** PPPoE session stage (RFC 2516 section 5): 6-byte header, then a PPP frame without address and control. */
  private pppoeSession(off: number): number {
    const b = this.buf;
    if (this.end - off < 7) return this.fail(Malformed.TRUNCATED_PPPOE);
    if (b[off] !== 0x11 || b[off + 1] !== 0) return this.fail(Malformed.BAD_PPPOE_HEADER);
    // PPP protocol field (RFC 1661 section 2): an odd first octet is a field compressed to one octet.
    let proto = b[off + 6];
    let p = off + 7;
    if ((proto & 1) === 0) {
      if (this.end - off < 8) return this.fail(Malformed.TRUNCATED_PPPOE);
      proto = (proto << 8) | b[p];
      p++;
    }
    if (proto === PPP_IPV4) return this.ipv4(p);
    if (proto === PPP_IPV6) return this.ipv6(p);
    return this.kind(proto >= 0x8000 ? NonIp.PPP_CONTROL : NonIp.PPP_OTHER);
  }

  /** IEEE 802.2 LLC after an 802.3 length: spanning tree, SNAP (RFC 1042 IP and ARP decoded), others. */
  private llc(off: number): number {
    const b = this.buf;
    if (this.end - off < 3) return this.fail(Malformed.TRUNCATED_LLC);
    const dsap = b[off];
    const ssap = b[off + 1];
    if (dsap === 0x42 && ssap === 0x42) return this.kind(NonIp.STP);
    if (dsap !== 0xaa || ssap !== 0xaa || b[off + 2] !== 0x03) return this.kind(NonIp.LLC_OTHER);
    if (this.end - off < 8) return this.fail(Malformed.TRUNCATED_LLC);
    // SNAP OUI 00-00-00 (RFC 1042) or 00-00-F8 (802.1H): the protocol id is an EtherType.
    if (b[off + 3] === 0 && b[off + 4] === 0 && (b[off + 5] === 0 || b[off + 5] === 0xf8)) {
      const type = (b[off + 6] << 8) | b[off + 7];
      if (type > 1500) {
        this.etherType = type;
        this.l3Off = off + 8;
        if (type === EtherType.IPV4) return this.ipv4(off + 8);
        if (type === EtherType.IPV6) return this.ipv6(off + 8);
        return this.notIp(type, off + 8);
      }
    }
    return this.kind(NonIp.LLC_SNAP);
  }

  /** Linux cooked capture v1: 16-byte header, the link-layer address is the sender's. */
  private sll(off: number): number {
    if (this.end - off < 16) return this.fail(Malformed.TRUNCATED_SLL);
    const b = this.buf;
    const arphrd = (b[off + 2] << 8) | b[off + 3];
    const addrLen = (b[off + 4] << 8) | b[off + 5];
    if (arphrd === 1 && addrLen === 6) this.srcMacOff = off + 6;
    return this.etherPayload(off + 14);
  }

  /** Linux cooked capture v2: 20-byte header, protocol first. */
  private sll2(off: number): number {
    if (this.end - off < 20) return this.fail(Malformed.TRUNCATED_SLL);
    const b = this.buf;
    const arphrd = (b[off + 8] << 8) | b[off + 9];
    const addrLen = b[off + 11];
    if (arphrd === 1 && addrLen === 6) this.srcMacOff = off + 12;
    // The protocol field is not adjacent to the payload in SLL2, so dispatch here rather than etherPayload.
    const type = (b[off] << 8) | b[off + 1];
    this.etherType = type;
    this.l3Off = off + 20;
    if (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD) {
      // Rare: tagged frame in SLL2; the tag sits right after the 20-byte header.
      return this.vlanAfterCooked(off + 20);
    }
    if (type === EtherType.IPV4) return this.ipv4(off + 20);
    if (type === EtherType.IPV6) return this.ipv6(off + 20);
    return this.notIp(type, off + 20);
  }

  private vlanAfterCooked(off: number): number {
    if (this.end - off < 4) return this.fail(Malformed.TRUNCATED_VLAN);
    const b = this.buf;
    this.vlanOuter = ((b[off] << 8) | b[off + 1]) & 0x0fff;
    this.vlanCount = 1;
    return this.etherPayload(off + 2);
  }

  /** BSD loopback: a 4-byte address family (either byte order), then IP; the version nibble decides. */
  private loopback(off: number): number {
    if (this.end - off < 4) return this.fail(Malformed.TRUNCATED_LOOPBACK);
    return this.rawIp(off + 4);
  }

  private rawIp(off: number): number {
    if (this.end - off < 1) return this.fail(Malformed.TRUNCATED_IPV4);
    const version = this.buf[off] >> 4;
    if (version === 4) return this.ipv4(off);
    if (version === 6) return this.ipv6(off);
    return this.fail(Malformed.BAD_IP_VERSION);
  }

  private ipv4(off: number): number {
    const b = this.buf;
    this.l3Off = off;
    if (this.end - off < 20) return this.fail(Malformed.TRUNCATED_IPV4);
    const vihl = b[off];
    if (vihl >> 4 !== 4) return this.fail(Malformed.BAD_IP_VERSION);
    const hlen = (vihl & 0x0f) << 2;
    if (hlen < 20) return this.fail(Malformed.BAD_IPV4_HEADER_LENGTH);
    if (this.end - off < hlen) return this.fail(Malformed.TRUNCATED_IPV4);
    const totalLen = (b[off + 2] << 8) | b[off + 3];
    // TSO/GRO captures on the sending host show total length 0: trust the captured length then.
    const ipEnd = totalLen === 0 ? this.end : off + totalLen;
    if (totalLen !== 0 && totalLen < hlen) return this.fail(Malformed.BAD_IPV4_TOTAL_LENGTH);
    this.ipVersion = 4;
    this.srcIpOff = off + 12;
    this.dstIpOff = off + 16;
    this.ttl = b[off + 8];
    this.ipLen = ipEnd - off;
    const fragField = (b[off + 6] << 8) | b[off + 7];
    const fragOffset = fragField & 0x1fff;
    if ((fragField & 0x2000) !== 0 || fragOffset !== 0) {
      this.isFragment = true;
      if (fragOffset !== 0) {
        this.isLaterFragment = true;
        this.l4Proto = b[off + 9];
        return DecodeStatus.OK;
      }
    }
    return this.transport(b[off + 9], off + hlen, ipEnd < this.end ? ipEnd : this.end);
  }

  private ipv6(off: number): number {
    const b = this.buf;
    this.l3Off = off;
    if (this.end - off < 40) return this.fail(Malformed.TRUNCATED_IPV6);
    if (b[off] >> 4 !== 6) return this.fail(Malformed.BAD_IP_VERSION);
    const payloadLen = (b[off + 4] << 8) | b[off + 5];
    this.ipVersion = 6;
    this.srcIpOff = off + 8;
    this.dstIpOff = off + 24;
    this.ttl = b[off + 7];
    // Jumbograms (payload length 0 with a Hop-by-Hop jumbo option) are bounded by the capture instead.
    const ipEnd = payloadLen === 0 ? this.end : off + 40 + payloadLen;
    const limit = ipEnd < this.end ? ipEnd : this.end;
    this.ipLen = ipEnd - off;
    let next = b[off + 6];
    let p = off + 40;
    // Walk extension headers until a transport protocol (RFC 8200 section 4).
    for (let i = 0; i < 16; i++) {
      switch (next) {
        case 0: // Hop-by-Hop Options
        case 43: // Routing
        case 60: // Destination Options
        case 135: // Mobility
        case 139: // HIP
        case 140: { // Shim6
          if (limit - p < 8) return this.fail(Malformed.TRUNCATED_IPV6_EXTENSION);
          const len = (b[p + 1] + 1) << 3;
          next = b[p];
          p += len;
          if (p > limit) return this.fail(Malformed.TRUNCATED_IPV6_EXTENSION);
          continue;
        }
        case 44: { // Fragment
          if (limit - p < 8) return this.fail(Malformed.TRUNCATED_IPV6_EXTENSION);
          const fragOffset = ((b[p + 2] << 8) | b[p + 3]) >> 3;
          this.isFragment = true;
          next = b[p];
          p += 8;
          if (fragOffset !== 0) {
            this.isLaterFragment = true;
            this.l4Proto = next;
            return DecodeStatus.OK;
          }
          continue;
        }
        case 51: { // Authentication Header: length in 4-octet units minus 2
          if (limit - p < 8) return this.fail(Malformed.TRUNCATED_IPV6_EXTENSION);
          const len = (b[p + 1] + 2) << 2;
          next = b[p];
          p += len;
          if (p > limit) return this.fail(Malformed.TRUNCATED_IPV6_EXTENSION);
          continue;
        }
        default:
          return this.transport(next, p, limit);
      }
    }
    return this.fail(Malformed.TOO_MANY_IPV6_EXTENSIONS);
  }

  private transport(proto: number, off: number, limit: number): number {
    const b = this.buf;
    this.l4Proto = proto;
    this.l4Off = off;
    const avail = limit - off;
    switch (proto) {
      case IpProto.TCP: {
        if (avail < 20) return this.fail(Malformed.TRUNCATED_TCP);
        const hlen = (b[off + 12] >> 4) << 2;
        if (hlen < 20) return this.fail(Malformed.BAD_TCP_HEADER_LENGTH);
        if (avail < hlen) return this.fail(Malformed.TRUNCATED_TCP);
        this.srcPort = (b[off] << 8) | b[off + 1];
        this.dstPort = (b[off + 2] << 8) | b[off + 3];
        this.tcpFlags = b[off + 13];
        this.payloadOff = off + hlen;
        this.payloadLen = avail - hlen;
        return DecodeStatus.OK;
      }
      case IpProto.UDP: {
        if (avail < 8) return this.fail(Malformed.TRUNCATED_UDP);
        const udpLen = (b[off + 4] << 8) | b[off + 5];
        if (udpLen !== 0 && udpLen < 8) return this.fail(Malformed.BAD_UDP_LENGTH);
        this.srcPort = (b[off] << 8) | b[off + 1];
        this.dstPort = (b[off + 2] << 8) | b[off + 3];
        this.payloadOff = off + 8;
        const fromHeader = udpLen === 0 ? avail - 8 : udpLen - 8;
        this.payloadLen = fromHeader < avail - 8 ? fromHeader : avail - 8;
        return DecodeStatus.OK;
      }
      case IpProto.ICMP:
      case IpProto.ICMPV6: {
        if (avail < 4) return this.fail(Malformed.TRUNCATED_ICMP);
        this.srcPort = b[off];
        this.dstPort = b[off + 1];
        this.payloadOff = off + 4;
        this.payloadLen = avail - 4;
        return DecodeStatus.OK;
      }
      default:
        this.payloadOff = off;
        this.payloadLen = avail > 0 ? avail : 0;
        return DecodeStatus.OK;
    }
  }
}
