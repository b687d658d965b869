/**
 * Test support for the tls dissector: a stream context, the prefix-by-prefix feeding the pipeline
 * does, truncation/corruption sweeps and re-framing a handshake into smaller records.
 */
import { tls } from '../dissectors/tls.js';
import type { StreamContext, StreamVerdict } from '../dissectors/types.js';

export function ctxFor(srcIp = '10.0.0.2', dstIp = '10.0.0.1', peerData: Buffer = Buffer.alloc(0)): StreamContext {
  return { tsMs: 1_700_000_000_000, srcMac: '02:00:00:00:00:02', srcIp, srcPort: 50000, dstMac: '02:00:00:00:00:01', dstIp, dstPort: 443, peerData };
}

/**
 * Feed every prefix of `data` as the pipeline does while segments arrive: the prefix length of the
 * first finished verdict, that verdict, and the verdict on all of `data`. -1 when a prefix was
 * refused or rejected, or nothing finished.
 */
export function incremental(data: Buffer, ctx: StreamContext): { completedAt: number; first: StreamVerdict; whole: StreamVerdict } {
  const whole = tls.parse(data, ctx);
  for (let n = 1; n <= data.length; n++) {
    const prefix = data.subarray(0, n);
    const v = tls.probe(prefix) ? tls.parse(prefix, ctx) : null;
    if (v === null) return { completedAt: -1, first: null, whole };
    if (v.done) return { completedAt: n, first: v, whole };
  }
  return { completedAt: -1, first: null, whole };
}

/** Every truncation and byte corruption of `data`: a verdict or null, never an exception. */
export function checkRobust(data: Buffer, ctx: StreamContext, seed = 1): void {
  const check = (b: Buffer): StreamVerdict => (tls.probe(b) ? tls.parse(b, ctx) : null);
  for (let n = 0; n <= data.length; n++) check(data.subarray(0, n));
  const span = Math.min(data.length, 700);
  for (let i = 0; i < span; i++) {
    for (const v of [0x00, 0xff, data[i] ^ 0x80, data[i] + 1]) {
      const b = Buffer.from(data);
      b[i] = v & 0xff;
      check(b);
    }
  }
  let x = seed;
  const rnd = (): number => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  for (let k = 0; k < 300; k++) {
    const b = Buffer.from(data);
    for (let j = 0; j < 4; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    check(b.subarray(0, Math.floor(rnd() * b.length) + 1));
  }
}

/** The handshake messages of `data` re-framed into records of at most `size` bytes each. */
export function reframe(data: Buffer, size: number): Buffer {
  const body = data.subarray(5, 5 + data.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let o = 0; o < body.length; o += size) {
    const part = body.subarray(o, Math.min(o + size, body.length));
    const h = Buffer.from([22, data[1], data[2], 0, 0]);
    h.writeUInt16BE(part.length, 3);
    out.push(h, part);
  }
  return Buffer.concat([...out, data.subarray(5 + body.length)]);
}
