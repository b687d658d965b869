/**
 * DHCPv6 (RFC 8415). A client's messages fingerprint it (DUID, vendor class, option request order,
 * FQDN); a server's REPLY/ADVERTISE names the addresses and prefixes it gives the client.
 * Relayed messages (RELAY-FORW/RELAY-REPL) are unwrapped: the client is then the relay's peer-address,
 * not the frame's sender.
 */
import { ipToString, isGroupMac, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import { optionText } from './dhcp.js';
import { definedFields } from './intern.js';
import { senderOf } from './sender.js';
import type { DeviceKey, PacketDissector, PacketOutput } from './types.js';

export const DHCPV6_MESSAGE_TYPES = [
  '', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE', 'DECLINE',
  'RECONFIGURE', 'INFORMATION-REQUEST', 'RELAY-FORW', 'RELAY-REPL',
] as const;

const ADVERTISE = 2;
const REPLY = 7;
const RECONFIGURE = 10;
const RELAY_FORW = 12;
const RELAY_REPL = 13;
/** Relay chains deeper than this are not seen on real networks (RFC 8415 allows 32 hops). */
const MAX_RELAY_DEPTH = 8;

const DUID_TYPES = ['', 'LLT', 'EN', 'LL', 'UUID'] as const;

/** Fields of a `dhcpv6` observation. `duid*` are always the DUID of the device the observation is about. */
export interface Dhcpv6Fields {
  /** Message type of the (innermost, when relayed) message: SOLICIT, REQUEST, REPLY... */
  message_type: string;
  /** The device's DUID, hex: option 1 (client id) for a client, option 2 (server id) for a server. */
  duid?: string;
  /** DUID type: LLT, EN, LL, UUID (RFC 8415 §11, RFC 6355) or `type-N`. */
  duid_type?: string;
  /** Link-layer address inside a DUID-LLT/DUID-LL with hardware type 1 (may be another interface's MAC). */
  duid_mac?: string;
  /** Enterprise number of a DUID-EN (IANA private enterprise numbers). */
  duid_enterprise?: number;
  /** Option 16 vendor class: enterprise number. */
  vendor_enterprise?: number;
  /** Option 16 vendor class data, instances joined by `,` (`dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709`). */
  vendor_class?: string;
  /** Option 15 user class, instances joined by `,`. */
  user_class?: string;
  /** Option 39 client FQDN (RFC 4704) as sent, possibly a single label. */
  fqdn?: string;
  /** First label of the option 39 FQDN. */
  hostname?: string;
  /** Option 6 option request list, in the client's order (`23,24,39`): a fingerprint. */
  option_request_list?: string;
  /** Option 61 client architecture types (RFC 5970), numbers joined by `,`. */
  client_arch?: string;
  /** Option 112 MUD URL (RFC 8520). */
  mud_url?: string;
  /** IA_NA/IA_TA addresses: given by the server (ADVERTISE/REPLY) or held by the client (REQUEST, RENEW...). */
  assigned_ips?: string[];
  /** IA_PD prefixes delegated to the client (or held by it), `addr/len`. */
  delegated_prefixes?: string[];
  /** Link-address of the innermost relay when the message was relayed. */
  relay_link_address?: string;
}

function duidInto(f: Dhcpv6Fields, b: Buffer, v0: number, len: number): void {
  if (len < 2) return;
  f.duid = b.toString('hex', v0, v0 + len);
  const t = b.readUInt16BE(v0);
  f.duid_type = DUID_TYPES[t] || `type-${t}`;
  let ll = -1;
  if (t === 1 && len === 14 && b.readUInt16BE(v0 + 2) === 1) ll = v0 + 8;
  else if (t === 3 && len === 10 && b.readUInt16BE(v0 + 2) === 1) ll = v0 + 4;
  if (ll >= 0) f.duid_mac = macToString(macAt(b, ll));
  if (t === 2 && len >= 6) f.duid_enterprise = b.readUInt32BE(v0 + 2);
}

/** Length-prefixed (16-bit) opaque instances of options 15 and 16, as text joined by `,`. */
function instances(b: Buffer, o: number, end: number): string | undefined {
  const parts: string[] = [];
  while (o + 2 <= end) {
    const l = b.readUInt16BE(o);
    if (o + 2 + l > end) return undefined;
    const t = optionText(b, o + 2, o + 2 + l);
    if (t !== undefined) parts.push(t);
    o += 2 + l;
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}

/** Option 39: flags byte then a DNS wire-format name, which may stop without the root label. */
function fqdnInto(f: Dhcpv6Fields, b: Buffer, v0: number, len: number): void {
  const end = v0 + len;
  const labels: string[] = [];
  let o = v0 + 1;
  while (o < end && b[o] !== 0) {
    const l = b[o];
    if (l > 63 || o + 1 + l > end) return;
    labels.push(b.toString('utf8', o + 1, o + 1 + l));
    o += 1 + l;
  }
  if (labels.length === 0) return;
  f.fqdn = labels.join('.');
  f.hostname = labels[0];
}

/** An IA address with its valid lifetime (IAADDR option 5), kept beside the fields for the binding. */
interface Lease {
  ip: string;
  validSeconds: number;
}

/** IA_NA / IA_TA / IA_PD: walk the IA's own options for addresses and prefixes. */
function iaInto(f: Dhcpv6Fields, leases: Lease[], b: Buffer, code: number, v0: number, end: number): void {
  let o = v0 + (code === 4 ? 4 : 12); // IA_TA has only the IAID
  while (o + 4 <= end) {
    const c = b.readUInt16BE(o);
    const l = b.readUInt16BE(o + 2);
    const s = o + 4;
    if (s + l > end) return;
    if (c === 5 && l >= 24) {
      const ip = ipToString(b, s, 6);
      (f.assigned_ips ??= []).push(ip);
      leases.push({ ip, validSeconds: b.readUInt32BE(s + 20) });
    }
    else if (c === 26 && l >= 25) (f.delegated_prefixes ??= []).push(`${ipToString(b, s + 9, 6)}/${b[s + 8]}`);
    o = s + l;
  }
}

interface Parsed {
  type: number;
  client: Dhcpv6Fields;
  /** Server id option, kept apart: for a client message it names the server, not the sender. */
  server?: Dhcpv6Fields;
  /** Peer-address of the innermost relay message (the client), offset into the buffer. */
  peerOff: number;
  /** IA_NA/IA_TA addresses with their valid lifetimes. */
  leases: Lease[];
}

/** Parse one message at `b[p..end)`; relay messages recurse into option 9. Null when malformed. */
function parseMessage(b: Buffer, p: number, end: number, depth: number, peerOff: number): Parsed | null {
  if (end - p < 4) return null;
  const type = b[p];
  if (type === 0 || type > 13) return null; // leasequery, DHCPv4-over-v6 and others: not ours to read
  if (type === RELAY_FORW || type === RELAY_REPL) {
    if (depth >= MAX_RELAY_DEPTH || end - p < 34) return null;
    let o = p + 34;
    while (o + 4 <= end) {
      const c = b.readUInt16BE(o);
      const l = b.readUInt16BE(o + 2);
      if (o + 4 + l > end) return null;
      if (c === 9) {
        const inner = parseMessage(b, o + 4, o + 4 + l, depth + 1, p + 18);
        if (inner && inner.client.relay_link_address === undefined) inner.client.relay_link_address = ipToString(b, p + 2, 6);
        return inner;
      }
      o += 4 + l;
    }
    return null;
  }
  const client: Dhcpv6Fields = { message_type: DHCPV6_MESSAGE_TYPES[type] };
  const out: Parsed = { type, client, peerOff, leases: [] };
  // Vendor/user class and the like describe whoever sent the message: in a server's, the server.
  const fromServer = type === ADVERTISE || type === REPLY || type === RECONFIGURE;
  const sender = (): Dhcpv6Fields => (fromServer ? (out.server ??= { message_type: client.message_type }) : client);
  let o = p + 4;
  while (o + 4 <= end) {
    const c = b.readUInt16BE(o);
    const l = b.readUInt16BE(o + 2);
    const v0 = o + 4;
    if (v0 + l > end) return null;
    switch (c) {
      case 1: duidInto(client, b, v0, l); break;
      case 2: duidInto((out.server ??= { message_type: client.message_type }), b, v0, l); break;
      case 3: case 4: case 25: iaInto(client, out.leases, b, c, v0, v0 + l); break;
      case 6: {
        let s = '';
        for (let i = 0; i + 2 <= l; i += 2) s += `${i === 0 ? '' : ','}${b.readUInt16BE(v0 + i)}`;
        if (s !== '') sender().option_request_list = s;
        break;
      }
      case 15: sender().user_class = instances(b, v0, v0 + l); break;
      case 16:
        if (l >= 4) {
          sender().vendor_enterprise = b.readUInt32BE(v0);
          sender().vendor_class = instances(b, v0 + 4, v0 + l);
        }
        break;
      case 39: fqdnInto(client, b, v0, l); break;
      case 61: {
        const a: number[] = [];
        for (let i = 0; i + 2 <= l; i += 2) a.push(b.readUInt16BE(v0 + i));
        if (a.length > 0) sender().client_arch = a.join(',');
        break;
      }
      case 112: sender().mud_url = optionText(b, v0, v0 + l); break;
    }
    o = v0 + l;
  }
  return out;
}

export const dhcpv6: PacketDissector<'dhcpv6'> = {
  kind: 'packet',
  name: 'dhcpv6',
  udpPorts: [546, 547],
  parse(v: PacketView): PacketOutput<'dhcpv6'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const len = v.payloadLen;
    if (len < 4 || b[p] === 0 || b[p] > 13) return null;
    const m = parseMessage(b, p, p + len, 0, -1);
    if (m === null) return null;
    const tsMs = Math.floor(v.tsMicros / 1000);
    const relayed = m.peerOff >= 0;
    const sender = senderOf(v);
    const fromServer = m.type === ADVERTISE || m.type === REPLY || m.type === RECONFIGURE;
    if (!fromServer) {
      // A relayed client message: the frame comes from a relay; the client is the peer-address.
      const device = relayed ? { ip: ipToString(b, m.peerOff, 6) } : sender;
      return [{ device, tsMs, source: 'dhcpv6', fields: definedFields(m.client) }];
    }
    const out: PacketOutput<'dhcpv6'>[] = [];
    // RELAY-REPL frames come from the server too, so the sender is the server either way.
    if (m.server) out.push({ device: sender, tsMs, source: 'dhcpv6', fields: definedFields(m.server) });
    // The client this answer is for: the relay's peer, or the frame's unicast destination.
    let client: DeviceKey | null = null;
    if (relayed) client = { ip: ipToString(b, m.peerOff, 6) };
    else if (v.dstMacOff >= 0 && !isGroupMac(macAt(b, v.dstMacOff))) {
      client = { mac: macToString(macAt(b, v.dstMacOff)), ip: ipToString(b, v.dstIpOff, v.ipVersion) };
    }
    if (client !== null && m.client.duid !== undefined) out.push({ device: client, tsMs, source: 'dhcpv6', fields: definedFields(m.client) });
    // A REPLY gives the client its addresses (RFC 8415 section 18.3.10; ADVERTISE only offers them):
    // bound to the MAC the reply goes to, or through a relay to the MAC in the client's DUID-LL(T).
    const clientMac = relayed ? m.client.duid_mac : client?.mac;
    if (m.type === REPLY && clientMac !== undefined) {
      for (const lease of m.leases) {
        // A valid lifetime of 0 withdraws the address.
        if (lease.validSeconds > 0) out.push({ kind: 'address-binding', mac: clientMac, ip: lease.ip, protocol: 'dhcpv6', leaseSeconds: lease.validSeconds, tsMs });
      }
    }
    return out;
  },
};
