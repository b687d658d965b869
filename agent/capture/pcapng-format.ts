/**
 * pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html): blocks of
 * type, length, body, length. Sections (SHB) each carry their byte order and their interfaces (IDB);
 * packets come in EPB, SPB and the obsolete PB. Every other block type is skipped.
 */
import { MAX_BUFFERED_RECORD, MAX_CAPLEN, ParserBase, u16, u32, type CaptureParser } from './record-parser.js';
import { defaultTsScale, setTsResolution, tsToMicros, type TsScale } from './pcapng-time.js';
import type { FrameSink } from './types.js';

/** Section Header Block type; a palindrome, so it reads the same in both byte orders. */
export const PCAPNG_SHB = 0x0a0d0d0a;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Smallest block (type, length, trailer); also enough to read an SHB's byte-order magic. */
const MIN_BLOCK = 12;
/** Blocks we know and skip without a warning: NRB, ISB, IRIG, ARINC, systemd journal, DSB, custom. */
const QUIET_SKIP = new Set([4, 5, 7, 8, 9, 10, 0x00000bad, 0x40000bad]);
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** One IDB of the current section. */
interface PcapngInterface {
  /** LINKTYPE_* of its packets. */
  linkType: number;
  /** Snapshot length (0: unlimited); bounds SPB caplen. */
  snaplen: number;
  /** Timestamp units and offset (if_tsresol, if_tsoffset). */
  ts: TsScale;
  /** Frames delivered from this interface. */
  frames: number;
}

export class PcapngParser extends ParserBase implements CaptureParser {
  /** Byte order of the current section. */
  private le = true;
  /** Interfaces of the current section, by IDB order. */
  private interfaces: PcapngInterface[] = [];
  /** Frames per link type from sections already closed. */
  private closedCounts: Record<number, number> = {};
  /** Length of a large skipped block whose trailer is still to be checked (0: none). */
  private pendingTrailer = 0;
  /** Timestamp of the last packet, given to SPBs (which carry none). */
  private lastTsMicros = 0;
  /** Block types already warned about (one warning each). */
  private warnedTypes = new Set<number>();

  constructor(sink: FrameSink) {
    super(sink);
    this.need = MIN_BLOCK;
  }

  get atBoundary(): boolean {
    return this.pendingTrailer === 0;
  }

  parse(buf: Buffer, start: number, end: number): number {
    let pos = start;
    let need = MIN_BLOCK;
    while (true) {
      if (this.pendingTrailer !== 0) {
        if (end - pos < 4) {
          need = 4;
          break;
        }
        if (u32(buf, pos, this.le) !== this.pendingTrailer) {
          return this.corrupt(pos, `block ending at byte ${this.bufOrigin + pos + 4} has different leading and trailing lengths`);
        }
        pos += 4;
        this.pendingTrailer = 0;
      }
      const avail = end - pos;
      if (avail < MIN_BLOCK) break;
      const type = u32(buf, pos, this.le);
      if (type === PCAPNG_SHB) {
        const bom = u32(buf, pos + 8, false);
        if (bom !== BYTE_ORDER_MAGIC && bom !== 0x4d3c2b1a) {
          return this.corrupt(pos, `section header at byte ${this.bufOrigin + pos} has a bad byte-order magic ${bom.toString(16)}`);
        }
        this.le = bom !== BYTE_ORDER_MAGIC;
      }
      const len = u32(buf, pos + 4, this.le);
      if (len < MIN_BLOCK || (len & 3) !== 0) {
        return this.corrupt(pos, `block at byte ${this.bufOrigin + pos} has an invalid length ${len}`);
      }
      if (len > MAX_BUFFERED_RECORD) {
        if (type === PCAPNG_SHB || type === IDB || type === EPB || type === SPB || type === PB) {
          return this.corrupt(pos, `block type ${type} at byte ${this.bufOrigin + pos} claims ${len} bytes`);
        }
        // Stream past a large block we do not read instead of buffering it; its trailer is checked after.
        this.noteSkipped(type);
        const take = Math.min(avail, len - 4);
        this.skip = len - 4 - take;
        this.pendingTrailer = len;
        pos += take;
        continue;
      }
      if (avail < len) {
        need = len;
        break;
      }
      if (u32(buf, pos + len - 4, this.le) !== len) {
        return this.corrupt(pos, `block at byte ${this.bufOrigin + pos} has different leading and trailing lengths`);
      }
      if (type === EPB || type === PB) {
        if (!this.packet(buf, pos, len, type === EPB)) return pos;
      } else if (type === SPB) {
        if (!this.simplePacket(buf, pos, len)) return pos;
      } else if (type === IDB) {
        if (!this.interfaceDescription(buf, pos, len)) return pos;
      } else if (type === PCAPNG_SHB) {
        if (!this.sectionHeader(buf, pos, len)) return pos;
      } else {
        this.noteSkipped(type);
      }
      pos += len;
    }
    this.need = need;
    return pos;
  }

  linkTypeCounts(): Record<number, number> {
    const counts = { ...this.closedCounts };
    for (const i of this.interfaces) if (i.frames > 0) counts[i.linkType] = (counts[i.linkType] ?? 0) + i.frames;
    return counts;
  }

  /** EPB (type 6) or obsolete PB (type 2): same layout but a 16-bit interface id in PB. */
  private packet(buf: Buffer, pos: number, len: number, enhanced: boolean): boolean {
    const le = this.le;
    if (len < 32) return this.fail(pos, `packet block at byte ${this.bufOrigin + pos} is too short (${len} bytes)`);
    const ifaceId = enhanced ? u32(buf, pos + 8, le) : u16(buf, pos + 8, le);
    const caplen = u32(buf, pos + 20, le);
    if (caplen > len - 32 || caplen > MAX_CAPLEN) {
      return this.fail(pos, `packet block at byte ${this.bufOrigin + pos} claims ${caplen} captured bytes in a ${len}-byte block`);
    }
    const iface = this.interfaces[ifaceId];
    if (iface === undefined) return this.unknownInterface(pos, ifaceId);
    const tsMicros = tsToMicros(iface.ts, u32(buf, pos + 12, le), u32(buf, pos + 16, le));
    this.lastTsMicros = tsMicros;
    iface.frames++;
    this.frames++;
    this.sink.frame(buf, pos + 28, caplen, u32(buf, pos + 24, le), tsMicros, iface.linkType);
    return true;
  }

  /** SPB (type 3): interface 0, no timestamp (we reuse the last one), caplen implied by the block. */
  private simplePacket(buf: Buffer, pos: number, len: number): boolean {
    if (len < 16) return this.fail(pos, `simple packet block at byte ${this.bufOrigin + pos} is too short (${len} bytes)`);
    const iface = this.interfaces[0];
    if (iface === undefined) return this.unknownInterface(pos, 0);
    const wireLen = u32(buf, pos + 8, this.le);
    let caplen = Math.min(wireLen, len - 16);
    if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    iface.frames++;
    this.frames++;
    this.sink.frame(buf, pos + 12, caplen, wireLen, this.lastTsMicros, iface.linkType);
    return true;
  }

  /** IDB (type 1): link type, snaplen and the timestamp options. */
  private interfaceDescription(buf: Buffer, pos: number, len: number): boolean {
    const le = this.le;
    if (len < 20) return this.fail(pos, `interface block at byte ${this.bufOrigin + pos} is too short (${len} bytes)`);
    const iface: PcapngInterface = { linkType: u16(buf, pos + 8, le), snaplen: u32(buf, pos + 12, le), ts: defaultTsScale(), frames: 0 };
    const optEnd = pos + len - 4;
    let o = pos + 16;
    while (o + 4 <= optEnd) {
      const code = u16(buf, o, le);
      const optLen = u16(buf, o + 2, le);
      if (code === OPT_END) break;
      if (o + 4 + optLen > optEnd) {
        this.warn(`interface ${this.interfaces.length} at byte ${this.bufOrigin + pos} has a malformed option ${code}; options ignored`);
        break;
      }
      if (code === OPT_IF_TSRESOL && optLen >= 1 && !setTsResolution(iface.ts, buf[o + 4])) {
        this.warn(`interface ${this.interfaces.length} has an unsupported if_tsresol 0x${buf[o + 4].toString(16)}; assuming microseconds`);
      } else if (code === OPT_IF_TSOFFSET && optLen >= 8) {
        // Signed 64-bit seconds; the high word is signed, so hi·2^32 + lo keeps the sign.
        const hi = le ? buf.readInt32LE(o + 8) : buf.readInt32BE(o + 4);
        const lo = le ? u32(buf, o + 4, true) : u32(buf, o + 8, false);
        iface.ts.offsetMicros = (hi * 4294967296 + lo) * 1e6;
      }
      o += 4 + ((optLen + 3) & ~3);
    }
    this.interfaces.push(iface);
    return true;
  }

  /** SHB: a new section, with its own byte order (already set) and interfaces. */
  private sectionHeader(buf: Buffer, pos: number, len: number): boolean {
    if (len < 28) return this.fail(pos, `section header at byte ${this.bufOrigin + pos} is too short (${len} bytes)`);
    const major = u16(buf, pos + 12, this.le);
    if (major !== 1) return this.fail(pos, `section header at byte ${this.bufOrigin + pos} has unsupported pcapng version ${major}`);
    this.closedCounts = this.linkTypeCounts();
    this.interfaces = [];
    return true;
  }

  private noteSkipped(type: number): void {
    if (QUIET_SKIP.has(type) || this.warnedTypes.has(type)) return;
    this.warnedTypes.add(type);
    this.warn(`skipped pcapng block(s) of unknown type 0x${type.toString(16).padStart(8, '0')}`);
  }

  /** A packet block naming an interface the section did not describe: counted and skipped, reading goes on. */
  private unknownInterface(pos: number, ifaceId: number): boolean {
    this.corruptRecords++;
    if (!this.warnedTypes.has(-1)) {
      this.warnedTypes.add(-1);
      this.warn(`packet block at byte ${this.bufOrigin + pos} names interface ${ifaceId}, which its section does not describe; such blocks are skipped`);
    }
    return true;
  }

  /** Corrupt block: counts it, stops the parser and returns false so `parse` returns at the block. */
  private fail(pos: number, message: string): false {
    this.corrupt(pos, message);
    return false;
  }
}
