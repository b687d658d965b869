/**
 * HL7 v2 over MLLP. Message layout: HL7 v2.6 chapter 2 (MSH-1 field separator, MSH-2 encoding
 * characters, MSH-3..6 applications and facilities, MSH-9 message type, MSH-12 version; MSA-1
 * acknowledgement code); framing: MLLP (0x0B ... 0x1C 0x0D). IHE PCD-01 (IHE PCD TF-2, section 3.1
 * and appendix B): ORU^R01 from a device gateway, OBX-3 coded in MDC (ISO/IEEE 11073-10101), OBX-18
 * Equipment Instance Identifier carrying the device's EUI-64.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpDirections, type TcpDirection } from '../testing/tcp-streams.js';
import { macOfEui64, hl7 } from './hl7.js';
import type { Observation, StreamContext, StreamVerdict } from './types.js';

type Parse = (data: Buffer, ctx: StreamContext, final?: boolean) => StreamVerdict<'hl7'>;
const parse = hl7.parse as Parse;
const ctx: StreamContext = { tsMs: 7, srcMac: '00:09:fb:40:00:21', srcIp: '10.40.0.21', srcPort: 40000, dstMac: null, dstIp: '10.40.0.10', dstPort: 2575, peerData: Buffer.alloc(0) };
const ctxOf = (d: TcpDirection): StreamContext => ({ ...d, peerData: Buffer.alloc(0) });
const fieldsOf = (v: StreamVerdict<'hl7'>) => (v !== null && v.done ? v.observations.map((o) => o.fields) : v);
/** One MLLP frame around segments joined by CR. */
const frame = (...segments: string[]) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(segments.join('\r') + '\r', 'utf8'), Buffer.from([0x1c, 0x0d])]);

/** Patient data planted in the fixtures and messages below: none may reach an observation. */
const PLANTED = ['DOE', 'JANE', 'MRN-4711-PLANTED', '19450317', 'ROE', 'RICHARD', 'PLANTED', 'MRN-0815', '555-0100', 'SPRINGFIELD',
  'WELBY', 'BED07', 'BED08', 'CHEST PAIN', '987654', 'PLANTED-OBX5-TEXT', 'Bedside note', 'BEDNOTE', '262688', '264864', '266016', 'MDC_DIM'];
function expectNoPatientData(obs: Observation<'hl7'>[]): void {
  const json = JSON.stringify(obs);
  for (const p of PLANTED) expect(json, p).not.toContain(p);
  // OBX-5 values of the PCD fixture, as JSON values (they are substrings of codes and EUI-64s too).
  for (const v of ['97', '72']) expect(obs.flatMap((o) => Object.values(o.fields).flat()).map(String)).not.toContain(v);
}

/** What the pipeline does: probe the first segment, then parse the (bounded) direction at its end. */
function observe(dirs: TcpDirection[]): Observation<'hl7'>[] {
  const out: Observation<'hl7'>[] = [];
  for (const d of dirs) {
    if (!hl7.probe(d.data.subarray(0, 1448))) continue;
    const v = parse(d.data.subarray(0, 16384), ctxOf(d), true);
    if (v !== null && v.done) out.push(...v.observations);
  }
  return out;
}

const ADT = [
  'MSH|^~\\&|WARD3_ADT|GENERAL_HOSPITAL|HL7_ENGINE|GENERAL_HOSPITAL|20240301101500||ADT^A01^ADT_A01|ADT-000123|P|2.5.1',
  'EVN|A01|20240301101500',
  'PID|1||MRN-4711-PLANTED^^^GENERAL_HOSPITAL^MR||DOE^JANE^Q||19450317|F|||12 PLANTED STREET^^SPRINGFIELD^^99999',
  'NK1|1|ROE^RICHARD-PLANTED|SPO',
  'PV1|1|I|ICU3^BED07^1',
];

describe('hl7 message header (MSH) and acknowledgement (MSA)', () => {
  it('reads MSH-3..6, MSH-9, MSH-11, MSH-12 of a sender, on the sender', () => {
    expect(parse(frame(...ADT), ctx, true)).toEqual({
      done: true,
      observations: [{
        device: { mac: '00:09:fb:40:00:21', ip: '10.40.0.21' }, tsMs: 7, source: 'hl7',
        fields: {
          encrypted: false, role: 'sender', sending_application: 'WARD3_ADT', sending_facility: 'GENERAL_HOSPITAL', receiving_application: 'HL7_ENGINE',
          receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ADT^A01'], processing_id: 'P', version: '2.5.1', message_count: 1,
        },
      }],
    });
  });

  it('reads the acknowledger side: ACK with MSA-1, types with or without a trigger', () => {
    const ack = Buffer.concat([
      frame('MSH|^~\\&|HL7_ENGINE|GENERAL_HOSPITAL|WARD3_ADT|GENERAL_HOSPITAL|20240301101501||ACK^A01^ACK|A1|P|2.5.1', 'MSA|AA|ADT-000123'),
      frame('MSH|^~\\&|HL7_ENGINE|GENERAL_HOSPITAL|WARD3_ADT|GENERAL_HOSPITAL|20240301101502||ACK|A2|P|2.5.1', 'MSA|AR|ADT-000125|unknown patient DOE^JANE'),
    ]);
    expect(fieldsOf(parse(ack, ctx, true))).toEqual([{
      encrypted: false, role: 'acknowledger', sending_application: 'HL7_ENGINE', sending_facility: 'GENERAL_HOSPITAL', receiving_application: 'WARD3_ADT',
      receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ACK^A01', 'ACK'], processing_id: 'P', version: '2.5.1', ack_codes: ['AA', 'AR'], message_count: 2,
    }]);
  });

  it('takes the separators from MSH-1 and MSH-2', () => {
    const odd = frame('MSH#*~!$#LAB_SYS*1.2.840.99999.7*ISO#NORTH#####ADT*A08#X1#T#2.4', 'PID#1##DOE*JANE');
    expect(fieldsOf(parse(odd, ctx, true))).toEqual([{
      encrypted: false, role: 'sender', sending_application: 'LAB_SYS^1.2.840.99999.7^ISO', sending_facility: 'NORTH', message_types: ['ADT^A08'],
      processing_id: 'T', version: '2.4', message_count: 1,
    }]);
  });

  it('keeps MSH-3..6 only as HDs: a namespace id, and a universal id of the shape its table 0301 type gives', () => {
    const msh = (app: string, facility = 'GH') => frame(`MSH|^~\\&|${app}|${facility}|||||ADT^A08|1|P|2.5.1`);
    const app = (a: string) => (fieldsOf(parse(msh(a), ctx, true)) as Record<string, unknown>[] | null)?.[0]?.sending_application;
    for (const good of ['WARD3_ADT', 'LAB SYSTEM 2', '^1.2.840.99999.7^ISO', 'GW^0009FBFFFE4C0021^EUI-64', 'EHR^ehr.ward3.example^DNS',
      'X^6b1a3b2e-5f4c-4e0a-9d2b-3c9e7a1f0d61^UUID', 'X^urn:oid:1.2.3^URI', 'X^LOCAL-7^L']) expect(app(good), good).toBe(good);
    for (const bad of ['DOE^JANE', 'DOE^JANE^L^X', 'X^1.2.3', 'X^^ISO', 'X^1.2.abc^ISO', 'X^DOE^EUI-64', 'X^DOE^PN', 'X^a b^DNS',
      'X^DOE^JANE^x', 'A&B', 'A~B', ' LEADING', 'X'.repeat(65), 'a\u00e9b']) expect(app(bad), bad).toBeUndefined();
  });

  it('drops an MSH-3..6 holding an HL7 escape sequence, and takes a later message\'s valid one', () => {
    // Escaped names: \S\ is the component separator (DOE^JANE), \X..\ hex, \T\ \F\ \R\ \E\ the others.
    const escaped = ['DOE\\S\\JANE', '\\X444F455E4A414E45\\', 'DOE\\T\\JANE', 'DOE\\F\\JANE', 'DOE\\R\\JANE', 'DOE\\E\\JANE', 'DOE\\H\\JANE\\N\\'];
    for (const e of escaped) {
      const v = parse(Buffer.concat([
        frame(`MSH|^~\\&|${e}|${e}|${e}|${e}|||ADT^A08|1|P|2.5.1`, `PID|1||MRN-4711-PLANTED||${e}`),
        frame('MSH|^~\\&|WARD3_ADT|GH|||||ADT^A08|2|P|2.5.1'),
      ]), ctx, true);
      expect(fieldsOf(v), e).toEqual([{
        encrypted: false, role: 'sender', sending_application: 'WARD3_ADT', sending_facility: 'GH', message_types: ['ADT^A08'], processing_id: 'P',
        version: '2.5.1', message_count: 2,
      }]);
      if (v !== null && v.done) expectNoPatientData(v.observations);
    }
  });

  it('keeps MSH-11 only from table 0103', () => {
    for (const [pid, kept] of [['P', 'P'], ['T^A', 'T'], ['D', 'D'], ['X', undefined], ['J', undefined]] as const) {
      const f = fieldsOf(parse(frame(`MSH|^~\\&|A||||||ADT^A08|1|${pid}|2.5.1`), ctx, true)) as unknown as Record<string, unknown>[];
      expect(f[0].processing_id, pid).toBe(kept);
    }
  });

  it('reads batches (FHS/BHS before MSH), LF segment ends, and ignores unknown Z segments', () => {
    const batch = Buffer.concat([Buffer.from([0x0b]), Buffer.from(
      'FHS|^~\\&|BATCHER\rBHS|^~\\&|BATCHER\r' + ADT.join('\n') + '\nZPI|1|PLANTED\n' + 'MSH|^~\\&|WARD3_ADT|GH|||||ADT^A08|2|P|2.5.1\rBTS|1\rFTS|1\r'), Buffer.from([0x1c, 0x0d])]);
    const f = fieldsOf(parse(batch, ctx, true)) as unknown as Record<string, unknown>[];
    expect(f[0]).toMatchObject({ message_types: ['ADT^A01', 'ADT^A08'], message_count: 2, sending_application: 'WARD3_ADT' });
  });

  it('never keeps PID, NK1, PV1 or anything but MSH, MSA, OBX-3 and OBX-18', () => {
    const v = parse(Buffer.concat([frame(...ADT, 'PV2|||CHEST PAIN PLANTED', 'IN1|1|PLANTED', 'GT1|1||DOE^JOHN', 'MRG|MRN-0815-PLANTED')]), ctx, true);
    expect(v).toMatchObject({ done: true });
    if (v !== null && v.done) expectNoPatientData(v.observations);
  });
});

describe('hl7 IHE PCD-01 (ORU^R01 from a device gateway)', () => {
  const pcd = frame(
    'MSH|^~\\&|ICU3_GATEWAY^0009FBFFFE4C0021^EUI-64|GENERAL_HOSPITAL|HL7_ENGINE||20240301101600+0000||ORU^R01^ORU_R01|PCD-1|P|2.6|||NE|AL',
    'PID|||MRN-4711-PLANTED^^^GENERAL_HOSPITAL^MR||DOE^JANE^^^^^L||19450317|F',
    'OBR|1|PCD-1^ICU3_GATEWAY|PCD-1^ICU3_GATEWAY|182777000^monitoring of patient^SNOMED-CT',
    'OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||0009FBFFFE4C1001^EUI-64^IEEE',
    'OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.1.1|987654|262688^MDC_DIM_PERCENT^MDC|||||R|||20240301101555||||0009fbfffe4c1001^EUI-64^IEEE',
    // GE's form (EUI-64 ^ namespace) and an EI with the EUI-64 as universal ID, repeated.
    'OBX|3|NM|147842^MDC_ECG_HEART_RATE^MDC|1.5.1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||||||080019FFFE0B4020^B40_GE~ACME^^0123456789ABCDEF^EUI-64',
    // Not MDC-coded, a planted text value: neither is kept.
    'OBX|4|ST|BEDNOTE^Bedside note^99LOCAL|1|PLANTED-OBX5-TEXT||||||R|||||||NOT-AN-EUI64',
  );

  it('lists the device EUI-64s of OBX-18 and the MDC codes of OBX-3, never OBX-5', () => {
    const v = parse(pcd, ctx, true);
    expect((fieldsOf(v) as unknown as Record<string, unknown>[]).slice(0, 1)).toEqual([{
      encrypted: false, role: 'sender', sending_application: 'ICU3_GATEWAY^0009FBFFFE4C0021^EUI-64', sending_facility: 'GENERAL_HOSPITAL',
      receiving_application: 'HL7_ENGINE', message_types: ['ORU^R01'], processing_id: 'P', version: '2.6', message_count: 1,
      pcd_device_eui64s: ['0009FBFFFE4C1001', '080019FFFE0B4020', '0123456789ABCDEF'],
      mdc_codes: ['69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS', '150456^MDC_PULS_OXIM_SAT_O2', '147842^MDC_ECG_HEART_RATE'],
    }]);
    // The two EUI-64s that encapsulate an EUI-48 (FF-FE in the middle) name devices behind the gateway.
    expect(v !== null && v.done ? v.observations.slice(1).map((o) => [o.device, 'eui64' in o.fields ? o.fields.eui64 : undefined, o.fields.role]) : []).toEqual([
      [{ mac: '00:09:fb:4c:10:01' }, '0009FBFFFE4C1001', 'device_behind_gateway'],
      [{ mac: '08:00:19:0b:40:20' }, '080019FFFE0B4020', 'device_behind_gateway'],
    ]);
    // Each is a device derived from the gateway's message, not one seen on the wire (item 13.7).
    expect(v !== null && v.done ? v.outputs : []).toEqual(['00:09:fb:4c:10:01', '08:00:19:0b:40:20'].map((mac) => ({
      kind: 'derived-device', mac, from: ctx.srcMac === null ? { ip: ctx.srcIp } : { mac: ctx.srcMac, ip: ctx.srcIp }, protocol: 'hl7',
      field: 'OBX-18', messageType: 'ORU^R01', tsMs: ctx.tsMs,
    })));
    if (v !== null && v.done) expectNoPatientData(v.observations);
  });

  it('reads a MAC out of an EUI-64 only when it encapsulates an EUI-48', () => {
    expect(macOfEui64('0009FBFFFE4C1001')).toBe('00:09:fb:4c:10:01');
    expect(macOfEui64('0123456789ABCDEF')).toBeNull();
    expect(macOfEui64('0009FBFFFF4C1001')).toBeNull(); // FF-FF is the MAC-48 form, not EUI-48
  });
});

describe('hl7 stream handling and malformed input', () => {
  const two = Buffer.concat([frame(...ADT), frame('MSH|^~\\&|WARD3_ADT|GH|||||ADT^A08|2|P|2.5.1', 'PID|1||MRN-4711-PLANTED')]);

  it('says "not mine" to other protocols and to garbage, cheaply', () => {
    for (const s of ['GET / HTTP/1.1\r\n', 'MSH|^~\\&|A|B\r', '\x16\x03\x01\x02\x00', '\x0bGET', '\x0bMSX|']) expect(hl7.probe(Buffer.from(s, 'latin1'))).toBe(false);
    for (const s of ['\x0b', '\x0bM', '\x0bMS', '\x0bMSH', '\x0bMSH|', '\x0bFHS|', '\x0bBHS|']) expect(hl7.probe(Buffer.from(s, 'latin1'))).toBe(true);
    expect(parse(Buffer.from('\x0bMSH\x00\x01\x02\r\x1c\r', 'latin1'), ctx, true)).toBeNull();
    expect(parse(Buffer.from('\x0bMSH|ab|x\r\x1c\r', 'latin1'), ctx, true)).toBeNull(); // letters as encoding characters
    expect(parse(Buffer.from('\x0bMSH|^~\\&|A\x00B|\r\x1c\r', 'latin1'), ctx, true)).toBeNull(); // binary in MSH
    // A whole MSH then binary bytes: the header counts, the rest is not read.
    expect(fieldsOf(parse(Buffer.from('\x0bMSH|^~\\&|A\rp\xff\x00garbage\r\x1c\r', 'latin1'), ctx))).toMatchObject([{ sending_application: 'A', message_count: 1 }]);
    expect(parse(Buffer.from('\x0bEVN|A01\rMSH|^~\\&|A\r\x1c\r', 'latin1'), ctx, true)).toBeNull(); // MSH must come first
  });

  it('waits for more messages until the end, and keeps what it read before garbage', () => {
    for (let k = 1; k < two.length; k++) expect(parse(two.subarray(0, k), ctx)).toEqual({ done: false });
    expect(parse(two, ctx)).toEqual({ done: false }); // the connection may carry more
    expect(fieldsOf(parse(two, ctx, true))).toMatchObject([{ message_types: ['ADT^A01', 'ADT^A08'], message_count: 2 }]);
    const tail = Buffer.concat([two, Buffer.from('\x00\x01binary garbage', 'latin1')]);
    expect(fieldsOf(parse(tail, ctx))).toMatchObject([{ message_count: 2 }]); // garbage ends the direction at once
  });

  it('reads a message cut by the end (truncated, missing terminator) from its whole segments', () => {
    const noEnd = frame(...ADT).subarray(0, -2);
    expect(parse(noEnd, ctx)).toEqual({ done: false });
    expect(fieldsOf(parse(noEnd, ctx, true))).toMatchObject([{ message_types: ['ADT^A01'], message_count: 1 }]);
    const cutInMsh = frame(...ADT).subarray(0, 30);
    expect(parse(cutInMsh, ctx)).toEqual({ done: false });
    expect(parse(cutInMsh, ctx, true)).toBeNull(); // not even the MSH arrived whole
    expect(parse(Buffer.from([0x0b]), ctx, true)).toBeNull();
  });

  it('stays bounded on a huge message without 0x1C: reads only the first 16 KiB', () => {
    const huge = Buffer.concat([frame(...ADT).subarray(0, -2), Buffer.from(`OBX|1|ED|PDF^Report^L||${'A'.repeat(4 << 20)}`)]);
    const t = performance.now();
    const v = parse(huge, ctx); // past the bounds: reported now, without waiting for `final`
    expect(performance.now() - t).toBeLessThan(200);
    expect(fieldsOf(v)).toMatchObject([{ message_types: ['ADT^A01'], message_count: 1 }]);
    // Nothing but MLLP start bytes, a frame never closed, thousands of tiny frames: all bounded.
    expect(parse(Buffer.alloc(1 << 20, 0x0b), ctx, true)).toBeNull();
    const many = Buffer.concat(Array.from({ length: 2000 }, () => frame('MSH|^~\\&|A|||||ADT^A01|1|P|2.3')));
    expect(fieldsOf(parse(many, ctx))).toMatchObject([{ message_count: 64 }]);
  });

  it('never throws on corrupted messages', () => {
    let s = 4711;
    const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const base = Buffer.concat([two, frame('MSH|^~\\&|GW|||||ORU^R01|3|P|2.6', 'OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1|97||||||R|||||||0009FBFFFE4C1001^EUI-64', 'MSA|AA|1')]);
    for (let k = 0; k <= base.length; k++) parse(base.subarray(0, k), ctx, k % 2 === 0);
    for (let i = 0; i < 3000; i++) {
      const bad = Buffer.from(base);
      for (let h = 1 + Math.floor(rand() * 4); h > 0; h--) bad[Math.floor(rand() * bad.length)] = [0x0b, 0x1c, 0x0d, 0x7c, 0x5e, 0x7e, 0x00][Math.floor(rand() * 7)] ?? 0;
      const v = parse(bad, ctx, true);
      expect(v === null || typeof v.done === 'boolean').toBe(true);
      if (v !== null && v.done) expectNoPatientData(v.observations);
    }
  });
});

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const adtPcap = join(fixtures, 'hl7-adt.pcap');
const pcdPcap = join(fixtures, 'hl7-pcd01.pcap');
const escapedPcap = join(fixtures, 'hl7-escaped.pcap');
if (![adtPcap, pcdPcap, escapedPcap].every(existsSync)) console.warn('hl7.test: an hl7-*.pcap fixture is absent, its tests are skipped');

describe.skipIf(!existsSync(adtPcap))('hl7 on hl7-adt.pcap (python-hl7 mllp_send -> python-hl7 asyncio MLLP server, port 2575)', () => {
  it('reads the ADT sender and the acknowledging engine, and no patient data', async () => {
    const obs = observe(await tcpDirections(adtPcap));
    expect(obs.map((o) => [o.device, o.fields])).toEqual([
      [{ mac: '00:1b:21:40:00:11', ip: '10.40.0.11' }, {
        encrypted: false, role: 'sender', sending_application: 'WARD3_ADT', sending_facility: 'GENERAL_HOSPITAL', receiving_application: 'HL7_ENGINE',
        receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ADT^A01', 'ADT^A08', 'ADT^A40'], processing_id: 'P', version: '2.5.1', message_count: 3,
      }],
      [{ mac: '3c:52:82:40:00:10', ip: '10.40.0.10' }, {
        encrypted: false, role: 'acknowledger', sending_application: 'HL7_ENGINE', sending_facility: 'GENERAL_HOSPITAL', receiving_application: 'WARD3_ADT',
        receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ACK^A01', 'ACK^A08', 'ACK^A40'], processing_id: 'P', version: '2.5.1',
        ack_codes: ['AA', 'AR'], message_count: 3,
      }],
    ]);
    expectNoPatientData(obs);
  });
});

describe.skipIf(!existsSync(escapedPcap))('hl7 on hl7-escaped.pcap (MSH-3/4 carrying HL7-escaped names, mllp_send -> python-hl7 server)', () => {
  it('drops every escaped MSH field on both sides, keeps the valid HD of the last message, and no patient data', async () => {
    const obs = observe(await tcpDirections(escapedPcap));
    expect(obs.map((o) => [o.device, o.fields])).toEqual([
      [{ mac: '00:1b:21:40:00:11', ip: '10.40.0.11' }, {
        encrypted: false, role: 'sender', sending_application: 'WARD3_ADT^1.2.840.99999.3.7^ISO', sending_facility: 'GENERAL_HOSPITAL',
        receiving_application: 'HL7_ENGINE', receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ADT^A08'], processing_id: 'P', version: '2.5.1',
        message_count: 3,
      }],
      [{ mac: '3c:52:82:40:00:10', ip: '10.40.0.10' }, {
        encrypted: false, role: 'acknowledger', sending_application: 'HL7_ENGINE', sending_facility: 'GENERAL_HOSPITAL',
        receiving_application: 'WARD3_ADT^1.2.840.99999.3.7^ISO', receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ACK^A08'], processing_id: 'P',
        version: '2.5.1', ack_codes: ['AA'], message_count: 3,
      }],
    ]);
    expectNoPatientData(obs);
    for (const p of ['444F45', '\\S\\', '\\X', '\\F\\']) expect(JSON.stringify(obs), p).not.toContain(p);
  });
});

describe.skipIf(!existsSync(pcdPcap))('hl7 on hl7-pcd01.pcap (IHE PCD-01 from a device gateway, port 6661, messages in two segments)', () => {
  it('lists the devices behind the gateway and their MDC codes, on the gateway, and no OBX-5 value', async () => {
    const dirs = await tcpDirections(pcdPcap);
    const obs = observe(dirs);
    expect(obs).toHaveLength(3);
    expect(obs[0].device).toEqual({ mac: '00:09:fb:40:00:21', ip: '10.40.0.21' });
    expect(obs[0].fields).toEqual({
      encrypted: false, role: 'sender', sending_application: 'ICU3_GATEWAY^0009FBFFFE4C0021^EUI-64', sending_facility: 'GENERAL_HOSPITAL',
      receiving_application: 'HL7_ENGINE', receiving_facility: 'GENERAL_HOSPITAL', message_types: ['ORU^R01'], processing_id: 'P', version: '2.6',
      message_count: 2, pcd_device_eui64s: ['0009FBFFFE4C1001', '0123456789ABCDEF'],
      mdc_codes: ['69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS', '69642^MDC_DEV_ANALY_SAT_O2_VMD', '150456^MDC_PULS_OXIM_SAT_O2', '149530^MDC_PULS_OXIM_PULS_RATE',
        '69854^MDC_DEV_METER_PRESS_BLD_VMD', '150301^MDC_PRESS_CUFF_SYS'],
    });
    // The monitor behind the gateway, named by its EUI-64 (Philips OUI 00:09:FB, FF-FE, 4C:10:01).
    expect(obs[1]).toMatchObject({
      device: { mac: '00:09:fb:4c:10:01' },
      fields: {
        encrypted: false, role: 'device_behind_gateway', eui64: '0009FBFFFE4C1001', gateway_ip: '10.40.0.21',
        mdc_codes: ['69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS', '69642^MDC_DEV_ANALY_SAT_O2_VMD', '150456^MDC_PULS_OXIM_SAT_O2', '149530^MDC_PULS_OXIM_PULS_RATE'],
      },
    });
    expect(obs[2].fields).toMatchObject({ role: 'acknowledger', sending_application: 'HL7_ENGINE', message_types: ['ACK^R01'], ack_codes: ['AA'], message_count: 2 });
    expectNoPatientData(obs);
  });

  it('waits for a message whose segments have not all arrived, or reads its whole segments at the end', async () => {
    const gw = (await tcpDirections(pcdPcap)).find((d) => d.dstPort === 6661);
    expect(gw).toBeDefined();
    if (gw === undefined) return;
    const first = gw.data.subarray(0, 524); // the first TCP segment
    expect(parse(first, ctxOf(gw))).toEqual({ done: false });
    const cut = parse(first, ctxOf(gw), true);
    expect(fieldsOf(cut)).toMatchObject([{ message_types: ['ORU^R01'], message_count: 1 }]);
    expect((fieldsOf(cut) as unknown as Record<string, unknown>[])[0].pcd_device_eui64s).toBeUndefined(); // its OBX came in the second segment
  });
});

// The public corpus: ../shared beside the checkout (see test-fixtures/agreement.ts).
const corpusCapture = [join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus'), join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus')]
  .map((c) => join(c, 'medical', 'hl7', 'ndpi__hl7.pcap')).find((p) => existsSync(p));
if (corpusCapture === undefined) console.warn('hl7.test: ../shared/corpus/medical/hl7/ndpi__hl7.pcap not found, the public-capture test is skipped');

describe.skipIf(corpusCapture === undefined)('hl7 on the public capture ndpi__hl7.pcap (nDPI test suite, port 6661)', () => {
  it('decodes the ADT^A01 and its ACK AA, and drops the patient', async () => {
    const obs = observe(await tcpDirections(corpusCapture ?? ''));
    expect(obs.map((o) => [o.device.ip, o.fields])).toEqual([
      ['10.0.0.155', {
        encrypted: false, role: 'sender', sending_application: 'SENDING_APPLICATION', sending_facility: 'SENDING_FACILITY', receiving_application: 'RECEIVING_APPLICATION',
        receiving_facility: 'RECEIVING_FACILITY', message_types: ['ADT^A01'], processing_id: 'P', version: '2.3', message_count: 1,
      }],
      ['10.0.0.126', {
        encrypted: false, role: 'acknowledger', sending_application: 'RECEIVING_APPLICATION', sending_facility: 'RECEIVING_FACILITY',
        receiving_application: 'SENDING_APPLICATION', receiving_facility: 'SENDING_FACILITY', message_types: ['ACK'], processing_id: 'P', version: '2.3',
        ack_codes: ['AA'], message_count: 1,
      }],
    ]);
    const json = JSON.stringify(obs);
    for (const p of ['MOUSE', 'MICKEY', 'MINNIE', '19281118', '135769', 'Main St', 'Penicillin']) expect(json).not.toContain(p);
  });
});
