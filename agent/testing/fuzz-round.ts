/**
 * Test support for the fuzzer: the corpus (every frame of every fixture capture, with where its layers
 * are and which dissector its payload is for) and one round of mutated traffic built from it. A round is
 * every fixture once, in a random order, with TCP streams mutated (fuzz-streams.ts), payloads mutated
 * (fuzz-mutate.ts) and a few frames' framing broken (fuzz-framing.ts), shifted in time past the flow
 * idle timeout so that each round's connections are new to the pipeline. Frames and TCP directions that
 * carry planted patient data are marked (they only get what a capture does to traffic, see
 * fuzz-mutate.ts) and have a scrubbed copy, every planted value overwritten, that any mutation may change.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ipToString } from '../decode/format.js';
import { PACKET_DISSECTORS, STREAM_DISSECTORS } from '../dissectors/index.js';
import { mutateFraming } from './fuzz-framing.js';
import { mutatePayload } from './fuzz-mutate.js';
import { anatomy, payloadOf, withPayload, type Anatomy } from './fuzz-packet.js';
import { mutateStreams, type RoundItem } from './fuzz-streams.js';
import { loadFrames, type CapturedFrame } from './frames.js';
import { plantedIn, scrubPlanted } from './planted.js';
import type { Rng } from './rng.js';

export interface Fixture {
  /** Path relative to the fixture directory. */
  name: string;
  items: RoundItem[];
}

export interface Corpus {
  fixtures: Fixture[];
  /** Payloads by dissector, for splices. */
  payloads: Map<string, Buffer[]>;
  /** TCP data segments by dissector, for splices between connections. */
  segments: Map<string, RoundItem[]>;
  /** Capture time from the earliest to the latest frame of the corpus. */
  spanMicros: number;
  frames: number;
}

const UDP_PROTOCOLS = new Map<number, string>();
const ETHERTYPE_PROTOCOLS = new Map<number, string>();
/** By SNAP OUI and protocol id (`oui * 0x10000 + pid`), as the registry finds them. */
const SNAP_PROTOCOLS = new Map<number, string>();
for (const d of PACKET_DISSECTORS) {
  for (const p of d.udpPorts ?? []) UDP_PROTOCOLS.set(p, d.name);
  for (const t of d.etherTypes ?? []) ETHERTYPE_PROTOCOLS.set(t, d.name);
  for (const [oui, pid] of d.snap ?? []) SNAP_PROTOCOLS.set(oui * 0x10000 + pid, d.name);
}

/** The packet dissector of a non-IP frame: by EtherType, or by the SNAP header of an 802.3 frame. */
function layer2Protocol(b: Buffer, a: Anatomy): string | null {
  if (a.etherType > 1500) return ETHERTYPE_PROTOCOLS.get(a.etherType) ?? null;
  const o = a.l3Off;
  if (b.length < o + 8 || b[o] !== 0xaa || b[o + 1] !== 0xaa || b[o + 2] !== 0x03) return null;
  return SNAP_PROTOCOLS.get(b.readUIntBE(o + 3, 3) * 0x10000 + b.readUInt16BE(o + 6)) ?? null;
}

/** Capture files under `dir` (any depth): pcap and pcapng, plain or gzip. */
export function fixtureCaptures(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Every frame of every readable capture (captures with the same frames as an earlier one are skipped). */
export async function loadCorpus(dir: string, paths = fixtureCaptures(dir)): Promise<Corpus> {
  const seen = new Set<string>();
  const fixtures: Fixture[] = [];
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const path of paths) {
    let frames: CapturedFrame[];
    try {
      frames = await loadFrames(path);
    } catch {
      continue; // not a capture, or empty: the format fixtures include such files on purpose
    }
    const hash = createHash('sha1');
    for (const f of frames) hash.update(f.bytes);
    const digest = hash.digest('hex');
    if (frames.length === 0 || seen.has(digest)) continue;
    seen.add(digest);
    for (const f of frames) {
      minTs = Math.min(minTs, f.tsMicros);
      maxTs = Math.max(maxTs, f.tsMicros);
    }
    fixtures.push({ name: relative(dir, path), items: classify(frames) });
  }
  const payloads = new Map<string, Buffer[]>();
  const segments = new Map<string, RoundItem[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => (m.get(k) ?? m.set(k, []).get(k) as T[]).push(v);
  // Donors for splices carry no planted data (scrubbed copies do): spliced elsewhere, it would no longer
  // be in a patient field.
  for (const it of fixtures.flatMap((f) => f.items.map((x) => (x.scrubbed ? scrubbedItem(x) : x)))) {
    if (it.proto === null || it.a === null || it.a.payloadLen === 0) continue;
    push(payloads, it.proto, payloadOf(it.frame, it.a));
    if (it.stream !== null) push(segments, it.proto, it);
  }
  return { fixtures, payloads, segments, spanMicros: Math.max(0, maxTs - minTs), frames: fixtures.reduce((n, f) => n + f.items.length, 0) };
}

/** The scrubbed copy of an item with planted data: same anatomy (same lengths), free to mutate. */
function scrubbedItem(it: RoundItem): RoundItem {
  return { ...it, frame: it.scrubbed as CapturedFrame, planted: false, scrubbed: undefined };
}

/** Each frame's anatomy, its dissector (UDP port, EtherType, SNAP; stream probes on a direction's first bytes). */
function classify(frames: CapturedFrame[]): RoundItem[] {
  const streamProto = new Map<string, string | null>();
  const items: RoundItem[] = frames.map((frame) => {
    const a = anatomy(frame);
    let proto: string | null = null;
    let stream: string | null = null;
    let opens = false;
    if (a?.kind === 'udp') proto = UDP_PROTOCOLS.get(a.dstPort) ?? UDP_PROTOCOLS.get(a.srcPort) ?? null;
    else if (a?.kind === 'l2') proto = layer2Protocol(frame.bytes, a);
    else if (a?.kind === 'tcp') {
      const b = frame.bytes;
      const v = a.ipVersion;
      const ipOff = a.l3Off + (v === 4 ? 12 : 8);
      stream = `${ipToString(b, ipOff, v)}|${a.srcPort}|${ipToString(b, ipOff + (v === 4 ? 4 : 16), v)}|${a.dstPort}`;
      if (a.payloadLen > 0 && !streamProto.has(stream)) {
        const first = payloadOf(frame, a);
        streamProto.set(stream, STREAM_DISSECTORS.find((d) => d.probe(first))?.name ?? null);
        opens = true;
      }
      proto = streamProto.get(stream) ?? null;
    }
    const planted = a !== null && a.kind !== 'tcp' && plantedIn(payloadOf(frame, a)).length > 0;
    return { frame, a, proto, stream, opens, planted, scrubbed: planted ? withPayload(frame, a as Anatomy, scrubPlanted(payloadOf(frame, a as Anatomy))) : undefined };
  });
  // A TCP direction carries planted data when its bytes together do (a name may straddle two segments):
  // its scrubbed copy is scrubbed as a whole, then cut back into the same segments.
  const byStream = new Map<string, RoundItem[]>();
  for (const it of items) if (it.stream !== null && it.a !== null) (byStream.get(it.stream) ?? byStream.set(it.stream, []).get(it.stream) as RoundItem[]).push(it);
  for (const segs of byStream.values()) {
    const whole = Buffer.concat(segs.map((it) => payloadOf(it.frame, it.a as Anatomy)));
    if (plantedIn(whole).length === 0) continue;
    const clean = scrubPlanted(whole);
    let at = 0;
    for (const it of segs) {
      const a = it.a as Anatomy;
      it.planted = true;
      it.scrubbed = withPayload(it.frame, a, clean.subarray(at, at + a.payloadLen));
      at += a.payloadLen;
    }
  }
  return items;
}

export interface RoundOptions {
  /** Probability that a payload is mutated (and, twice that, that a TCP direction is). */
  mutationRate: number;
  /** Share of mutations that break the framing instead. */
  framingShare: number;
}

/** What a round did, for the report: mutations by kind and by dissector. */
export interface RoundTally {
  mutated: number;
  byOp: Record<string, number>;
  byProto: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

/** The frames of round number `round`: every fixture once, mutated. */
export function buildRound(rng: Rng, corpus: Corpus, round: number, o: RoundOptions, tally: RoundTally): CapturedFrame[] {
  const order = corpus.fixtures.map((_, i) => i);
  for (let m = order.length - 1; m > 0; m--) {
    const r = rng.int(m + 1);
    [order[m], order[r]] = [order[r], order[m]];
  }
  const offset = round * (corpus.spanMicros + 3_600_000_000);
  const donor = (proto: string, stream: string): RoundItem | null => {
    const list = corpus.segments.get(proto)?.filter((s) => s.stream !== stream) ?? [];
    return list.length === 0 ? null : rng.pick(list);
  };
  const out: CapturedFrame[] = [];
  for (const i of order) {
    // Half the time, traffic with planted data is replaced by its scrubbed copy, which every mutation may
    // change; the other half keeps the patient data, and only what a capture does to traffic.
    const scrub = new Map<string, boolean>();
    const items = corpus.fixtures[i].items.map((it) => {
      if (it.scrubbed === undefined) return it;
      const key = it.stream ?? '';
      if (it.stream === null || !scrub.has(key)) scrub.set(key, rng.chance(0.5));
      return scrub.get(key) ? scrubbedItem(it) : it;
    });
    for (const op of mutateStreams(rng, items, Math.min(0.9, 2 * o.mutationRate), donor)) {
      tally.mutated++;
      bump(tally.byOp, `stream:${op}`);
    }
    for (const it of items) {
      let frame = it.frame;
      // The first bytes of a stream decide which dissector reads it: they are mutated more often.
      if (it.a !== null && rng.chance(it.opens === true ? Math.min(1, 3 * o.mutationRate) : o.mutationRate)) {
        frame = mutateOne(rng, corpus, it, it.a, o, tally) ?? frame;
      }
      out.push(offset === 0 ? frame : { ...frame, tsMicros: frame.tsMicros + offset });
    }
  }
  return out;
}

function mutateOne(rng: Rng, corpus: Corpus, it: RoundItem, a: Anatomy, o: RoundOptions, tally: RoundTally): CapturedFrame | null {
  const target = it.proto !== null && a.payloadLen > 0;
  if (!target || rng.chance(o.framingShare)) {
    // Frames no dissector reads are left alone but for their share of framing mutations.
    if (!target && !rng.chance(o.framingShare)) return null;
    const m = mutateFraming(rng, it.frame, a, it.planted === true);
    if (m === null) return null;
    tally.mutated++;
    bump(tally.byOp, `framing:${m.op}`);
    return m.frame;
  }
  const proto = it.proto as string;
  const pool = corpus.payloads.get(proto) ?? [];
  let payload = payloadOf(it.frame, a);
  for (let n = rng.small(3); n > 0; n--) {
    const m = mutatePayload(rng, proto, payload, () => (pool.length > 0 ? rng.pick(pool) : null), it.planted === true);
    payload = m.bytes;
    bump(tally.byOp, `payload:${m.op}`);
  }
  tally.mutated++;
  bump(tally.byProto, proto);
  return withPayload(it.frame, a, payload);
}
