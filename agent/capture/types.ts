/**
 * What every packet source (file or live) hands to the decoder.
 *
 * Sources call `FrameSink.frame()` synchronously for each captured frame. The `bytes` buffer is only
 * valid for the duration of the call (sources reuse their read buffers), so a consumer that keeps
 * bytes must copy them. No object is allocated per frame.
 */

/** libpcap LINKTYPE_* values we decode (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  /** LINKTYPE_NULL: BSD loopback, 4-byte address family in the writer's byte order. */
  NULL: 0,
  /** LINKTYPE_LOOP: OpenBSD loopback, 4-byte address family in network byte order. */
  LOOP: 108,
  /** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet. */
  ETHERNET: 1,
  /** LINKTYPE_RAW: raw IPv4 or IPv6, version from the first nibble. */
  RAW: 101,
  /** LINKTYPE_LINUX_SLL: Linux "cooked" capture v1 (any interface). */
  LINUX_SLL: 113,
  /** LINKTYPE_IPV4: raw IPv4. */
  IPV4: 228,
  /** LINKTYPE_IPV6: raw IPv6. */
  IPV6: 229,
  /** LINKTYPE_LINUX_SLL2: Linux "cooked" capture v2. */
  LINUX_SLL2: 276,
  /** DLT_RAW as some BSD-derived writers store it (12 on most, 14 on OpenBSD). */
  RAW_BSD12: 12,
  RAW_BSD14: 14,
} as const;

export interface FrameSink {
  /**
   * One captured frame.
   * @param bytes      buffer holding the frame (valid during the call only)
   * @param offset     where the frame starts in `bytes`
   * @param caplen     captured length (bytes available)
   * @param wireLen    original length on the wire
   * @param tsMicros   capture timestamp, microseconds since the Unix epoch
   * @param linkType   LINKTYPE_* of the interface the frame came from
   */
  frame(bytes: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): void;
}

/** Counters a source reports about itself (file or live). */
export interface SourceStats {
  /** Frames delivered to the sink. */
  frames: number;
  /** Bytes of the source consumed (file bytes for files, captured bytes for live). */
  bytesRead: number;
  /** Records that were structurally broken (truncated record, lying length); reading stopped or skipped. */
  corruptRecords: number;
  /** Kernel drops reported by libpcap (live only). */
  kernelDrops?: number;
  /** Interface drops reported by libpcap (live only). */
  interfaceDrops?: number;
}
