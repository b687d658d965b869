/**
 * The contract between the streaming file reader and a capture-format parser (pcap, pcapng).
 *
 * The reader hands the parser byte ranges; the parser delivers every complete record in the range
 * straight to the sink and says how far it got and how many bytes it needs to make progress. The
 * reader keeps only the unparsed tail in a carry buffer, so memory stays bounded by `need`.
 */
import type { FrameSink } from './types.js';

/** Largest caplen we accept (libpcap's MAXIMUM_SNAPLEN); anything larger is a corrupt length. */
export const MAX_CAPLEN = 262_144;

/** Largest block or record the reader will buffer whole; larger packet blocks are corrupt. */
export const MAX_BUFFERED_RECORD = 1_048_576;

/** Warnings kept per file; a damaged file must not grow the list without bound. */
export const MAX_WARNINGS = 50;

export interface CaptureParser {
  /**
   * Delivers every complete record in `buf[start, end)` and returns the offset of the first byte
   * not consumed. After the call `need`, `skip` and `stopped` describe what must happen next.
   */
  parse(buf: Buffer, start: number, end: number): number;
  /** Bytes needed, counted from the returned offset, before `parse` can make progress (≤ MAX_BUFFERED_RECORD). */
  readonly need: number;
  /** Bytes the reader must discard before the next `parse` (body of a large block we do not read). */
  skip: number;
  /** True once a corrupt record was met: the reader stops (no resync). */
  readonly stopped: boolean;
  /** What stopped it, one line (null while not stopped). */
  readonly stopReason: string | null;
  /** True while the parser is between records: ending the stream here is not a truncation. */
  readonly atBoundary: boolean;
  /** File offset (decompressed) of `buf[0]` for the next `parse` call, so warnings can name an offset. */
  bufOrigin: number;
  /** Frames delivered to the sink. */
  readonly frames: number;
  /** Structurally broken records met. */
  readonly corruptRecords: number;
  /** One-line notes about problems met, in order. */
  readonly warnings: string[];
  /** Frames delivered per link type. */
  linkTypeCounts(): Record<number, number>;
}

/** Shared bookkeeping of the parsers: warnings (bounded) and the corrupt-record stop. */
export abstract class ParserBase {
  need = 0;
  skip = 0;
  stopped = false;
  stopReason: string | null = null;
  frames = 0;
  corruptRecords = 0;
  readonly warnings: string[] = [];

  constructor(protected readonly sink: FrameSink) {}

  /** File offset (decompressed) of `buf[0]` in the current `parse` call, set by the reader; warnings name offsets. */
  bufOrigin = 0;

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push('further warnings suppressed');
  }

  /** Counts a corrupt record and stops the parser; returns `pos` so callers can `return this.corrupt(...)`. */
  protected corrupt(pos: number, message: string): number {
    this.corruptRecords++;
    this.stopped = true;
    this.stopReason = message;
    this.warn(`${message}; stopped reading (the rest of the file is ignored)`);
    return pos;
  }
}

/** Reads a 32-bit unsigned integer at `pos`, in either byte order, without bounds checks beyond the caller's. */
export function u32(buf: Buffer, pos: number, le: boolean): number {
  return le
    ? (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000
    : (buf[pos + 1] << 16 | buf[pos + 2] << 8 | buf[pos + 3]) + buf[pos] * 0x1000000;
}

/** Reads a 16-bit unsigned integer at `pos`, in either byte order. */
export function u16(buf: Buffer, pos: number, le: boolean): number {
  return le ? buf[pos] | (buf[pos + 1] << 8) : (buf[pos] << 8) | buf[pos + 1];
}

/** Hex of the first bytes of a buffer, for error messages ("0x0a0d0d0a"). */
export function hexPrefix(buf: Buffer, start: number, end: number, max = 4): string {
  return '0x' + buf.subarray(start, Math.min(end, start + max)).toString('hex');
}
