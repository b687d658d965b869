/**
 * VNC / RFB (RFC 6143): the ProtocolVersion handshake both ends start with (`RFB 003.008\n`) and the
 * security types the server offers after it (7.1.2). Banner level: no pixel, key or password is read.
 */
import { senderIsServer } from './server-side.js';
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

export interface VncFields {
  /** server (the end on 5900-5999, else the lower port) or client. */
  role: 'server' | 'client';
  /** ProtocolVersion: `003.008`, `003.003`... */
  rfb_version: string;
  /** Server: security types offered (RFC 6143 7.1.2; 1 None, 2 VNC authentication, 18 TLS, 19 VeNCrypt...). */
  security_types?: number[];
  /** Server: TLS (18) or VeNCrypt (19) is among the types offered. */
  tls?: boolean;
}

const RFB = Buffer.from('RFB ', 'latin1');
const VERSION = /^RFB (\d{3}\.\d{3})\n$/;
const VNC_PORTS = Array.from({ length: 100 }, (_, i) => 5900 + i);

function parseVnc(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'vnc'> {
  if (b.length < 12) return final ? null : { done: false };
  const m = VERSION.exec(b.toString('latin1', 0, 12));
  if (m === null) return null;
  const fields: VncFields = { role: senderIsServer(ctx, VNC_PORTS) ? 'server' : 'client', rfb_version: m[1] };
  if (fields.role === 'server') {
    // 3.3: the server decides, a U32 type; 3.7 and later: a count and the types (count 0: a failure reason follows).
    const minor = Number(m[1].slice(4));
    const need = minor >= 7 ? 13 + (b[12] ?? 0) : 16;
    if (b.length < need && !final) return { done: false };
    if (b.length >= need) {
      const types = minor >= 7 ? [...b.subarray(13, need)] : [b.readUInt32BE(12)];
      if (types.length > 0 && !(types.length === 1 && types[0] === 0)) {
        fields.security_types = types;
        if (types.includes(18) || types.includes(19)) fields.tls = true;
      }
    }
  }
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'vnc', fields }] };
}

export const vnc: StreamDissector<'vnc'> = {
  kind: 'stream',
  name: 'vnc',
  probe(d: Buffer): boolean {
    const n = Math.min(d.length, 4);
    for (let i = 0; i < n; i++) if (d[i] !== RFB[i]) return false;
    return true;
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'vnc'> {
    return parseVnc(data, ctx, final);
  },
};
