/**
 * TLS over TCP, on any port: the ClientHello tells what software a client runs (JA3/JA4, SNI, ALPN),
 * the ServerHello what a server runs (JA3S/JA4S), and the server's Certificate (in clear up to TLS 1.2)
 * who it claims to be. A direction whose first bytes are not a TLS handshake record is not ours. Either
 * hello also marks the conversation as TLS (a ConversationMark: the edge's `tls` flag).
 */
import { hash as oneShotHash } from 'node:crypto';
import { clientFingerprints, isGrease, serverFingerprints, withoutGrease } from './tls-fingerprints.js';
import {
  HS_CERTIFICATE, HS_CLIENT_HELLO, HS_SERVER_HELLO, handshakeBytes, isTls13, parseClientHello, parseServerHello,
  versionName, type ClientHello,
} from './tls-hello.js';
import { streamSender } from './sender.js';
import type { ConversationMark, Observation, StreamContext, StreamDissector, StreamVerdict } from './types.js';
import { FieldsInterner } from './intern.js';
import { HASH, HashMemo, hashInt, hashRange, hashStart } from './hash.js';
import { certificateFields as readCertificate } from './x509.js';
import { cipherWeakness } from './tls-weak-suites.js';

/** The pipeline hands us at most this many bytes of a direction: past it, finish with what we have. */
export const TLS_WINDOW_BYTES = 16384;

/** Fields of a `tls` observation about a client (the sender of a ClientHello). */
export interface TlsClientHelloFields {
  /** Always `client_hello`. */
  message: 'client_hello';
  /** server_name extension (0): the host name the client asks for (SNI), when printable. */
  server_name?: string;
  /** ALPN extension (16): protocols offered, in order (`h2`, `http/1.1`); non-printable ids as `0x<hex>`. */
  alpn?: string[];
  /** legacy_version of the ClientHello (0x0303 = 771 for TLS 1.2 and 1.3). */
  legacy_version: number;
  /** supported_versions extension (43), GREASE removed, in order. */
  supported_versions?: number[];
  /** Highest version offered (supported_versions, else legacy_version), e.g. `TLS 1.3`. */
  max_version: string;
  /** The client sends GREASE values (RFC 8701), as Chromium-based stacks do. */
  grease: boolean;
  /** JA3: MD5 hex of `ja3_string`. */
  ja3: string;
  /** JA3 input: `version,ciphers,extensions,groups,point_formats` in decimal. */
  ja3_string: string;
  /** FoxIO JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`). */
  ja4: string;
  /** JA4 before hashing (sorted hex lists). */
  ja4_r: string;
}

/*
 * The raw cipher, extension, group and signature lists are in ja3_string / ja4_r; the peer's address
 * and port are in the device's peers. Keeping them out of the fields lets repeated hellos of the same
 * client or server fold into one observation.
 */

/** Fields of a `tls` observation about a server (the sender of a ServerHello). */
export interface TlsServerHelloFields {
  /** Always `server_hello`. */
  message: 'server_hello';
  /** SNI of the client's ClientHello on this connection: a name this server is reached by. */
  server_name?: string;
  /** legacy_version of the ServerHello. */
  legacy_version: number;
  /** Version selected: supported_versions extension (43) when present, else legacy_version (`TLS 1.2`). */
  version: string;
  /** Cipher suite selected. */
  cipher_suite: number;
  /** ALPN extension (16): the protocol selected. */
  alpn?: string;
  /** The ServerHello is a TLS 1.3 HelloRetryRequest. */
  hello_retry_request?: boolean;
  /** JA3S: MD5 hex of `ja3s_string`. */
  ja3s: string;
  /** JA3S input: `version,cipher,extensions` in decimal. */
  ja3s_string: string;
  /** FoxIO JA4S (`t120400_c030_4e8089b08790`). */
  ja4s: string;
  /** JA4S before hashing. */
  ja4s_r: string;
  /** Leaf certificate of the Certificate message (TLS <= 1.2 only, in clear): subject DN, `C=US, O=..., CN=...`. */
  cert_subject?: string;
  /** Leaf certificate issuer DN. */
  cert_issuer?: string;
  /** Leaf certificate subjectAltName DNS names. */
  cert_san_dns?: string[];
  /** Leaf certificate notBefore, ISO 8601 UTC. */
  cert_not_before?: string;
  /** Leaf certificate notAfter, ISO 8601 UTC. */
  cert_not_after?: string;
  /** Leaf certificate RSA/DSA key size in bits. */
  cert_key_bits?: number;
  /**
   * What is weak about the cipher suite selected, from its IANA name: `null` (no encryption), `export`
   * (40/56-bit export grade), `rc4`, `des` (single DES), `3des`; absent when none of these.
   */
  cipher_weakness?: 'null' | 'export' | 'rc4' | 'des' | '3des';
  /** Leaf certificate serial number, upper-case hex. */
  cert_serial?: string;
  /** Subject equals issuer: a self-signed certificate (typical of embedded device web servers). */
  cert_self_signed?: boolean;
  /** SHA-256 of the leaf certificate DER, `AA:BB:...` as Node prints it. */
  cert_sha256?: string;
}

/** An ALPN protocol id as text; hex when it is not printable ASCII. */
function alpnText(id: Buffer): string {
  for (const c of id) if (c < 0x20 || c > 0x7e) return `0x${id.toString('hex')}`;
  return id.toString('latin1');
}

/** The ClientHello at the start of `data`, when complete and well formed. */
function clientHelloOf(data: Buffer): ClientHello | null {
  const hb = handshakeBytes(data);
  if (!hb || hb.hs.length < 4 || hb.hs[0] !== HS_CLIENT_HELLO) return null;
  const end = 4 + hb.hs.readUIntBE(1, 3);
  return end <= hb.hs.length ? parseClientHello(hb.hs, 4, end) : null;
}

/** Fold a list (null: absent) into the running hashes. */
function hashList(list: readonly number[] | null): void {
  if (list === null) return hashInt(-1);
  hashInt(list.length);
  for (const x of list) hashInt(x);
}

/**
 * Fields by hello content: the same few client and server stacks hello again and again, and building
 * JA3/JA4 strings and interning them costs more than parsing the hello. Keyed by the hashes of
 * everything the fields are made of, and the SNI.
 */
const clientMemo = new HashMemo<TlsClientHelloFields>();
const serverMemo = new HashMemo<TlsServerHelloFields>();

function clientObservation(ch: ClientHello, ctx: StreamContext): Observation<'tls'> {
  hashStart(ch.legacyVersion);
  hashList(ch.cipherSuites);
  hashList(ch.extensions);
  hashList(ch.supportedVersions);
  hashList(ch.supportedGroups);
  hashList(ch.ecPointFormats);
  hashList(ch.signatureAlgorithms);
  hashInt(ch.alpn === null ? -1 : ch.alpn.length);
  for (const id of ch.alpn ?? []) {
    hashInt(id.length);
    hashRange(id, 0, id.length);
  }
  const text = ch.serverName ?? '';
  const h1 = HASH[0];
  const h2 = HASH[1];
  const device = streamSender(ctx);
  const known = clientMemo.get(h1, h2, text);
  if (known !== undefined) return { device, tsMs: ctx.tsMs, source: 'tls', fields: known };
  const f: TlsClientHelloFields = {
    message: 'client_hello',
    legacy_version: ch.legacyVersion,
    max_version: '',
    grease: ch.cipherSuites.some(isGrease) || ch.extensions.some(isGrease),
    ...clientFingerprints(ch),
  };
  let max = ch.legacyVersion;
  if (ch.serverName !== null) f.server_name = ch.serverName;
  if (ch.alpn) f.alpn = ch.alpn.map(alpnText);
  if (ch.supportedVersions) {
    f.supported_versions = withoutGrease(ch.supportedVersions);
    if (f.supported_versions.length > 0) max = Math.max(...f.supported_versions);
  }
  f.max_version = versionName(max);
  const fields = interner.intern({ ...f });
  clientMemo.set(h1, h2, fields, text);
  return { device, tsMs: ctx.tsMs, source: 'tls', fields };
}

/**
 * DER of the leaf certificate of a Certificate message starting at `o` in the handshake bytes:
 * `wait` while it is incomplete, null when there is none or it cannot fit in the window.
 */
function leafCertificate(hs: Buffer, o: number): Buffer | 'wait' | null {
  if (o + 10 > hs.length) return o < hs.length && hs[o] !== HS_CERTIFICATE ? null : 'wait';
  if (hs[o] !== HS_CERTIFICATE) return null;
  const listLen = hs.readUIntBE(o + 4, 3);
  const certLen = hs.readUIntBE(o + 7, 3);
  if (listLen < 3 + certLen || certLen === 0) return null;
  const end = o + 10 + certLen;
  if (end > TLS_WINDOW_BYTES) return null;
  return end <= hs.length ? hs.subarray(o + 10, end) : 'wait';
}

/** Parsed leaf certificates by DER hash: a server sends the same one on every connection. */
const certificateCache = new Map<string, Partial<TlsServerHelloFields> | null>();
const CERTIFICATE_CACHE_SIZE = 1024;

function certificateFields(der: Buffer): Partial<TlsServerHelloFields> | null {
  // Hashing the DER costs a few microseconds, reading it (x509.ts) a few more, OpenSSL ~110.
  const key = oneShotHash('sha1', der, 'base64');
  let fields = certificateCache.get(key);
  if (fields === undefined) {
    fields = readCertificate(der);
    if (certificateCache.size >= CERTIFICATE_CACHE_SIZE) certificateCache.clear();
    certificateCache.set(key, fields);
  }
  return fields === null ? null : { ...fields, ...(fields.cert_san_dns ? { cert_san_dns: [...fields.cert_san_dns] } : {}) };
}

/** ServerHello ends at `end` in the handshake bytes; up to TLS 1.2 wait for the leaf certificate too. */
function serverVerdict(hs: Buffer, end: number, final: boolean, ctx: StreamContext): StreamVerdict<'tls'> {
  const sh = parseServerHello(hs, 4, end);
  if (!sh) return null;
  const version = sh.selectedVersion ?? sh.legacyVersion;
  // TLS 1.3 encrypts the Certificate; up to 1.2 the leaf follows the ServerHello in clear.
  let der: Buffer | 'wait' | null = null;
  if (!isTls13(version) && !sh.helloRetryRequest) {
    der = leafCertificate(hs, end);
    if (der === 'wait' && !final) return WAIT;
  }
  const sni = ctx.peerData.length > 0 ? clientHelloOf(ctx.peerData)?.serverName : null;
  hashStart(sh.legacyVersion);
  hashInt(sh.cipherSuite);
  hashList(sh.extensions);
  hashInt(sh.selectedVersion ?? -1);
  hashInt(sh.helloRetryRequest ? 1 : 0);
  if (sh.alpn === null) hashInt(-1);
  else {
    hashInt(sh.alpn.length);
    hashRange(sh.alpn, 0, sh.alpn.length);
  }
  if (der === null || der === 'wait') hashInt(-1);
  else {
    hashInt(der.length);
    hashRange(der, 0, der.length);
  }
  const text = sni ?? '';
  const h1 = HASH[0];
  const h2 = HASH[1];
  const device = streamSender(ctx);
  let fields = serverMemo.get(h1, h2, text);
  if (fields === undefined) {
    const cert = der !== null && der !== 'wait' ? certificateFields(der) : null;
    const f: TlsServerHelloFields = {
      message: 'server_hello',
      legacy_version: sh.legacyVersion,
      version: versionName(version),
      cipher_suite: sh.cipherSuite,
      ...serverFingerprints(sh),
      ...cipherWeakness(sh.cipherSuite),
      ...cert,
    };
    if (sh.alpn) f.alpn = alpnText(sh.alpn);
    if (sh.helloRetryRequest) f.hello_retry_request = true;
    if (sni) f.server_name = sni;
    fields = interner.intern({ ...f });
    serverMemo.set(h1, h2, fields, text);
  }
  return { done: true, observations: [{ device, tsMs: ctx.tsMs, source: 'tls', fields }], outputs: [tlsConversation(ctx)] };
}

/** The conversation carried TLS: its edge is marked (either hello recognises it). */
function tlsConversation(ctx: StreamContext): ConversationMark {
  return {
    kind: 'conversation-mark', protocol: 'tls', srcIp: ctx.srcIp, srcPort: ctx.srcPort, dstIp: ctx.dstIp, dstPort: ctx.dstPort,
    tsMs: ctx.tsMs,
  };
}

/** Repeated hellos of one stack share their fields object (see intern.ts). */
const interner = new FieldsInterner();

const WAIT: StreamVerdict<'tls'> = Object.freeze({ done: false });

export const tls: StreamDissector<'tls'> = {
  kind: 'stream',
  name: 'tls',
  probe(data: Buffer): boolean {
    // Handshake record (or a warning alert before it), version 3.0-3.4 on the record layer.
    return (data[0] === 22 || data[0] === 21) && (data.length < 2 || data[1] === 3) && (data.length < 3 || data[2] <= 4);
  },
  /** `closing`: no more bytes will come (flow ended, bounds reached): finish with what there is. */
  parse(data: Buffer, ctx: StreamContext, closing = false): StreamVerdict<'tls'> {
    // Usual wait: a hello still arriving inside its first record; answer it without allocating.
    if (!closing && data.length >= 9 && data.length < TLS_WINDOW_BYTES && data[0] === 22 && (data[5] === HS_CLIENT_HELLO || data[5] === HS_SERVER_HELLO)) {
      const helloEnd = 9 + data.readUIntBE(6, 3);
      if (data.length < helloEnd && helloEnd <= 5 + data.readUInt16BE(3) && helloEnd <= TLS_WINDOW_BYTES) return WAIT;
    }
    const hb = handshakeBytes(data);
    if (!hb) return null;
    const { hs } = hb;
    const final = closing || hb.closed || data.length >= TLS_WINDOW_BYTES;
    if (hs.length < 4) return final ? null : WAIT;
    const type = hs[0];
    if (type !== HS_CLIENT_HELLO && type !== HS_SERVER_HELLO) return null;
    const end = 4 + hs.readUIntBE(1, 3);
    if (end > TLS_WINDOW_BYTES) return null; // a hello that can never fit in the window
    if (end > hs.length) return final ? null : WAIT;
    if (type === HS_SERVER_HELLO) return serverVerdict(hs, end, final, ctx);
    const ch = parseClientHello(hs, 4, end);
    return ch ? { done: true, observations: [clientObservation(ch, ctx)], outputs: [tlsConversation(ctx)] } : null;
  },
};
