/**
 * Test support for the fuzzer: where the length fields of each inner protocol are in a payload, found by
 * walking its structure the way its dissector does (DICOM PDUs, items, PDVs and data elements; BER TLVs;
 * DNS counts, labels and compression pointers; LLDP and CDP TLVs; TLS records, handshakes, extensions
 * and certificates; DHCP/DHCPv6 options; BACnet BVLC and tags; IntelliVue attribute lists; SSH packets
 * and name-lists; NetBIOS session, SMB2 and NTLMSSP buffers). The mutator sets them to lying values.
 * Every walk is bounded and stops at the first field that does not fit: the input is the fixtures' own
 * traffic, already mutated by earlier rounds.
 */

/** One length (or count, or pointer) field: `width` bytes at `off`; `mask` the bits that hold the value. */
export interface LengthField {
  off: number;
  width: 1 | 2 | 3 | 4;
  le?: boolean;
  mask?: number;
  /** A BER length: its encoding (short, long, indefinite) may be replaced as well as its value. */
  ber?: boolean;
}

const MAX_FIELDS = 512;

type Out = LengthField[];

function add(out: Out, b: Buffer, off: number, width: 1 | 2 | 3 | 4, extra: Partial<LengthField> = {}): boolean {
  if (off < 0 || off + width > b.length || out.length >= MAX_FIELDS) return false;
  out.push({ off, width, ...extra });
  return true;
}

export function readField(b: Buffer, f: LengthField): number {
  const v = f.width === 3 ? b.readUIntBE(f.off, 3) : f.width === 1 ? b[f.off] : f.width === 2 ? (f.le ? b.readUInt16LE(f.off) : b.readUInt16BE(f.off)) : f.le ? b.readUInt32LE(f.off) : b.readUInt32BE(f.off);
  return f.mask !== undefined ? v & f.mask : v;
}

/** The length fields of `payload`, read as protocol `proto` (a dissector name). */
export function lengthFields(proto: string, b: Buffer): LengthField[] {
  const out: Out = [];
  switch (proto) {
    case 'dns': case 'mdns': case 'llmnr': case 'nbns': dnsFields(b, out); break;
    case 'browser': add(out, b, 10, 2); add(out, b, 12, 2); add(out, b, 14, 1); add(out, b, 48, 1); genericFields(b, out); break;
    case 'snmp': berFields(b, 0, b.length, out, 0); break;
    case 'lldp': lldpFields(b, out); break;
    case 'cdp': cdpFields(b, out); break;
    case 'dhcp': dhcpFields(b, out); break;
    case 'dhcpv6': dhcpv6Options(b, b[0] === 12 || b[0] === 13 ? 34 : 4, b.length, out, 0); break;
    case 'bacnet': bacnetFields(b, out); break;
    case 'intellivue': intellivueFields(b, out); break;
    case 'tls': tlsFields(b, out); break;
    case 'ssh': sshFields(b, out); break;
    case 'smb': smbFields(b, out); break;
    case 'dicom': dicomFields(b, out); break;
    default: genericFields(b, out);
  }
  if (out.length === 0) genericFields(b, out);
  return out;
}

/** Any 16- or 32-bit value (either byte order) that counts the bytes after it, give or take a header. */
function genericFields(b: Buffer, out: Out): void {
  for (let i = 0; i + 2 <= b.length && out.length < 64; i++) {
    const rest = b.length - i - 2;
    const be = b.readUInt16BE(i);
    const le = b.readUInt16LE(i);
    if (be > 0 && be <= rest && be >= rest - 16) add(out, b, i, 2);
    else if (le > 0 && le <= rest && le >= rest - 16) add(out, b, i, 2, { le: true });
    else if (i + 4 <= b.length && b.readUInt32BE(i) > 0 && b.readUInt32BE(i) <= rest - 2 && b.readUInt32BE(i) >= rest - 18) add(out, b, i, 4);
  }
}

/** A DNS name at `p`: its label lengths and compression pointer; returns the offset after it (-1: broken). */
function dnsName(b: Buffer, p: number, out: Out): number {
  for (let labels = 0; labels < 128 && p < b.length; labels++) {
    const len = b[p];
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return add(out, b, p, 2, { mask: 0x3fff }) ? p + 2 : -1;
    add(out, b, p, 1);
    p += 1 + len;
  }
  return -1;
}

function dnsFields(b: Buffer, out: Out): void {
  if (b.length < 12) return;
  for (let i = 4; i < 12; i += 2) add(out, b, i, 2);
  let p = 12;
  const qd = b.readUInt16BE(4);
  const rr = b.readUInt16BE(6) + b.readUInt16BE(8) + b.readUInt16BE(10);
  for (let i = 0; i < Math.min(qd, 64); i++) {
    p = dnsName(b, p, out);
    if (p < 0) return;
    p += 4;
  }
  for (let i = 0; i < Math.min(rr, 128) && p < b.length; i++) {
    p = dnsName(b, p, out);
    if (p < 0 || p + 10 > b.length) return;
    const type = b.readUInt16BE(p);
    add(out, b, p + 8, 2);
    const rd = p + 10;
    const rdlen = b.readUInt16BE(p + 8);
    if (type === 12 || type === 5 || type === 2) dnsName(b, rd, out);
    else if (type === 33) dnsName(b, rd + 6, out);
    else if (type === 16) for (let q = rd; q < Math.min(rd + rdlen, b.length) && out.length < MAX_FIELDS; q += 1 + b[q]) add(out, b, q, 1);
    p = rd + rdlen;
  }
}

/** BER/DER TLVs from `p` to `end`, recursing into constructed ones. */
function berFields(b: Buffer, p: number, end: number, out: Out, depth: number): void {
  for (let n = 0; p + 2 <= end && n < 256 && depth < 12; n++) {
    const tag = b[p];
    let q = p + 1;
    if ((tag & 0x1f) === 0x1f) while (q < end && (b[q++] & 0x80) !== 0);
    if (q >= end) return;
    const first = b[q];
    let len = first;
    let hdr = 1;
    if (first & 0x80) {
      hdr = 1 + (first & 0x7f);
      if (hdr > 5 || q + hdr > end) return;
      len = 0;
      for (let i = 1; i < hdr; i++) len = len * 256 + b[q + i];
    }
    add(out, b, q, 1, { ber: true });
    const body = q + hdr;
    if (body + len > end) return;
    if (tag & 0x20) berFields(b, body, body + len, out, depth + 1);
    p = body + len;
  }
}

/** BER structures inside a payload that is not BER from its first byte (certificates, SPNEGO tokens). */
function berScan(b: Buffer, from: number, out: Out): void {
  for (let i = from; i + 4 < b.length && out.length < MAX_FIELDS; i++) {
    if ((b[i] === 0x30 || b[i] === 0x60 || (b[i] >= 0xa0 && b[i] <= 0xa3)) && b[i + 1] >= 0x81 && b[i + 1] <= 0x83) {
      berFields(b, i, b.length, out, 0);
      i += 3;
    }
  }
}

function lldpFields(b: Buffer, out: Out): void {
  for (let p = 0; p + 2 <= b.length;) {
    const h = b.readUInt16BE(p);
    add(out, b, p, 2, { mask: 0x1ff });
    if (h >> 9 === 8) add(out, b, p + 2, 1); // management address string length
    if (h >> 9 === 0) return;
    p += 2 + (h & 0x1ff);
  }
}

function cdpFields(b: Buffer, out: Out): void {
  for (let p = 12; p + 4 <= b.length;) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    add(out, b, p + 2, 2);
    if (type === 2 || type === 0x16) {
      add(out, b, p + 4, 4);
      if (p + 10 <= b.length) {
        add(out, b, p + 9, 1);
        add(out, b, p + 10 + b[p + 9], 2);
      }
    }
    if (len < 4) return;
    p += len;
  }
}

function dhcpFields(b: Buffer, out: Out): void {
  add(out, b, 2, 1);
  if (b.length < 240 || b.readUInt32BE(236) !== 0x63825363) return;
  for (let p = 240; p < b.length;) {
    const code = b[p];
    if (code === 0) {
      p++;
      continue;
    }
    if (code === 255 || !add(out, b, p + 1, 1)) return;
    if (code === 82 || code === 43 || code === 125) for (let q = p + 2; q + 1 < p + 2 + b[p + 1]; q += 2 + b[q + 1]) add(out, b, q + 1, 1);
    p += 2 + b[p + 1];
  }
}

function dhcpv6Options(b: Buffer, p: number, end: number, out: Out, depth: number): void {
  for (let n = 0; p + 4 <= end && n < 128 && depth < 4; n++) {
    const code = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    add(out, b, p + 2, 2);
    const body = p + 4;
    const bodyEnd = Math.min(end, body + len);
    if (code === 3 || code === 25) dhcpv6Options(b, body + 12, bodyEnd, out, depth + 1);
    else if (code === 4) dhcpv6Options(b, body + 4, bodyEnd, out, depth + 1);
    else if (code === 9) dhcpv6Options(b, body + 4, bodyEnd, out, depth + 1);
    else if (code === 16 || code === 15) for (let q = body + (code === 16 ? 4 : 0); q + 2 <= bodyEnd; q += 2 + b.readUInt16BE(q)) add(out, b, q, 2);
    else if (code === 17) dhcpv6Options(b, body + 4, bodyEnd, out, depth + 1);
    p = body + len;
  }
}

function bacnetFields(b: Buffer, out: Out): void {
  if (b.length < 6 || b[0] !== 0x81) return;
  add(out, b, 2, 2);
  let q = b[1] === 0x04 ? 10 : 4;
  if (b[q] !== 0x01) return;
  const control = b[q + 1];
  q += 2;
  if (control & 0x20) {
    add(out, b, q + 2, 1);
    q += 3 + (b[q + 2] ?? 0);
  }
  if (control & 0x08) {
    add(out, b, q + 2, 1);
    q += 3 + (b[q + 2] ?? 0);
  }
  if (control & 0x20) q++;
  if (control & 0x80) return;
  // Application and context tags of the service (clause 20.2.1): the length is in the tag octet or after it.
  for (let p = q + 2, n = 0; p < b.length && n < 64; n++) {
    const t = b[p];
    let r = p + 1;
    if (t >> 4 === 15) r++;
    const lvt = t & 7;
    if (!(t & 0x08) && t >> 4 === 1) {
      p = r;
      continue;
    }
    if (lvt === 6 || lvt === 7) {
      p = r;
      continue;
    }
    let len = lvt;
    if (lvt === 5) {
      add(out, b, r, 1);
      len = b[r++] ?? 0;
      if (len === 254) {
        add(out, b, r, 2);
        len = r + 2 <= b.length ? b.readUInt16BE(r) : 0;
        r += 2;
      }
    } else {
      add(out, b, p, 1, { mask: 0x07 });
    }
    p = r + len;
  }
}

function intellivueFields(b: Buffer, out: Out): void {
  for (const off of [6, 12, 26, 28, 30]) add(out, b, off, 2);
  if (b.length < 32) return;
  const count = b.readUInt16BE(28);
  for (let q = 32, i = 0; i < Math.min(count, 64) && q + 4 <= b.length; i++) {
    add(out, b, q + 2, 2);
    q += 4 + b.readUInt16BE(q + 2);
  }
}

function tlsFields(b: Buffer, out: Out): void {
  let p = 0;
  for (let n = 0; p + 5 <= b.length && n < 32 && b[p] >= 20 && b[p] <= 24; n++) {
    add(out, b, p + 3, 2);
    const recEnd = Math.min(b.length, p + 5 + b.readUInt16BE(p + 3));
    if (b[p] === 22) for (let q = p + 5; q + 4 <= recEnd;) {
      add(out, b, q + 1, 3);
      const hsEnd = Math.min(recEnd, q + 4 + b.readUIntBE(q + 1, 3));
      if (b[q] === 1 || b[q] === 2) helloFields(b, q + 4, hsEnd, b[q] === 1, out);
      else if (b[q] === 11) {
        add(out, b, q + 4, 3);
        for (let c = q + 7; c + 3 <= hsEnd; c += 3 + b.readUIntBE(c, 3)) {
          add(out, b, c, 3);
          berFields(b, c + 3, Math.min(hsEnd, c + 3 + b.readUIntBE(c, 3)), out, 0);
        }
      }
      q = hsEnd;
    }
    p = recEnd;
  }
  if (p === 0) berScan(b, 0, out); // a segment in the middle of a record: certificates, maybe
}

function helloFields(b: Buffer, p: number, end: number, client: boolean, out: Out): void {
  let r = p + 34;
  if (!add(out, b, r, 1)) return;
  r += 1 + b[r];
  if (client) {
    if (!add(out, b, r, 2)) return;
    r += 2 + b.readUInt16BE(r);
    if (!add(out, b, r, 1)) return;
    r += 1 + b[r];
  } else {
    r += 3;
  }
  if (!add(out, b, r, 2)) return;
  for (r += 2; r + 4 <= end;) {
    const type = b.readUInt16BE(r);
    add(out, b, r + 2, 2);
    if (type === 0) {
      add(out, b, r + 4, 2);
      add(out, b, r + 7, 2);
    } else if (type === 16 || type === 10 || type === 13 || type === 51) {
      add(out, b, r + 4, 2);
      if (type === 16) add(out, b, r + 6, 1);
    } else if (type === 43 && client) {
      add(out, b, r + 4, 1);
    }
    r += 4 + b.readUInt16BE(r + 2);
  }
}

function sshFields(b: Buffer, out: Out): void {
  let p = 0;
  if (b.subarray(0, 4).toString('latin1') === 'SSH-') {
    const eol = b.indexOf('\n');
    if (eol < 0) return;
    p = eol + 1;
  }
  if (!add(out, b, p, 4)) return;
  add(out, b, p + 4, 1);
  if (b[p + 5] !== 20) return;
  for (let q = p + 22, i = 0; i < 10 && q + 4 <= b.length; i++) {
    add(out, b, q, 4);
    q += 4 + b.readUInt32BE(q);
  }
}

function smbFields(b: Buffer, out: Out): void {
  if (b[0] === 0) add(out, b, 1, 3);
  if (b.length >= 4 + 64 + 16 && b.readUInt32BE(4) === 0xfe534d42) {
    const body = 4 + 64;
    const command = b.readUInt16LE(4 + 12);
    const response = (b.readUInt32LE(4 + 16) & 1) !== 0;
    if (command === 1) {
      add(out, b, body + (response ? 4 : 12), 2, { le: true });
      add(out, b, body + (response ? 6 : 14), 2, { le: true });
    } else if (command === 0 && response) {
      add(out, b, body + 56, 2, { le: true });
      add(out, b, body + 58, 2, { le: true });
    }
  }
  const ntlm = b.indexOf('NTLMSSP\0', 0, 'latin1');
  if (ntlm >= 0 && ntlm + 12 <= b.length) {
    const type = b.readUInt32LE(ntlm + 8);
    const buffers = type === 1 ? [16, 24] : type === 2 ? [12, 40] : [12, 20, 28, 36, 44, 52];
    for (const s of buffers) {
      add(out, b, ntlm + s, 2, { le: true });
      add(out, b, ntlm + s + 4, 4, { le: true });
    }
  }
  berScan(b, 0, out);
}

function dicomFields(b: Buffer, out: Out): void {
  for (let p = 0, n = 0; p + 6 <= b.length && n < 64; n++) {
    const type = b[p];
    if (type < 1 || type > 7 || b[p + 1] !== 0) return;
    add(out, b, p + 2, 4);
    const end = Math.min(b.length, p + 6 + b.readUInt32BE(p + 2));
    if (type === 1 || type === 2) associateItems(b, p + 74, end, out);
    else if (type === 4) {
      for (let r = p + 6; r + 6 <= end;) {
        add(out, b, r, 4);
        add(out, b, r + 5, 1, { mask: 0x03 });
        const pdvEnd = Math.min(end, r + 4 + b.readUInt32BE(r));
        dataElements(b, r + 6, pdvEnd, out);
        r = pdvEnd;
      }
    }
    p = end;
  }
}

function associateItems(b: Buffer, q: number, end: number, out: Out): void {
  for (let n = 0; q + 4 <= end && n < 160; n++) {
    const type = b[q];
    add(out, b, q + 2, 2);
    const itemEnd = Math.min(end, q + 4 + b.readUInt16BE(q + 2));
    const subFrom = type === 0x20 || type === 0x21 ? q + 8 : type === 0x50 ? q + 4 : -1;
    if (subFrom >= 0) for (let s = subFrom; s + 4 <= itemEnd;) {
      add(out, b, s + 2, 2);
      if (b[s] === 0x51) add(out, b, s + 4, 4);
      else if (b[s] === 0x54 || b[s] === 0x56 || b[s] === 0x57) add(out, b, s + 4, 2);
      s += 4 + b.readUInt16BE(s + 2);
    }
    q = itemEnd;
  }
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UT', 'UN', 'UC', 'UR', 'SV', 'UV']);
const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;

/** Data elements of a command or data set fragment, explicit or implicit VR little endian. */
function dataElements(b: Buffer, e: number, end: number, out: Out): void {
  for (let n = 0; e + 8 <= end && n < 256; n++) {
    let len: number;
    let hdr: number;
    if (isUpper(b[e + 4]) && isUpper(b[e + 5])) {
      const vr = b.toString('latin1', e + 4, e + 6);
      if (LONG_VRS.has(vr)) {
        if (!add(out, b, e + 8, 4, { le: true })) return;
        len = b.readUInt32LE(e + 8);
        hdr = 12;
      } else {
        add(out, b, e + 6, 2, { le: true });
        len = b.readUInt16LE(e + 6);
        hdr = 8;
      }
    } else {
      add(out, b, e + 4, 4, { le: true });
      len = b.readUInt32LE(e + 4);
      hdr = 8;
    }
    // Undefined length (sequences, items): step into it.
    e += len === 0xffffffff ? hdr : hdr + len;
  }
}
