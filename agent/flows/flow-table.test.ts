import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ipWordsToString } from '../decode/format.js';
import { DecodeStatus, EtherType, IpProto, PacketView } from '../decode/packet-view.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { FlowTable, type FlowListener } from './flow-table.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
let frames: CapturedFrame[];

beforeAll(async () => {
  frames = await loadFrames(join(fixtures, 'lan-dhcp.pcap'));
});

class Recorder implements FlowListener {
  ended: { a: string; b: string; packets: [number, number]; proto: number }[] = [];
  updates = 0;
  flowUpdated(t: FlowTable, f: number, ended: boolean): void {
    this.updates++;
    if (ended) {
      this.ended.push({
        a: ipWordsToString(t.keys, t.addrAt(f, 0)),
        b: ipWordsToString(t.keys, t.addrAt(f, 1)),
        packets: [t.packets[2 * f], t.packets[2 * f + 1]],
        proto: t.proto(f),
      });
    }
  }
}

function feed(table: FlowTable, list: CapturedFrame[], v = new PacketView()): void {
  for (const f of list) {
    if (v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType) === DecodeStatus.OK && v.ipVersion) table.update(v);
  }
}

const isPing = (f: CapturedFrame) => f.bytes.readUInt16BE(12) === EtherType.IPV4 && f.bytes[23] === IpProto.ICMP;

describe('FlowTable', () => {
  it('merges both directions of a conversation into one flow with per-direction counters', () => {
    const rec = new Recorder();
    const table = new FlowTable({ maxFlows: 1024, idleTimeoutMs: 120_000 }, rec);
    const pings = frames.filter(isPing).filter((f) => f.bytes.subarray(26, 34).toString('hex') === '0a1400650a140064' || f.bytes.subarray(26, 34).toString('hex') === '0a1400640a140065');
    expect(pings.length).toBeGreaterThan(2);
    feed(table, pings);
    expect(table.size).toBe(1);
    table.drain();
    expect(rec.ended).toHaveLength(1);
    const [flow] = rec.ended;
    expect([flow.a, flow.b]).toEqual(['10.20.0.100', '10.20.0.101']);
    expect(flow.packets[0] + flow.packets[1]).toBe(pings.length);
    expect(flow.packets[0]).toBeGreaterThan(0);
    expect(flow.packets[1]).toBeGreaterThan(0);
  });

  it('evicts the least recently used flow when full, reporting it', () => {
    const rec = new Recorder();
    const table = new FlowTable({ maxFlows: 16, idleTimeoutMs: 120_000 }, rec);
    const base = frames[0]; // DHCP DISCOVER, UDP 68 → 67
    const many: CapturedFrame[] = [];
    for (let port = 1000; port < 1100; port++) {
      const b = Buffer.from(base.bytes);
      b.writeUInt16BE(port, 14 + 20); // a distinct source port: a distinct flow
      many.push({ ...base, bytes: b });
    }
    feed(table, many);
    expect(table.size).toBe(16);
    expect(table.evictedForSpace).toBe(84);
    expect(rec.ended).toHaveLength(84);
    table.drain();
    expect(rec.ended).toHaveLength(100);
    expect(table.size).toBe(0);
    // Every flow was reported exactly once, with its one packet.
    expect(rec.ended.every((e) => e.packets[0] + e.packets[1] === 1)).toBe(true);
  });

  it('ends flows idle longer than the timeout (capture time)', () => {
    const rec = new Recorder();
    const table = new FlowTable({ maxFlows: 1024, idleTimeoutMs: 1_000 }, rec);
    const first = frames[0];
    const ping = frames.find(isPing)!;
    feed(table, [first]);
    expect(table.size).toBe(1);
    feed(table, [{ ...ping, tsMicros: first.tsMicros + 10_000_000 }]);
    expect(table.size).toBe(1);
    expect(rec.ended.length).toBeGreaterThanOrEqual(1);
    expect(rec.ended[0].a).toBe('0.0.0.0');
  });

  it('checkpoint reports only flows updated since the previous checkpoint', () => {
    const rec = new Recorder();
    const table = new FlowTable({ maxFlows: 1024, idleTimeoutMs: 120_000 }, rec);
    feed(table, frames.filter(isPing));
    table.checkpoint();
    const first = rec.updates;
    expect(first).toBe(table.size);
    table.checkpoint();
    expect(rec.updates).toBe(first);
  });
});
