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
} as const;
export type MalformedReason = (typeof Malformed)[keyof typeof Malformed];

/** snake_case names used in summaries, logs and the API, indexed by reason code. */
export const MALFORMED_NAMES: readonly string[] = Object.entries(Malformed)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name.toLowerCase());

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

  get malformed(): number {
    let n = 0;
    for (let i = 1; i < this.malformedByReason.length; i++) n += this.malformedByReason[i];
    return n;
  }

  /** Non-zero reasons as a plain object, for summaries. */
  malformedSummary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 1; i < this.malformedByReason.length; i++) {
      if (this.malformedByReason[i] > 0) out[MALFORMED_NAMES[i]] = this.malformedByReason[i];
    }
    return out;
  }
}
