/**
 * Test support for the UDP packet dissectors: run one dissector over a capture the way the registry
 * routes packets (UDP, destination then source port, first fragments only), fuzz it with truncated
 * and corrupted copies of real packets, and read tshark's oracle (`identities.tsv`) of the corpus.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IpProto, PacketView } from '../decode/packet-view.js';
import { loadFrames, type CapturedFrame } from './frames.js';
import { isInventoryOutput, type InventoryOutput, type Observation, type PacketDissector, type PacketOutput, type Source } from '../dissectors/types.js';

/** The public corpus beside the checkout (`../shared/corpus`); absent in some CI setups. */
export const corpusDir = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
export const fixturesDir = join(import.meta.dirname, '..', '..', 'test-fixtures');
export const corpusPresent = existsSync(join(corpusDir, 'identities.tsv'));

export interface Routed<S extends Source = Source> {
  /** 1-based frame number in the capture (as tshark numbers them). */
  frame: number;
  captured: CapturedFrame;
  /** The observations the dissector made of the packet; null: not its protocol, or malformed. */
  out: Observation<S>[] | null;
  /** Its typed outputs (address bindings...). */
  outputs: InventoryOutput[];
}

/** A packet dissector's result split into its observations and its typed outputs. */
export function split<S extends Source>(result: PacketOutput<S>[] | null): { out: Observation<S>[] | null; outputs: InventoryOutput[] } {
  if (result === null) return { out: null, outputs: [] };
  const outputs: InventoryOutput[] = [];
  const out: Observation<S>[] = [];
  for (const o of result) {
    if (isInventoryOutput(o)) outputs.push(o);
    else out.push(o);
  }
  return { out, outputs };
}

const view = new PacketView();

function routedTo(d: PacketDissector, v: PacketView): boolean {
  if (v.l4Proto !== IpProto.UDP || v.payloadLen === 0 || v.isLaterFragment) return false;
  const ports = d.udpPorts ?? [];
  return ports.includes(v.dstPort) || ports.includes(v.srcPort);
}

/** Every packet of `path` the registry would hand to `d`, with what `d` made of it. */
export async function runCapture<S extends Source>(path: string, d: PacketDissector<S>): Promise<Routed<S>[]> {
  const out: Routed<S>[] = [];
  (await loadFrames(path)).forEach((f, i) => {
    view.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
    if (routedTo(d, view)) out.push({ frame: i + 1, captured: f, ...split(d.parse(view)) });
  });
  return out;
}

/** Observations in the shape the contract promises: device key, time, source, scalar/array fields. */
export function shapeErrors(d: PacketDissector, obs: Observation[]): string[] {
  const errors: string[] = [];
  for (const o of obs) {
    if (!o.device.mac && !o.device.ip) errors.push('device without key');
    if (!Number.isFinite(o.tsMs)) errors.push('tsMs');
    if (o.source !== d.name) errors.push(`source ${o.source}`);
    for (const [k, val] of Object.entries(o.fields)) {
      const items = Array.isArray(val) ? val : [val];
      if (!/^[a-z][a-z0-9_]*$/.test(k)) errors.push(`field name ${k}`);
      if (items.some((x) => !['string', 'number', 'boolean'].includes(typeof x))) errors.push(`field ${k}`);
    }
  }
  return errors;
}

/**
 * Parse every truncation of each frame's UDP payload, and copies with single bytes set to 0x00, 0xff,
 * 0xc0 (a DNS compression pointer) and 0x20 at each payload position: 5 x payload length - 1 parses
 * per frame. Returns the number of parses;
 * throws when the dissector throws or returns something that is neither null nor an array.
 */
export function fuzz(d: PacketDissector, frames: CapturedFrame[]): number {
  let parses = 0;
  const check = (bytes: Buffer, f: CapturedFrame): void => {
    view.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, f.linkType);
    if (!routedTo(d, view)) throw new Error('a payload change must not change routing');
    const r = d.parse(view);
    parses++;
    if (r !== null && !Array.isArray(r)) throw new Error(`${d.name} returned ${typeof r}`);
  };
  for (const f of frames) {
    view.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
    if (!routedTo(d, view)) continue;
    const start = view.payloadOff;
    const end = start + view.payloadLen;
    for (let cut = start + 1; cut < end; cut++) check(f.bytes.subarray(0, cut), f);
    for (let i = start; i < end; i++) {
      for (const value of [0x00, 0xff, 0xc0, 0x20]) {
        const copy = Buffer.from(f.bytes);
        copy[i] = value;
        check(copy, f);
      }
    }
  }
  return parses;
}

/** A copy of a real UDP frame carrying `payload` instead of its own (IP and UDP lengths fixed). */
export function withPayload(f: CapturedFrame, payload: Buffer): CapturedFrame {
  view.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
  const bytes = Buffer.concat([f.bytes.subarray(0, view.payloadOff), payload]);
  const udpLen = 8 + payload.length;
  bytes.writeUInt16BE(udpLen, view.l4Off + 4);
  if (view.ipVersion === 4) bytes.writeUInt16BE(view.l4Off - view.l3Off + udpLen, view.l3Off + 2);
  else bytes.writeUInt16BE(view.l4Off - view.l3Off - 40 + udpLen, view.l3Off + 4);
  return { ...f, bytes, wireLen: bytes.length };
}

/** Parse one captured frame with `d` (null when the registry would not route it there). */
export function parseFrame<S extends Source>(d: PacketDissector<S>, f: CapturedFrame): Observation<S>[] | null {
  view.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
  return routedTo(d, view) ? split(d.parse(view)).out : null;
}

/** tshark's values of `field` in identities.tsv: file → value → frames carrying it. */
export function identities(field: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(corpusDir, 'identities.tsv'), 'utf8').split('\n').slice(1)) {
    const [file, f, value, count] = line.split('\t');
    if (f !== field) continue;
    if (!out.has(file)) out.set(file, new Map());
    out.get(file)!.set(value, Number(count));
  }
  return out;
}

/** Every capture of the corpus (bench/ excluded: the same packets merged), relative paths. */
export function corpusCaptures(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) return n === 'bench' ? [] : walk(p);
      return /\.pcap(ng)?$/.test(n) ? [p.slice(corpusDir.length + 1)] : [];
    });
  return walk(corpusDir).sort();
}

/**
 * Agreement of our values with tshark's for one field: `ours(file)` gives the set of values we
 * extract from a capture. Returns the tshark values we match, and those we miss, as `file: value`.
 */
export async function agreement(
  field: string,
  ours: (file: string) => Promise<Set<string>>,
  normalise: (tsharkValue: string) => string = (s) => s,
): Promise<{ matched: string[]; missed: string[]; total: number }> {
  const matched: string[] = [];
  const missed: string[] = [];
  for (const [file, values] of identities(field)) {
    const got = await ours(file);
    for (const v of new Set([...values.keys()].map(normalise))) (got.has(v) ? matched : missed).push(`${file}: ${v}`);
  }
  return { matched, missed, total: matched.length + missed.length };
}
