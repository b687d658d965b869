/**
 * DHCPv4 (RFC 2131 / RFC 2132), the part the inventory needs to bind addresses to MACs over time:
 * the server's ACK names the client hardware address, the address assigned and the lease.
 */
import { ipToString, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Observation, PacketDissector } from './types.js';

/** BOOTP fixed header (236 bytes) plus the magic cookie. */
const OPTIONS_OFFSET = 240;
const MAGIC_COOKIE = 0x63825363;

export const DHCP_MESSAGE_TYPES = [
  '', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM',
] as const;

/** Fields of a `dhcp` observation. */
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
  /** Option 54 server identifier. */
  server_id?: string;
}

export const dhcp: PacketDissector = {
  kind: 'packet',
  name: 'dhcp',
  udpPorts: [67, 68],
  parse(v: PacketView): Observation[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const len = v.payloadLen;
    if (len < OPTIONS_OFFSET + 3) return null;
    const op = b[p];
    const htype = b[p + 1];
    const hlen = b[p + 2];
    if ((op !== 1 && op !== 2) || htype !== 1 || hlen !== 6) return null;
    if (b.readUInt32BE(p + 236) !== MAGIC_COOKIE) return null;
    const fields: DhcpFields = { message_type: '', client_mac: macToString(macAt(b, p + 28)) };
    const ciaddr = b.readUInt32BE(p + 12);
    const yiaddr = b.readUInt32BE(p + 16);
    if (ciaddr !== 0) fields.client_ip = ipToString(b, p + 12, 4);
    if (yiaddr !== 0) fields.assigned_ip = ipToString(b, p + 16, 4);

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
      if (code === 53 && olen === 1) fields.message_type = DHCP_MESSAGE_TYPES[b[v0]] ?? `type-${b[v0]}`;
      else if (code === 51 && olen === 4) fields.lease_seconds = b.readUInt32BE(v0);
      else if (code === 54 && olen === 4) fields.server_id = ipToString(b, v0, 4);
      o = v0 + olen;
    }
    if (fields.message_type === '') return null; // plain BOOTP: no binding semantics we rely on
    return [{ device: { mac: fields.client_mac }, tsMs: Math.floor(v.tsMicros / 1000), source: 'dhcp', fields: { ...fields } }];
  },
};
