/**
 * A strict, bounded BER (X.690) reader for SNMP: definite lengths only, one-byte tags only, every
 * length checked against its enclosing element. It reads one TLV header at a time into a record the
 * caller owns and reuses, so walking a message allocates nothing and never recurses; strings are made
 * only for the values a dissector keeps.
 */
import { isUtf8 } from 'node:buffer';

/** Universal and SNMP application tags (RFC 1157, RFC 3416). */
export const BerTag = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  /** SNMP IpAddress, [APPLICATION 0] IMPLICIT OCTET STRING (SIZE (4)). */
  IP_ADDRESS: 0x40,
  /** SNMP TimeTicks, [APPLICATION 3]. */
  TIME_TICKS: 0x43,
} as const;

/** One element's header: tag, where its value starts, its length, and one past its end. */
export interface BerTlv {
  tag: number;
  off: number;
  len: number;
  end: number;
}

export function newTlv(): BerTlv {
  return { tag: 0, off: 0, len: 0, end: 0 };
}

/** Length fields above 4 bytes would describe more than any UDP datagram can hold. */
const MAX_LENGTH_BYTES = 4;

/**
 * Read the TLV header at `off` into `t`; false when it is malformed or its value does not fit before
 * `limit` (the end of the enclosing element). Rejects indefinite lengths and multi-byte tags, which
 * SNMP never uses.
 */
export function readTlv(b: Uint8Array, off: number, limit: number, t: BerTlv): boolean {
  if (off < 0 || limit - off < 2) return false;
  const tag = b[off];
  if ((tag & 0x1f) === 0x1f) return false;
  const first = b[off + 1];
  let p = off + 2;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > MAX_LENGTH_BYTES || limit - p < n) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  if (len > limit - p) return false;
  t.tag = tag;
  t.off = p;
  t.len = len;
  t.end = p + len;
  return true;
}

/** `readTlv` that also requires a given tag. */
export function readTag(b: Uint8Array, off: number, limit: number, tag: number, t: BerTlv): boolean {
  return readTlv(b, off, limit, t) && t.tag === tag;
}

/** Two's-complement INTEGER of 1..6 bytes (versions, request ids, trap codes); null otherwise. */
export function berInt(b: Uint8Array, off: number, len: number): number | null {
  if (len < 1 || len > 6) return null;
  let v = b[off] & 0x80 ? -1 : 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[off + i];
  return v;
}

/** RFC 2578 caps an OID at 128 sub-identifiers. */
export const MAX_OID_ARCS = 128;
/** A sub-identifier above 2^49 could not be held exactly once shifted; no real OID comes close. */
const MAX_ARC_BEFORE_SHIFT = 2 ** 42;

/**
 * OBJECT IDENTIFIER contents to dotted text (`1.3.6.1.2.1.1.5.0`); null when empty, when a
 * sub-identifier is unterminated or not minimally encoded (leading 0x80), or beyond `maxArcs`.
 */
export function berOid(b: Uint8Array, off: number, len: number, maxArcs = MAX_OID_ARCS): string | null {
  if (len < 1) return null;
  const end = off + len;
  let text = '';
  let arcs = 0;
  let p = off;
  while (p < end) {
    if (b[p] === 0x80) return null;
    let v = 0;
    let done = false;
    while (p < end) {
      const byte = b[p++];
      if (v > MAX_ARC_BEFORE_SHIFT) return null;
      v = v * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done) return null;
    if (arcs === 0) {
      // The first sub-identifier packs two arcs: 40 * X + Y, X in 0..2.
      const x = v < 40 ? 0 : v < 80 ? 1 : 2;
      text = `${x}.${v - 40 * x}`;
      arcs = 2;
    } else {
      text += `.${v}`;
      arcs++;
    }
    if (arcs > maxArcs) return null;
  }
  return text;
}

/** Whether the value at `off..off+len` is exactly the encoded OID `oid` (no allocation). */
export function oidEquals(b: Uint8Array, off: number, len: number, oid: Uint8Array): boolean {
  if (len !== oid.length) return false;
  for (let i = 0; i < len; i++) if (b[off + i] !== oid[i]) return false;
  return true;
}

/**
 * Octets a device sends as text (SNMP DisplayString, LLDP and CDP strings) to a string: at most
 * `maxBytes`, trailing NULs dropped (some agents send C strings), UTF-8 when valid, else Latin-1.
 */
export function decodeText(b: Uint8Array, off: number, len: number, maxBytes: number): string {
  let n = len < maxBytes ? len : maxBytes;
  // When cut short, cut at a character boundary (never inside a UTF-8 sequence).
  if (n < len) while (n > 0 && (b[off + n] & 0xc0) === 0x80) n--;
  while (n > 0 && b[off + n - 1] === 0) n--;
  const bytes = Buffer.from(b.buffer, b.byteOffset + off, n);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Octets as lower-case hex, optionally separated (`aa:bb`), at most `maxBytes`. */
export function hexOf(b: Uint8Array, off: number, len: number, maxBytes: number, sep = ''): string {
  const n = len < maxBytes ? len : maxBytes;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(HEX[b[off + i]]);
  return parts.join(sep);
}
