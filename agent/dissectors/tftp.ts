/**
 * TFTP (RFC 1350): read and write requests to UDP port 69. The request names the server (its
 * receiver, which answers from another port, so the answer is not seen here: an unanswered request
 * still names it) and the client. The file name is not kept (configuration
 * and firmware names can say more than needed); the transfer mode is.
 */
import type { PacketView } from '../decode/packet-view.js';
import { ipToString } from '../decode/format.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

export interface TftpFields {
  /** server (received the request on port 69) or client (sent it). */
  role: 'server' | 'client';
  /** RRQ (read) or WRQ (write). */
  request: 'read' | 'write';
  /** Transfer mode: netascii, octet or mail (lower case). */
  mode: string;
}

const MODES = new Set(['netascii', 'octet', 'mail']);
const MAX_NAME = 512;

export const tftp: PacketDissector<'tftp'> = {
  kind: 'packet',
  name: 'tftp',
  udpPorts: [69],
  parse(v: PacketView): Observation<'tftp'>[] | null {
    if (v.dstPort !== 69 || v.ipVersion === 0) return null;
    const b = v.buf;
    const p = v.payloadOff;
    const end = p + v.payloadLen;
    if (v.payloadLen < 4 || b[p] !== 0 || (b[p + 1] !== 1 && b[p + 1] !== 2)) return null;
    // filename NUL mode NUL [options]: the name is skipped (bounds only), the mode read.
    const nameEnd = b.indexOf(0, p + 2);
    if (nameEnd < 0 || nameEnd >= end || nameEnd === p + 2 || nameEnd - p - 2 > MAX_NAME) return null;
    const modeEnd = b.indexOf(0, nameEnd + 1);
    if (modeEnd < 0 || modeEnd >= end) return null;
    const mode = b.toString('latin1', nameEnd + 1, modeEnd).toLowerCase();
    if (!MODES.has(mode)) return null;
    const request = b[p + 1] === 1 ? 'read' : 'write';
    return [
      // The server by its address only: a request through a router carries the router's MAC.
      { device: { ip: ipToString(b, v.dstIpOff, v.ipVersion) }, tsMs: Math.floor(v.tsMicros / 1000), source: 'tftp', fields: { role: 'server', request, mode } },
      { device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'tftp', fields: { role: 'client', request, mode } },
    ];
  },
};
