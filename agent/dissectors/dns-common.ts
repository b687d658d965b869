/**
 * What DNS, mDNS and LLMNR share: a cheap header check that rejects most non-DNS payloads without
 * allocating, and a decode through `dns-packet` (the project's DNS codec) that never throws.
 */
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';

export const DNS_HEADER_LEN = 12;
/** Per-list bound on the names one packet contributes: a real packet carries a handful. */
export const MAX_NAMES = 32;

/**
 * Plausible DNS header at `b[p..p+len)`: standard query opcode (0), no reserved rcode garbage, and
 * section counts whose minimal encodings fit (question >= 5 bytes, record >= 11 bytes).
 * `qr` 0 or 1 requires that QR bit; -1 accepts both.
 */
export function dnsHeaderOk(b: Buffer, p: number, len: number, qr: -1 | 0 | 1): boolean {
  if (len < DNS_HEADER_LEN) return false;
  const flags = (b[p + 2] << 8) | b[p + 3];
  if (qr !== -1 && flags >>> 15 !== qr) return false;
  if (((flags >>> 11) & 0x0f) !== 0) return false;
  const qd = (b[p + 4] << 8) | b[p + 5];
  const rr = ((b[p + 6] << 8) | b[p + 7]) + ((b[p + 8] << 8) | b[p + 9]) + ((b[p + 10] << 8) | b[p + 11]);
  if (qd + rr === 0) return false;
  return DNS_HEADER_LEN + qd * 5 + rr * 11 <= len;
}

/** The QR bit of a header already checked by `dnsHeaderOk`. */
export function isResponse(b: Buffer, p: number): boolean {
  return (b[p + 2] & 0x80) !== 0;
}

/** Decode the message at `b[p..p+len)`; null when dns-packet finds it malformed (it throws then). */
export function decodeDns(b: Buffer, p: number, len: number): DecodedPacket | null {
  try {
    // Compression pointers are relative to the message start: decode a view that starts there.
    return dnsPacket.decode(b.subarray(p, p + len));
  } catch {
    return null;
  }
}

/** Push `value` into the list at `obj[key]`, creating it, without duplicates and within MAX_NAMES. */
export function addUnique<K extends string>(obj: Partial<Record<K, string[]>>, key: K, value: string): void {
  const list = obj[key];
  if (list === undefined) obj[key] = [value];
  else if (list.length < MAX_NAMES && !list.includes(value)) list.push(value);
}

/** Owner names of reverse-mapping zones (`4.3.2.1.in-addr.arpa`, `...ip6.arpa`). */
export function isReverseName(name: string): boolean {
  const n = name.toLowerCase();
  return n.endsWith('.in-addr.arpa') || n.endsWith('.ip6.arpa');
}
