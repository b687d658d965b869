// Capture-file reader against real captures (test-fixtures/formats, made by make-format-fixtures.sh).
// Expected timestamps and lengths are tshark 4.0.17's `frame.time_epoch`, `frame.cap_len`, `frame.len`
// for each file, with the epoch floored to the microsecond.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureStreamParser } from './capture-stream.js';
import type { FileHandle } from 'node:fs/promises';
import { readCaptureFile, readPlainFile, type FileReadOptions, type FileReadResult } from './file-source.js';
import { defaultTsScale, setTsResolution, tsToMicros } from './pcapng-time.js';
import { UserFacingError } from '../errors.js';
import type { FrameSink } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../test-fixtures/formats/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const scratch = mkdtempSync(join(tmpdir(), 'auscult-file-source-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One delivered frame, copied (the sink's buffer is only valid during the call). */
interface Frame {
  ts: number;
  caplen: number;
  wireLen: number;
  linkType: number;
  bytes: Buffer;
}

class RecordingSink implements FrameSink {
  readonly frames: Frame[] = [];
  constructor(private readonly onFrame?: () => void) {}
  frame(bytes: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): void {
    this.frames.push({ ts: tsMicros, caplen, wireLen, linkType, bytes: Buffer.from(bytes.subarray(offset, offset + caplen)) });
    this.onFrame?.();
  }
}

async function read(path: string, opts?: FileReadOptions): Promise<{ result: FileReadResult; frames: Frame[] }> {
  const sink = new RecordingSink();
  const result = await readCaptureFile(path, sink, opts);
  return { result, frames: sink.frames };
}

/** [tsMicros, caplen, wireLen, linkType] */
type F = [number, number, number, number];
const summary = (f: Frame): F => [f.ts, f.caplen, f.wireLen, f.linkType];

// The loopback capture: 6 ICMP echo frames of 1042 bytes cut at snaplen 200, then 4 of 98 bytes.
const LO_FIRST: F = [1795396600947747, 200, 1042, 1];
const LO_LAST: F = [1795396601559742, 98, 98, 1];

interface Case {
  file: string;
  format: 'pcap' | 'pcapng';
  compressed?: boolean;
  frames: number;
  first?: F;
  last?: F;
  linkTypes: Record<number, number>;
  truncated?: boolean;
  corruptRecords?: number;
  /** Substring expected in one of the warnings. */
  warning?: string;
}

const CASES: Case[] = [
  { file: 'lo-eth.pcap', format: 'pcap', frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  { file: 'pcap-be-usec.pcap', format: 'pcap', frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  // Timestamps end in 789 ns: floored to the same microseconds.
  { file: 'pcap-le-nsec.pcap', format: 'pcap', frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  { file: 'pcap-be-nsec.pcap', format: 'pcap', frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  { file: 'any-sll2.pcap', format: 'pcap', frames: 6, first: [1795396600947747, 1048, 1048, 276], last: [1795396601355804, 1048, 1048, 276], linkTypes: { 276: 6 } },
  { file: 'pcap-linktype-user0.pcap', format: 'pcap', frames: 10, first: [...LO_FIRST.slice(0, 3), 147] as F, last: [...LO_LAST.slice(0, 3), 147] as F, linkTypes: { 147: 10 }, warning: 'link type 147, which auscult does not decode' },
  { file: 'gzip-named-plain.pcap', format: 'pcap', compressed: true, frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  { file: 'pcapng-1if.pcapng', format: 'pcapng', frames: 10, first: LO_FIRST, last: LO_LAST, linkTypes: { 1: 10 } },
  // Interface 0: Ethernet in ns; interface 1: Linux cooked v2 in us. tshark's first frame is interface 1.
  { file: 'pcapng-2if.pcapng', format: 'pcapng', frames: 16, first: [1795396600947747, 1048, 1048, 276], last: LO_LAST, linkTypes: { 1: 10, 276: 6 } },
  { file: 'pcapng-2if.pcapng.gz', format: 'pcapng', compressed: true, frames: 16, first: [1795396600947747, 1048, 1048, 276], last: LO_LAST, linkTypes: { 1: 10, 276: 6 } },
  { file: 'pcapng-handmade.pcapng', format: 'pcapng', frames: 10, first: [1795396600947746, 200, 1042, 1], last: [1795396601358016, 98, 98, 1], linkTypes: { 1: 7, 276: 3 }, warning: 'unknown type 0x00000099' },
  { file: 'trunc-pcap-mid-header.pcap', format: 'pcap', frames: 3, first: LO_FIRST, last: [1795396601151605, 200, 1042, 1], linkTypes: { 1: 3 }, truncated: true, warning: 'truncated' },
  { file: 'trunc-pcap-mid-data.pcap', format: 'pcap', frames: 3, first: LO_FIRST, last: [1795396601151605, 200, 1042, 1], linkTypes: { 1: 3 }, truncated: true, warning: 'truncated' },
  { file: 'trunc-pcap-file-header.pcap', format: 'pcap', frames: 0, linkTypes: {}, truncated: true, warning: 'truncated' },
  { file: 'trunc-pcapng-mid-block.pcapng', format: 'pcapng', frames: 4, first: LO_FIRST, last: [1795396601151614, 200, 1042, 1], linkTypes: { 1: 4 }, truncated: true, warning: 'truncated' },
  { file: 'trunc-gzip.pcapng.gz', format: 'pcapng', compressed: true, frames: 6, first: [1795396600947747, 1048, 1048, 276], last: [1795396601151605, 200, 1042, 1], linkTypes: { 1: 3, 276: 3 }, truncated: true, warning: 'gzip stream is corrupt or cut short' },
  { file: 'corrupt-pcap-caplen.pcap', format: 'pcap', frames: 3, first: LO_FIRST, last: [1795396601151605, 200, 1042, 1], linkTypes: { 1: 3 }, corruptRecords: 1, warning: 'claims 2147483647 captured bytes' },
  { file: 'corrupt-pcapng-blocklen.pcapng', format: 'pcapng', frames: 2, first: LO_FIRST, last: [1795396600947756, 200, 1042, 1], linkTypes: { 1: 2 }, corruptRecords: 1, warning: 'invalid length 233' },
  { file: 'corrupt-pcapng-trailer.pcapng', format: 'pcapng', frames: 2, first: LO_FIRST, last: [1795396600947756, 200, 1042, 1], linkTypes: { 1: 2 }, corruptRecords: 1, warning: 'different leading and trailing lengths' },
];

describe('readCaptureFile: formats, truncation, corruption', () => {
  it.each(CASES)('$file', async (c) => {
    const { result, frames } = await read(fixture(c.file));
    expect(result).toMatchObject({
      path: fixture(c.file),
      format: c.format,
      compressed: c.compressed ?? false,
      frames: c.frames,
      linkTypes: c.linkTypes,
      truncated: c.truncated ?? false,
      corruptRecords: c.corruptRecords ?? 0,
    });
    expect(frames).toHaveLength(c.frames);
    if (c.first) expect(summary(frames[0])).toEqual(c.first);
    if (c.last) expect(summary(frames[frames.length - 1])).toEqual(c.last);
    if (c.warning) expect(result.warnings.join('\n')).toContain(c.warning);
    else expect(result.warnings).toEqual([]);
    if (!c.truncated && !c.corruptRecords && !c.compressed) expect(result.bytesRead).toBe(readFileSync(fixture(c.file)).length);
  });

  it('delivers the same frame bytes whatever the container, byte order or compression', async () => {
    const reference = (await read(fixture('lo-eth.pcap'))).frames;
    // Ethernet frame of an IPv4 ICMP echo: ethertype 0x0800 then an IPv4 header with protocol 1.
    expect(reference[0].bytes.readUInt16BE(12)).toBe(0x0800);
    expect(reference[0].bytes[14 + 9]).toBe(1);
    for (const file of ['pcap-be-usec.pcap', 'pcap-le-nsec.pcap', 'pcap-be-nsec.pcap', 'pcapng-1if.pcapng', 'gzip-named-plain.pcap']) {
      const frames = (await read(fixture(file))).frames;
      expect(frames.map((f) => f.bytes.toString('hex')), file).toEqual(reference.map((f) => f.bytes.toString('hex')));
    }
    const ethOf2if = (await read(fixture('pcapng-2if.pcapng'))).frames.filter((f) => f.linkType === 1);
    expect(ethOf2if.map((f) => f.bytes.toString('hex'))).toEqual(reference.map((f) => f.bytes.toString('hex')));
  });

  it('pcapng: 2^-20 s units with if_tsoffset, PB, SPB and a second little-endian section in ns', async () => {
    const { frames } = await read(fixture('pcapng-handmade.pcapng'));
    expect(frames.map(summary)).toEqual([
      [1795396600947746, 200, 1042, 1], // EPB, 2^-20 s units, if_tsoffset 1000 s (tshark: .947746276)
      [1795396600947755, 200, 1042, 1], // obsolete Packet Block (type 2)
      [1795396601151604, 200, 1042, 1],
      [1795396601151613, 200, 1042, 1],
      [1795396601151613, 128, 1042, 1], // SPB: no timestamp (previous one reused); caplen = snaplen 128
      [1795396600947747, 1048, 1048, 276], // section 2: ns units, if_tsoffset -2 s (tshark: .947747789)
      [1795396600947756, 1048, 1048, 276],
      [1795396601151605, 1048, 1048, 276],
      [1795396601355804, 200, 1042, 1], // second interface of section 2, default us
      [1795396601358016, 98, 98, 1],
    ]);
  });
});

describe('CaptureStreamParser: chunk boundaries anywhere', () => {
  const files = CASES.filter((c) => !c.compressed).map((c) => c.file);
  it.each(files)('%s gives the same result in chunks of 1..1000 bytes', (file) => {
    const bytes = readFileSync(fixture(file));
    const whole = parseInChunks(bytes, bytes.length);
    for (const size of [1, 2, 3, 5, 7, 13, 16, 17, 64, 100, 333, 1000]) {
      expect(parseInChunks(bytes, size), `chunks of ${size}`).toEqual(whole);
    }
  });

  it('streams past a 3 MiB block it does not read, without buffering it', async () => {
    const big = withBlockAfter(readFileSync(fixture('pcapng-1if.pcapng')), 4, customBlock(3 * 1024 * 1024));
    for (const size of [1000, 65536, big.length]) {
      const r = parseInChunks(big, size);
      expect(r.result).toMatchObject({ frames: 10, truncated: false, corruptRecords: 0, bytesRead: big.length });
    }
    const path = join(scratch, 'big-custom-block.pcapng');
    writeFileSync(path, big);
    const { result, frames } = await read(path);
    expect(result).toMatchObject({ frames: 10, truncated: false, bytesRead: big.length, warnings: [] });
    expect(summary(frames[9])).toEqual(LO_LAST);
    // Cut inside the big block: truncated, the two frames before it delivered.
    const cut = parseInChunks(big.subarray(0, 1_000_000), 65536);
    expect(cut.result).toMatchObject({ frames: 2, truncated: true });
  });

  it('stops at a packet block claiming a huge length (no buffering, no exception)', () => {
    const bytes = Buffer.from(readFileSync(fixture('pcapng-1if.pcapng')));
    const third = blockOffsets(bytes)[4];
    bytes.writeUInt32LE(0x7ffffffc, third + 4);
    const r = parseInChunks(bytes, 100);
    expect(r.result).toMatchObject({ frames: 2, corruptRecords: 1, truncated: false });
    expect(r.result.warnings[0]).toContain('claims 2147483644 bytes');
  });

  it('stops at an EPB whose caplen exceeds its block', () => {
    const bytes = Buffer.from(readFileSync(fixture('pcapng-1if.pcapng')));
    const third = blockOffsets(bytes)[4];
    bytes.writeUInt32LE(5000, third + 20);
    expect(parseInChunks(bytes, bytes.length).result).toMatchObject({ frames: 2, corruptRecords: 1 });
  });
});

describe('readCaptureFile: large files, progress and abort', () => {
  // 5 MiB of real records (the loopback capture's, repeated): several 2 MiB read chunks.
  const lo = readFileSync(fixture('lo-eth.pcap'));
  const copies = Math.ceil((5 * 1024 * 1024) / (lo.length - 24));
  const bigPath = join(scratch, 'big.pcap');
  writeFileSync(bigPath, Buffer.concat([lo, ...Array.from({ length: copies - 1 }, () => lo.subarray(24))]));

  it('reads every record across read-chunk boundaries and reports progress', async () => {
    const progress: Array<[number, number]> = [];
    const { result, frames } = await read(bigPath, { onProgress: (done, total) => progress.push([done, total]) });
    const size = 24 + copies * (lo.length - 24);
    expect(result).toMatchObject({ frames: 10 * copies, bytesRead: size, truncated: false, warnings: [] });
    expect(frames.every((f, i) => f.caplen === (i % 10 < 6 ? 200 : 98))).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[progress.length - 1]).toEqual([size, size]);
    expect(progress.every(([done], i) => i === 0 || done >= progress[i - 1][0])).toBe(true);
  });

  it('reads on correctly when a read comes back short in the middle of the file (reads ahead are redone)', async () => {
    const data = readFileSync(bigPath);
    const normal = await read(bigPath);
    // A handle over the same bytes whose reads starting at 2 MiB return only 1,000 bytes, as when the file
    // changes under the reader: the reads already in flight for the offsets after it are wrong.
    let reads = 0;
    let closed = false;
    const fh = {
      read(buffer: Buffer, offset: number, length: number, position: number) {
        reads++;
        const n = Math.max(0, Math.min(length, data.length - position, position === 2 * 1024 * 1024 ? 1000 : length));
        if (n > 0) data.copy(buffer, offset, position, position + n);
        return Promise.resolve({ bytesRead: n, buffer });
      },
      close() {
        closed = true;
        return Promise.resolve();
      },
    } as unknown as FileHandle;
    const sink = new RecordingSink();
    const result = await readPlainFile(fh, bigPath, data.length, sink, {});
    expect(result).toMatchObject({ frames: normal.result.frames, bytesRead: data.length, truncated: false, warnings: [] });
    expect(sink.frames.map((f) => f.bytes.toString('hex'))).toEqual(normal.frames.map((f) => f.bytes.toString('hex')));
    expect(reads).toBeGreaterThan(4);
    expect(closed).toBe(true);
  });

  it('reports a failed read as an error, and the reads ahead that fail too are no unhandled rejection', async () => {
    const data = readFileSync(bigPath);
    const fh = {
      read(buffer: Buffer, offset: number, length: number, position: number) {
        if (position >= 2 * 1024 * 1024) return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        const n = Math.min(length, data.length - position);
        data.copy(buffer, offset, position, position + n);
        return Promise.resolve({ bytesRead: n, buffer });
      },
      close: () => Promise.resolve(),
    } as unknown as FileHandle;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(readPlainFile(fh, bigPath, data.length, new RecordingSink(), {})).rejects.toThrow(/EIO|i\/o error/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops early when the signal aborts and returns what was read', async () => {
    const controller = new AbortController();
    const sink = new RecordingSink(() => controller.abort());
    const result = await readCaptureFile(bigPath, sink, { signal: controller.signal });
    expect(result.frames).toBeGreaterThan(0);
    expect(result.frames).toBeLessThan(10 * copies);
    expect(result.frames).toBe(sink.frames.length);
    expect(result.warnings.join()).toContain('reading stopped early (interrupted)');
    // Stopped on request: not complete, and not called truncated (a record may well be cut at the stop).
    expect(result).toMatchObject({ complete: false, interrupted: true, truncated: false, incompleteReason: expect.stringMatching(/^interrupted after \d+ frames/) });
  });
});

describe('readCaptureFile: errors the user can fix', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['missing file', join(FIXTURES, 'no-such-file.pcap'), /^cannot read .*no-such-file\.pcap: no such file \(check the path\)$/],
    ['directory', FIXTURES.replace(/\/$/, ''), /is a directory, not a capture file/],
    ['empty file', fixture('empty.pcap'), /empty\.pcap is empty \(0 bytes\)/],
    ['not a capture', fixture('not-a-capture.txt'), /not-a-capture\.txt is not a pcap or pcapng capture \(first bytes 0x54686973\); .*editcap -F pcap/],
    ['corrupt gzip before any frame', fixture('corrupt-gzip-data.pcapng.gz'), /corrupt-gzip-data\.pcapng\.gz: the gzip stream is corrupt/],
  ];
  it.each(cases)('%s', async (_name, path, message) => {
    const err = await readCaptureFile(path, new RecordingSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as Error).message).toMatch(message);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable file (root reads anything, so skipped as root)', async () => {
    const path = join(scratch, 'unreadable.pcap');
    writeFileSync(path, readFileSync(fixture('lo-eth.pcap')), { mode: 0o000 });
    await expect(readCaptureFile(path, new RecordingSink())).rejects.toThrow(/permission denied/);
  });
});

describe('pcapng timestamps without BigInt', () => {
  // Reference: exact integer arithmetic (BigInt is fine in the test, not in the hot path).
  const exact = (units: bigint, perSecond: bigint): number => Number((units * 1_000_000n) / perSecond);
  const split = (units: bigint): [number, number] => [Number(units >> 32n), Number(units & 0xffffffffn)];
  const at = 1_795_396_600n; // 2026-11-22, a time whose ns and ps counts exceed 2^53
  const samples: Array<[string, number, bigint]> = [
    ['10^-6', 6, 1_000_000n],
    ['10^-3', 3, 1_000n],
    ['10^-9', 9, 1_000_000_000n],
    ['10^-12', 12, 1_000_000_000_000n],
    ['2^-20', 0x80 | 20, 1n << 20n],
    ['2^-32', 0x80 | 32, 1n << 32n],
    ['2^-30', 0x80 | 30, 1n << 30n],
  ];
  it.each(samples)('%s resolution floors to the exact microsecond', (_name, tsresol, perSecond) => {
    const scale = defaultTsScale();
    expect(setTsResolution(scale, tsresol)).toBe(true);
    for (const frac of [0n, 1n, perSecond / 3n, perSecond - 1n]) {
      const units = at * perSecond + frac;
      const [hi, lo] = split(units);
      expect(tsToMicros(scale, hi, lo), `${units}`).toBe(exact(units, perSecond));
    }
  });

  it('adds if_tsoffset and rejects resolutions it cannot represent', () => {
    const scale = defaultTsScale();
    scale.offsetMicros = -2e6;
    expect(tsToMicros(scale, 0, 5_000_000)).toBe(3_000_000);
    expect(setTsResolution(defaultTsScale(), 16)).toBe(false);
    expect(setTsResolution(defaultTsScale(), 0x80 | 64)).toBe(false);
  });
});

/** Feeds `bytes` to a CaptureStreamParser in chunks of `size` (each chunk a fresh copy, as a stream would give). */
function parseInChunks(bytes: Buffer, size: number): { result: FileReadResult; frames: F[] } {
  const sink = new RecordingSink();
  const parser = new CaptureStreamParser('mem', false, sink);
  for (let i = 0; i < bytes.length && !parser.stopped; i += size) parser.feed(Buffer.from(bytes.subarray(i, i + size)));
  return { result: parser.finish(), frames: sink.frames.map(summary) };
}

/** Offsets of the blocks of a little-endian pcapng. */
function blockOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += bytes.readUInt32LE(p + 4)) offsets.push(p);
  return offsets;
}

/** A pcapng custom block (type 0xBAD, PEN 32473) with `bodyLen` bytes of data. */
function customBlock(bodyLen: number): Buffer {
  const len = 16 + bodyLen;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(0xbad, 0);
  b.writeUInt32LE(len, 4);
  b.writeUInt32LE(32473, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

function withBlockAfter(bytes: Buffer, blockIndex: number, block: Buffer): Buffer {
  const at = blockOffsets(bytes)[blockIndex];
  return Buffer.concat([bytes.subarray(0, at), block, bytes.subarray(at)]);
}
