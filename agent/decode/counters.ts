/**
 * Why a frame could not be decoded. Malformed frames are counted by reason and skipped, never thrown:
 * a capture from a real network always has some.
 */
export const Malformed = {
  NONE: 0,
  TRUNCATED_ETHERNET: 1,
  TRUNCATED_VLAN: 2,
  TOO_MANY_VLAN_TAGS: 3,
  TRUNCATED_SLL: 4,
  TRUNCATED_ARP: 5,
  BAD_IP_VERSION: 6,
  TRUNCATED_IPV4: 7,
  BAD_IPV4_HEADER_LENGTH: 8,
  BAD_IPV4_TOTAL_LENGTH: 9,
  TRUNCATED_IPV6: 10,
  TRUNCATED_IPV6_EXTENSION: 11,
  TOO_MANY_IPV6_EXTENSIONS: 12,
  TRUNCATED_TCP: 13,
  BAD_TCP_HEADER_LENGTH: 14,
  TRUNCATED_UDP: 15,
  BAD_UDP_LENGTH: 16,
  TRUNCATED_ICMP: 17,
  TRUNCATED_LOOPBACK: 18,
  /** PPPoE session header (6 bytes) or PPP protocol field cut short. */
  TRUNCATED_PPPOE: 19,
  /** PPPoE session frame whose version/type is not 1/1 or whose code is not 0 (RFC 2516 section 4). */
  BAD_PPPOE_HEADER: 20,
  /** 802.3 frame too short for its 802.2 LLC header (3 bytes), or for the SNAP header it announces. */
  TRUNCATED_LLC: 21,
} as const;
export type MalformedReason = (typeof Malformed)[keyof typeof Malformed];

/** snake_case names used in summaries, logs and the API, indexed by reason code. */
export const MALFORMED_NAMES: readonly string[] = Object.entries(Malformed)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name.toLowerCase());

/**
 * What a frame that carries no IP carries, as far as the decoder looks. With the IP frames, the
 * malformed ones and those of unsupported link types, every frame is counted once.
 */
export const NonIp = {
  /** An IP frame, or one that was not decoded (malformed, unsupported link type). */
  NONE: 0,
  ARP: 1,
  LLDP: 2,
  /** Spanning tree BPDUs (IEEE 802.1D/802.1Q): 802.2 LLC with DSAP and SSAP 0x42. */
  STP: 3,
  /** 802.2 LLC/SNAP with an organisation's protocol id: CDP, DTP, VTP (OUI 00-00-0C)... */
  LLC_SNAP: 4,
  /** Any other 802.2 LLC frame: NetBIOS/NetBEUI (0xF0), IPX (0xE0), HP (0x7C)... */
  LLC_OTHER: 5,
  /** PPPoE discovery (EtherType 0x8863: PADI, PADO, PADR, PADS, PADT). */
  PPPOE_DISCOVERY: 6,
  /** PPPoE session frame with PPP link or network control (LCP, PAP, CHAP, IPCP, IPv6CP: protocol >= 0x8000). */
  PPP_CONTROL: 7,
  /** PPPoE session frame with another PPP network protocol than IPv4 and IPv6. */
  PPP_OTHER: 8,
  /** IEEE 802.1X port authentication (EtherType 0x888e). */
  EAPOL: 9,
  /** Any other EtherType (LACP, MPLS, PTP, vendor protocols...). */
  OTHER_ETHERTYPE: 10,
} as const;
export type NonIpKind = (typeof NonIp)[keyof typeof NonIp];

/** snake_case names of the NonIp kinds, indexed by code. */
export const NON_IP_NAMES: readonly string[] = Object.entries(NonIp)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name.toLowerCase());

/** Non-zero entries of a per-code counter array as `{ name: count }` (index 0, "none", left out). */
function nonZero(counts: Float64Array, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i < counts.length; i++) if (counts[i] > 0) out[names[i]] = counts[i];
  return out;
}

/** Per-run decode counters: plain numbers and one typed array, updated on the hot path without allocation. */
export class DecodeCounters {
  /** Frames handed to the decoder. */
  frames = 0;
  /** Bytes on the wire of those frames. */
  wireBytes = 0;
  /** Frames that carried IPv4 or IPv6. */
  ipFrames = 0;
  /** IP fragments (first and later). */
  fragments = 0;
  /** Frames of a link type we do not decode. */
  unsupported = 0;
  /** Frames by malformation reason (index: Malformed code). */
  readonly malformedByReason = new Float64Array(MALFORMED_NAMES.length);
  /** Decoded frames that carry no IP, by what they carry (index: NonIp code). */
  readonly nonIpByKind = new Float64Array(NON_IP_NAMES.length);

  get malformed(): number {
    let n = 0;
    for (let i = 1; i < this.malformedByReason.length; i++) n += this.malformedByReason[i];
    return n;
  }

  /** Non-zero reasons as a plain object, for summaries. */
  malformedSummary(): Record<string, number> {
    return nonZero(this.malformedByReason, MALFORMED_NAMES);
  }

  /** Non-zero kinds of non-IP frames as a plain object, for summaries. */
  nonIpSummary(): Record<string, number> {
    return nonZero(this.nonIpByKind, NON_IP_NAMES);
  }
}
