/**
 * A RELP client (rsyslog's Reliable Event Logging Protocol, as librelp documents it; no maintained
 * npm library exists). Every frame is
 *
 *   TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *
 * TXNR counts 1..999,999,999 and wraps to 1; DATALEN is DATA's length in octets. The session opens
 * with `open` and the offers `relp_version=0`, `relp_software`, `commands=syslog`; each message is a
 * `syslog` command whose DATA is the syslog message; the server answers every command with `rsp` and
 * the same TXNR, DATA starting with a 3-digit status (200 OK). `close` ends the session; a server
 * may announce its end with `serverclose` (TXNR 0). A message counts as accepted only on its own
 * `200` response: what was sent without an answer when the connection broke is sent again.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Confirmation, Sender } from './sender.js';

const MAX_TXNR = 999_999_999;
const OFFERS = 'relp_version=0\nrelp_software=auscult\ncommands=syslog';

/** One frame read from the server. */
export interface RelpFrame {
  txnr: number;
  command: string;
  data: Buffer;
}

/** Incremental frame parser: feed bytes, get the complete frames; throws on a malformed frame. */
export class RelpParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RelpFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RelpFrame[] = [];
    for (;;) {
      const f = this.next();
      if (f === null) return out;
      out.push(f);
    }
  }

  private next(): RelpFrame | null {
    const b = this.buf;
    // Header: three space-separated tokens (the third may end with LF when DATALEN is 0).
    const sp1 = b.indexOf(0x20);
    if (sp1 < 0) return this.needMore(b.length, 10);
    const sp2 = b.indexOf(0x20, sp1 + 1);
    if (sp2 < 0) return this.needMore(b.length, 10 + 1 + 32);
    let end = sp2 + 1;
    while (end < b.length && b[end] >= 0x30 && b[end] <= 0x39) end++;
    if (end === b.length) return this.needMore(end - sp2, 10);
    const txnr = Number(b.toString('ascii', 0, sp1));
    const command = b.toString('ascii', sp1 + 1, sp2);
    const dataLen = Number(b.toString('ascii', sp2 + 1, end));
    if (!Number.isInteger(txnr) || !/^[a-z]{1,32}$/.test(command) || end === sp2 + 1) throw new Error('malformed RELP frame header');
    let dataStart = end;
    if (dataLen > 0) {
      if (b[end] !== 0x20) throw new Error('malformed RELP frame: no space before DATA');
      dataStart = end + 1;
    }
    if (b.length < dataStart + dataLen + 1) return null;
    if (b[dataStart + dataLen] !== 0x0a) throw new Error('malformed RELP frame: no LF after DATA');
    const data = b.subarray(dataStart, dataStart + dataLen);
    this.buf = b.subarray(dataStart + dataLen + 1);
    return { txnr, command, data };
  }

  /** A header longer than any valid one is garbage, not an incomplete frame. */
  private needMore(have: number, max: number): null {
    if (have > max) throw new Error('malformed RELP frame header');
    return null;
  }
}

export interface RelpTarget {
  host: string;
  port: number;
  tls?: boolean;
  ca?: string | Buffer;
  connectTimeoutMs?: number;
  /** How long a message may wait for its response before the connection counts as broken. */
  responseTimeoutMs?: number;
}

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RelpSender implements Sender {
  readonly confirms: Confirmation = 'each';
  private socket: Socket | null = null;
  private txnr = 0;
  private readonly waiting = new Map<number, Waiting>();
  private failure: Error | null = null;

  constructor(private readonly target: RelpTarget) {}

  private nextTxnr(): number {
    this.txnr = this.txnr >= MAX_TXNR ? 1 : this.txnr + 1;
    return this.txnr;
  }

  async connect(): Promise<void> {
    this.destroy();
    this.failure = null;
    this.txnr = 0;
    const t = this.target;
    const socket = t.tls ? tlsConnect({ host: t.host, port: t.port, ca: t.ca, rejectUnauthorized: true }) : tcpConnect({ host: t.host, port: t.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`connect to ${t.host}:${t.port} timed out`)), t.connectTimeoutMs ?? 5000);
      function fail(err: Error): void {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      }
      socket.once(t.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve();
      });
      socket.once('error', fail);
    });
    socket.setNoDelay(true);
    const parser = new RelpParser();
    // Events of a connection given up earlier must not fail the current one.
    const current = (): boolean => this.socket === socket;
    socket.on('data', (chunk: Buffer) => {
      if (!current()) return;
      try {
        for (const f of parser.push(chunk)) this.onFrame(f);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => current() && this.fail(err));
    socket.on('close', () => current() && this.fail(new Error('RELP connection closed')));
    this.socket = socket;
    const open = this.command('open', OFFERS);
    await open;
  }

  private onFrame(f: RelpFrame): void {
    if (f.command === 'serverclose') return this.fail(new Error('RELP server closed the session'));
    if (f.command !== 'rsp') return this.fail(new Error(`unexpected RELP command from the server: ${f.command}`));
    const w = this.waiting.get(f.txnr);
    if (w === undefined) return;
    this.waiting.delete(f.txnr);
    const text = f.data.toString('utf8');
    if (text.startsWith('200')) w.resolve();
    else w.reject(new Error(`RELP server refused: ${text.split('\n')[0].slice(0, 200)}`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.socket?.destroy();
  }

  /** Sends one command; resolves on its 200 response. */
  private command(command: string, data: string): Promise<void> {
    const socket = this.socket;
    if (socket === null || this.failure !== null) return Promise.reject(this.failure ?? new Error('not connected'));
    const txnr = this.nextTxnr();
    const body = Buffer.from(data, 'utf8');
    const head = Buffer.from(body.length > 0 ? `${txnr} ${command} ${body.length} ` : `${txnr} ${command} 0`, 'ascii');
    socket.write(Buffer.concat([head, body, Buffer.from('\n')]));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no RELP response to ${command} ${txnr} in time`)), this.target.responseTimeoutMs ?? 30_000);
      this.waiting.set(txnr, {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
    });
  }

  async send(messages: readonly string[]): Promise<void> {
    // All in flight at once (RELP's window); every one must be answered 200.
    const answers = messages.map((m) => this.command('syslog', m));
    const results = await Promise.allSettled(answers);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  async close(): Promise<void> {
    if (this.socket === null) return;
    if (this.failure === null) await this.command('close', '').catch(() => undefined);
    this.destroy();
  }

  destroy(): void {
    this.failure ??= new Error('RELP connection closed');
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.socket?.destroy();
    this.socket = null;
  }
}
