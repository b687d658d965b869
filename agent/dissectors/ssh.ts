/**
 * SSH (RFC 4253 section 4.2): the identification string each side sends first,
 * `SSH-protoversion-softwareversion SP comments CR LF`, on any port. It names the implementation and
 * often the distribution package (`OpenSSH_8.2p1 Ubuntu-4ubuntu0.1`). A server may send other lines
 * before it; those are skipped, within bounds.
 */
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

/** Fields of an `ssh` observation, about the sender (client or server). */
export interface SshFields {
  /** The identification string without CR LF: `SSH-2.0-OpenSSH_8.9p1 Ubuntu-3`. */
  banner: string;
  /** protoversion: `2.0`; `1.99` = a server that also speaks SSH 1; `1.5` = SSH 1 only. */
  proto_version: string;
  /** softwareversion: implementation and version (`OpenSSH_8.9p1`, `dropbear_2018.76`, `Cisco-1.25`). */
  software: string;
  /** comments after the first space (`Ubuntu-3`, `Debian-10+deb9u7`), when present. */
  comments?: string;
}

/** RFC 4253: at most 255 characters including CR LF; some implementations exceed it a little. */
const MAX_LINE = 512;
/** Lines a server may send before its identification string (RFC 4253 4.2), as we bound them. */
const MAX_PRE_LINES = 16;
/** Bytes of pre-identification lines read before giving up. */
const MAX_PRE_BYTES = 4096;

const SSH_DASH = Buffer.from('SSH-', 'latin1');
const LF_SSH_DASH = Buffer.from('\nSSH-', 'latin1');
const LF = 0x0a;
const CR = 0x0d;

/** Whether `b[at..]` starts with as much of `lit` as `b` holds. */
function startsLike(b: Buffer, at: number, lit: Buffer): boolean {
  const n = Math.min(lit.length, b.length - at);
  for (let i = 0; i < n; i++) if (b[at + i] !== lit[i]) return false;
  return true;
}

/** The identification line `b[p..end)` (CR LF removed) as fields; null when malformed. */
function identification(b: Buffer, p: number, end: number): SshFields | null {
  for (let i = p; i < end; i++) if (b[i] < 0x20 || b[i] === 0x7f) return null; // printable only
  const line = b.toString('utf8', p, end);
  const m = /^SSH-([0-9]+\.[0-9]+)-([^ -][^ ]*)(?: (.*))?$/.exec(line);
  if (m === null) return null;
  const f: SshFields = { banner: line, proto_version: m[1], software: m[2] };
  const comments = m[3]?.trim();
  if (comments) f.comments = comments;
  return f;
}

/** `final`: no more bytes will come; an unfinished identification line is then not reported. */
function parseSsh(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'ssh'> {
  let p = 0;
  for (let lines = 0; lines <= MAX_PRE_LINES; lines++) {
    const lf = b.indexOf(LF, p);
    const isId = startsLike(b, p, SSH_DASH);
    if (lf < 0 || lf >= p + MAX_LINE) {
      if (b.length >= p + MAX_LINE) return null; // a line too long: not SSH
      for (let i = p; i < b.length; i++) if (b[i] === 0) return null; // binary: not a text line
      return final ? null : { done: false };
    }
    if (isId) {
      const f = identification(b, p, lf > p && b[lf - 1] === CR ? lf - 1 : lf);
      if (f === null) return null;
      const device = streamSender(ctx);
      return { done: true, observations: [{ device, tsMs: ctx.tsMs, source: 'ssh', fields: { ...f } }] };
    }
    // A line before the identification: text, bounded.
    for (let i = p; i < lf; i++) if (b[i] === 0) return null;
    p = lf + 1;
    if (p > MAX_PRE_BYTES) return null;
  }
  return null;
}

export const ssh: StreamDissector<'ssh'> = {
  kind: 'stream',
  name: 'ssh',
  probe(d: Buffer): boolean {
    if (startsLike(d, 0, SSH_DASH)) return true;
    // Lines before the identification (RFC 4253 4.2) arrive with it in practice: look in the segment.
    const c = d[0];
    return c >= 0x20 && c < 0x7f && d.indexOf(LF_SSH_DASH) >= 0;
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'ssh'> {
    return parseSsh(data, ctx, final);
  },
};
