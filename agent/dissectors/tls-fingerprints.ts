/**
 * TLS hello fingerprints computed from parsed hellos:
 * - JA3 / JA3S (Salesforce): decimal values joined by `-`, fields by `,`, GREASE (RFC 8701) removed,
 *   MD5 of that string.
 * - JA4 / JA4S (FoxIO, technical_details/JA4.md and JA4S.md): `t` + version + SNI flag + counts + ALPN
 *   characters, then truncated SHA-256 of the sorted cipher list and of the sorted extension list
 *   (SNI and ALPN left out) followed by the signature algorithms in their original order.
 */
import { createHash } from 'node:crypto';
import type { ClientHello, ServerHello } from './tls-hello.js';

/** GREASE values (RFC 8701) are 0x?a?a with both bytes equal: 0x0a0a, 0x1a1a ... 0xfafa. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

export function withoutGrease(values: readonly number[]): number[] {
  return values.filter((v) => !isGrease(v));
}

const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

/** Digests by input: the same few client and server stacks hello again and again. */
const digests = new Map<string, string>();

function memoDigest(algorithm: 'md5' | 'sha256', input: string): string {
  const key = `${algorithm}:${input}`;
  let out = digests.get(key);
  if (out === undefined) {
    out = createHash(algorithm).update(input).digest('hex');
    if (digests.size >= 4096) digests.clear();
    digests.set(key, out);
  }
  return out;
}

/** First 12 hex digits of SHA-256; twelve zeros for an empty list, as the JA4 spec asks. */
function hash12(s: string): string {
  return s === '' ? '000000000000' : memoDigest('sha256', s).slice(0, 12);
}

/** JA4 two-character version code (`13`, `12`, ..., `s3`, `00` unknown). */
function ja4Version(v: number): string {
  switch (v) {
    case 0x0304: return '13';
    case 0x0303: return '12';
    case 0x0302: return '11';
    case 0x0301: return '10';
    case 0x0300: return 's3';
    case 0x0200: return 's2';
    case 0x0100: return 's1';
    case 0xfeff: return 'd1';
    case 0xfefd: return 'd2';
    case 0xfefc: return 'd3';
    default: return '00';
  }
}

/** One ALPN byte as a JA4 character: printable ASCII as itself, anything else as `9`. */
const alpnChar = (c: number): string => (c > 0x20 && c < 0x7f ? String.fromCharCode(c) : '9');

/**
 * JA4 ALPN characters: first and last byte of the first protocol id (one byte counts as both), `00`
 * when there is none. For non-ASCII bytes the prose (JA4.md) now asks for hex digits, but FoxIO's Rust
 * and Python code and their test vector (tls-non-ascii-alpn: `0xba 0xad` gives `99`) write `9`; we
 * follow the code, whose output is what JA4 databases hold.
 */
export function ja4AlpnChars(alpn: Buffer | undefined): string {
  if (!alpn || alpn.length === 0) return '00';
  return alpnChar(alpn[0]) + alpnChar(alpn[alpn.length - 1]);
}

/** Version JA4 reports: the highest non-GREASE supported_versions value when the extension is sent. */
function offeredVersion(ch: ClientHello): number {
  if (ch.supportedVersions === null) return ch.legacyVersion;
  const vs = withoutGrease(ch.supportedVersions);
  return vs.length === 0 ? 0 : Math.max(...vs);
}

const ja4Parts = new Map<string, { ja4: string; ja4_r: string }>();

export interface ClientFingerprints {
  ja3: string;
  ja3_string: string;
  ja4: string;
  ja4_r: string;
}

export function clientFingerprints(ch: ClientHello): ClientFingerprints {
  const ciphers = withoutGrease(ch.cipherSuites);
  const exts = withoutGrease(ch.extensions);
  const ja3String = [
    ch.legacyVersion,
    ciphers.join('-'),
    exts.join('-'),
    withoutGrease(ch.supportedGroups ?? []).join('-'),
    (ch.ecPointFormats ?? []).join('-'),
  ].join(',');

  const sni = exts.includes(0) ? 'd' : 'i';
  const two = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
  const prefix = `t${ja4Version(offeredVersion(ch))}${sni}${two(ciphers.length)}${two(exts.length)}${ja4AlpnChars(ch.alpn?.[0])}`;
  // The same stacks hello again and again: the sorted JA4 parts are computed once per distinct input.
  const memoKey = `${prefix}|${ja3String}|${(ch.signatureAlgorithms ?? []).join('-')}`;
  let ja4 = ja4Parts.get(memoKey);
  if (ja4 === undefined) {
    const sortedCiphers = ciphers.map(hex4).sort().join(',');
    const sortedExts = exts.filter((e) => e !== 0 && e !== 16).map(hex4).sort().join(',');
    const sigs = withoutGrease(ch.signatureAlgorithms ?? []).map(hex4).join(',');
    const extsSigs = sigs === '' ? sortedExts : `${sortedExts}_${sigs}`;
    ja4 = {
      ja4: `${prefix}_${hash12(sortedCiphers)}_${sortedExts === '' ? '000000000000' : hash12(extsSigs)}`,
      ja4_r: `${prefix}_${sortedCiphers}_${extsSigs}`,
    };
    if (ja4Parts.size >= 4096) ja4Parts.clear();
    ja4Parts.set(memoKey, ja4);
  }
  return { ja3: memoDigest('md5', ja3String), ja3_string: ja3String, ja4: ja4.ja4, ja4_r: ja4.ja4_r };
}

export interface ServerFingerprints {
  ja3s: string;
  ja3s_string: string;
  ja4s: string;
  ja4s_r: string;
}

export function serverFingerprints(sh: ServerHello): ServerFingerprints {
  const exts = withoutGrease(sh.extensions);
  const ja3sString = `${sh.legacyVersion},${sh.cipherSuite},${exts.join('-')}`;
  const version = sh.selectedVersion ?? sh.legacyVersion;
  const alpn = ja4AlpnChars(sh.alpn ?? undefined);
  const prefix = `t${ja4Version(version)}${String(Math.min(exts.length, 99)).padStart(2, '0')}${alpn}_${hex4(sh.cipherSuite)}`;
  // JA4S keeps the server's extension order: it is chosen by the server's TLS library.
  const extList = exts.map(hex4).join(',');
  return {
    ja3s: memoDigest('md5', ja3sString),
    ja3s_string: ja3sString,
    ja4s: `${prefix}_${hash12(extList)}`,
    ja4s_r: `${prefix}_${extList}`,
  };
}
