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
 * bare SYN); otherwise the ports decide when they can (a well-known port beats an unprivileged one,
 * the lower of two well-known ports wins as with DHCP 67/68, a registered port beats an ephemeral
 * one), and failing that the first sender is the client.
 */
export function serverSide(t: FlowTable, f: number): number {
  if (t.synAckFrom[f] >= 0) return t.synAckFrom[f];
  if (t.synFrom[f] >= 0) return 1 - t.synFrom[f];
  const first = t.initiator[f];
  const proto = t.proto(f);
  if (proto === IpProto.TCP || proto === IpProto.UDP) {
    const pa = t.port(f, 0);
    const pb = t.port(f, 1);
    if (pa !== pb) {
      const lower = pa < pb ? 0 : 1;
      const lo = Math.min(pa, pb);
      const hi = Math.max(pa, pb);
      if (lo < 1024 || (lo < EPHEMERAL_MIN && hi >= EPHEMERAL_MIN)) return lower;
    }
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
