/**
 * NetBIOS over UDP: the name service (UDP 137, RFC 1002 §4.2) and the SMB browser protocol carried by
 * the datagram service (UDP 138, RFC 1002 §4.4; [MS-BRWS] over `\MAILSLOT\BROWSE`). Windows machines,
 * Samba servers and many embedded devices announce their NetBIOS name and workgroup this way.
 * Names are rendered like tshark: 15 characters, trailing blanks trimmed, non-printable bytes as
 * `<xx>`, then the suffix byte (`WORKGROUP<1e>`).
 */
import type { PacketView } from '../decode/packet-view.js';
import { addUnique } from './dns-common.js';
import { senderOf } from './sender.js';
import type { DeviceKey, Observation, PacketDissector } from './types.js';

/** What a name suffix says its owner is or runs, in Wireshark's words (its `nb_name_type_vals`). */
const NAME_TYPES: Record<number, string> = {
  0x00: 'Workstation/Redirector', 0x01: 'Browser', 0x02: 'Workstation/Redirector', 0x03: 'Messenger service/Main name',
  0x05: 'Forwarded name', 0x06: 'RAS Server service', 0x1b: 'Domain Master Browser', 0x1c: 'Domain Controllers',
  0x1d: 'Local Master Browser', 0x1e: 'Browser Election Service', 0x1f: 'Net DDE Service', 0x20: 'Server service',
  0x21: 'RAS client service', 0x22: 'Exchange Interchange (MSMail Connector)', 0x23: 'Exchange Store',
  0x24: 'Exchange Directory', 0x2b: 'Lotus Notes Server service', 0x30: 'Modem sharing server service',
  0x31: 'Modem sharing client service', 0x43: 'SMS Clients Remote Control', 0x44: 'SMS Administrators Remote Control Tool',
  0x45: 'SMS Clients Remote Chat', 0x46: 'SMS Clients Remote Transfer', 0x4c: 'DEC Pathworks TCP/IP Service on Windows NT',
  0x52: 'DEC Pathworks TCP/IP Service on Windows NT', 0x6a: 'Microsoft Exchange IMC', 0x87: 'Microsoft Exchange MTA',
  0xbe: 'Network Monitor Agent', 0xbf: 'Network Monitor Analyzer',
};

/** Wireshark's description of the suffix of a name in tshark form (`Server service` for `PC<20>`). */
export function nbNameType(name: string): string | undefined {
  const m = /<([0-9a-f]{2})>$/.exec(name);
  return m === null ? undefined : NAME_TYPES[parseInt(m[1], 16)];
}
const NB_OPCODES = ['query', '', '', '', '', 'registration', 'release', 'wack', 'refresh', 'refresh'] as const;
const NODE_TYPES = ['B', 'P', 'M', 'H'] as const;
const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Reused buffers for first-level-decoded names (RFC 1001 §14.1): no allocation per packet. */
const scratch = Buffer.alloc(16);
const scratch2 = Buffer.alloc(16);

/** Fields of an `nbns` observation (about the sender, or about the name's owner in a WINS answer). */
export interface NbnsFields {
  /** Opcode: query, registration, release, refresh, wack; `node status` for NBSTAT; ` response` appended. */
  message_type: string;
  /** Machine name: the owner's first unique `<00>`/`<20>` name, trimmed (`MSEDGEWIN10`). */
  hostname?: string;
  /** Workgroup/domain: the owner's group `<00>`/`<1e>` name, or the domain it is master browser of. */
  workgroup?: string;
  /** Unique names the owner holds, tshark form (`MSEDGEWIN10<20>`); `<03>` messenger names are dropped. */
  names?: string[];
  /** Group names the owner belongs to (`WORKGROUP<1e>`, `<01><02>__MSBROWSE__<02><01>`). */
  group_names?: string[];
  /** Roles the names' suffixes announce, Wireshark's words (`Server service`, `Domain Controllers`). */
  roles?: string[];
  /** NB flags ONT: B, P, M or H node (how the owner resolves names). */
  node_type?: string;
  /** Node status response: the MAC address (unit ID) the owner reports for itself. */
  reported_mac?: string;
  /** Query: names the sender looks up (tshark form), not its own. */
  queried_names?: string[];
}

/** Fields of a `browser` observation (about the sender). */
export interface BrowserFields {
  /** Browser opcode: host_announcement, local_master_announcement, domain_announcement, election... */
  browser_command: string;
  /** NetBIOS datagram source name (the sending machine, tshark form `DJP95S0J<00>`). */
  source_name: string;
  /** Server name of a host/local master announcement or election request; else the source name. */
  hostname?: string;
  /** Workgroup/domain: announcement's destination group, or a domain announcement's machine group. */
  workgroup?: string;
  /** OS version `major.minor` of a host/local master announcement (`10.0`, `5.1`; Samba sends its own). */
  os_version?: string;
  /** Server type bits (SV_TYPE_*, [MS-BRWS] 2.2.1) decoded to names. */
  server_types?: string[];
  /** Host/local master announcement comment (free text the administrator set; Samba puts its version). */
  comment?: string;
  /** Domain announcement: name of the local master browser for the workgroup. */
  master_browser?: string;
}

/** SV_TYPE_* bit names, bit 0 first. */
const SERVER_TYPES = [
  'workstation', 'server', 'sql_server', 'domain_controller', 'backup_domain_controller', 'time_source',
  'apple_afp', 'novell', 'domain_member', 'print_server', 'dialin_server', 'unix_server', 'nt',
  'windows_for_workgroups', 'mfpn', 'nt_server', 'potential_browser', 'backup_browser', 'master_browser',
  'domain_master_browser', 'osf', 'vms', 'windows_9x', 'dfs', 'cluster_nt', 'terminal_server',
  'cluster_vs_nt', '', 'dce', 'alternate_transport', 'local_list_only', 'domain_enum',
] as const;
const BROWSER_COMMANDS: Record<number, string> = {
  0x01: 'host_announcement', 0x02: 'announcement_request', 0x08: 'election_request',
  0x09: 'backup_list_request', 0x0a: 'backup_list_response', 0x0b: 'become_backup',
  0x0c: 'domain_announcement', 0x0d: 'master_announcement', 0x0e: 'reset_state',
  0x0f: 'local_master_announcement',
};

/** The 15-byte name of 16 raw bytes at `o`, blanks trimmed, non-printables as `<xx>`. */
function rawName(b: Buffer, o: number, n = 15): string {
  let end = o + n;
  while (end > o && b[end - 1] === 0x20) end--;
  let s = '';
  for (let i = o; i < end; i++) s += b[i] >= 0x20 && b[i] < 0x7f ? String.fromCharCode(b[i]) : `<${HEX2[b[i]]}>`;
  return s;
}

/** Name in tshark form from 16 raw bytes at `o`. */
function fullName(b: Buffer, o: number): string {
  return `${rawName(b, o)}<${HEX2[b[o + 15]]}>`;
}

/**
 * Decode the encoded name at `o` (RFC 1002 §4.1: 0x20, 32 letters A-P, scope labels, 0; or a
 * compression pointer) into `into`. Returns the offset after the name, or -1 when malformed.
 */
function encodedName(b: Buffer, o: number, end: number, msgStart: number, into = scratch): number {
  let at = o;
  let after = -1;
  if (at + 2 <= end && (b[at] & 0xc0) === 0xc0) {
    after = at + 2;
    at = msgStart + (((b[at] & 0x3f) << 8) | b[at + 1]);
  }
  if (at + 34 > end || b[at] !== 0x20) return -1;
  for (let i = 0; i < 16; i++) {
    const hi = b[at + 1 + 2 * i] - 0x41;
    const lo = b[at + 2 + 2 * i] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return -1;
    into[i] = (hi << 4) | lo;
  }
  let p = at + 33;
  while (p < end && b[p] !== 0) { // scope labels: skipped
    if (b[p] > 63) return -1;
    p += 1 + b[p];
  }
  if (p >= end) return -1;
  return after >= 0 ? after : p + 1;
}

function ownName(f: NbnsFields, b: Buffer, o: number, group: boolean): void {
  const suffix = b[o + 15];
  if (suffix === 0x03) return; // messenger names also carry the logged-on user's name: not kept
  const name = fullName(b, o);
  addUnique(f, group ? 'group_names' : 'names', name);
  const role = NAME_TYPES[suffix];
  // A group <00> is workgroup membership, not a workstation service.
  if (role !== undefined && !(suffix === 0x00 && group)) addUnique(f, 'roles', role);
  const plain = rawName(b, o);
  if (!group && (suffix === 0x00 || suffix === 0x20) && f.hostname === undefined) f.hostname = plain;
  if (f.workgroup === undefined && ((group && (suffix === 0x00 || suffix === 0x1e || suffix === 0x1c)) || (!group && (suffix === 0x1d || suffix === 0x1b)))) {
    if (!plain.startsWith('<')) f.workgroup = plain;
  }
}

function ipAt(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export const nbns: PacketDissector<'nbns'> = {
  kind: 'packet',
  name: 'nbns',
  udpPorts: [137],
  parse(v: PacketView): Observation<'nbns'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const end = p + v.payloadLen;
    if (v.payloadLen < 12 + 38) return null;
    const flags = b.readUInt16BE(p + 2);
    const response = (flags & 0x8000) !== 0;
    const opcode = (flags >>> 11) & 0x0f;
    const qd = b.readUInt16BE(p + 4);
    const an = b.readUInt16BE(p + 6);
    const ar = b.readUInt16BE(p + 10);
    if ((NB_OPCODES[opcode] ?? '') === '' && opcode !== 15) return null;
    if (qd > 1 || an > 1 || ar > 1 || qd + an === 0) return null;
    let o = p + 12;
    // Question (requests): name, type (0x20 NB, 0x21 NBSTAT), class.
    let qName = '';
    let qType = 0;
    if (qd === 1) {
      o = encodedName(b, o, end, p);
      if (o < 0 || o + 4 > end) return null;
      qName = fullName(scratch, 0);
      qType = b.readUInt16BE(o);
      o += 4;
    }
    const kind = qType === 0x21 ? 'node status' : NB_OPCODES[opcode] || 'multihomed registration';
    const f: NbnsFields = { message_type: response ? `${kind} response` : kind };
    const tsMs = Math.floor(v.tsMicros / 1000);
    if (!response && opcode === 0) {
      if (qd === 0) return null;
      f.queried_names = [qName];
      return [{ device: senderOf(v), tsMs, source: 'nbns', fields: { ...f } }];
    }
    if (an + ar !== 1) return response ? [] : null; // negative/WACK answers and odd shapes: nothing to keep
    // The one resource record: answer (responses) or additional (registrations, refresh, release).
    o = encodedName(b, o, end, p);
    if (o < 0 || o + 10 > end) return null;
    const rrName = Buffer.from(scratch); // kept apart: the node status table below reuses scratch
    const type = b.readUInt16BE(o);
    const rdlen = b.readUInt16BE(o + 8);
    const rd = o + 10;
    if (rd + rdlen > end) return null;
    const sender = senderOf(v);
    if (response && (flags & 0x0f) !== 0) return []; // negative response: the name is not the sender's
    if (type === 0x21) {
      f.message_type = 'node status response';
      // Node status: the sender lists its own name table, then its unit ID (MAC).
      const count = b[rd];
      if (rdlen < 1 + count * 18) return null;
      for (let i = 0; i < count; i++) {
        const e = rd + 1 + i * 18;
        ownName(f, b, e, (b[e + 16] & 0x80) !== 0);
        if (f.node_type === undefined) f.node_type = NODE_TYPES[(b[e + 16] >> 5) & 3];
      }
      const unit = rd + 1 + count * 18;
      if (unit + 6 <= rd + rdlen && b.readUIntBE(unit, 6) !== 0) {
        f.reported_mac = Array.from(b.subarray(unit, unit + 6), (x) => HEX2[x]).join(':');
      }
      return [{ device: sender, tsMs, source: 'nbns', fields: { ...f } }];
    }
    if (type !== 0x20 || rdlen < 6) return response ? [] : null;
    const nbFlags = b.readUInt16BE(rd);
    const group = (nbFlags & 0x8000) !== 0;
    f.node_type = NODE_TYPES[(nbFlags >> 13) & 3];
    ownName(f, rrName, 0, group);
    if (f.names === undefined && f.group_names === undefined) return []; // a dropped `<03>` name
    let device: DeviceKey = sender;
    if (response) {
      // A WINS server answers for others: the owner is the address in the record, unless it is the sender.
      const owner = ipAt(b, rd + 2);
      if (owner !== sender.ip) {
        if (group) return [];
        device = { ip: owner };
      }
    }
    return [{ device, tsMs, source: 'nbns', fields: { ...f } }];
  },
};

const BROWSE_MAILSLOT = Buffer.from('\\MAILSLOT\\BROWSE\0', 'latin1');

/**
 * Offset of the `\MAILSLOT\BROWSE` data in the SMB Transaction starting at `smb`, or -1 (other
 * mailslots such as NETLOGON, or not SMB). Its length is the DataCount word: `browseLen`.
 */
function browseData(b: Buffer, smb: number, end: number): number {
  if (smb + 36 > end || b.readUInt32BE(smb) !== 0xff534d42 || b[smb + 4] !== 0x25) return -1;
  const wc = b[smb + 32];
  const words = smb + 33;
  if (wc < 14 || words + wc * 2 + 2 > end) return -1;
  const nameOff = words + wc * 2 + 2;
  if (nameOff + BROWSE_MAILSLOT.length > end) return -1;
  for (let i = 0; i < BROWSE_MAILSLOT.length; i++) {
    const c = b[nameOff + i];
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== BROWSE_MAILSLOT[i]) return -1;
  }
  const dataOff = smb + b.readUInt16LE(words + 24);
  const dataCount = browseLen(b, smb);
  return dataCount < 1 || dataOff + dataCount > end ? -1 : dataOff;
}

function browseLen(b: Buffer, smb: number): number {
  return b.readUInt16LE(smb + 33 + 22);
}

function cString(b: Buffer, o: number, max: number): string {
  let e = o;
  while (e < o + max && b[e] !== 0) e++;
  // eslint-disable-next-line no-control-regex
  return b.toString('latin1', o, e).replace(/[\x00-\x1f\x7f]/g, '').trim();
}

export const browser: PacketDissector<'browser'> = {
  kind: 'packet',
  name: 'browser',
  udpPorts: [138],
  parse(v: PacketView): Observation<'browser'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const end = p + v.payloadLen;
    // Direct unique/group or broadcast datagram, first (or only) fragment.
    if (v.payloadLen < 14 + 68 + 36 || b[p] < 0x10 || b[p] > 0x12 || (b[p + 1] & 0x02) === 0) return null;
    let o = encodedName(b, p + 14, end, p, scratch2);
    if (o < 0) return null;
    o = encodedName(b, o, end, p);
    if (o < 0) return null;
    const d = browseData(b, o, end);
    if (d < 0) return []; // NetBIOS datagram all right, but not the browser protocol
    const len = browseLen(b, o);
    const srcSuffix = scratch2[15];
    const srcPlain = rawName(scratch2, 0);
    const dstSuffix = scratch[15];
    const dstPlain = rawName(scratch, 0);
    const op = b[d];
    const f: BrowserFields = { browser_command: BROWSER_COMMANDS[op] ?? `opcode-${op}`, source_name: fullName(scratch2, 0) };
    if ((op === 0x01 || op === 0x0f || op === 0x0c) && len >= 32) {
      const name = cString(b, d + 6, 16);
      const types = b.readUInt32LE(d + 24);
      f.server_types = SERVER_TYPES.filter((t, i) => t !== '' && (types & (1 << i)) !== 0);
      const comment = cString(b, d + 32, Math.min(len - 32, 256));
      if (op === 0x0c) {
        // [MS-BRWS] 2.2.7: machine group, browser config version (not an OS version), master browser name.
        f.workgroup = name;
        if (comment !== '') f.master_browser = comment;
      } else {
        f.hostname = name;
        f.os_version = `${b[d + 22]}.${b[d + 23]}`;
        if (comment !== '') f.comment = comment;
        if (dstSuffix === 0x1d || dstSuffix === 0x1e) f.workgroup = dstPlain;
      }
    } else if (op === 0x08 && len >= 15) {
      f.hostname = cString(b, d + 14, Math.min(len - 14, 16));
      if (dstSuffix === 0x1e) f.workgroup = dstPlain;
    }
    if (f.hostname === undefined && (srcSuffix === 0x00 || srcSuffix === 0x20)) f.hostname = srcPlain;
    if (f.hostname === '') delete f.hostname;
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'browser', fields: { ...f } }];
  },
};
