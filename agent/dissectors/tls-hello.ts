/**
 * TLS record layer and the cleartext handshake messages we read (RFC 5246, RFC 8446): ClientHello,
 * ServerHello and the start of Certificate. Everything returns null on malformed bytes; nothing throws.
 */

export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const HS_CLIENT_HELLO = 1;
export const HS_SERVER_HELLO = 2;
export const HS_CERTIFICATE = 11;
/** Plaintext records are at most 2^14 bytes; allow the 2048 bytes of expansion RFC 5246 tolerates. */
const MAX_RECORD = 16384 + 2048;

/** The handshake protocol bytes carried by the leading handshake records of a direction. */
export interface HandshakeBytes {
  /** Concatenated record bodies, including the received part of a record still arriving. */
  hs: Buffer;
  /** A record of another content type followed: no more cleartext handshake bytes will come. */
  closed: boolean;
}

/**
 * Strip the record headers of the leading handshake records; null when `data` is not TLS records.
 * Warning alerts before the first handshake record are skipped: some servers send
 * `unrecognized_name` (RFC 6066) ahead of their ServerHello.
 */
export function handshakeBytes(data: Buffer): HandshakeBytes | null {
  let off = 0;
  while (off < data.length && data[off] === CONTENT_ALERT) {
    if (off + 7 > data.length) return { hs: data.subarray(0, 0), closed: false };
    if (data[off + 1] !== 3 || data.readUInt16BE(off + 3) !== 2 || data[off + 5] !== 1) return null;
    off += 7;
  }
  if (off < data.length && data[off] !== CONTENT_HANDSHAKE) return null;
  const start = off;
  let single: Buffer | null = null;
  let parts: Buffer[] | null = null;
  let closed = false;
  while (off + 5 <= data.length) {
    if (data[off] !== CONTENT_HANDSHAKE) {
      closed = true;
      break;
    }
    if (data[off + 1] !== 3 || data[off + 2] > 4) return null;
    const len = data.readUInt16BE(off + 3);
    if (len === 0 || len > MAX_RECORD) return null;
    const body = data.subarray(off + 5, Math.min(off + 5 + len, data.length));
    // One record is the common case: keep a view and copy only when a message spans records.
    if (single === null) single = body;
    else (parts ??= [single]).push(body);
    off += 5 + len;
  }
  if (single === null) return { hs: data.subarray(start, start), closed };
  return { hs: parts ? Buffer.concat(parts) : single, closed };
}

/** A ClientHello, lists as sent (GREASE included); null lists mean the extension was absent. */
export interface ClientHello {
  legacyVersion: number;
  cipherSuites: number[];
  extensions: number[];
  serverName: string | null;
  alpn: Buffer[] | null;
  supportedVersions: number[] | null;
  supportedGroups: number[] | null;
  ecPointFormats: number[] | null;
  signatureAlgorithms: number[] | null;
}

export interface ServerHello {
  legacyVersion: number;
  cipherSuite: number;
  extensions: number[];
  /** supported_versions extension (TLS 1.3 selects its version there). */
  selectedVersion: number | null;
  alpn: Buffer | null;
  /** The random is the RFC 8446 HelloRetryRequest constant. */
  helloRetryRequest: boolean;
}

/** Big-endian u16 values of `b[start..end)` (end - start even), or null. */
function u16List(b: Buffer, start: number, end: number): number[] | null {
  if (end > b.length || ((end - start) & 1) !== 0) return null;
  const out: number[] = [];
  for (let o = start; o < end; o += 2) out.push(b.readUInt16BE(o));
  return out;
}

/** Vector with a 1- or 2-byte length prefix at `o` that must end at `end` exactly. */
function vec(b: Buffer, o: number, end: number, lenBytes: 1 | 2): [number, number] | null {
  if (o + lenBytes > end) return null;
  const n = lenBytes === 1 ? b[o] : b.readUInt16BE(o);
  const s = o + lenBytes;
  return s + n === end ? [s, s + n] : null;
}

/** First host_name (type 0) of a server_name extension, when it is printable ASCII. */
function parseServerName(b: Buffer, s: number, e: number): string | null | undefined {
  const list = vec(b, s, e, 2);
  if (!list) return undefined;
  for (let o = list[0]; o + 3 <= list[1];) {
    const t = b[o];
    const n = b.readUInt16BE(o + 1);
    if (o + 3 + n > list[1]) return undefined;
    if (t === 0) {
      for (let i = o + 3; i < o + 3 + n; i++) if (b[i] < 0x21 || b[i] > 0x7e) return null;
      return n === 0 ? null : b.toString('latin1', o + 3, o + 3 + n);
    }
    o += 3 + n;
  }
  return null;
}

/** Protocol ids of an ALPN extension (RFC 7301). */
function parseAlpn(b: Buffer, s: number, e: number): Buffer[] | null {
  const list = vec(b, s, e, 2);
  if (!list) return null;
  const out: Buffer[] = [];
  for (let o = list[0]; o < list[1];) {
    const n = b[o];
    if (o + 1 + n > list[1]) return null;
    out.push(b.subarray(o + 1, o + 1 + n));
    o += 1 + n;
  }
  return out;
}

/** Walk the extensions block at `o` (2-byte length) up to `end`; null when it does not fit. */
function walkExtensions(b: Buffer, o: number, end: number, visit: (type: number, s: number, e: number) => boolean): number[] | null {
  const types: number[] = [];
  if (o === end) return types; // extensions are optional before TLS 1.3
  const block = vec(b, o, end, 2);
  if (!block) return null;
  for (let p = block[0]; p < block[1];) {
    if (p + 4 > block[1]) return null;
    const type = b.readUInt16BE(p);
    const n = b.readUInt16BE(p + 2);
    const s = p + 4;
    if (s + n > block[1]) return null;
    types.push(type);
    if (!visit(type, s, s + n)) return null;
    p = s + n;
  }
  return types;
}

/** Body of a ClientHello handshake message (`b[start..end)`, after the 4-byte header). */
export function parseClientHello(b: Buffer, start: number, end: number): ClientHello | null {
  let o = start;
  if (o + 35 > end) return null;
  const legacyVersion = b.readUInt16BE(o);
  if (legacyVersion >> 8 !== 3) return null;
  o += 34;
  o += 1 + b[o]; // session id
  if (o + 2 > end) return null;
  const nc = b.readUInt16BE(o);
  if (nc === 0 || o + 2 + nc > end) return null;
  const cipherSuites = u16List(b, o + 2, o + 2 + nc);
  if (!cipherSuites) return null;
  o += 2 + nc;
  if (o + 1 > end) return null;
  o += 1 + b[o]; // compression methods
  if (o > end) return null;
  const ch: ClientHello = {
    legacyVersion, cipherSuites, extensions: [], serverName: null, alpn: null, supportedVersions: null,
    supportedGroups: null, ecPointFormats: null, signatureAlgorithms: null,
  };
  const types = walkExtensions(b, o, end, (type, s, e) => {
    let r: [number, number] | null;
    switch (type) {
      case 0: {
        const name = parseServerName(b, s, e);
        if (name === undefined) return false;
        ch.serverName = name;
        return true;
      }
      case 10:
        r = vec(b, s, e, 2);
        return (ch.supportedGroups = r && u16List(b, r[0], r[1])) !== null;
      case 11:
        if (!(r = vec(b, s, e, 1))) return false;
        ch.ecPointFormats = [...b.subarray(r[0], r[1])];
        return true;
      case 13:
        r = vec(b, s, e, 2);
        return (ch.signatureAlgorithms = r && u16List(b, r[0], r[1])) !== null;
      case 16:
        return (ch.alpn = parseAlpn(b, s, e)) !== null;
      case 43:
        r = vec(b, s, e, 1);
        return (ch.supportedVersions = r && u16List(b, r[0], r[1])) !== null;
      default:
        return true;
    }
  });
  if (!types) return null;
  ch.extensions = types;
  return ch;
}

/** SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** Body of a ServerHello handshake message. */
export function parseServerHello(b: Buffer, start: number, end: number): ServerHello | null {
  let o = start;
  if (o + 35 > end) return null;
  const legacyVersion = b.readUInt16BE(o);
  // TLS 1.3 drafts up to 21 put their 0x7fNN version here rather than in supported_versions.
  if (legacyVersion >> 8 !== 3 && legacyVersion >> 8 !== 0x7f) return null;
  const helloRetryRequest = b.compare(HRR_RANDOM, 0, 32, o + 2, o + 34) === 0;
  // Those drafts also dropped the session id and compression method from the ServerHello.
  const draft = legacyVersion >> 8 === 0x7f;
  o += 34;
  if (!draft) o += 1 + b[o];
  if (o + (draft ? 2 : 3) > end) return null;
  const sh: ServerHello = {
    legacyVersion, cipherSuite: b.readUInt16BE(o), extensions: [], selectedVersion: null, alpn: null, helloRetryRequest,
  };
  o += draft ? 2 : 3;
  const types = walkExtensions(b, o, end, (type, s, e) => {
    if (type === 43) {
      if (e - s !== 2) return false;
      sh.selectedVersion = b.readUInt16BE(s);
    } else if (type === 16) {
      const ids = parseAlpn(b, s, e);
      if (!ids || ids.length !== 1) return false;
      sh.alpn = ids[0];
    }
    return true;
  });
  if (!types) return null;
  sh.extensions = types;
  return sh;
}

/** Version name for display (`TLS 1.2`); unknown values as hex. */
export function versionName(v: number): string {
  if (v === 0x0300) return 'SSL 3.0';
  if (v >= 0x0301 && v <= 0x0304) return `TLS 1.${v - 0x0301}`;
  if (v >> 8 === 0x7f) return `TLS 1.3 draft ${v & 0xff}`;
  return `0x${v.toString(16).padStart(4, '0')}`;
}

/** The version is TLS 1.3 (final or draft), whose Certificate message is encrypted. */
export function isTls13(v: number): boolean {
  return v === 0x0304 || v >> 8 === 0x7f;
}
