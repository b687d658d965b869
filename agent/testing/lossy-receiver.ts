/**
 * Test support: an octet-counted syslog receiver (RFC 6587) on loopback that loses, on purpose and
 * always the same way, what a receiver killed mid-stream loses. On its first connection it keeps the
 * first `keepOnFirst` messages, reads the rest of what the sender wrote (the sender's writes all
 * completed: TCP accepted them) and then drops the connection without keeping them: they sat in its
 * buffers when it "died". Later connections keep everything. No timing is involved: whether the rest is
 * lost depends only on whether the sender sends it again.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface LossyReceiver {
  port: number;
  /** Every message kept, in arrival order (duplicates included). */
  kept: string[];
  /** Messages read and thrown away on the first connection. */
  lost: string[];
  connections: number;
  /** Resolves once `n` messages arrived in all (kept or lost): the sender's writes return before that. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `expectOnFirst`: how many messages the sender writes on the first connection (then it is dropped). */
export async function lossyReceiver(keepOnFirst: number, expectOnFirst: number): Promise<LossyReceiver> {
  const waiting: { n: number; resolve: () => void }[] = [];
  const arrived = (): number => rx.kept.length + rx.lost.length;
  const rx: LossyReceiver = {
    port: 0, kept: [], lost: [], connections: 0, close: async () => {},
    received: (n) => new Promise<void>((resolve) => (arrived() >= n ? resolve() : waiting.push({ n, resolve }))),
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const first = ++rx.connections === 1;
    let buf = Buffer.alloc(0);
    let seen = 0;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const len = Number(buf.toString('ascii', 0, sp));
        if (buf.length < sp + 1 + len) break;
        const msg = buf.toString('utf8', sp + 1, sp + 1 + len);
        buf = buf.subarray(sp + 1 + len);
        seen++;
        if (first && seen > keepOnFirst) rx.lost.push(msg);
        else rx.kept.push(msg);
      }
      for (const w of waiting.filter((x) => arrived() >= x.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      if (first && seen >= expectOnFirst) socket.destroy();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.port = (server.address() as { port: number }).port;
  rx.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return rx;
}
