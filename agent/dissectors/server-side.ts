/**
 * Which end of a TCP connection is the server, for banner-level dissectors that see one direction:
 * the end on the protocol's well-known port, else the end on the lower port (servers listen on low,
 * fixed ports; clients use ephemeral ones). The inventory's own server attribution (SYN/SYN+ACK)
 * stays the authority for services and edges; this only names the role in an observation.
 */
import type { StreamEnds } from './types.js';

export function senderIsServer(ends: StreamEnds, wellKnown: readonly number[]): boolean {
  if (wellKnown.includes(ends.srcPort)) return true;
  if (wellKnown.includes(ends.dstPort)) return false;
  return ends.srcPort < ends.dstPort;
}
