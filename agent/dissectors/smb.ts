/**
 * SMB 1/2/3 over TCP (NetBIOS session service framing, RFC 1002 4.3, also used on TCP 445) and the
 * NTLMSSP messages its SESSION_SETUP carries (MS-NLMP). One observation per direction, about the
 * sender: the client's dialects, workstation name and Windows version; the server's dialect, GUID,
 * computer/domain names and Windows version. User names, passwords and NTLM responses are never read.
 * `parseNtlmssp` is shared with the HTTP dissector (`Authorization: NTLM ...`).
 */
import { streamSender } from './sender.js';
import type { Observation, StreamContext, StreamDissector, StreamVerdict } from './types.js';

/** Identity fields of NTLMSSP messages (MS-NLMP 2.2.1), about the message's sender. */
export interface NtlmFields {
  /** VERSION (MS-NLMP 2.2.2.10) as major.minor.build, e.g. `10.0.19041` (Samba always sends 6.1.0). */
  os_version?: string;
  /** Windows release of a well-known os_version (WINDOWS_BUILDS): claimed, not proven (macOS SMBFS sends 6.1.7600). */
  os_product?: string;
  /** Sender's NetBIOS name: CHALLENGE MsvAvNbComputerName (server), NEGOTIATE/AUTHENTICATE Workstation (client). */
  hostname?: string;
  /** CHALLENGE MsvAvNbDomainName (or TargetName of a domain): the server's NetBIOS domain or workgroup. */
  nb_domain?: string;
  /** CHALLENGE MsvAvDnsComputerName: the server's DNS host name. */
  dns_hostname?: string;
  /** CHALLENGE MsvAvDnsDomainName: the server's DNS domain. */
  dns_domain?: string;
  /** CHALLENGE MsvAvDnsTreeName: the server's forest. */
  dns_tree?: string;
  /** NEGOTIATE/AUTHENTICATE DomainName: logon domain of the client's account ("." = local account). */
  auth_domain?: string;
}

/** Fields of an `smb` observation. */
export interface SmbFields extends NtlmFields {
  /** Highest SMB generation the sender spoke: 1 (0xFF 'SMB') or 2 (0xFE 'SMB', SMB 2 and 3); absent if none yet. */
  smb_version?: number;
  /** SMB2 NEGOTIATE request Dialects, in order (`2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`). */
  dialects?: string[];
  /** SMB1 NEGOTIATE request dialect strings, in order (`NT LM 0.12`, `SMB 2.002`, `SMB 2.???`). */
  smb1_dialects?: string[];
  /** SMB2 NEGOTIATE request ClientGuid (zero GUIDs omitted). */
  client_guid?: string;
  /** SMB2 NEGOTIATE response DialectRevision, the last one seen (`2.???` answers an SMB1 negotiate). */
  dialect?: string;
  /** ServerGuid of the SMB2 or SMB1 extended-security NEGOTIATE response. */
  server_guid?: string;
  /** SMB1 SESSION_SETUP_ANDX NativeOS (`Windows 7 Ultimate 7601 Service Pack 1`, `Unix`). */
  native_os?: string;
  /** SMB1 SESSION_SETUP_ANDX NativeLanMan (`Samba 4.7.4`, `Windows 2000 LAN Manager`). */
  native_lanman?: string;
  /** Sender's NetBIOS name: as in NtlmFields, or SMB1 NEGOTIATE response ServerName, or SESSION REQUEST calling name. */
  hostname?: string;
  /** As in NtlmFields, or SMB1 NEGOTIATE response DomainName / SESSION_SETUP response PrimaryDomain. */
  nb_domain?: string;
  /** As in NtlmFields, or SMB1 SESSION_SETUP request PrimaryDomain (the account name beside it is never read). */
  auth_domain?: string;
  /** NetBIOS SESSION REQUEST (TCP 139) called name with its suffix, `NAME<20>`: names the receiver. */
  called_name?: string;
}

/**
 * Well-known Windows builds, by `major.minor.build`. Sources: Microsoft Learn "Windows 10 release
 * information", "Windows 11 release information", "Windows Server release information"
 * (learn.microsoft.com/windows/release-health/) for 10.0.x; Wikipedia "List of Microsoft Windows
 * versions" for the older builds. One build is often shared by a client and a server release.
 */
const WINDOWS_BUILDS: Record<string, string> = {
  '5.0.2195': 'Windows 2000', '5.1.2600': 'Windows XP', '5.2.3790': 'Windows Server 2003 / XP x64',
  '6.0.6000': 'Windows Vista', '6.0.6001': 'Windows Vista SP1 / Server 2008',
  '6.0.6002': 'Windows Vista SP2 / Server 2008 SP2', '6.1.7600': 'Windows 7 / Server 2008 R2',
  '6.1.7601': 'Windows 7 SP1 / Server 2008 R2 SP1', '6.2.9200': 'Windows 8 / Server 2012',
  '6.3.9600': 'Windows 8.1 / Server 2012 R2', '10.0.10240': 'Windows 10 1507', '10.0.10586': 'Windows 10 1511',
  '10.0.14393': 'Windows 10 1607 / Server 2016', '10.0.15063': 'Windows 10 1703', '10.0.16299': 'Windows 10 1709',
  '10.0.17134': 'Windows 10 1803', '10.0.17763': 'Windows 10 1809 / Server 2019', '10.0.18362': 'Windows 10 1903',
  '10.0.18363': 'Windows 10 1909', '10.0.19041': 'Windows 10 2004', '10.0.19042': 'Windows 10 20H2',
  '10.0.19043': 'Windows 10 21H1', '10.0.19044': 'Windows 10 21H2', '10.0.19045': 'Windows 10 22H2',
  '10.0.20348': 'Windows Server 2022', '10.0.22000': 'Windows 11 21H2', '10.0.22621': 'Windows 11 22H2',
  '10.0.22631': 'Windows 11 23H2', '10.0.26100': 'Windows 11 24H2 / Server 2025',
};

/** Bytes the pipeline keeps per direction: a message still incomplete at this size never completes. */
const MAX_STREAM_BYTES = 16 * 1024;
/** SMB messages read per direction (negotiate, a few session setups, an SMB1→SMB2 upgrade). */
const MAX_MESSAGES = 12;

const MAGIC_SMB1 = 0xff534d42;
const MAGIC_SMB2 = 0xfe534d42;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const NEGOTIATE_UNICODE = 0x1;
const NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x1000;
const NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x2000;
const TARGET_TYPE_DOMAIN = 0x10000;
const TARGET_TYPE_SERVER = 0x20000;
const NEGOTIATE_VERSION = 0x02000000;
/** CHALLENGE target-info AV pairs we keep, by AvId (MS-NLMP 2.2.2.1): MsvAvNbComputerName..MsvAvDnsTreeName. */
const AV_FIELDS: readonly (keyof NtlmFields | undefined)[] = [undefined, 'hostname', 'nb_domain', 'dns_hostname', 'dns_domain', 'dns_tree'];
/** Longest name kept from any string field. */
const MAX_NAME = 256;

/** Printable text or undefined: names are shown to people, control characters never are. */
function clean(s: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return t.length > 0 && t.length <= MAX_NAME ? t : undefined;
}

/** A security buffer (len u16, maxlen u16, offset u32 from the message start) as text. */
function secString(b: Buffer, msg: number, end: number, field: number, unicode: boolean): string | undefined {
  const len = b.readUInt16LE(field);
  const start = msg + b.readUInt32LE(field + 4);
  if (len === 0 || start + len > end || start < msg) return undefined;
  return clean(b.toString(unicode ? 'utf16le' : 'latin1', start, start + len));
}

/** Offset of the first payload byte: fixed fields (e.g. VERSION) exist only before it. */
function payloadStart(b: Buffer, msg: number, fields: readonly number[], fallback: number): number {
  let min = fallback;
  for (const f of fields) if (b.readUInt16LE(msg + f) > 0) min = Math.min(min, b.readUInt32LE(msg + f + 4));
  return min;
}

function readVersion(b: Buffer, at: number, out: NtlmFields): void {
  const v = `${b[at]}.${b[at + 1]}.${b.readUInt16LE(at + 2)}`;
  if (v === '0.0.0') return;
  out.os_version = v;
  const product = WINDOWS_BUILDS[v];
  if (product !== undefined) out.os_product = product;
}

/**
 * Decode the NTLMSSP message at `b[off..end)` into `out` (identity fields only: never the user name or
 * the responses). Returns the message type (1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE), 0 if malformed.
 */
export function parseNtlmssp(b: Buffer, off: number, end: number, out: NtlmFields): number {
  end = Math.min(end, b.length);
  const len = end - off;
  if (off < 0 || len < 16 || b.compare(NTLMSSP_SIGNATURE, 0, 8, off, off + 8) !== 0) return 0;
  const type = b.readUInt32LE(off + 8);
  if (type === 1) {
    const flags = b.readUInt32LE(off + 12);
    if (len < 32) return 1; // NTLMv1-era short NEGOTIATE: flags only
    if (flags & NEGOTIATE_OEM_DOMAIN_SUPPLIED) out.auth_domain = secString(b, off, end, off + 16, false) ?? out.auth_domain;
    if (flags & NEGOTIATE_OEM_WORKSTATION_SUPPLIED) out.hostname = secString(b, off, end, off + 24, false) ?? out.hostname;
    if (flags & NEGOTIATE_VERSION && len >= 40 && payloadStart(b, off, [16, 24], len) >= 40) readVersion(b, off + 32, out);
    return 1;
  }
  if (type === 2) {
    if (len < 32) return 0;
    const flags = b.readUInt32LE(off + 20);
    const unicode = (flags & NEGOTIATE_UNICODE) !== 0;
    if (len >= 48) {
      const tiLen = b.readUInt16LE(off + 40);
      const ti = off + b.readUInt32LE(off + 44);
      const tiEnd = Math.min(end, ti + tiLen);
      for (let p = ti; p + 4 <= tiEnd;) {
        const id = b.readUInt16LE(p);
        const vEnd = p + 4 + b.readUInt16LE(p + 2);
        if (id === 0 || vEnd > tiEnd) break;
        const field = AV_FIELDS[id];
        if (field !== undefined) {
          const text = clean(b.toString('utf16le', p + 4, vEnd));
          if (text !== undefined) out[field] = text;
        }
        p = vEnd;
      }
      if (flags & NEGOTIATE_VERSION && len >= 56 && payloadStart(b, off, [12, 40], len) >= 56) readVersion(b, off + 48, out);
    }
    // Without target info (NTLMv1 servers) TargetName is the only name: a domain's or the server's.
    const target = secString(b, off, end, off + 12, unicode);
    if (flags & TARGET_TYPE_DOMAIN && out.nb_domain === undefined) out.nb_domain = target;
    if (flags & TARGET_TYPE_SERVER && out.hostname === undefined) out.hostname = target;
    return 2;
  }
  if (type === 3) {
    if (len < 64) return 0;
    const flags = b.readUInt32LE(off + 60);
    const unicode = (flags & NEGOTIATE_UNICODE) !== 0;
    out.auth_domain = secString(b, off, end, off + 28, unicode) ?? out.auth_domain;
    out.hostname = secString(b, off, end, off + 44, unicode) ?? out.hostname; // field 36 is the user name: skipped
    if (flags & NEGOTIATE_VERSION && len >= 72 && payloadStart(b, off, [12, 20, 28, 36, 44, 52], len) >= 72) {
      readVersion(b, off + 64, out);
    }
    return 3;
  }
  return 0;
}

/** Find and decode an NTLMSSP message inside a security blob (SPNEGO wraps it; no need to parse ASN.1). */
function ntlmInBlob(b: Buffer, start: number, end: number, out: NtlmFields): number {
  if (start < 0 || end > b.length || start >= end) return 0;
  const at = b.subarray(start, end).indexOf(NTLMSSP_SIGNATURE);
  return at < 0 ? 0 : parseNtlmssp(b, start + at, end, out);
}

const DIALECTS: Record<number, string> = {
  0x0202: '2.0.2', 0x0210: '2.1', 0x0222: '2.2.2', 0x0224: '2.2.4', 0x02ff: '2.???',
  0x0300: '3.0', 0x0302: '3.0.2', 0x0310: '3.1', 0x0311: '3.1.1',
};
const dialectName = (d: number): string => DIALECTS[d] ?? `0x${d.toString(16).padStart(4, '0')}`;

/** GUID in its usual text form (first three groups little-endian); undefined when all zero. */
function guidAt(b: Buffer, o: number): string | undefined {
  const hex = b.toString('hex', o, o + 16);
  if (/^0+$/.test(hex)) return undefined;
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(b.readUInt32LE(o), 8)}-${h(b.readUInt16LE(o + 4), 4)}-${h(b.readUInt16LE(o + 6), 4)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** NUL-terminated SMB1 string at `p` (UTF-16 strings are 2-aligned from the SMB header `h`). */
function smb1String(b: Buffer, p: number, end: number, unicode: boolean, h: number, pad = true): [string | undefined, number] {
  if (unicode) {
    if (pad && (p - h) & 1) p++;
    let q = p;
    while (q + 1 < end && (b[q] !== 0 || b[q + 1] !== 0)) q += 2;
    return [p < end ? clean(b.toString('utf16le', p, Math.min(q, end))) : undefined, q + 2];
  }
  let q = p;
  while (q < end && b[q] !== 0) q++;
  return [p < end ? clean(b.toString('latin1', p, q)) : undefined, q + 1];
}

/** What one SMB message means for the direction: keep reading, finished, or not SMB after all. */
const enum Step { More, Done, Bad }

function smb1(b: Buffer, h: number, end: number, f: SmbFields): Step {
  if (end - h < 35) return Step.Bad;
  f.smb_version = Math.max(f.smb_version ?? 0, 1);
  const cmd = b[h + 4];
  const reply = (b[h + 9] & 0x80) !== 0;
  const unicode = (b.readUInt16LE(h + 10) & 0x8000) !== 0;
  const wc = b[h + 32];
  const w = h + 33; // parameter words
  if (w + 2 * wc + 2 > end) return Step.Bad;
  const bytes = w + 2 * wc + 2;
  const bEnd = Math.min(end, bytes + b.readUInt16LE(w + 2 * wc));
  if (cmd === 0x72 && !reply) {
    const names: string[] = [];
    for (let p = bytes; p < bEnd && b[p] === 0x02 && names.length < 32;) {
      const [s, next] = smb1String(b, p + 1, bEnd, false, h);
      if (s !== undefined) names.push(s);
      p = next;
    }
    if (names.length > 0) f.smb1_dialects = names;
    return Step.More;
  }
  if (cmd === 0x72) {
    if (wc === 13) { // LANMAN2.1: EncryptionKey, then the PrimaryDomain in OEM characters
      const [domain] = smb1String(b, bytes + b.readUInt16LE(w + 22), bEnd, false, h);
      if (domain !== undefined) f.nb_domain = domain;
    }
    if (wc !== 17) return Step.More; // other pre-NT LM 0.12 dialects, or an error
    const caps = b.readUInt32LE(w + 19);
    if (caps & 0x80000000) { // CAP_EXTENDED_SECURITY
      if (bytes + 16 <= bEnd) f.server_guid = guidAt(b, bytes);
      return Step.More;
    }
    // Samba sends these in UTF-16 with CAP_UNICODE but without the Flags2 bit; unpadded (as Wireshark reads them).
    const wide = unicode || (caps & 0x4) !== 0;
    const [domain, next] = smb1String(b, bytes + b[w + 33], bEnd, wide, h, false);
    const [server] = smb1String(b, next, bEnd, wide, h, false);
    if (domain !== undefined) f.nb_domain = domain;
    if (server !== undefined) f.hostname = server;
    return Step.More;
  }
  if (cmd !== 0x73) return Step.Done; // past the handshake
  let p = bytes;
  let ntlm = 0;
  if (!reply) {
    if (wc === 12) {
      const blob = b.readUInt16LE(w + 14);
      ntlm = ntlmInBlob(b, bytes, Math.min(bEnd, bytes + blob), f);
      p += blob;
    } else if (wc === 13 || wc === 10) {
      p += b.readUInt16LE(w + 14) + (wc === 13 ? b.readUInt16LE(w + 16) : 0); // passwords: skipped unread
      const [, afterAccount] = smb1String(b, p, bEnd, unicode, h); // account name: skipped
      const [domain, next] = smb1String(b, afterAccount, bEnd, unicode, h);
      if (domain !== undefined) f.auth_domain = domain;
      p = next;
    } else return Step.Done;
  } else if (wc === 4) {
    const blob = b.readUInt16LE(w + 6);
    ntlm = ntlmInBlob(b, bytes, Math.min(bEnd, bytes + blob), f);
    p += blob;
  } else if (wc !== 3) return Step.More; // an error reply: the client will try again
  const [os, n1] = smb1String(b, p, bEnd, unicode, h);
  const [lanman, n2] = smb1String(b, n1, bEnd, unicode, h);
  if (os !== undefined) f.native_os = os;
  if (lanman !== undefined) f.native_lanman = lanman;
  if (reply) {
    const [domain] = smb1String(b, n2, bEnd, unicode, h);
    if (domain !== undefined && f.nb_domain === undefined) f.nb_domain = domain;
  }
  return !reply && ntlm === 1 ? Step.More : Step.Done; // a client NEGOTIATE is followed by AUTHENTICATE
}

function smb2(b: Buffer, h: number, end: number, f: SmbFields): Step {
  f.smb_version = 2;
  for (let n = 0; n < 8; n++) { // compounded commands: NextCommand chains them within one message
    if (end - h < 64 || b.readUInt16LE(h + 4) !== 64) return Step.Bad;
    const cmd = b.readUInt16LE(h + 12);
    const reply = (b.readUInt32LE(h + 16) & 1) !== 0;
    const next = b.readUInt32LE(h + 20);
    const mEnd = next > 0 && h + next < end ? h + next : end;
    const body = h + 64;
    if (cmd === 0 && !reply && body + 36 <= mEnd) {
      const count = b.readUInt16LE(body + 2);
      const list: string[] = [];
      for (let i = 0, p = body + 36; i < count && i < 32 && p + 2 <= mEnd; i++, p += 2) list.push(dialectName(b.readUInt16LE(p)));
      f.dialects = list;
      f.client_guid = guidAt(b, body + 12);
    } else if (cmd === 0 && reply && body + 24 <= mEnd) {
      if (b.readUInt16LE(body) !== 65) return Step.More; // an error response
      f.dialect = dialectName(b.readUInt16LE(body + 4));
      f.server_guid = guidAt(b, body + 8);
    } else if (cmd === 1 && body + 8 <= mEnd) {
      const at = reply ? body + 4 : body + 12;
      if (at + 4 > mEnd) return Step.Bad;
      const blob = h + b.readUInt16LE(at);
      const ntlm = ntlmInBlob(b, blob, Math.min(mEnd, blob + b.readUInt16LE(at + 2)), f);
      // Client: NEGOTIATE then AUTHENTICATE. Server: CHALLENGE says it all; Kerberos legs carry nothing.
      if (!reply && ntlm !== 1) return Step.Done;
      if (reply && (ntlm === 2 || b.readUInt32LE(h + 8) !== STATUS_MORE_PROCESSING_REQUIRED)) return Step.Done;
    } else if (cmd > 1) return Step.Done;
    if (next === 0 || mEnd >= end) return Step.More;
    h = mEnd;
  }
  return Step.More;
}

/** First-level-decoded NetBIOS name (RFC 1001 14.1) of the 34-byte encoded name at `p`; [name, suffix]. */
function netbiosName(b: Buffer, p: number, end: number): [string, number] | undefined {
  if (p + 34 > end || b[p] !== 0x20) return undefined;
  const bytes = new Array<number>(16);
  for (let i = 0; i < 16; i++) {
    const hi = b[p + 1 + 2 * i] - 0x41;
    const lo = b[p + 2 + 2 * i] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return undefined;
    bytes[i] = (hi << 4) | lo;
  }
  const name = clean(String.fromCharCode(...bytes.slice(0, 15)));
  return name === undefined ? undefined : [name, bytes[15]];
}

/** Whether the direction has shown itself to be SMB (or a NetBIOS session carrying it). */
const seen = (f: SmbFields) => f.smb_version !== undefined || f.hostname !== undefined;

function finish(f: SmbFields, ctx: StreamContext): StreamVerdict {
  if (!seen(f)) return { done: true, observations: [] };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) fields[k] = v;
  const device = streamSender(ctx);
  return { done: true, observations: [{ device, tsMs: ctx.tsMs, source: 'smb', fields } satisfies Observation] };
}

export const smb: StreamDissector = {
  kind: 'stream',
  name: 'smb',
  probe(d: Buffer): boolean {
    const t = d[0];
    if (t === 0x00) { // session message: an SMB header follows the 4-byte length
      if (d.length > 4 && d[4] !== 0xff && d[4] !== 0xfe && d[4] !== 0xfd && d[4] !== 0xfc) return false;
      return (d.length < 6 || d[5] === 0x53) && (d.length < 7 || d[6] === 0x4d) && (d.length < 8 || d[7] === 0x42);
    }
    if (t === 0x81) return d.length < 5 || d[4] === 0x20; // SESSION REQUEST: an encoded name follows
    return t === 0x82 && (d.length < 2 || d[1] === 0); // POSITIVE SESSION RESPONSE
  },
  /** `final`: no more bytes will come (connection closed, bounds reached): report what was read. */
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict {
    const f: SmbFields = {};
    let o = 0;
    let n = 0;
    for (; n < MAX_MESSAGES; n++) {
      if (o + 4 > data.length) break;
      const t = data[o];
      const len = t === 0 ? (data[o + 1] << 16) | data.readUInt16BE(o + 2) : ((data[o + 1] & 1) << 16) | data.readUInt16BE(o + 2);
      const body = o + 4;
      if (t === 0 && body + 4 <= data.length) {
        const magic = data.readUInt32BE(body);
        if (magic !== MAGIC_SMB1 && magic !== MAGIC_SMB2) return seen(f) ? finish(f, ctx) : null; // encrypted, compressed
      } else if (t !== 0 && (t < 0x81 || t > 0x85)) return seen(f) ? finish(f, ctx) : null;
      if (body + len > data.length) break; // incomplete message
      const end = body + len;
      let step = Step.More;
      if (t === 0x81) {
        const called = netbiosName(data, body, end);
        const calling = netbiosName(data, body + 34, end);
        if (called === undefined || calling === undefined) return null;
        f.called_name = `${called[0]}<${called[1].toString(16).padStart(2, '0')}>`;
        f.hostname = calling[0];
      } else if (t === 0 && len >= 4) {
        step = data.readUInt32BE(body) === MAGIC_SMB1 ? smb1(data, body, end, f) : smb2(data, body, end, f);
      }
      if (step === Step.Bad) return seen(f) ? finish(f, ctx) : null;
      if (step === Step.Done) return finish(f, ctx);
      o = end;
    }
    if (n === MAX_MESSAGES) return finish(f, ctx);
    return final || data.length >= MAX_STREAM_BYTES ? finish(f, ctx) : { done: false };
  },
};
