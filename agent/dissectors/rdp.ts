/**
 * RDP connection setup ([MS-RDPBCGR] 2.2.1.1 and 2.2.1.2): the client's X.224 Connection Request with
 * its RDP Negotiation Request, the server's Connection Confirm with its Negotiation Response, both in
 * TPKT (RFC 1006). Banner level: the routing token or `mstshash` cookie (which names the user) is
 * skipped, never read into a field.
 */
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

export interface RdpFields {
  /** client (sent the Connection Request) or server (sent the Connection Confirm). */
  role: 'client' | 'server';
  /** Client: security protocols requested (rdp = standard RDP security, ssl = TLS, hybrid = CredSSP/NLA, rdstls, hybrid_ex). */
  requested_protocols?: string[];
  /** Server: the protocol selected; `failure` when it refused the negotiation. */
  selected_protocol?: string;
}

const X224_CR = 0xe0;
const X224_CC = 0xd0;
const NEG_REQ = 0x01;
const NEG_RSP = 0x02;
const NEG_FAILURE = 0x03;
const PROTOCOL_BITS: [number, string][] = [[1, 'ssl'], [2, 'hybrid'], [4, 'rdstls'], [8, 'hybrid_ex']];

const protocols = (mask: number): string[] => (mask === 0 ? ['rdp'] : PROTOCOL_BITS.filter(([bit]) => mask & bit).map(([, n]) => n));

function parseRdp(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'rdp'> {
  if (b.length < 11) return final ? null : { done: false };
  // TPKT: version 3, reserved 0, length; X.224: length indicator, code, dst-ref, src-ref, class 0.
  const tpktLen = b.readUInt16BE(2);
  if (b[0] !== 3 || b[1] !== 0 || tpktLen < 11 || b[4] + 5 !== tpktLen) return null;
  if (b.length < tpktLen) return final ? null : { done: false };
  const code = b[5] & 0xf0;
  if ((code !== X224_CR && code !== X224_CC) || (b[10] & 0xf0) !== 0) return null;
  // The negotiation structure ends the PDU: 8 bytes, type, flags, length 8, a U32.
  const neg = tpktLen - 8;
  const hasNeg = neg >= 11 && b.readUInt16LE(neg + 2) === 8;
  const fields: RdpFields = { role: code === X224_CR ? 'client' : 'server' };
  if (code === X224_CR) {
    // Without a negotiation request, only the cookie says RDP (ISO-TSAP users like S7comm send TSAP parameters instead).
    const cookie = b.indexOf('Cookie: mstshash=', 11, 'latin1') === 11 || b.indexOf('Cookie: msts=', 11, 'latin1') === 11;
    if (hasNeg && b[neg] === NEG_REQ) fields.requested_protocols = protocols(b.readUInt32LE(neg + 4));
    else if (!cookie) return null;
  } else {
    if (!hasNeg && tpktLen !== 11) return null;
    if (hasNeg && b[neg] === NEG_RSP) fields.selected_protocol = protocols(b.readUInt32LE(neg + 4))[0] ?? 'rdp';
    else if (hasNeg && b[neg] === NEG_FAILURE) fields.selected_protocol = 'failure';
    else if (hasNeg) return null;
    else fields.selected_protocol = 'rdp';
    // A bare 11-byte Connection Confirm is also what ISO-TSAP servers send: RDP only on 3389.
    if (!hasNeg && ctx.srcPort !== 3389) return null;
  }
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'rdp', fields }] };
}

export const rdp: StreamDissector<'rdp'> = {
  kind: 'stream',
  name: 'rdp',
  probe(d: Buffer): boolean {
    return d[0] === 3 && (d.length < 2 || d[1] === 0);
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'rdp'> {
    return parseRdp(data, ctx, final);
  },
};
