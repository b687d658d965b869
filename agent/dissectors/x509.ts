/**
 * The identity of a TLS server's leaf certificate (RFC 5280): subject, issuer, serial, validity, DNS
 * names, SHA-256 fingerprint, as OpenSSL prints them through Node's X509Certificate.
 *
 * X509Certificate costs about 110 µs a certificate (each getter goes through OpenSSL and a BIO); the
 * common shape of a certificate (one attribute per RDN, well-known attribute types, UTF-8 or ASCII
 * strings, UTC or generalized times, DNS and IP alternative names) is read here directly from the DER
 * in a few microseconds. Anything else (an unknown attribute type, a BMPString, a control character,
 * an e-mail alternative name...) goes to OpenSSL, so the text is always OpenSSL's: x509.test.ts checks
 * both readers agree on every certificate of the fixtures and of the public corpus. Two differences, on
 * corrupted certificates only: the direct reader still gives the names of a certificate whose key,
 * signature or extensions OpenSSL refuses, and its fingerprint is the SHA-256 of the bytes sent where
 * OpenSSL hashes its own re-encoding (the same bytes for any well-formed DER).
 */
import { createPublicKey, hash as oneShotHash, KeyObject, X509Certificate } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { newTlv, readTlv, type BerTlv } from './ber.js';

/** What the TLS dissector records about a certificate (TlsServerHelloFields' cert_* keys). */
export interface CertificateFields {
  cert_subject: string;
  cert_issuer: string;
  cert_serial: string;
  cert_self_signed: boolean;
  cert_sha256: string;
  cert_san_dns?: string[];
  cert_not_before?: string;
  cert_not_after?: string;
  /** RSA or DSA key size in bits (the modulus); absent for EC and other keys, whose sizes do not compare. */
  cert_key_bits?: number;
}

/** OpenSSL's short names of the attribute types read here (OBJ_nid2sn), by DER-encoded OID body. */
const ATTRIBUTE_NAMES = new Map<string, string>(
  Object.entries({
    '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
    '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.13': 'description',
    '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '2.5.4.42': 'GN', '2.5.4.43': 'initials',
    '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym', '2.5.4.97': 'organizationIdentifier',
    '1.2.840.113549.1.9.1': 'emailAddress', '1.2.840.113549.1.9.2': 'unstructuredName',
    '0.9.2342.19200300.100.1.1': 'UID', '0.9.2342.19200300.100.1.25': 'DC',
    '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL', '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
    '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  }).map(([dotted, name]) => [oidBodyHex(dotted), name]),
);

/** subjectAltName (2.5.29.17), DER body in hex. */
const SUBJECT_ALT_NAME = oidBodyHex('2.5.29.17');

function oidBodyHex(dotted: string): string {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80;
    bytes.push(...groups);
  }
  return Buffer.from(bytes).toString('hex');
}

const TAG = { INTEGER: 0x02, OID: 0x06, UTF8: 0x0c, PRINTABLE: 0x13, T61: 0x14, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, SEQUENCE: 0x30, SET: 0x31 } as const;
/** Context tags: [0] EXPLICIT version, [3] EXPLICIT extensions, [1]/[2] IMPLICIT unique ids. */
const CTX_VERSION = 0xa0;
const CTX_EXTENSIONS = 0xa3;
/** GeneralName choices (RFC 5280 4.2.1.6), IMPLICIT: dNSName [2], iPAddress [7]. */
const GN_DNS = 0x82;
const GN_IP = 0x87;
/** DNS names OpenSSL prints as they are (others it quotes, so they are left to it). */
const PLAIN_DNS = /^[A-Za-z0-9._*-]+$/;

/** Reads the fields of a certificate, or null to say "ask OpenSSL". */
class Reader {
  private readonly t: BerTlv = newTlv();

  constructor(private readonly b: Buffer) {}

  /** The element at `off` (before `limit`) with tag `tag`, or null. */
  private el(off: number, limit: number, tag: number): { off: number; end: number } | null {
    const t = this.t;
    if (!readTlv(this.b, off, limit, t) || t.tag !== tag) return null;
    return { off: t.off, end: t.end };
  }

  private tagAt(off: number, limit: number): number {
    return off < limit ? this.b[off] : -1;
  }

  read(): Omit<CertificateFields, 'cert_sha256' | 'cert_self_signed'> | null {
    const b = this.b;
    const cert = this.el(0, b.length, TAG.SEQUENCE);
    if (cert === null || cert.end !== b.length) return null;
    const tbs = this.el(cert.off, cert.end, TAG.SEQUENCE);
    if (tbs === null) return null;
    let p = tbs.off;
    if (this.tagAt(p, tbs.end) === CTX_VERSION) {
      const v = this.el(p, tbs.end, CTX_VERSION);
      if (v === null) return null;
      p = v.end;
    }
    const serial = this.el(p, tbs.end, TAG.INTEGER);
    if (serial === null) return null;
    const serialHex = serialText(b.subarray(serial.off, serial.end));
    if (serialHex === null) return null;
    const sigAlg = this.el(serial.end, tbs.end, TAG.SEQUENCE);
    if (sigAlg === null) return null;
    const issuerEl = this.el(sigAlg.end, tbs.end, TAG.SEQUENCE);
    if (issuerEl === null) return null;
    const issuer = this.name(issuerEl.off, issuerEl.end);
    const validity = this.el(issuerEl.end, tbs.end, TAG.SEQUENCE);
    if (issuer === null || validity === null) return null;
    const notBefore = this.time(validity.off, validity.end);
    if (notBefore === null) return null;
    const notAfter = this.time(this.t.end, validity.end);
    if (notAfter === null || this.t.end !== validity.end) return null;
    const subjectEl = this.el(validity.end, tbs.end, TAG.SEQUENCE);
    if (subjectEl === null) return null;
    const subject = this.name(subjectEl.off, subjectEl.end);
    const spki = this.el(subjectEl.end, tbs.end, TAG.SEQUENCE);
    if (subject === null || spki === null) return null;
    p = spki.end;
    let dns: string[] | null = [];
    while (p < tbs.end) {
      const tag = this.tagAt(p, tbs.end);
      if (!readTlv(b, p, tbs.end, this.t)) return null;
      const { off, end } = this.t;
      if (tag === CTX_EXTENSIONS) dns = this.altNames(off, end);
      else if (tag !== 0x81 && tag !== 0x82) return null;
      if (dns === null) return null;
      p = end;
    }
    const out: Omit<CertificateFields, 'cert_sha256' | 'cert_self_signed'> = { cert_subject: subject, cert_issuer: issuer, cert_serial: serialHex };
    const bits = keyBits(b.subarray(subjectEl.end, spki.end));
    if (bits !== undefined) out.cert_key_bits = bits;
    if (dns.length > 0) out.cert_san_dns = dns;
    out.cert_not_before = notBefore;
    out.cert_not_after = notAfter;
    return out;
  }

  /** A Name as `C=US, O=Acme, CN=host` (one attribute per RDN, known types, plain strings), or null. */
  private name(off: number, end: number): string | null {
    const parts: string[] = [];
    let p = off;
    while (p < end) {
      const rdn = this.el(p, end, TAG.SET);
      if (rdn === null) return null;
      const atv = this.el(rdn.off, rdn.end, TAG.SEQUENCE);
      if (atv === null || atv.end !== rdn.end) return null; // several attributes in one RDN: OpenSSL's " + "
      const oid = this.el(atv.off, atv.end, TAG.OID);
      if (oid === null) return null;
      const type = ATTRIBUTE_NAMES.get(this.b.toString('hex', oid.off, oid.end));
      if (type === undefined) return null;
      const t = this.t;
      if (!readTlv(this.b, oid.end, atv.end, t) || t.end !== atv.end) return null;
      // OpenSSL reads PrintableString, TeletexString and IA5String bytes as Latin-1: only ASCII reads the
      // same either way (older CAs wrote ASCII names with `&` or `*` as TeletexString).
      if (t.tag !== TAG.UTF8 && t.tag !== TAG.PRINTABLE && t.tag !== TAG.T61 && t.tag !== TAG.IA5) return null;
      const value = this.b.subarray(t.off, t.end);
      if (!plainValue(value, t.tag === TAG.UTF8)) return null;
      parts.push(`${type}=${value.toString('utf8')}`);
      p = rdn.end;
    }
    return parts.length > 0 ? parts.join(', ') : null;
  }

  /** UTCTime or GeneralizedTime `YY(YY)MMDDHHMMSSZ` at `off` as ISO 8601; null for any other form. */
  private time(off: number, limit: number): string | null {
    const t = this.t;
    if (!readTlv(this.b, off, limit, t)) return null;
    const s = this.b.toString('latin1', t.off, t.end);
    let m: RegExpExecArray | null;
    let year: number;
    if (t.tag === TAG.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)) !== null) {
      const yy = Number(m[1]);
      year = yy < 50 ? 2000 + yy : 1900 + yy;
    } else if (t.tag === TAG.GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)) !== null) {
      year = Number(m[1]);
    } else {
      return null;
    }
    const [month, day, hour, minute, second] = [2, 3, 4, 5, 6].map((i) => Number(m[i]));
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
    const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (d.getUTCDate() !== day || year < 1000) return null; // 31 February and friends: OpenSSL's business
    return d.toISOString();
  }

  /** The dNSNames of the subjectAltName extension ([] when none), or null to hand over to OpenSSL. */
  private altNames(off: number, end: number): string[] | null {
    const exts = this.el(off, end, TAG.SEQUENCE);
    if (exts === null || exts.end !== end) return null;
    let found: string[] | null = null;
    for (let p = exts.off; p < exts.end; ) {
      const ext = this.el(p, exts.end, TAG.SEQUENCE);
      if (ext === null) return null;
      p = ext.end;
      const oid = this.el(ext.off, ext.end, TAG.OID);
      if (oid === null) return null;
      if (this.b.toString('hex', oid.off, oid.end) !== SUBJECT_ALT_NAME) continue;
      if (found !== null) return null; // a second one: whichever OpenSSL shows
      let q = oid.end;
      if (this.tagAt(q, ext.end) === 0x01) {
        const critical = this.el(q, ext.end, 0x01);
        if (critical === null) return null;
        q = critical.end;
      }
      const value = this.el(q, ext.end, 0x04);
      if (value === null || value.end !== ext.end) return null;
      const names = this.el(value.off, value.end, TAG.SEQUENCE);
      if (names === null || names.end !== value.end) return null;
      found = [];
      for (let n = names.off; n < names.end; ) {
        const t = this.t;
        if (!readTlv(this.b, n, names.end, t)) return null;
        if (t.tag === GN_DNS) {
          const name = this.b.toString('latin1', t.off, t.end);
          if (!PLAIN_DNS.test(name)) return null;
          found.push(name);
        } else if (t.tag !== GN_IP || (t.len !== 4 && t.len !== 16)) {
          return null;
        }
        n = t.end;
      }
    }
    return found ?? [];
  }
}

/**
 * A value OpenSSL prints unchanged (after the backslashes dnText removes): no control character, and
 * ASCII, or valid UTF-8 in a UTF8String.
 */
function plainValue(v: Buffer, utf8: boolean): boolean {
  if (v.length === 0) return false;
  let ascii = true;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0x20 || v[i] === 0x7f) return false;
    if (v[i] > 0x7f) ascii = false;
  }
  return ascii || (utf8 && isUtf8(v));
}

/** BN_bn2hex of a positive INTEGER: upper-case hex bytes without leading zero bytes; null for 0 or negative. */
function serialText(v: Buffer): string | null {
  if (v.length === 0 || (v[0] & 0x80) !== 0) return null;
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) return null;
  return v.toString('hex', i).toUpperCase();
}

/** OpenSSL's one-RDN-per-line DN as `C=US, O=Acme, Inc., CN=host`: readable, as nDPI and Zeek print it. */
function dnText(dn: string): string {
  return dn.split('\n').join(', ').replace(/\\(.)/g, '$1');
}

function sha256Text(der: Buffer): string {
  return oneShotHash('sha256', der, 'hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

/** The certificate's fields read by OpenSSL (X509Certificate); null when it does not parse. */
export function certificateFieldsOpenSsl(der: Buffer): CertificateFields | null {
  try {
    const x = new X509Certificate(der);
    const subject = dnText(x.subject);
    const issuer = dnText(x.issuer);
    const f: CertificateFields = {
      cert_subject: subject,
      cert_issuer: issuer,
      cert_serial: x.serialNumber,
      cert_self_signed: subject === issuer,
      cert_sha256: x.fingerprint256,
    };
    const dns = (x.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
    if (dns.length > 0) f.cert_san_dns = dns;
    const from = new Date(x.validFrom);
    const to = new Date(x.validTo);
    if (!Number.isNaN(from.getTime())) f.cert_not_before = from.toISOString();
    if (!Number.isNaN(to.getTime())) f.cert_not_after = to.toISOString();
    const bits = keyBits(x.publicKey);
    if (bits !== undefined) f.cert_key_bits = bits;
    return f;
  } catch {
    return null;
  }
}

/** RSA/DSA modulus length of a SubjectPublicKeyInfo (read by OpenSSL: once per certificate, the TLS memo keeps the result). */
function keyBits(spki: Buffer | KeyObject): number | undefined {
  try {
    const key = spki instanceof KeyObject ? spki : createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss' || key.asymmetricKeyType === 'dsa'
      ? key.asymmetricKeyDetails?.modulusLength
      : undefined;
  } catch {
    return undefined;
  }
}

/** Fields of the common shape of certificate read directly; null when OpenSSL must read it. */
export function certificateFieldsDirect(der: Buffer): CertificateFields | null {
  const r = new Reader(der).read();
  if (r === null) return null;
  const f: CertificateFields = {
    cert_subject: r.cert_subject,
    cert_issuer: r.cert_issuer,
    cert_serial: r.cert_serial,
    cert_self_signed: r.cert_subject === r.cert_issuer,
    cert_sha256: sha256Text(der),
  };
  if (r.cert_san_dns) f.cert_san_dns = r.cert_san_dns;
  if (r.cert_not_before) f.cert_not_before = r.cert_not_before;
  if (r.cert_not_after) f.cert_not_after = r.cert_not_after;
  if (r.cert_key_bits !== undefined) f.cert_key_bits = r.cert_key_bits;
  return f;
}

/** A certificate's fields: read directly when it has the common shape, by OpenSSL otherwise. */
export function certificateFields(der: Buffer): CertificateFields | null {
  return certificateFieldsDirect(der) ?? certificateFieldsOpenSsl(der);
}
