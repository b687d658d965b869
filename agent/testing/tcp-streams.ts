/**
 * Test support: the start of each direction of each TCP connection in a capture, reassembled in
 * sequence order (retransmissions dropped), for testing stream dissectors on real bytes.
 */
import { ipToString, macAt, macToString } from '../decode/format.js';
import { DecodeStatus, IpProto, PacketView } from '../decode/packet-view.js';
import type { StreamEnds } from '../dissectors/types.js';
import { loadFrames } from './frames.js';

export interface TcpDirection extends StreamEnds {  /** Time of the first data segment, ms. */
  tsMs: number;
  /** Reassembled payload bytes from the first data segment on (at most `maxBytes`). */
  data: Buffer;
}

/** Every TCP direction that carried data, in order of first data segment. */
export async function tcpDirections(path: string, maxBytes = 65536): Promise<TcpDirection[]> {
  const frames = await loadFrames(path);
  const v = new PacketView();
  const byKey = new Map<string, { dir: TcpDirection; next: number; parts: Buffer[]; len: number; pending: Map<number, Buffer> }>();
  for (const f of frames) {
    if (v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType) !== DecodeStatus.OK) continue;
    if (v.l4Proto !== IpProto.TCP || v.payloadLen === 0 || v.isLaterFragment) continue;
    const srcIp = ipToString(v.buf, v.srcIpOff, v.ipVersion);
    const dstIp = ipToString(v.buf, v.dstIpOff, v.ipVersion);
    const key = `${srcIp}|${v.srcPort}|${dstIp}|${v.dstPort}`;
    const seq = v.buf.readUInt32BE(v.l4Off + 4);
    const payload = Buffer.from(v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen));
    let s = byKey.get(key);
    if (!s) {
      s = {
        dir: {
          srcMac: v.srcMacOff >= 0 ? macToString(macAt(v.buf, v.srcMacOff)) : null,
          dstMac: v.dstMacOff >= 0 ? macToString(macAt(v.buf, v.dstMacOff)) : null,
          srcIp, srcPort: v.srcPort, dstIp, dstPort: v.dstPort, tsMs: Math.floor(f.tsMicros / 1000), data: Buffer.alloc(0),
        },
        next: seq, parts: [], len: 0, pending: new Map(),
      };
      byKey.set(key, s);
    }
    const rel = (seq - s.next) | 0;
    if (rel > 0) {
      s.pending.set(seq, payload);
      continue;
    }
    let chunk: Buffer | undefined = rel < 0 ? payload.subarray(-rel) : payload;
    while (chunk && chunk.length > 0 && s.len < maxBytes) {
      s.parts.push(chunk);
      s.len += chunk.length;
      s.next = (s.next + chunk.length) >>> 0;
      chunk = s.pending.get(s.next);
      s.pending.delete(s.next);
    }
  }
  return [...byKey.values()].map((s) => ({ ...s.dir, data: Buffer.concat(s.parts).subarray(0, maxBytes) }));
}
