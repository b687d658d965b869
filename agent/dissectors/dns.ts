/**
 * Unicast DNS (UDP 53) and LLMNR (UDP 5355, RFC 4795). For DNS we keep only the names a client looks
 * up, as evidence of what it talks to: answers are not logged (that is a resolver log, not an
 * inventory). LLMNR is name resolution among neighbours: a query says what the sender looks for, a
 * response is the sender answering for its own name. mDNS is in `mdns.ts`.
 */
import type { PacketView } from '../decode/packet-view.js';
import { addUnique, decodeDns, dnsHeaderOk, isResponse, isReverseName } from './dns-common.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

/** Fields of a `dns` observation (a query; about its sender, the client). */
export interface DnsFields {
  /** Question names, lower-cased (resolvers randomise case), without the trailing dot. */
  queried_names: string[];
}

/** Fields of an `llmnr` observation (about the sender). */
export interface LlmnrFields {
  /** `query` or `response`. */
  message_type: 'query' | 'response';
  /** Query: the names the sender tries to resolve on the local link. */
  queried_names?: string[];
  /** Response: the name the sender answers for (its own), from A/AAAA owners or reverse PTR data. */
  hostname?: string;
  /** Further names the sender answers for, when a response carries more than one. */
  alt_hostnames?: string[];
}

export const dns: PacketDissector<'dns'> = {
  kind: 'packet',
  name: 'dns',
  udpPorts: [53],
  // The message id (RFC 1035 4.1.1) differs on every query; the facts kept are the names asked.
  repeatSkip: [0, 2],
  repeatAnyPort: true,
  parse(v: PacketView): Observation<'dns'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    if (!dnsHeaderOk(b, p, v.payloadLen, -1)) return null;
    // A response is DNS all right, but its records are not evidence we keep.
    if (isResponse(b, p)) return [];
    const msg = decodeDns(b, p, v.payloadLen);
    if (msg === null) return null;
    const f: Partial<DnsFields> = {};
    for (const q of msg.questions ?? []) if (q.name !== '.') addUnique(f, 'queried_names', q.name.toLowerCase());
    if (f.queried_names === undefined) return [];
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'dns', fields: { queried_names: f.queried_names } }];
  },
};

export const llmnr: PacketDissector<'llmnr'> = {
  kind: 'packet',
  name: 'llmnr',
  udpPorts: [5355],
  repeatSkip: [0, 2],
  repeatAnyPort: true,
  parse(v: PacketView): Observation<'llmnr'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    if (!dnsHeaderOk(b, p, v.payloadLen, -1)) return null;
    const msg = decodeDns(b, p, v.payloadLen);
    if (msg === null) return null;
    const f: LlmnrFields = { message_type: isResponse(b, p) ? 'response' : 'query' };
    const names: { n?: string[] } = {};
    if (f.message_type === 'query') {
      for (const q of msg.questions ?? []) addUnique(f as { queried_names?: string[] }, 'queried_names', q.name);
    } else {
      for (const a of msg.answers ?? []) {
        if (a.type === 'A' || a.type === 'AAAA') addUnique(names, 'n', a.name);
        else if (a.type === 'PTR' && isReverseName(a.name)) addUnique(names, 'n', a.data);
      }
      if (names.n === undefined) return [];
      f.hostname = names.n[0];
      if (names.n.length > 1) f.alt_hostnames = names.n.slice(1);
    }
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'llmnr', fields: { ...f } }];
  },
};
