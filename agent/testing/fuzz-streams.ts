/**
 * Test support for the fuzzer: mutations of TCP streams, one direction of one connection at a time,
 * with every segment's headers kept valid (sequence numbers and checksums recomputed): segments dropped,
 * retransmitted (with the same or with conflicting bytes), swapped, delivered late, split into tiny or
 * overlapping pieces, spliced from another connection of the same protocol, cut short, and sequence
 * numbers moved so that the stream wraps past 2^32. What the reassembler (agent/flows/streams.ts) must
 * cope with on a real span port, and what brings a dissector to bytes it has never seen together.
 * A stream that carries planted patient data only gets what a capture does to traffic (CAPTURE_OPS).
 */
import { anatomy, payloadOf, withPayload, type Anatomy } from './fuzz-packet.js';
import type { CapturedFrame } from './frames.js';
import type { Rng } from './rng.js';

export const STREAM_OPS = ['drop', 'retransmit', 'conflict', 'swap', 'late', 'split', 'overlap', 'splice', 'wrap', 'cut'] as const;
export type StreamOp = (typeof STREAM_OPS)[number];
/**
 * What a capture does to a stream (loss, retransmission, reordering, segmentation, truncation): reassembled,
 * the stream is a prefix of what was sent, every byte where the sender put it. The only operations for a
 * stream with planted patient data (see fuzz-mutate.ts).
 */
const CAPTURE_OPS: readonly StreamOp[] = ['drop', 'retransmit', 'swap', 'late', 'split', 'overlap', 'wrap', 'cut'];

/** One frame of a round being built; `a` is its anatomy (recomputed when the frame changes). */
export interface RoundItem {
  frame: CapturedFrame;
  a: Anatomy | null;
  /** Dissector its payload is meant for, if any. */
  proto: string | null;
  /** TCP: the direction it belongs to (addresses and ports); null otherwise. */
  stream: string | null;
  /** The first data segment of its direction: where the stream dissectors decide whether it is theirs. */
  opens?: boolean;
  /** It (or, for TCP, its direction) carries planted patient data: only what a capture does to traffic. */
  planted?: boolean;
  /** With planted data: the same frame with every planted value overwritten (planted.ts scrubPlanted). */
  scrubbed?: CapturedFrame;
}

const seqOf = (it: RoundItem): number => it.frame.bytes.readUInt32BE((it.a as Anatomy).l4Off + 4);
const isData = (it: RoundItem): boolean => it.a !== null && it.a.kind === 'tcp' && it.a.payloadLen > 0;

function rebuilt(it: RoundItem, payload: Buffer, seq: number): RoundItem {
  const frame = withPayload(it.frame, it.a as Anatomy, payload, seq);
  return { ...it, frame, a: anatomy(frame) };
}

/**
 * Mutate, each with probability `p`, the TCP directions of `items` (in place). `donor(proto, stream)`
 * gives a data segment of another direction of the same protocol. Returns the operations applied.
 */
export function mutateStreams(rng: Rng, items: RoundItem[], p: number, donor: (proto: string, stream: string) => RoundItem | null): StreamOp[] {
  const streams = new Set<string>();
  for (const it of items) if (it.stream !== null && isData(it)) streams.add(it.stream);
  const applied: StreamOp[] = [];
  for (const s of streams) {
    if (!rng.chance(p)) continue;
    const planted = items.some((it) => it.stream === s && it.planted === true);
    const op = rng.pick(planted ? CAPTURE_OPS : STREAM_OPS);
    if (mutateStream(rng, items, s, op, donor)) applied.push(op);
  }
  return applied;
}

function mutateStream(rng: Rng, items: RoundItem[], s: string, op: StreamOp, donor: (proto: string, stream: string) => RoundItem | null): boolean {
  const at: number[] = [];
  items.forEach((it, i) => {
    if (it.stream === s && isData(it)) at.push(i);
  });
  if (at.length === 0) return false;
  const k = rng.int(at.length);
  const i = at[k];
  const seg = items[i];
  const payload = payloadOf(seg.frame, seg.a as Anatomy);
  const seq = seqOf(seg);
  switch (op) {
    case 'drop':
      items.splice(i, 1);
      return true;
    case 'retransmit':
      items.splice(rng.range(i + 1, items.length), 0, seg);
      return true;
    case 'conflict': {
      const other = Buffer.from(payload);
      for (let n = rng.small(16); n > 0; n--) other[rng.int(other.length)] ^= 0xff;
      items.splice(rng.chance(0.5) ? i : i + 1, 0, rebuilt(seg, other, seq));
      return true;
    }
    case 'swap': {
      if (k + 1 >= at.length) return false;
      const j = at[k + 1];
      [items[i], items[j]] = [items[j], items[i]];
      return true;
    }
    case 'late':
      items.splice(i, 1);
      items.splice(rng.range(Math.min(items.length, at[at.length - 1]), items.length), 0, seg);
      return true;
    case 'split': {
      // Tiny pieces (the reassembler gives up after a bounded number of segments), maybe out of order.
      const pieces: RoundItem[] = [];
      const n = Math.min(payload.length, rng.chance(0.3) ? rng.range(20, 64) : rng.range(2, 6));
      if (n < 2) return false;
      const step = Math.ceil(payload.length / n);
      for (let off = 0; off < payload.length; off += step) pieces.push(rebuilt(seg, payload.subarray(off, off + step), seq + off));
      if (rng.chance(0.5)) for (let m = pieces.length - 1; m > 0; m--) {
        const r = rng.int(m + 1);
        [pieces[m], pieces[r]] = [pieces[r], pieces[m]];
      }
      items.splice(i, 1, ...pieces);
      return true;
    }
    case 'overlap': {
      // Two pieces whose overlap disagrees (agrees, with planted data): which copy counts is the reassembler's choice.
      if (payload.length < 4) return false;
      const cut = rng.range(1, payload.length - 2);
      const back = rng.range(1, cut);
      const second = Buffer.from(payload.subarray(cut - back));
      if (seg.planted !== true) for (let m = 0; m < back; m++) second[m] ^= 0x5a;
      const pieces = [rebuilt(seg, payload.subarray(0, cut), seq), rebuilt(seg, second, seq + cut - back)];
      if (rng.chance(0.5)) pieces.reverse();
      items.splice(i, 1, ...pieces);
      return true;
    }
    case 'splice': {
      const d = seg.proto === null ? null : donor(seg.proto, s);
      if (d === null) return false;
      const bytes = payloadOf(d.frame, d.a as Anatomy);
      // The donor's bytes continue this stream; the rest of the stream moves up behind them.
      const replace = rng.chance(0.5);
      const shift = bytes.length - (replace ? payload.length : 0);
      for (const j of at.slice(k + 1)) items[j] = rebuilt(items[j], payloadOf(items[j].frame, items[j].a as Anatomy), seqOf(items[j]) + shift);
      const spliced = rebuilt(seg, bytes, replace ? seq : seq + payload.length);
      if (replace) items.splice(i, 1, spliced);
      else items.splice(i + 1, 0, spliced);
      return true;
    }
    case 'wrap': {
      // Sequence numbers moved so that 2^32 falls inside the stream.
      const first = seqOf(items[at[0]]);
      const delta = (2 ** 32 - rng.range(1, Math.max(1, payload.length + 64)) - first) >>> 0;
      for (const j of at) items[j] = rebuilt(items[j], payloadOf(items[j].frame, items[j].a as Anatomy), seqOf(items[j]) + delta);
      return true;
    }
    case 'cut':
      for (const j of at.slice(k).reverse()) items.splice(j, 1);
      return true;
  }
}
