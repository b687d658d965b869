import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecodeStatus, IpProto, PacketView } from '../decode/packet-view.js';
import type { DeviceKey, StreamContext, StreamDissector } from '../dissectors/types.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { FlowTable } from '../flows/flow-table.js';
import { MAX_OPEN_DIRECTIONS, MAX_STREAM_SEGMENTS, StreamCollector } from './streams.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
let request: CapturedFrame;

beforeAll(async () => {
  // curl's GET to the python http.server on :8080, recorded in lan-http.pcap.
  const frames = await loadFrames(join(fixtures, 'lan-http.pcap'));
  const v = new PacketView();
  request = frames.find((f) => {
    v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
    return v.l4Proto === IpProto.TCP && v.payloadLen > 0 && v.buf.toString('latin1', v.payloadOff, v.payloadOff + 4) === 'GET ';
  })!;
});

/** An observation of the test's own source, which no real dissector has: the header block it read. */
interface HeadersObservation {
  device: DeviceKey;
  tsMs: number;
  source: 'headers';
  fields: { block: string };
}

/** Records the whole header block once it is complete (a miniature HTTP dissector, of a test source). */
const headers = {
  kind: 'stream',
  name: 'headers',
  probe: (data: Buffer) => data.toString('latin1', 0, Math.min(4, data.length)) === 'GET '.slice(0, Math.min(4, data.length)),
  parse(data: Buffer, ctx: StreamContext) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) return { done: false };
    const o: HeadersObservation = { device: { ip: ctx.srcIp }, tsMs: ctx.tsMs, source: 'headers', fields: { block: data.toString('latin1', 0, end) } };
    return { done: true, observations: [o] };
  },
} as unknown as StreamDissector;

function setup(dissectors: StreamDissector[] = [headers]) {
  const out: HeadersObservation[] = [];
  const flows = new FlowTable({ maxFlows: 64, idleTimeoutMs: 60_000 }, { flowUpdated: () => undefined });
  const done = new Uint8Array(flows.maxFlows * 2);
  const streams = new StreamCollector((slot) => { done[slot] = 1; }, dissectors, (o) => out.push(o as unknown as HeadersObservation));
  const v = new PacketView();
  expect(v.decode(request.bytes, 0, request.bytes.length, request.wireLen, request.tsMicros, request.linkType)).toBe(DecodeStatus.OK);
  const base = { off: v.payloadOff, len: v.payloadLen, seq: v.buf.readUInt32BE(v.l4Off + 4) };
  /** Offer bytes [from, to) of the real payload as one segment. */
  const send = (from: number, to: number) => {
    const b = Buffer.from(request.bytes);
    v.decode(b, 0, b.length, request.wireLen, request.tsMicros, request.linkType);
    b.writeUInt32BE((base.seq + from) >>> 0, v.l4Off + 4);
    v.payloadOff = base.off + from;
    v.payloadLen = to - from;
    const f = flows.update(v);
    if (done[2 * f + flows.dir] === 0) streams.segment(v, f, flows.dir);
  };
  const text = request.bytes.toString('latin1', base.off, base.off + base.len);
  return { out, streams, send, len: base.len, block: text.slice(0, text.indexOf('\r\n\r\n')) };
}

describe('StreamCollector', () => {
  it('reassembles headers split at every possible point', () => {
    const probeLen = setup().len;
    for (let cut = 1; cut < probeLen; cut++) {
      const s = setup();
      s.send(0, cut);
      s.send(cut, s.len);
      expect(s.out.map((o) => o.fields.block), `cut at ${cut}`).toEqual([s.block]);
    }
  });

  it('waits for a gap to fill when segments arrive out of order', () => {
    // Reassembly starts at the first data segment seen; later segments may come in any order.
    const s = setup();
    s.send(0, 10);
    s.send(40, s.len);
    expect(s.out).toEqual([]);
    s.send(10, 40);
    expect(s.out.map((o) => o.fields.block)).toEqual([s.block]);
  });

  it('trims retransmitted and overlapping bytes', () => {
    const s = setup();
    s.send(0, 30);
    s.send(0, 30);
    s.send(20, 50);
    s.send(50, s.len);
    expect(s.out.map((o) => o.fields.block)).toEqual([s.block]);
  });

  it('stops looking at a direction no dissector wants', () => {
    const never: StreamDissector = { ...headers, name: 'never' as StreamDissector['name'], probe: () => false };
    const s = setup([never]);
    s.send(0, s.len);
    expect(s.streams.stats.directions).toBe(0);
  });

  it('gives up after its bounds when a dissector keeps waiting', () => {
    const patient: StreamDissector = { ...headers, name: 'patient' as StreamDissector['name'], parse: () => ({ done: false }) };
    const s = setup([patient]);
    for (let i = 0; i < MAX_STREAM_SEGMENTS + 5; i++) s.send(0, 1 + (i % 5));
    expect(s.streams.stats.undecided).toBe(1);
  });

  it('bounds the directions it collects at once', () => {
    const patient: StreamDissector = { ...headers, name: 'patient' as StreamDissector['name'], parse: () => ({ done: false }) };
    const flows = new FlowTable({ maxFlows: MAX_OPEN_DIRECTIONS * 2, idleTimeoutMs: 60_000 }, { flowUpdated: () => undefined });
    const streams = new StreamCollector(() => undefined, [patient], () => undefined);
    const v = new PacketView();
    const b = Buffer.from(request.bytes);
    for (let port = 0; port < MAX_OPEN_DIRECTIONS + 10; port++) {
      v.decode(b, 0, b.length, request.wireLen, request.tsMicros, request.linkType);
      b.writeUInt16BE(1024 + (port % 60000), v.l4Off); // a new source port: a new connection
      b.writeUInt16BE(port < 60000 ? 8080 : 8081, v.l4Off + 2);
      v.decode(b, 0, b.length, request.wireLen, request.tsMicros, request.linkType);
      const f = flows.update(v);
      streams.segment(v, f, flows.dir);
    }
    expect(streams.stats.directions).toBe(MAX_OPEN_DIRECTIONS);
    expect(streams.stats.overflow).toBe(10);
  });

  it('survives a dissector that throws', () => {
    const broken: StreamDissector = { ...headers, name: 'broken' as StreamDissector['name'], parse: () => { throw new Error('bug'); } };
    const s = setup([broken, headers]);
    s.send(0, s.len);
    expect(s.out.map((o) => o.fields.block)).toEqual([s.block]);
  });
});
