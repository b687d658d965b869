/**
 * SMB 1/2/3 over TCP (NetBIOS session service framing, RFC 1002 4.3, also used on TCP 445) and the
 * NTLMSSP messages its SESSION_SETUP carries (MS-NLMP). One observation per direction, about the
 * sender: the client's dialects, workstation name and Windows version; the server's dialect, GUID,
 * computer/domain names and Windows version. User names, passwords and NTLM responses are never read
 * (ntlm.ts decodes the NTLMSSP messages, for HTTP too).
 */
import { definedFields } from './intern.js';
import { cleanName, ntlmInBlob, type NtlmFields } from './ntlm.js';
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

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

/** Bytes the pipeline keeps per direction: a message still incomplete at this size never completes. */
const MAX_STREAM_BYTES = 16 * 1024;
/** SMB messages read per direction (negotiate, a few session setups, an SMB1→SMB2 upgrade). */
const MAX_MESSAGES = 12;

const MAGIC_SMB1 = 0xff534d42;
const MAGIC_SMB2 = 0xfe534d42;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;

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
    return [p < end ? cleanName(b.toString('utf16le', p, Math.min(q, end))) : undefined, q + 2];
  }
  let q = p;
  while (q < end && b[q] !== 0) q++;
  return [p < end ? cleanName(b.toString('latin1', p, q)) : undefined, q + 1];
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
  const name = cleanName(String.fromCharCode(...bytes.slice(0, 15)));
  return name === undefined ? undefined : [name, bytes[15]];
}

/** Whether the direction has shown itself to be SMB (or a NetBIOS session carrying it). */
const seen = (f: SmbFields) => f.smb_version !== undefined || f.hostname !== undefined;

function finish(f: SmbFields, ctx: StreamContext): StreamVerdict<'smb'> {
  if (!seen(f)) return { done: true, observations: [] };
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'smb', fields: definedFields(f) }] };
}

export const smb: StreamDissector<'smb'> = {
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
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'smb'> {
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
