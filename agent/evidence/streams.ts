/**
 * The start of each direction of each TCP connection, reassembled for the stream dissectors.
 *
 * Only directions still undecided are collected (`markDone` tells the caller which are decided), so bulk
 * traffic pays one array read per segment. A direction is offered to the dissectors whose probe
 * accepts its first bytes; it is done when one of them finishes, all of them decline, or the bounds
 * are reached. Segments are appended in sequence order: retransmitted bytes are trimmed, a few
 * out-of-order segments wait for the gap to fill.
 */
import { ipToString, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import type { InventoryOutput, Observation, StreamContext, StreamDissector, StreamEnds } from '../dissectors/types.js';

/** Bytes of one direction kept at most: enough for HTTP headers, a ClientHello, certificates, NTLMSSP. */
export const MAX_STREAM_BYTES = 16 * 1024;
/** Data segments looked at per direction before giving up. */
export const MAX_STREAM_SEGMENTS = 32;
/** Out-of-order segments held per direction while waiting for a gap to fill. */
const MAX_PENDING = 8;
/** Directions collected at once: a flood of half-open requests must not hold unbounded memory. */
export const MAX_OPEN_DIRECTIONS = 8192;

interface Direction extends StreamEnds {
  data: Buffer;
  len: number;
  nextSeq: number;
  segments: number;
  pending: { seq: number; bytes: Buffer }[];
  /** Bit i set: dissector i declined this direction. */
  declined: number;
  /** Capture time of the newest in-order bytes. */
  lastTsMs: number;
}

const EMPTY = Buffer.alloc(0);
/** verdicts(): some dissector waits for more bytes; every dissector declined. */
const WAITING = -1;
const ALL_DECLINED = -2;
/** First buffer of a direction; most hellos and request heads fit. Reused across directions. */
const FIRST_BUFFER = 2048;
const POOL_SIZE = 256;

export class StreamCollector {
  private readonly open = new Map<number, Direction>();
  private readonly pool: Buffer[] = [];
  /** Directions collected; given up at the bounds; declined by every dissector after a probe; not
   * collected because MAX_OPEN_DIRECTIONS were open. */
  readonly stats = { directions: 0, undecided: 0, declined: 0, overflow: 0 };
  /** Per dissector (same order): directions whose bytes its probe accepted and its parser rejected. */
  readonly rejectedBy: number[];

  constructor(
    /** Records that TCP direction `slot` (2 * flow + dir) needs no more segments. */
    private readonly markDone: (slot: number) => void,
    private readonly dissectors: readonly StreamDissector[],
    private readonly emit: (o: Observation) => void,
    /** Receives the typed outputs of a finished direction (a conversation mark...). */
    private readonly emitOutput: (o: InventoryOutput) => void = () => undefined,
  ) {
    this.rejectedBy = dissectors.map(() => 0);
  }

  /** A TCP segment with payload on flow `f`, direction `dir`, whose stream is not done yet. */
  segment(v: PacketView, f: number, dir: number): void {
    const slot = 2 * f + dir;
    const seq = v.buf.readUInt32BE(v.l4Off + 4);
    let d = this.open.get(slot);
    if (d === undefined) {
      // Only start on bytes some dissector could want: most connections are decided on packet one.
      const first = v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen);
      let declined = 0;
      for (let i = 0; i < this.dissectors.length; i++) if (!this.dissectors[i].probe(first)) declined |= 1 << i;
      if (declined === (1 << this.dissectors.length) - 1) {
        this.markDone(slot);
        return;
      }
      if (this.open.size >= MAX_OPEN_DIRECTIONS) {
        this.stats.overflow++;
        this.markDone(slot);
        return;
      }
      // Most requests and hellos fit in their first segment: it is offered in place, and the direction
      // is only collected (its bytes copied) when some dissector waits for more.
      const ends: StreamEnds = {
        srcMac: v.srcMacOff >= 0 ? macToString(macAt(v.buf, v.srcMacOff)) : null,
        srcIp: ipToString(v.buf, v.srcIpOff, v.ipVersion), srcPort: v.srcPort,
        dstMac: v.dstMacOff >= 0 ? macToString(macAt(v.buf, v.dstMacOff)) : null,
        dstIp: ipToString(v.buf, v.dstIpOff, v.ipVersion), dstPort: v.dstPort,
      };
      const tsMs = Math.floor(v.tsMicros / 1000);
      this.stats.directions++;
      this.declined = declined;
      // A segment larger than the bound (offloaded captures) is cut to it, and is all there will be.
      const head = first.length > MAX_STREAM_BYTES ? first.subarray(0, MAX_STREAM_BYTES) : first;
      const final = head.length >= MAX_STREAM_BYTES;
      const outcome = this.verdicts(head, ends, slot, tsMs, final);
      if (outcome !== WAITING || final) {
        if (outcome === ALL_DECLINED) this.stats.declined++;
        else if (outcome === WAITING) this.stats.undecided++;
        this.markDone(slot);
        return;
      }
      d = {
        data: v.payloadLen <= FIRST_BUFFER ? (this.pool.pop() ?? Buffer.allocUnsafe(FIRST_BUFFER)) : Buffer.allocUnsafe(Math.min(MAX_STREAM_BYTES, v.payloadLen * 2)),
        len: 0, nextSeq: seq, segments: 1, pending: [], declined: this.declined, lastTsMs: tsMs, ...ends,
      };
      this.open.set(slot, d);
      this.append(d, seq, first); // offered already
      return;
    }
    d.segments++;
    const tsMs = Math.floor(v.tsMicros / 1000);
    if (!this.append(d, seq, v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen))) {
      if (d.segments >= MAX_STREAM_SEGMENTS) this.offer(slot, d, tsMs, true);
      return; // nothing new in order: wait for the gap
    }
    d.lastTsMs = tsMs;
    this.offer(slot, d, tsMs, d.len >= MAX_STREAM_BYTES || d.segments >= MAX_STREAM_SEGMENTS);
  }

  /** Append in sequence order; returns whether new in-order bytes arrived. */
  private append(d: Direction, seq: number, bytes: Buffer): boolean {
    const rel = (seq - d.nextSeq) | 0;
    if (rel > 0) {
      if (d.pending.length < MAX_PENDING && rel < MAX_STREAM_BYTES) d.pending.push({ seq, bytes: Buffer.from(bytes) });
      return false;
    }
    let chunk = rel < 0 ? bytes.subarray(-rel) : bytes;
    let grew = false;
    while (chunk.length > 0 && d.len < MAX_STREAM_BYTES) {
      const take = Math.min(chunk.length, MAX_STREAM_BYTES - d.len);
      if (d.len + take > d.data.length) {
        const bigger = Buffer.allocUnsafe(Math.min(MAX_STREAM_BYTES, Math.max(d.data.length * 2, d.len + take)));
        d.data.copy(bigger, 0, 0, d.len);
        d.data = bigger;
      }
      chunk.copy(d.data, d.len, 0, take);
      d.len += take;
      d.nextSeq = (d.nextSeq + chunk.length) >>> 0;
      grew = true;
      const next = d.pending.findIndex((p) => ((p.seq - d.nextSeq) | 0) <= 0 && ((p.seq + p.bytes.length - d.nextSeq) | 0) > 0);
      if (next < 0) break;
      const p = d.pending.splice(next, 1)[0];
      chunk = p.bytes.subarray((d.nextSeq - p.seq) | 0);
    }
    return grew;
  }

  /** Offer the bytes so far to every dissector still interested; `final`: no more will come. */
  private offer(slot: number, d: Direction, tsMs: number, final: boolean): void {
    this.declined = d.declined;
    const outcome = this.verdicts(d.data.subarray(0, d.len), d, slot, tsMs, final);
    d.declined = this.declined;
    if (outcome >= 0) this.finish(slot, false);
    else if (outcome === ALL_DECLINED) {
      this.stats.declined++;
      this.finish(slot, false);
    } else if (final) {
      this.finish(slot, true);
    }
  }

  /** Dissectors that declined the direction being offered (bit i: dissector i), read and updated by verdicts(). */
  private declined = 0;

  /**
   * Offer `data` to each dissector not in `this.declined`: the index of the one that finished (its
   * observations emitted), WAITING when some wait for more bytes, ALL_DECLINED when none is left.
   */
  private verdicts(data: Buffer, ends: StreamEnds, slot: number, tsMs: number, final: boolean): number {
    const peer = this.open.get(slot ^ 1);
    const ctx: StreamContext = {
      tsMs, srcMac: ends.srcMac, srcIp: ends.srcIp, srcPort: ends.srcPort, dstMac: ends.dstMac, dstIp: ends.dstIp,
      dstPort: ends.dstPort, peerData: peer ? peer.data.subarray(0, peer.len) : EMPTY,
    };
    let waiting = false;
    for (let i = 0; i < this.dissectors.length; i++) {
      if ((this.declined & (1 << i)) !== 0) continue;
      let verdict;
      try {
        verdict = this.dissectors[i].parse(data, ctx, final);
      } catch {
        verdict = null; // a dissector bug must not stop the capture
      }
      if (verdict === null) {
        // Its probe accepted these bytes, its parser did not: not its protocol after all, or malformed.
        this.declined |= 1 << i;
        this.rejectedBy[i]++;
        continue;
      }
      if (!verdict.done) {
        waiting = true;
        continue;
      }
      for (const o of verdict.observations) this.emit(o);
      if (verdict.outputs !== undefined) for (const o of verdict.outputs) this.emitOutput(o);
      return i;
    }
    return waiting ? WAITING : ALL_DECLINED;
  }

  private finish(slot: number, undecided: boolean): void {
    if (undecided) this.stats.undecided++;
    this.markDone(slot);
    this.recycle(slot);
  }

  /** Forget a direction, keeping its first-size buffer for the next one (observations never hold it). */
  private recycle(slot: number): void {
    const d = this.open.get(slot);
    if (d === undefined) return;
    this.open.delete(slot);
    if (d.data.length === FIRST_BUFFER && this.pool.length < POOL_SIZE) this.pool.push(d.data);
  }

  /** The flow left the table: dissectors still waiting get a last call, then its directions are dropped. */
  release(f: number): void {
    if (this.open.size === 0) return;
    for (const slot of [2 * f, 2 * f + 1]) {
      const d = this.open.get(slot);
      if (d !== undefined && d.len > 0) this.offer(slot, d, d.lastTsMs, true);
      this.recycle(slot);
    }
  }
}
