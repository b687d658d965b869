/**
 * FTP control connections (RFC 959): the server's greeting (`220`) and replies, the client's first
 * command. Banner level: no user name, password or file name is read. A server is FTP (not SMTP, which
 * greets with 220 too) when it is on port 21, or replies 331/332 (user name okay, need password) or
 * 234 (AUTH accepted), or its client's first command is USER or AUTH.
 */
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

export interface FtpFields {
  /** server (sent the 220 greeting) or client. */
  role: 'server' | 'client';
  /** Server: the first line of the greeting after `220` (software and version, when the server says). */
  banner?: string;
  /** AUTH TLS/SSL was asked for (client) or accepted with 234 (server): the session went on encrypted (RFC 4217). */
  auth_tls?: boolean;
}

const LF = 0x0a;
/** Bytes read per direction: the greeting and a few replies. */
const MAX_BYTES = 4096;
const MAX_BANNER = 200;

const text = (b: Buffer, from: number, to: number): string => b.toString('latin1', from, to).replace(/[^\x20-\x7e]/g, '?');

/** Complete lines of `b` (without CR LF). */
function lines(b: Buffer): string[] {
  const out: string[] = [];
  let p = 0;
  for (let lf = b.indexOf(LF); lf >= 0 && out.length < 32; lf = b.indexOf(LF, p)) {
    out.push(text(b, p, lf > p && b[lf - 1] === 0x0d ? lf - 1 : lf));
    p = lf + 1;
  }
  return out;
}

function parseServer(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'ftp'> {
  const ls = lines(b);
  if (ls.length === 0) return final || b.length > MAX_BANNER * 2 ? null : { done: false };
  if (!/^220[ -]/.test(ls[0])) return null;
  const replies = ls.filter((l) => /^\d{3} /.test(l)).map((l) => l.slice(0, 3));
  const client = lines(ctx.peerData)[0]?.toUpperCase() ?? '';
  const ftp = ctx.srcPort === 21 || replies.some((r) => r === '331' || r === '332' || r === '234') ||
    /^(USER|AUTH) /.test(client);
  const settled = replies.some((r) => r === '234' || r === '230' || r === '530') || final || b.length >= MAX_BYTES;
  if (!settled) return { done: false };
  if (!ftp) return null;
  const fields: FtpFields = { role: 'server', banner: ls[0].slice(4, 4 + MAX_BANNER).trim() };
  if (replies.includes('234')) fields.auth_tls = true;
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'ftp', fields }] };
}

function parseClient(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'ftp'> {
  const first = lines(b)[0];
  if (first === undefined) return final || b.length > 64 ? null : { done: false };
  const cmd = first.toUpperCase();
  if (!/^(USER|AUTH) /.test(cmd) || !/^220[ -]/.test(lines(ctx.peerData)[0] ?? '')) return null;
  const fields: FtpFields = { role: 'client' };
  if (/^AUTH (TLS|SSL)/.test(cmd)) fields.auth_tls = true;
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'ftp', fields }] };
}

export const ftp: StreamDissector<'ftp'> = {
  kind: 'stream',
  name: 'ftp',
  probe(d: Buffer): boolean {
    const c = d[0] & 0xdf; // upper case
    return d[0] === 0x32 || c === 0x55 || c === 0x41; // '2' (220), 'U' (USER), 'A' (AUTH)
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'ftp'> {
    return data[0] === 0x32 ? parseServer(data, ctx, final) : parseClient(data, ctx, final);
  },
};
