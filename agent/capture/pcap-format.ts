/**
 * Classic libpcap format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
 * a 24-byte file header, then records of a 16-byte header (ts_sec, ts_frac, caplen, wirelen) and data.
 * Both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d) timestamps.
 */
import { MAX_CAPLEN, ParserBase, u32, type CaptureParser } from './record-parser.js';
import type { FrameSink } from './types.js';

const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** Some writers store a snaplen smaller than the frames they write; only a large excess means corruption. */
const SNAPLEN_SLACK = 4096;

/** Magic numbers as read big-endian from the first four bytes. */
export const PCAP_MAGICS = {
  /** Microsecond timestamps, big-endian file. */
  usecBe: 0xa1b2c3d4,
  /** Microsecond timestamps, little-endian file. */
  usecLe: 0xd4c3b2a1,
  /** Nanosecond timestamps, big-endian file. */
  nsecBe: 0xa1b23c4d,
  /** Nanosecond timestamps, little-endian file. */
  nsecLe: 0x4d3cb2a1,
} as const;

/** True when the big-endian first word of a file is one of the classic pcap magics. */
export function isPcapMagic(magicBe: number): boolean {
  return magicBe === PCAP_MAGICS.usecBe || magicBe === PCAP_MAGICS.usecLe
    || magicBe === PCAP_MAGICS.nsecBe || magicBe === PCAP_MAGICS.nsecLe;
}

export class PcapParser extends ParserBase implements CaptureParser {
  /** Byte order of the file (from the magic). */
  private le = true;
  /** Divisor turning the fractional timestamp field into microseconds (1 or 1000). */
  private fracDiv = 1;
  /** LINKTYPE_* of every record (network field of the file header). */
  private linkType = -1;
  /** Largest caplen accepted before a record is called corrupt. */
  private maxCaplen = MAX_CAPLEN;
  private headerDone = false;
  readonly atBoundary = true;

  constructor(sink: FrameSink) {
    super(sink);
    this.need = FILE_HEADER_LEN;
  }

  parse(buf: Buffer, start: number, end: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < FILE_HEADER_LEN) {
        this.need = FILE_HEADER_LEN;
        return pos;
      }
      this.readFileHeader(buf, pos);
      pos += FILE_HEADER_LEN;
    }
    // Hot loop: locals only, no allocation; the sink gets offsets into `buf`.
    const le = this.le;
    const fracDiv = this.fracDiv;
    const maxCaplen = this.maxCaplen;
    const linkType = this.linkType;
    const sink = this.sink;
    let frames = 0;
    let need = RECORD_HEADER_LEN;
    while (end - pos >= RECORD_HEADER_LEN) {
      const caplen = u32(buf, pos + 8, le);
      if (caplen > maxCaplen) {
        this.frames += frames;
        return this.corrupt(pos, `record at byte ${this.bufOrigin + pos} claims ${caplen} captured bytes (limit ${maxCaplen})`);
      }
      if (end - pos - RECORD_HEADER_LEN < caplen) {
        need = RECORD_HEADER_LEN + caplen;
        break;
      }
      const sec = u32(buf, pos, le);
      const frac = u32(buf, pos + 4, le);
      const tsMicros = sec * 1e6 + (fracDiv === 1 ? frac : Math.floor(frac / fracDiv));
      sink.frame(buf, pos + RECORD_HEADER_LEN, caplen, u32(buf, pos + 12, le), tsMicros, linkType);
      frames++;
      pos += RECORD_HEADER_LEN + caplen;
    }
    this.frames += frames;
    this.need = need;
    return pos;
  }

  linkTypeCounts(): Record<number, number> {
    return this.frames > 0 ? { [this.linkType]: this.frames } : {};
  }

  private readFileHeader(buf: Buffer, pos: number): void {
    const magic = u32(buf, pos, false);
    this.le = magic === PCAP_MAGICS.usecLe || magic === PCAP_MAGICS.nsecLe;
    this.fracDiv = magic === PCAP_MAGICS.nsecBe || magic === PCAP_MAGICS.nsecLe ? 1000 : 1;
    const snaplen = u32(buf, pos + 16, this.le);
    // The upper bits of the network field carry FCS flags (pcap draft §4); the link type is the low 16.
    this.linkType = u32(buf, pos + 20, this.le) & 0xffff;
    this.maxCaplen = snaplen === 0 ? MAX_CAPLEN : Math.min(MAX_CAPLEN, Math.max(snaplen, 65_535) + SNAPLEN_SLACK);
    this.headerDone = true;
  }
}
