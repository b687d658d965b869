/**
 * Telnet (RFC 854, option negotiation RFC 855): recognised by the option negotiation both ends start
 * with (IAC DO/DONT/WILL/WONT option). Banner level only: nothing typed or printed in the session is
 * read (logins and passwords cross Telnet in clear: that is the finding, never the content).
 */
import { senderIsServer } from './server-side.js';
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';

export interface TelnetFields {
  /** server (the end on port 23, else the lower port) or client. */
  role: 'server' | 'client';
  /** Options the sender negotiated first (RFC 855 codes: 24 terminal type, 31 window size, 1 echo...), at most 8. */
  options: number[];
}

const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;
/** Negotiation triplets read at most. */
const MAX_TRIPLETS = 8;

function parseTelnet(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'telnet'> {
  const options: number[] = [];
  let p = 0;
  // Sub-negotiations (IAC SB ... IAC SE) may follow; only the leading DO/DONT/WILL/WONT triplets are read.
  while (p + 3 <= b.length && options.length < MAX_TRIPLETS && b[p] === IAC && b[p + 1] >= WILL && b[p + 1] <= DONT) {
    if (!options.includes(b[p + 2])) options.push(b[p + 2]);
    p += 3;
  }
  if (options.length === 0) return b.length < 3 && !final ? { done: false } : null;
  const role = senderIsServer(ctx, [23]) ? 'server' : 'client';
  return { done: true, observations: [{ device: streamSender(ctx), tsMs: ctx.tsMs, source: 'telnet', fields: { role, options } }] };
}

export const telnet: StreamDissector<'telnet'> = {
  kind: 'stream',
  name: 'telnet',
  probe(d: Buffer): boolean {
    return d[0] === IAC && (d.length < 2 || (d[1] >= WILL && d[1] <= DONT));
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'telnet'> {
    return parseTelnet(data, ctx, final);
  },
};
