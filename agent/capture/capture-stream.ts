/**
 * Parses a capture (pcap or pcapng, already decompressed) that arrives in chunks of any size.
 *
 * Complete records are parsed in place in each chunk; only the tail of a chunk that holds an incomplete
 * record is copied, into one reused carry buffer topped up to exactly the bytes the parser needs.
 * Used by readCaptureFile; usable for any other byte source (and by tests that split files at every offset).
 */
import type { FileReadResult } from './file-source.js';
import { isPcapMagic, PcapParser } from './pcap-format.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng-format.js';
import { hexPrefix, u32, type CaptureParser } from './record-parser.js';
import { UserFacingError } from '../errors.js';
import { LinkType, type FrameSink } from './types.js';

/** Initial carry buffer; it grows only for a record larger than this (bounded by MAX_BUFFERED_RECORD). */
const INITIAL_CARRY = 256 * 1024;
/** Bytes needed to tell pcap from pcapng. */
const MAGIC_LEN = 4;
const DECODED_LINK_TYPES = new Set<number>(Object.values(LinkType));

export class CaptureStreamParser {
  private parser: CaptureParser | null = null;
  private carry = Buffer.allocUnsafe(INITIAL_CARRY);
  /** Bytes held in `carry` (the start of an incomplete record). */
  private carryLen = 0;
  /** Bytes `carry` must hold before parsing can progress. */
  private carryNeed = MAGIC_LEN;
  /** Bytes of the decompressed capture consumed by the parser (records, headers, skipped blocks). */
  private consumed = 0;
  /** Set when the gzip stream broke after some data: the capture is treated as truncated. */
  private gzipBroken = false;
  /** Reader-level warnings, reported after the parser's. */
  readonly warnings: string[] = [];
  /** Set by interrupt(): the reader stopped on request, so a record cut at the end is not damage. */
  private interrupted = false;

  /**
   * @param path        named in errors and in the result
   * @param compressed  whether the bytes came through gunzip (reported, and named in errors)
   * @param sink        receives every frame
   */
  constructor(
    private readonly path: string,
    private readonly compressed: boolean,
    private readonly sink: FrameSink,
  ) {}

  get stopped(): boolean {
    return this.parser?.stopped === true;
  }

  /** True once the format is known. */
  get detected(): boolean {
    return this.parser !== null;
  }

  get frames(): number {
    return this.parser?.frames ?? 0;
  }

  /** Whether the bytes so far end between two records (the input may end here without damage). */
  get atRecordEnd(): boolean {
    const p = this.parser;
    return p !== null && (p.stopped || (this.carryLen === 0 && p.skip === 0 && p.atBoundary));
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      const p = this.parser;
      if (p !== null && p.stopped) return;
      if (p !== null && p.skip > 0) {
        const s = Math.min(p.skip, n - pos);
        p.skip -= s;
        pos += s;
        this.consumed += s;
        continue;
      }
      if (p === null || this.carryLen > 0) {
        const take = Math.min(this.carryNeed - this.carryLen, n - pos);
        this.reserveCarry(this.carryLen + take);
        chunk.copy(this.carry, this.carryLen, pos, pos + take);
        this.carryLen += take;
        pos += take;
        if (this.carryLen < this.carryNeed) return;
        if (p === null) {
          this.parser = this.detect();
          this.carryNeed = this.parser.need;
          continue;
        }
        this.parseCarry(p);
        continue;
      }
      p.bufOrigin = this.consumed - pos;
      const used = p.parse(chunk, pos, n);
      this.consumed += used - pos;
      pos = used;
      if (p.stopped || p.skip > 0 || pos === n) continue;
      this.reserveCarry(Math.max(p.need, n - pos));
      chunk.copy(this.carry, 0, pos, n);
      this.carryLen = n - pos;
      this.carryNeed = p.need;
      pos = n;
    }
  }

  /** The gzip layer failed (corrupt or cut short): keep what was read if anything was, else tell the user. */
  gzipFailed(err: Error): void {
    if (this.frames === 0) {
      throw new UserFacingError(`${this.path}: the gzip stream is corrupt (${err.message}); check the file or decompress it with \`gunzip -c\` to see how much is readable`);
    }
    this.gzipBroken = true;
    this.warnings.push(`gzip stream is corrupt or cut short (${err.message}); the ${this.frames} frames before it were read`);
  }

  /** Reading stops here on request (Ctrl-C, SIGTERM): the result says interrupted, not truncated. */
  interrupt(): void {
    this.interrupted = true;
    this.warnings.push(`reading stopped early (interrupted) after ${this.frames} frames`);
  }

  finish(): FileReadResult {
    const p = this.parser;
    if (p === null) throw notACapture(this.path, this.compressed, this.carry, this.carryLen);
    const cut = !this.interrupted && !p.stopped && (this.carryLen > 0 || p.skip > 0 || !p.atBoundary);
    if (cut) {
      const missing = p.skip > 0 ? p.skip + 4 : this.carryNeed - this.carryLen;
      this.warnings.unshift(`capture ends in the middle of a record or block (${missing} more bytes expected): the file is truncated; the ${p.frames} complete frames before it were read`);
    }
    // The first cause wins: a stop on a corrupt record ends the reading before any later cut.
    let incompleteReason: string | null = null;
    if (this.interrupted) incompleteReason = `interrupted after ${p.frames} frames: the rest was not read`;
    else if (p.stopped) incompleteReason = `${p.stopReason ?? 'a corrupt record'}: reading stopped there`;
    else if (this.gzipBroken) incompleteReason = 'the gzip stream is corrupt or cut short';
    else if (cut) incompleteReason = 'the file is truncated: it ends in the middle of a record';
    const linkTypes = p.linkTypeCounts();
    for (const [linkType, count] of Object.entries(linkTypes)) {
      if (!DECODED_LINK_TYPES.has(Number(linkType))) this.warnings.push(`${count} frames have link type ${linkType}, which auscult does not decode`);
    }
    return {
      path: this.path,
      format: p instanceof PcapParser ? 'pcap' : 'pcapng',
      compressed: this.compressed,
      frames: p.frames,
      bytesRead: this.consumed,
      corruptRecords: p.corruptRecords,
      linkTypes,
      truncated: cut || this.gzipBroken,
      complete: incompleteReason === null,
      incompleteReason,
      interrupted: this.interrupted,
      warnings: [...p.warnings, ...this.warnings],
    };
  }

  /** Parses the carry buffer once it holds `carryNeed` bytes; keeps whatever it did not consume. */
  private parseCarry(p: CaptureParser): void {
    p.bufOrigin = this.consumed;
    const used = p.parse(this.carry, 0, this.carryLen);
    this.consumed += used;
    if (used < this.carryLen) this.carry.copyWithin(0, used, this.carryLen);
    this.carryLen -= used;
    this.carryNeed = p.need;
    if (!p.stopped && p.skip === 0 && this.carryLen >= this.carryNeed) {
      throw new Error(`capture parser made no progress at byte ${this.consumed}`); // programmer error
    }
  }

  private detect(): CaptureParser {
    const magic = u32(this.carry, 0, false);
    if (isPcapMagic(magic)) return new PcapParser(this.sink);
    if (magic === PCAPNG_SHB) return new PcapngParser(this.sink);
    throw notACapture(this.path, this.compressed, this.carry, this.carryLen);
  }

  private reserveCarry(size: number): void {
    if (size <= this.carry.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(size, this.carry.length * 2));
    this.carry.copy(bigger, 0, 0, this.carryLen);
    this.carry = bigger;
  }
}

/**
 * The problem with a file whose first bytes are `head`, checked before anything is read: null for a
 * pcap, pcapng or gzip magic (a gzip file is checked once decompressed), else the error reading it would give.
 */
export function captureHeadProblem(path: string, head: Buffer): UserFacingError | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
  if (head.length >= MAGIC_LEN) {
    const magic = u32(head, 0, false);
    if (isPcapMagic(magic) || magic === PCAPNG_SHB) return null;
  }
  return notACapture(path, false, head, Math.min(head.length, MAGIC_LEN));
}

function notACapture(path: string, compressed: boolean, head: Buffer, len: number): UserFacingError {
  const what = compressed ? 'after gunzip, the first bytes are' : 'first bytes';
  return new UserFacingError(`${path} is not a pcap or pcapng capture (${what} ${hexPrefix(head, 0, len)}); if it is another capture format, convert it with \`editcap -F pcap ${path} out.pcap\``);
}

