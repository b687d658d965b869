/**
 * Which side of a flow is the server, and whether it answered (which makes its port a service).
 */
import { IpProto } from '../decode/packet-view.js';
import type { FlowTable } from '../flows/flow-table.js';

const EPHEMERAL_MIN = 49152;

/** Text name of an IP protocol number for edges and services. */
export function transportName(proto: number): string {
  switch (proto) {
    case IpProto.TCP:
      return 'tcp';
    case IpProto.UDP:
      return 'udp';
    case IpProto.ICMP:
      return 'icmp';
    case IpProto.ICMPV6:
      return 'icmpv6';
    default:
      return `ip-${proto}`;
  }
}

/**
 * The server side (0 A, 1 B). Proven by the handshake when seen (SYN+ACK sender, or the receiver of a
 * bare SYN); otherwise the first sender is the client, unless the ports say the capture started
 * mid-conversation (the first sender used a well-known port towards an ephemeral one).
 */
export function serverSide(t: FlowTable, f: number): number {
  if (t.synAckFrom[f] >= 0) return t.synAckFrom[f];
  if (t.synFrom[f] >= 0) return 1 - t.synFrom[f];
  const first = t.initiator[f];
  const proto = t.proto(f);
  if (proto === IpProto.TCP || proto === IpProto.UDP) {
    const firstPort = t.port(f, first);
    const otherPort = t.port(f, 1 - first);
    if (firstPort < 1024 && otherPort >= 1024) return first;
  }
  return 1 - first;
}

/**
 * Whether the server answered in a way that shows a listening service: a SYN+ACK for TCP; for UDP a
 * reply from a port that looks like a service (not ephemeral, or lower than the client's).
 */
export function serviceAnswered(t: FlowTable, f: number, server: number): boolean {
  const proto = t.proto(f);
  if (proto === IpProto.TCP) return t.synAckFrom[f] === server;
  if (proto !== IpProto.UDP) return false;
  if (t.packets[2 * f + server] === 0 || t.packets[2 * f + 1 - server] === 0) return false;
  const sp = t.port(f, server);
  const cp = t.port(f, 1 - server);
  return sp !== 0 && sp < EPHEMERAL_MIN && (sp < 1024 || sp <= cp);
}
