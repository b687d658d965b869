/**
 * Test support for the fuzzer: mutations of one transport (or layer-2) payload, aware of the protocol it
 * carries. Binary protocols get their length fields set to lying and huge values (fuzz-fields.ts), BER
 * lengths re-encoded; text protocols (HL7, HTTP, SSDP, WS-Discovery, POCT1-A) get their delimiters and
 * tokens broken, HL7 its MLLP framing; every protocol gets bit flips, boundary bytes (0x00 0x7f 0x80
 * 0xff), boundary integers, truncations, duplications, deletions and splices with another payload of the
 * same protocol.
 *
 * A payload that carries planted patient data is only ever truncated (`preserve`), as a capture cuts a
 * packet: every other mutation can change what the message says, and then the same bytes are no longer
 * patient data. A deletion once turned an HL7 birth date (PID-7) into the Receiving Facility (MSH-6), a bit
 * flip made `\` the field separator so that the hex of an escaped name (`\X444F...\`) became MSH-6: new
 * messages, whose facility fields the allow-list rightly keeps. The rounds mutate a scrubbed copy of such
 * traffic instead (planted.ts scrubPlanted), so the parsers of clinical messages are not spared.
 */
import { lengthFields, readField, type LengthField } from './fuzz-fields.js';
import { MAX_PAYLOAD } from './fuzz-packet.js';
import type { Rng } from './rng.js';

export const PAYLOAD_OPS = ['bitflip', 'boundary', 'integer', 'length', 'truncate', 'duplicate', 'delete', 'splice', 'delimiter', 'token', 'mllp'] as const;
export type PayloadOp = (typeof PAYLOAD_OPS)[number];

/** Delimiters of each text protocol (HL7: field, component, repetition, escape, subcomponent, segment, MLLP). */
const DELIMITERS: Record<string, string> = {
  hl7: '|^~\\&\r\x0b\x1c',
  http: '\r\n: /;=,',
  ssdp: '\r\n: /;=',
  wsd: '<>"=/:& \n',
  poct1a: '<>"=/.& \n',
};
const BINARY_WEIGHTS: [PayloadOp, number][] = [
  ['bitflip', 14], ['boundary', 14], ['integer', 10], ['length', 32], ['truncate', 8], ['duplicate', 8], ['delete', 6], ['splice', 8],
];
const TEXT_WEIGHTS: [PayloadOp, number][] = [
  ['bitflip', 8], ['boundary', 8], ['integer', 3], ['length', 8], ['truncate', 8], ['duplicate', 8], ['delete', 5], ['splice', 9],
  ['delimiter', 24], ['token', 19],
];
const HL7_WEIGHTS: [PayloadOp, number][] = [...TEXT_WEIGHTS, ['mllp', 12]];


const BOUNDARY_BYTES = [0x00, 0x7f, 0x80, 0xff];
const BOUNDARY_INTS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
/** Text put in place of a token: empty, huge, control characters, escapes of every consumer, lying numbers. */
const HOSTILE_TOKENS = [
  '', 'A'.repeat(4096), '\x00', '%00', '\x1b[2J\x1b]0;t\x07', '&#0;', '&lt;&amp;', ']]>', '\\X00\\', '\\F\\\\S\\', '\u202e\u0000\ufffd',
  '=HYPERLINK("x")', "'||'", '-1', '0', '4294967296', '99999999999999999999999', '1e999', 'NaN',
];

export function isTextProtocol(proto: string): boolean {
  return proto in DELIMITERS;
}

/**
 * A mutation of `b`, read as protocol `proto`; `donor` gives another payload of the same protocol (one
 * without planted data). `preserve`: `b` carries planted data, it is only truncated.
 */
export function mutatePayload(rng: Rng, proto: string, b: Buffer, donor: () => Buffer | null, preserve = false): { bytes: Buffer; op: PayloadOp } {
  if (preserve) return { bytes: b.subarray(0, rng.int(b.length)), op: 'truncate' };
  const op = weighted(rng, proto === 'hl7' ? HL7_WEIGHTS : isTextProtocol(proto) ? TEXT_WEIGHTS : BINARY_WEIGHTS);
  if (b.length === 0) return { bytes: Buffer.from([rng.pick(BOUNDARY_BYTES)]), op: 'boundary' };
  const out = apply(rng, op, proto, b, donor);
  return { bytes: out.length > MAX_PAYLOAD ? out.subarray(0, MAX_PAYLOAD) : out, op };
}

function weighted<T>(rng: Rng, choices: [T, number][]): T {
  let total = 0;
  for (const [, w] of choices) total += w;
  let r = rng.int(total);
  for (const [c, w] of choices) {
    if (r < w) return c;
    r -= w;
  }
  return choices[0][0];
}

function apply(rng: Rng, op: PayloadOp, proto: string, src: Buffer, donor: () => Buffer | null): Buffer {
  const b = Buffer.from(src);
  const at = () => rng.int(b.length);
  switch (op) {
    case 'bitflip':
      for (let n = rng.small(8); n > 0; n--) b[at()] ^= 1 << rng.int(8);
      return b;
    case 'boundary':
      for (let n = rng.small(4); n > 0; n--) b[at()] = rng.pick(BOUNDARY_BYTES);
      return b;
    case 'integer': {
      const width = rng.chance(0.5) ? 2 : 4;
      const off = rng.int(Math.max(1, b.length - width + 1));
      if (off + width > b.length) return b;
      writeField(b, { off, width, le: rng.chance(0.5) }, rng.pick(BOUNDARY_INTS));
      return b;
    }
    case 'length':
      return isTextProtocol(proto) ? textLength(rng, b) : lieAboutLength(rng, proto, b);
    case 'truncate':
      return b.subarray(0, rng.int(b.length));
    case 'duplicate': {
      const from = at();
      const to = Math.min(b.length, from + rng.small(256) * rng.small(8));
      const times = rng.chance(0.2) ? rng.range(2, 64) : 1;
      const chunk = Buffer.concat(Array.from({ length: times }, () => b.subarray(from, to)));
      const where = rng.chance(0.5) ? to : at();
      return Buffer.concat([b.subarray(0, where), chunk, b.subarray(where)]);
    }
    case 'delete': {
      const from = at();
      return Buffer.concat([b.subarray(0, from), b.subarray(Math.min(b.length, from + rng.small(64) * rng.small(4)))]);
    }
    case 'splice': {
      const d = donor();
      if (d === null || d.length === 0) return b.subarray(0, at());
      return Buffer.concat([b.subarray(0, at()), d.subarray(rng.int(d.length))]);
    }
    case 'delimiter':
      return breakDelimiter(rng, proto, b);
    case 'token':
      return replaceToken(rng, b);
    case 'mllp':
      return breakMllp(rng, b);
  }
}

/** One length field of the protocol set to a lying value, or (BER) its encoding replaced. */
function lieAboutLength(rng: Rng, proto: string, b: Buffer): Buffer {
  const fields = lengthFields(proto, b);
  if (fields.length === 0) return apply(rng, 'integer', proto, b, () => null);
  const f = rng.pick(fields);
  if (f.ber && rng.chance(0.35)) return reencodeBer(rng, b, f.off);
  const max = f.mask ?? (f.width === 4 ? 0xffffffff : 2 ** (8 * f.width) - 1);
  const orig = readField(b, f);
  const rest = b.length - f.off - f.width;
  const choices = [0, 1, max, max - 1, orig + 1, orig - 1, orig * 2, orig >>> 1, rest, rest + 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, rng.u32()];
  writeField(b, f, (rng.pick(choices) >>> 0) % (max + 1));
  return b;
}

function writeField(b: Buffer, f: LengthField, value: number): void {
  let v = value;
  if (f.mask !== undefined) {
    const whole = f.width === 1 ? b[f.off] : b.readUIntBE(f.off, f.width);
    v = ((whole & ~f.mask) | (value & f.mask)) >>> 0;
    b.writeUIntBE(v, f.off, f.width);
    return;
  }
  if (f.width === 1) b[f.off] = v & 0xff;
  else if (f.width === 3) b.writeUIntBE(v & 0xffffff, f.off, 3);
  else if (f.width === 2 && f.le) b.writeUInt16LE(v & 0xffff, f.off);
  else if (f.width === 2) b.writeUInt16BE(v & 0xffff, f.off);
  else if (f.le) b.writeUInt32LE(v >>> 0, f.off);
  else b.writeUInt32BE(v >>> 0, f.off);
}

/** A BER length re-encoded: indefinite, long forms of any size (lying or not), a reserved first octet. */
function reencodeBer(rng: Rng, b: Buffer, off: number): Buffer {
  const first = b[off];
  const oldLen = first < 0x80 ? 1 : 1 + Math.min(first & 0x7f, 4);
  const forms = [[0x80], [0x81, rng.int(256)], [0x82, rng.int(256), rng.int(256)], [0x84, 0xff, 0xff, 0xff, 0xff], [0x85, 0, 0, 0, 0, 1], [0xff], [0x81, first & 0x7f]];
  return Buffer.concat([b.subarray(0, off), Buffer.from(rng.pick(forms)), b.subarray(Math.min(b.length, off + oldLen))]);
}

/** A number in the text (Content-Length, a count, an XML attribute) replaced by a lying one. */
function textLength(rng: Rng, b: Buffer): Buffer {
  const text = b.toString('latin1');
  const numbers = [...text.matchAll(/\d+/g)];
  if (numbers.length === 0) return replaceToken(rng, b);
  const m = rng.pick(numbers);
  const n = Number(m[0]);
  const lie = rng.pick([0, 1, n - 1, n + 1, n * 2, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53, -1]);
  return Buffer.concat([b.subarray(0, m.index), Buffer.from(String(lie), 'latin1'), b.subarray(m.index + m[0].length)]);
}

/** A delimiter deleted, repeated, or replaced by another of the protocol's delimiters. */
function breakDelimiter(rng: Rng, proto: string, b: Buffer): Buffer {
  const delims = DELIMITERS[proto];
  const spots: number[] = [];
  for (let i = 0; i < b.length; i++) if (delims.includes(String.fromCharCode(b[i]))) spots.push(i);
  const at = spots.length > 0 ? rng.pick(spots) : rng.int(b.length);
  const other = Buffer.from(delims[rng.int(delims.length)], 'latin1');
  switch (rng.int(4)) {
    case 0: return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    case 1: return Buffer.concat([b.subarray(0, at), Buffer.alloc(rng.small(512), b[at]), b.subarray(at)]);
    case 2: return Buffer.concat([b.subarray(0, at), other, b.subarray(at + 1)]);
    default: return Buffer.concat([b.subarray(0, rng.int(b.length)), other, b.subarray(rng.int(b.length))]);
  }
}

/** A word or number of the text replaced by hostile text. */
function replaceToken(rng: Rng, b: Buffer): Buffer {
  const text = b.toString('latin1');
  const tokens = [...text.matchAll(/[A-Za-z0-9._-]+/g)];
  const hostile = Buffer.from(rng.pick(HOSTILE_TOKENS), 'utf8');
  if (tokens.length === 0) return Buffer.concat([b, hostile]);
  const m = rng.pick(tokens);
  return Buffer.concat([b.subarray(0, m.index), hostile, b.subarray(m.index + m[0].length)]);
}

/** MLLP framing broken: start or end block removed, doubled, or inserted in the middle of a message. */
function breakMllp(rng: Rng, b: Buffer): Buffer {
  const start = b.indexOf(0x0b);
  const end = b.indexOf(0x1c);
  switch (rng.int(5)) {
    case 0: return start < 0 ? b : Buffer.concat([b.subarray(0, start), b.subarray(start + 1)]);
    case 1: return end < 0 ? b : Buffer.concat([b.subarray(0, end), b.subarray(end + 2)]);
    case 2: {
      const at = rng.int(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x1c, 0x0d]), b.subarray(at)]);
    }
    case 3: {
      const at = rng.int(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x0b]), b.subarray(at)]);
    }
    default: return Buffer.concat([Buffer.from([0x0b, 0x0b]), b]);
  }
}
