/**
 * DHCPv4 (RFC 2131 / RFC 2132). Two jobs: bind addresses to MACs over time (the server's ACK names
 * the client hardware address, the address assigned and the lease), and fingerprint the client from
 * the options it sends (parameter request list order, vendor class, host name...).
 * Every observation is about the client named by chaddr, whoever sent the packet. An ACK also binds the
 * assigned address to that client (an AddressBinding for the inventory).
 */
import { ipToString, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import { definedFields } from './intern.js';
import type { PacketDissector, PacketOutput } from './types.js';

/** BOOTP fixed header (236 bytes) plus the magic cookie. */
const OPTIONS_OFFSET = 240;
const MAGIC_COOKIE = 0x63825363;
/** Longest text we keep from one option (host names, vendor classes are short; a long one is junk). */
const MAX_TEXT = 255;

export const DHCP_MESSAGE_TYPES = [
  '', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM',
] as const;

/** Option 93 client system architecture (IANA "Processor Architecture Types", RFC 4578 + errata). */
const CLIENT_ARCH = [
  'x86 BIOS', 'NEC/PC98', 'Itanium', 'DEC Alpha', 'Arc x86', 'Intel Lean Client', 'x86 UEFI', 'x64 UEFI',
  'EFI Xscale', 'EBC', 'ARM32 UEFI', 'ARM64 UEFI', 'PowerPC Open Firmware', 'PowerPC ePAPR', 'POWER OPAL v3',
  'x86 UEFI HTTP', 'x64 UEFI HTTP', 'EBC HTTP', 'ARM32 UEFI HTTP', 'ARM64 UEFI HTTP', 'x86 BIOS HTTP',
] as const;

/** Fields of a `dhcp` observation. All of them describe the client named by `client_mac`. */
export interface DhcpFields {
  /** Option 53 message type (DISCOVER, OFFER, REQUEST, ACK, NAK, RELEASE, INFORM...). */
  message_type: string;
  /** chaddr: the client's hardware address (the device the observation is about). */
  client_mac: string;
  /** yiaddr: address the server assigns (OFFER/ACK). */
  assigned_ip?: string;
  /** ciaddr: address the client already uses (renewal, RELEASE, INFORM). */
  client_ip?: string;
  /** Option 51 lease time, seconds. */
  lease_seconds?: number;
  /** Option 54 server identifier: the DHCP server's address (a fact about the exchange, not the client). */
  server_id?: string;
  /** Option 50 address the client asks for (REQUEST, DISCOVER). */
  requested_ip?: string;
  /** giaddr when non-zero: the packet went through this relay agent (the frame's sender is the relay). */
  relay_agent_ip?: string;
  /** Option 12 host name (client messages; a server may echo it in OFFER/ACK). */
  hostname?: string;
  /** Option 81 client FQDN (RFC 4702), text or wire-encoded name. */
  fqdn?: string;
  /** Option 60 vendor class identifier, client messages only (`MSFT 5.0`, `udhcp 1.22.1`, `android-dhcp-9`). */
  vendor_class?: string;
  /** Option 61 client identifier: a MAC for type 1, the text for printable type 0, else `type:hex`. */
  client_id?: string;
  /** Option 55 parameter request list in the client's order, tshark style `1,3,6,15`: the fingerprint. */
  parameter_request_list?: string;
  /** Option 57 maximum DHCP message size the client accepts, client messages only. */
  max_message_size?: number;
  /** Option 77 user class (RFC 3004 instances joined by `,`, or the raw text some clients send). */
  user_class?: string;
  /** Option 93 client system architectures (PXE), names joined by `,` (`x64 UEFI`). */
  client_arch?: string;
  /** Option 161 MUD URL (RFC 8520): where the device's manufacturer describes its expected behaviour. */
  mud_url?: string;
}

/** Printable text of `b[start..end)`, trailing NULs and blanks trimmed; undefined when empty. */
export function optionText(b: Buffer, start: number, end: number): string | undefined {
  while (end > start && (b[end - 1] === 0 || b[end - 1] === 0x20)) end--;
  if (end <= start) return undefined;
  if (end - start > MAX_TEXT) end = start + MAX_TEXT;
  // Control characters would corrupt logs and UIs: drop them.
  // eslint-disable-next-line no-control-regex
  const text = b.toString('utf8', start, end).replace(/[\x00-\x1f\x7f]/g, '');
  return text === '' ? undefined : text;
}

function hex(b: Buffer, start: number, end: number): string {
  return b.toString('hex', start, end);
}

/** Option 61: type byte then identifier. */
function clientId(b: Buffer, v0: number, len: number): string | undefined {
  if (len < 2) return undefined;
  const type = b[v0];
  if (type === 1 && len === 7) return macToString(macAt(b, v0 + 1));
  if (type === 0) {
    let printable = true;
    for (let i = v0 + 1; i < v0 + len; i++) if (b[i] < 0x20 || b[i] > 0x7e) printable = false;
    if (printable) return optionText(b, v0 + 1, v0 + len);
  }
  return `${type}:${hex(b, v0 + 1, v0 + len)}`;
}

/** Option 81: flags, two obsolete rcodes, then the name (DNS wire format when the E bit 0x04 is set). */
function fqdnOption(b: Buffer, v0: number, len: number): string | undefined {
  if (len < 4) return undefined;
  const end = v0 + len;
  if ((b[v0] & 0x04) === 0) return optionText(b, v0 + 3, end)?.replace(/\.$/, '') || undefined;
  const labels: string[] = [];
  let o = v0 + 3;
  while (o < end && b[o] !== 0) {
    const l = b[o];
    if (l > 63 || o + 1 + l > end) return undefined;
    labels.push(b.toString('utf8', o + 1, o + 1 + l));
    o += 1 + l;
  }
  return labels.length > 0 ? labels.join('.') : undefined;
}

/** Option 77: RFC 3004 length-prefixed instances; many clients send plain text instead. */
function userClass(b: Buffer, v0: number, len: number): string | undefined {
  const end = v0 + len;
  const parts: string[] = [];
  let o = v0;
  while (o < end) {
    const l = b[o];
    if (l === 0 || o + 1 + l > end) return optionText(b, v0, end);
    const t = optionText(b, o + 1, o + 1 + l);
    if (t !== undefined) parts.push(t);
    o += 1 + l;
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}

function clientArch(b: Buffer, v0: number, len: number): string | undefined {
  const names: string[] = [];
  for (let o = v0; o + 2 <= v0 + len; o += 2) {
    const t = b.readUInt16BE(o);
    names.push(CLIENT_ARCH[t] ?? `arch-${t}`);
  }
  return names.length > 0 ? names.join(',') : undefined;
}

function prl(b: Buffer, v0: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += i === 0 ? `${b[v0 + i]}` : `,${b[v0 + i]}`;
  return s;
}

export const dhcp: PacketDissector<'dhcp'> = {
  kind: 'packet',
  name: 'dhcp',
  udpPorts: [67, 68],
  // xid and secs (RFC 2131 section 2) change with every exchange; no observation field comes from them.
  repeatSkip: [4, 10],
  parse(v: PacketView): PacketOutput<'dhcp'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const len = v.payloadLen;
    if (len < OPTIONS_OFFSET + 3) return null;
    const op = b[p];
    const htype = b[p + 1];
    const hlen = b[p + 2];
    if ((op !== 1 && op !== 2) || htype !== 1 || hlen !== 6) return null;
    if (b.readUInt32BE(p + 236) !== MAGIC_COOKIE) return null;
    const fromClient = op === 1;
    const fields: DhcpFields = { message_type: '', client_mac: macToString(macAt(b, p + 28)) };
    const ciaddr = b.readUInt32BE(p + 12);
    const yiaddr = b.readUInt32BE(p + 16);
    const giaddr = b.readUInt32BE(p + 24);
    if (ciaddr !== 0) fields.client_ip = ipToString(b, p + 12, 4);
    if (yiaddr !== 0) fields.assigned_ip = ipToString(b, p + 16, 4);
    if (giaddr !== 0) fields.relay_agent_ip = ipToString(b, p + 24, 4);

    const end = p + len;
    let o = p + OPTIONS_OFFSET;
    while (o < end) {
      const code = b[o];
      if (code === 255) break;
      if (code === 0) {
        o++;
        continue;
      }
      if (o + 2 > end) return null;
      const olen = b[o + 1];
      const v0 = o + 2;
      if (v0 + olen > end) return null;
      switch (code) {
        case 53:
          if (olen === 1) fields.message_type = DHCP_MESSAGE_TYPES[b[v0]] ?? `type-${b[v0]}`;
          break;
        case 51:
          if (olen === 4) fields.lease_seconds = b.readUInt32BE(v0);
          break;
        case 54:
          if (olen === 4) fields.server_id = ipToString(b, v0, 4);
          break;
        case 50:
          if (olen === 4) fields.requested_ip = ipToString(b, v0, 4);
          break;
        case 12:
          fields.hostname = optionText(b, v0, v0 + olen);
          break;
        case 81:
          fields.fqdn = fqdnOption(b, v0, olen);
          break;
        case 161:
          fields.mud_url = optionText(b, v0, v0 + olen);
          break;
        default:
          // The rest fingerprints the client; a server's copy (PXE servers send 60) would mislead.
          if (!fromClient) break;
          if (code === 55 && olen > 0) fields.parameter_request_list = prl(b, v0, olen);
          else if (code === 60) fields.vendor_class = optionText(b, v0, v0 + olen);
          else if (code === 61) fields.client_id = clientId(b, v0, olen);
          else if (code === 57 && olen === 2) fields.max_message_size = b.readUInt16BE(v0);
          else if (code === 77) fields.user_class = userClass(b, v0, olen);
          else if (code === 93) fields.client_arch = clientArch(b, v0, olen);
      }
      o = v0 + olen;
    }
    if (fields.message_type === '') return null; // plain BOOTP: no binding semantics we rely on
    const tsMs = Math.floor(v.tsMicros / 1000);
    const out: PacketOutput<'dhcp'>[] = [{ device: { mac: fields.client_mac }, tsMs, source: 'dhcp', fields: definedFields(fields) }];
    // The server's ACK gives the client its address (yiaddr), or confirms the one it has (ciaddr: INFORM).
    const ip = fields.assigned_ip ?? fields.client_ip;
    if (fields.message_type === 'ACK' && ip !== undefined) {
      const binding: PacketOutput<'dhcp'> = { kind: 'address-binding', mac: fields.client_mac, ip, protocol: 'dhcp', tsMs };
      if (fields.lease_seconds !== undefined) binding.leaseSeconds = fields.lease_seconds;
      out.push(binding);
    }
    return out;
  },
};
