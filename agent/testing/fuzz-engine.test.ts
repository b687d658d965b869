/**
 * The fuzzer's mutation engine on the fixtures' real frames: rebuilt frames stay valid (the decoder
 * reaches the new payload, lengths and checksums verify), captures it writes read back frame for frame,
 * rounds are reproducible from their seed, the structure walkers find the length fields the dissectors
 * read, stream mutations keep sequence numbers coherent, and planted patient data is only ever cut short
 * (its scrubbed copy is mutated instead).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../config.js';
import { lengthFields, readField } from './fuzz-fields.js';
import { mutatePayload, PAYLOAD_OPS } from './fuzz-mutate.js';
import { anatomy, captureFile, payloadOf, withPayload, type Anatomy } from './fuzz-packet.js';
import { buildRound, loadCorpus, type Corpus } from './fuzz-round.js';
import { mutateStreams, type RoundItem } from './fuzz-streams.js';
import { loadFrames, type CapturedFrame } from './frames.js';
import { plantedIn } from './planted.js';
import { Rng } from './rng.js';

const fixtures = join(packageRoot(), 'test-fixtures');
let corpus: Corpus;
beforeAll(async () => {
  corpus = await loadCorpus(fixtures);
});

const items = (): RoundItem[] => corpus.fixtures.flatMap((f) => f.items);
const fixtureItems = (name: string): RoundItem[] => corpus.fixtures.find((f) => f.name === name)?.items ?? [];

/** One's-complement sum over the bytes (the checksum field included): 0xffff when the checksum verifies. */
function onesSum(parts: Buffer[]): number {
  const b = Buffer.concat(parts);
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function transportVerifies(f: CapturedFrame, a: Anatomy): boolean {
  const b = f.bytes;
  const seg = b.subarray(a.l4Off);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(seg.length);
  const proto = Buffer.from([0, 0, 0, a.kind === 'tcp' ? 6 : 17]);
  const pseudo = a.ipVersion === 4 ? [b.subarray(a.l3Off + 12, a.l3Off + 20), proto, len] : [b.subarray(a.l3Off + 8, a.l3Off + 40), len, proto];
  return onesSum([...pseudo, seg]) === 0xffff;
}

describe('rebuilt frames', () => {
  it('carry the new payload to the decoder with lengths and checksums consistent, on every fixture frame', () => {
    let checked = 0;
    for (const it of items()) {
      if (it.a === null || (it.a.kind !== 'tcp' && it.a.kind !== 'udp' && it.a.kind !== 'l2')) continue;
      const payload = Buffer.concat([payloadOf(it.frame, it.a), Buffer.from('\x00mutated\xff', 'latin1')]);
      const f = withPayload(it.frame, it.a, payload);
      const a = anatomy(f);
      expect(a, `${it.proto}`).not.toBeNull();
      // Whole, but in an 802.3 frame (LLC, SNAP), whose length field cannot exceed 1500; a PPP control
      // frame's payload starts with the PPPoE header, whose length field follows the new length.
      const got = payloadOf(f, a as Anatomy);
      const pppoe = it.a.kind === 'l2' && it.a.etherType === 0x8864;
      if (!pppoe) expect(got.equals(payload.subarray(0, got.length))).toBe(true);
      if (got.length < payload.length) expect(f.bytes.readUInt16BE(12)).toBeLessThanOrEqual(1500);
      if (a?.ipVersion === 4) expect(onesSum([f.bytes.subarray(a.l3Off, a.l3Off + ((f.bytes[a.l3Off] & 15) << 2))])).toBe(0xffff);
      if (a?.kind === 'tcp' || (a?.kind === 'udp' && !a.udpNoChecksum)) expect(transportVerifies(f, a)).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(900);
  });

  it('keep the PPPoE session length (RFC 2516) in step with the IP packet inside', () => {
    const inside = fixtureItems('l2-pppoe.pcap').filter((it) => (it.a?.kind === 'tcp' || it.a?.kind === 'udp') && it.frame.bytes.readUInt16BE(12) === 0x8864);
    expect(inside.length).toBeGreaterThan(0);
    for (const it of inside) {
      const f = withPayload(it.frame, it.a as Anatomy, Buffer.concat([payloadOf(it.frame, it.a as Anatomy), Buffer.alloc(37, 0x41)]));
      expect(f.bytes.readUInt16BE(18)).toBe(f.bytes.length - 20);
      expect(f.bytes.readUInt16BE(18) - it.frame.bytes.readUInt16BE(18)).toBe(37);
    }
  });

  it('set a new TCP sequence number', () => {
    const seg = items().find((it) => it.a?.kind === 'tcp' && it.a.payloadLen > 0) as RoundItem;
    const f = withPayload(seg.frame, seg.a as Anatomy, Buffer.from('abc'), 2 ** 32 - 1);
    const a = anatomy(f) as Anatomy;
    expect(f.bytes.readUInt32BE(a.l4Off + 4)).toBe(2 ** 32 - 1);
    expect(transportVerifies(f, a)).toBe(true);
  });
});

describe('capture files written by the fuzzer', () => {
  it('read back frame for frame, as pcap (one link type) and as pcapng (several)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'auscult-fuzz-file-'));
    try {
      const ethernet = fixtureItems('dicom-echo.pcap').map((it) => it.frame);
      const mixed = [...ethernet, ...fixtureItems('lan-sll.pcap').map((it) => it.frame)];
      for (const frames of [ethernet, mixed]) {
        const file = captureFile(frames);
        expect(file.ext).toBe(frames === ethernet ? 'pcap' : 'pcapng');
        const path = join(work, `x.${file.ext}`);
        writeFileSync(path, file.bytes);
        const back = await loadFrames(path);
        expect(back.map((f) => [f.bytes.toString('hex'), f.tsMicros, f.linkType, f.wireLen])).toEqual(frames.map((f) => [f.bytes.toString('hex'), f.tsMicros, f.linkType, f.wireLen]));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('rounds', () => {
  it('are the same for the same seed and run, and differ for another', () => {
    const round = (seed: number) => {
      const tally = { mutated: 0, byOp: {}, byProto: {} };
      const frames = buildRound(new Rng(seed, 3), corpus, 1, { mutationRate: 0.3, framingShare: 0.1 }, tally);
      return { bytes: captureFile(frames).bytes, tally };
    };
    const a = round(42);
    expect(a.tally.mutated).toBeGreaterThan(50);
    expect(round(42).bytes.equals(a.bytes)).toBe(true);
    expect(round(43).bytes.equals(a.bytes)).toBe(false);
  });

  it('use every kind of payload mutation, and leave an unmutated round equal to the fixtures', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const payload = payloadOf(fixtureItems('hl7-adt.pcap').find((it) => it.proto === 'hl7' && (it.a?.payloadLen ?? 0) > 0)?.frame as CapturedFrame,
        fixtureItems('hl7-adt.pcap').find((it) => it.proto === 'hl7' && (it.a?.payloadLen ?? 0) > 0)?.a as Anatomy);
      seen.add(mutatePayload(new Rng(i), 'hl7', payload, () => payload).op);
    }
    expect([...seen].sort()).toEqual([...PAYLOAD_OPS].sort());
    const clean = buildRound(new Rng(1), corpus, 0, { mutationRate: 0, framingShare: 0 }, { mutated: 0, byOp: {}, byProto: {} });
    expect(clean.length).toBe(corpus.frames);
  });
});

describe('length fields found by walking each protocol', () => {
  const first = (fixture: string, proto: string) => {
    const it = fixtureItems(fixture).find((x) => x.proto === proto && (x.a?.payloadLen ?? 0) > 0) as RoundItem;
    return payloadOf(it.frame, it.a as Anatomy);
  };

  it('DICOM: the PDU length, item lengths and the presentation context sub-items of an A-ASSOCIATE-RQ', () => {
    const b = first('dicom-echo.pcap', 'dicom');
    const fields = lengthFields('dicom', b);
    expect(fields[0]).toEqual({ off: 2, width: 4 });
    expect(readField(b, fields[0])).toBe(b.length - 6);
    // Application context item (0x10) at 74: its 2-byte length.
    expect(fields).toContainEqual({ off: 76, width: 2 });
    expect(fields.length).toBeGreaterThan(5);
  });

  it('LLDP: every TLV header (7-bit type, 9-bit length) up to End of LLDPDU', () => {
    const b = first('evidence-lldp.pcap', 'lldp');
    const fields = lengthFields('lldp', b);
    let p = 0;
    for (const f of fields.filter((x) => x.mask === 0x1ff)) {
      expect(f.off).toBe(p);
      p += 2 + readField(b, f);
    }
    expect(b.readUInt16BE(fields.filter((x) => x.mask === 0x1ff).at(-1)?.off ?? -1) >> 9).toBe(0);
  });

  it('DNS: the four counts, every label length and compression pointer', () => {
    const b = first('evidence-mdns.pcap', 'mdns');
    const fields = lengthFields('mdns', b);
    expect(fields.slice(0, 4).map((f) => f.off)).toEqual([4, 6, 8, 10]);
    expect(fields.some((f) => f.mask === 0x3fff) || fields.filter((f) => f.width === 1).length > 2).toBe(true);
  });

  it('TLS: record, handshake and extension lengths of a ClientHello', () => {
    const b = first('evidence-tls.pcap', 'tls');
    const fields = lengthFields('tls', b);
    expect(fields[0]).toEqual({ off: 3, width: 2 });
    expect(fields[1]).toEqual({ off: 6, width: 3 });
    expect(fields.length).toBeGreaterThan(10);
  });

  it('SNMP: BER lengths, nested', () => {
    const b = first('evidence-snmp.pcap', 'snmp');
    const fields = lengthFields('snmp', b);
    expect(fields[0]).toEqual({ off: 1, width: 1, ber: true });
    expect(fields.length).toBeGreaterThan(5);
  });
});

describe('stream mutations', () => {
  it('split a segment into pieces whose sequence numbers tile the original bytes', () => {
    const all = fixtureItems('hl7-adt.pcap');
    const stream = all.find((it) => it.proto === 'hl7' && (it.a?.payloadLen ?? 0) > 0)?.stream as string;
    const before = all.filter((it) => it.stream === stream && (it.a?.payloadLen ?? 0) > 0);
    const original = Buffer.concat(before.map((it) => payloadOf(it.frame, it.a as Anatomy)));
    const seqOf = (it: RoundItem) => it.frame.bytes.readUInt32BE((it.a as Anatomy).l4Off + 4);
    let split = false;
    for (let seed = 0; !split && seed < 200; seed++) {
      const after = before.slice();
      if (mutateStreams(new Rng(seed), after, 1, () => null)[0] !== 'split') continue;
      split = true;
      expect(after.length).toBeGreaterThan(before.length);
      // Reassembled by sequence number, in whatever order they come, the pieces give back the bytes.
      const out = Buffer.alloc(original.length);
      for (const it of after) payloadOf(it.frame, it.a as Anatomy).copy(out, (seqOf(it) - seqOf(before[0])) >>> 0);
      expect(out.equals(original)).toBe(true);
    }
    expect(split).toBe(true);
  });
});

describe('traffic with planted patient data', () => {
  it('is marked, with a scrubbed copy of the same lengths and delimiters that carries none of it', () => {
    const planted = items().filter((it) => it.planted === true && (it.a?.payloadLen ?? 0) > 0);
    expect(new Set(planted.map((it) => it.proto))).toEqual(new Set(['hl7', 'dicom', 'poct1a', 'wsd', 'intellivue']));
    for (const it of planted) {
      const a = it.a as Anatomy;
      const copy = payloadOf(it.scrubbed as CapturedFrame, a);
      expect(copy.length).toBe(a.payloadLen);
      expect(plantedIn(copy)).toEqual([]);
    }
    const adt = planted.find((it) => it.proto === 'hl7' && payloadOf(it.frame, it.a as Anatomy).includes('DOE^JANE')) as RoundItem;
    const text = payloadOf(adt.scrubbed as CapturedFrame, adt.a as Anatomy).toString('latin1');
    expect(text).toContain('QQQ^QQQQ');
    expect(text).toContain('|55555555|');
  });

  it('is only ever cut short, as a capture cuts a packet', () => {
    const b = Buffer.from('\x0bMSH|^~\\&|A|B\rPID|1||MRN-4711-PLANTED||DOE^JANE||19450317\r\x1c\r', 'latin1');
    for (let seed = 0; seed < 200; seed++) {
      const m = mutatePayload(new Rng(seed), 'hl7', b, () => b, true);
      expect(m.op).toBe('truncate');
      expect(b.subarray(0, m.bytes.length).equals(m.bytes)).toBe(true);
    }
  });
});
