import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipToString, macAt, macToString } from '../decode/format.js';
import { DecodeStatus, IpProto, PacketView } from '../decode/packet-view.js';
import { loadFrames } from '../testing/frames.js';
import { truncateAndCorrupt } from '../testing/fuzz.js';
import { tcpDirections, type TcpDirection } from '../testing/tcp-streams.js';
import { dicom, parseDicomStream } from './dicom.js';
import type { DicomFields } from './dicom-fields.js';
import type { InventoryOutput, Observation, StreamContext, StreamVerdict } from './types.js';

type Parse = (data: Buffer, ctx: StreamContext, final?: boolean) => StreamVerdict<'dicom'>;
const parse = dicom.parse as Parse;
const EMPTY: Buffer = Buffer.alloc(0);
const ctx = (peerData: Buffer = EMPTY): StreamContext => ({
  tsMs: 7, srcMac: '00:1b:21:00:00:01', srcIp: '10.0.0.1', srcPort: 40000, dstMac: '00:1d:4a:00:00:02', dstIp: '10.0.0.2', dstPort: 104, peerData,
});
const observations = (v: StreamVerdict<'dicom'>): Observation<'dicom'>[] => (v !== null && v.done ? v.observations : []);
const byPdu = <P extends DicomFields['pdu']>(obs: Observation<'dicom'>[], pdu: P) =>
  obs.filter((o) => o.fields.pdu === pdu).map((o) => o.fields) as Extract<DicomFields, { pdu: P }>[];

/** Patient and study data planted in the fixtures and in the built data sets: none may come out. */
const PLANTED = ['DOE^JANE', 'DOE', 'MRN-4711-PLANTED', '19450317', 'PLANTED', 'Planted', 'ACC-99317', '2.25.', '20240506',
  'REFDOC', 'nurse.jane', 'hunter2'];
function expectNoPatientData(obs: Observation<'dicom'>[]): void {
  const json = JSON.stringify(obs);
  for (const p of PLANTED) expect(json, p).not.toContain(p);
}

// ---------------------------------------------------------------------------------------------
// PDUs built from PS3.8 section 9.3 (A-ASSOCIATE-RQ Table 9-11, AC Table 9-17, RJ Table 9-21,
// P-DATA-TF Table 9-22 with PDV items Annex E.2, A-ABORT Table 9-26) and PS3.7 Annex E (command set).

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const pdu = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0]), u32(body.length), body]);
const item = (type: number, v: Buffer | string) => {
  const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
  return Buffer.concat([Buffer.from([type, 0]), u16(b.length), b]);
};
interface AssocSpec {
  called: string;
  calling: string;
  contexts: { id: number; abstract?: string; ts: string[]; result?: number }[];
  maxPdu?: number;
  implUid?: string;
  version?: string | Buffer;
  userIdentity?: Buffer;
}
function associate(type: 1 | 2, s: AssocSpec): Buffer {
  const fixed = Buffer.concat([u16(1), u16(0), Buffer.from(s.called.padEnd(16), 'latin1'), Buffer.from(s.calling.padEnd(16), 'latin1'), Buffer.alloc(32)]);
  const items = [item(0x10, '1.2.840.10008.3.1.1.1')];
  for (const c of s.contexts) {
    const subs = [...(type === 1 ? [item(0x30, c.abstract ?? '')] : []), ...c.ts.map((t) => item(0x40, t))];
    items.push(item(type === 1 ? 0x20 : 0x21, Buffer.concat([Buffer.from([c.id, 0, c.result ?? 0, 0]), ...subs])));
  }
  const user = [item(0x51, u32(s.maxPdu ?? 16384)), item(0x52, s.implUid ?? '1.2.826.0.1.3680043.2.1143.107.104.103.115'), item(0x55, s.version ?? 'EXAMPLE_1')];
  if (s.userIdentity) user.push(item(0x58, s.userIdentity));
  items.push(item(0x50, Buffer.concat(user)));
  return pdu(type, Buffer.concat([fixed, ...items]));
}
const pdv = (pc: number, mch: number, fragment: Buffer) => Buffer.concat([u32(fragment.length + 2), Buffer.from([pc, mch]), fragment]);
const pdata = (...pdvs: Buffer[]) => pdu(4, Buffer.concat(pdvs));
const CMD = 1;
const LAST = 2;
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const BIG = '1.2.840.10008.1.2.2';

/** A command set (PS3.7 E.1), Implicit VR Little Endian, group length first. */
function commandSet(field: number, sopClass: string, o: { dataSet?: boolean; moveDestination?: string } = {}): Buffer {
  const el = (e: number, v: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(e, 2);
    h.writeUInt32LE(v.length, 4);
    return Buffer.concat([h, v]);
  };
  const us = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
  const ui = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
  const body = Buffer.concat([
    el(0x0002, ui(sopClass)), el(0x0100, us(field)), el(0x0110, us(1)),
    ...(o.moveDestination ? [el(0x0600, Buffer.from(o.moveDestination.padEnd(16), 'latin1'))] : []),
    el(0x0800, us(o.dataSet ? 0x0000 : 0x0101)),
    // Affected SOP Instance UID (0000,1000): an instance identifier, planted; never reported.
    ...(field === 0x0001 ? [el(0x1000, ui('2.25.1945031719450317'))] : []),
  ]);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(body.length);
  return Buffer.concat([el(0x0000, gl), body]);
}

/** A data set in one of the three uncompressed encodings (PS3.5 7.1.2, 7.1.3, 7.3). */
type El = [group: number, element: number, vr: string, value: string | Buffer];
const LONG_VR = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'SQ', 'UN', 'UT', 'UC', 'UR']);
function dataSet(els: El[], syntax: 'explicit' | 'implicit' | 'big'): Buffer {
  const parts: Buffer[] = [];
  for (const [g, e, vr, value] of els) {
    let v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
    const be = syntax === 'big';
    const w16 = (n: number) => { const b = Buffer.alloc(2); if (be) b.writeUInt16BE(n); else b.writeUInt16LE(n); return b; };
    const w32 = (n: number) => { const b = Buffer.alloc(4); if (be) b.writeUInt32BE(n); else b.writeUInt32LE(n); return b; };
    if (syntax === 'implicit') parts.push(w16(g), w16(e), w32(v.length), v);
    else if (LONG_VR.has(vr)) parts.push(w16(g), w16(e), Buffer.from(vr), Buffer.alloc(2), w32(v.length), v);
    else parts.push(w16(g), w16(e), Buffer.from(vr), w16(v.length), v);
  }
  return Buffer.concat(parts);
}
/** An MR image's attributes: device and site tags among planted patient and study data. */
const MR_IMAGE: El[] = [
  [0x0008, 0x0005, 'CS', 'ISO_IR 192'], [0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.4'],
  [0x0008, 0x0018, 'UI', '2.25.1945031719450317'], [0x0008, 0x0020, 'DA', '20240506'], [0x0008, 0x0050, 'SH', 'ACC-99317-PLANTED'],
  [0x0008, 0x0060, 'CS', 'MR'], [0x0008, 0x0070, 'LO', 'Example Medical'], [0x0008, 0x0080, 'LO', 'Klinikum Süd'],
  [0x0008, 0x0090, 'PN', 'REFDOC^PLANTED'], [0x0008, 0x1010, 'SH', 'MRI-3T-01'], [0x0008, 0x1040, 'LO', 'Neuroradiologie'],
  [0x0008, 0x1090, 'LO', 'Magnetom 3T'], [0x0010, 0x0010, 'PN', 'DOE^JANE'], [0x0010, 0x0020, 'LO', 'MRN-4711-PLANTED'],
  [0x0010, 0x0030, 'DA', '19450317'], [0x0010, 0x4000, 'LT', 'PLANTED comment '.repeat(200)],
  [0x0018, 0x1000, 'LO', 'SN-MR-0007'], [0x0018, 0x1020, 'LO', 'XA30\\VE11E'], [0x0020, 0x000d, 'UI', '2.25.19450317'],
  [0x7fe0, 0x0010, 'OW', Buffer.alloc(6000, 0x11)],
];
const MR_TAGS = {
  modality: 'MR', manufacturer: 'Example Medical', institution_name: 'Klinikum Süd', station_name: 'MRI-3T-01',
  institutional_department_name: 'Neuroradiologie', manufacturer_model_name: 'Magnetom 3T', device_serial_number: 'SN-MR-0007',
  software_versions: ['XA30', 'VE11E'],
};

const rq = associate(1, {
  called: 'PACS_MAIN', calling: 'MRI_ROOM1',
  contexts: [{ id: 1, abstract: '1.2.840.10008.1.1', ts: [IMPLICIT] }, { id: 3, abstract: '1.2.840.10008.5.1.4.1.1.4', ts: [EXPLICIT, IMPLICIT] },
    { id: 5, abstract: CT, ts: [BIG] }, { id: 7, abstract: '1.2.840.10008.5.1.4.1.2.2.1', ts: [IMPLICIT] },
    { id: 9, abstract: '1.2.840.10008.5.1.4.1.2.2.2', ts: [IMPLICIT] }],
  maxPdu: 32768, implUid: '1.2.826.0.1.3680043.2.1143.107.104.103.115', version: 'EXAMPLE_1',
  // User Identity (PS3.7 D.3.3.7.1): type 2, username and passcode: only the type may come out.
  userIdentity: Buffer.concat([Buffer.from([2, 0]), u16(10), Buffer.from('nurse.jane'), u16(7), Buffer.from('hunter2')]),
});
const ac = associate(2, {
  called: 'PACS_MAIN', calling: 'MRI_ROOM1',
  contexts: [{ id: 1, ts: [IMPLICIT] }, { id: 3, ts: [EXPLICIT] }, { id: 5, ts: [BIG] }, { id: 7, ts: [IMPLICIT], result: 3 }, { id: 9, ts: [IMPLICIT] }],
  maxPdu: 65536, implUid: '1.2.40.0.13.1.3', version: 'EXAMPLE_PACS_2',
});

describe('dicom association PDUs (spec-built, PS3.8 9.3)', () => {
  it('reads the A-ASSOCIATE-RQ of the SCU and waits for what follows', () => {
    expect(parse(rq, ctx())).toEqual({ done: false });
    const obs = observations(parse(rq, ctx(), true));
    expect(obs).toEqual([{
      device: { mac: '00:1b:21:00:00:01', ip: '10.0.0.1' }, tsMs: 7, source: 'dicom',
      fields: {
        pdu: 'A-ASSOCIATE-RQ', role: 'scu', encrypted: false, calling_ae_title: 'MRI_ROOM1', ae_title: 'MRI_ROOM1', called_ae_title: 'PACS_MAIN',
        application_context: '1.2.840.10008.3.1.1.1', presentation_contexts: 5,
        abstract_syntaxes: ['1.2.840.10008.1.1', '1.2.840.10008.5.1.4.1.1.4', CT, '1.2.840.10008.5.1.4.1.2.2.1', '1.2.840.10008.5.1.4.1.2.2.2'],
        abstract_syntax_names: ['Verification SOP Class', 'MR Image Storage', 'CT Image Storage',
          'Study Root Query/Retrieve Information Model - FIND', 'Study Root Query/Retrieve Information Model - MOVE'],
        transfer_syntaxes: [IMPLICIT, EXPLICIT, BIG],
        transfer_syntax_names: ['Implicit VR Little Endian', 'Explicit VR Little Endian', 'Explicit VR Big Endian (Retired)'],
        max_pdu_length: 32768, implementation_class_uid: '1.2.826.0.1.3680043.2.1143.107.104.103.115',
        implementation_version_name: 'EXAMPLE_1', user_identity_type: 'username-passcode',
      },
    }]);
    expectNoPatientData(obs);
  });

  it('reads the A-ASSOCIATE-AC of the SCP, naming accepted contexts from the RQ in peerData', () => {
    const obs = observations(parse(ac, ctx(rq)));
    expect(obs.map((o) => o.device.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(obs[0].fields).toEqual({
      pdu: 'A-ASSOCIATE-AC', role: 'scp', encrypted: false, ae_title: 'PACS_MAIN', calling_ae_title: 'MRI_ROOM1', called_ae_title: 'PACS_MAIN',
      application_context: '1.2.840.10008.3.1.1.1', presentation_contexts: 5, presentation_contexts_accepted: 4,
      abstract_syntaxes: ['1.2.840.10008.1.1', '1.2.840.10008.5.1.4.1.1.4', CT, '1.2.840.10008.5.1.4.1.2.2.2'],
      abstract_syntax_names: ['Verification SOP Class', 'MR Image Storage', 'CT Image Storage', 'Study Root Query/Retrieve Information Model - MOVE'],
      rejected_abstract_syntaxes: ['1.2.840.10008.5.1.4.1.2.2.1'],
      transfer_syntaxes: [IMPLICIT, EXPLICIT, BIG],
      transfer_syntax_names: ['Implicit VR Little Endian', 'Explicit VR Little Endian', 'Explicit VR Big Endian (Retired)'],
      max_pdu_length: 65536, implementation_class_uid: '1.2.40.0.13.1.3', implementation_version_name: 'EXAMPLE_PACS_2',
    });
    // The SCU's facts, from peerData, onto the other end: the same object the SCU's own direction gives.
    expect(obs[1].device).toEqual({ mac: '00:1d:4a:00:00:02', ip: '10.0.0.2' });
    expect(obs[1].fields).toBe(observations(parse(rq, ctx(), true))[0].fields);
    // Without the RQ: counts and transfer syntaxes only.
    const alone = observations(parse(ac, ctx()));
    expect(alone).toHaveLength(1);
    expect(alone[0].fields).not.toHaveProperty('abstract_syntaxes');
    expect(alone[0].fields).toMatchObject({ presentation_contexts_accepted: 4, ae_title: 'PACS_MAIN' });
  });

  it('reads the reject result, source and reason, and the A-ABORT source and reason', () => {
    const rj = (result: number, source: number, reason: number) => pdu(3, Buffer.from([0, result, source, reason]));
    expect(byPdu(observations(parse(rj(1, 1, 7), ctx(rq))), 'A-ASSOCIATE-RJ')).toEqual([{
      pdu: 'A-ASSOCIATE-RJ', role: 'scp', encrypted: false, ae_title: 'PACS_MAIN', calling_ae_title: 'MRI_ROOM1', called_ae_title: 'PACS_MAIN',
      reject_result: 'rejected-permanent', reject_source: 'service-user', reject_reason: 'called-AE-title-not-recognized',
    }]);
    expect(byPdu(observations(parse(rj(2, 3, 1), ctx())), 'A-ASSOCIATE-RJ')).toEqual([{
      pdu: 'A-ASSOCIATE-RJ', role: 'scp', encrypted: false,
      reject_result: 'rejected-transient', reject_source: 'service-provider-presentation', reject_reason: 'temporary-congestion',
    }]);
    expect(byPdu(observations(parse(rj(1, 2, 2), ctx())), 'A-ASSOCIATE-RJ')[0])
      .toMatchObject({ reject_source: 'service-provider-acse', reject_reason: 'protocol-version-not-supported' });
    expect(byPdu(observations(parse(rj(1, 1, 3), ctx())), 'A-ASSOCIATE-RJ')[0]).toMatchObject({ reject_reason: 'calling-AE-title-not-recognized' });
    // The SCU's direction learns of the refusal from peerData too.
    expect(byPdu(observations(parse(rq, ctx(rj(1, 1, 7)), true)), 'A-ASSOCIATE-RJ')).toHaveLength(1);

    const abort = (source: number, reason: number) => pdu(7, Buffer.from([0, 0, source, reason]));
    expect(observations(parse(abort(2, 2), ctx())).map((o) => o.fields)).toEqual([
      { pdu: 'A-ABORT', encrypted: false, abort_source: 'service-provider', abort_reason: 'unexpected-PDU' },
    ]);
    // An SCU that aborts after its request: role known, reason not significant for a service-user abort.
    const fields = observations(parse(Buffer.concat([rq, abort(0, 0)]), ctx(ac))).map((o) => o.fields);
    expect(fields).toContainEqual({ pdu: 'A-ABORT', role: 'scu', encrypted: false, abort_source: 'service-user' });
    expect(fields.map((f) => f.pdu)).toEqual(['A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-ABORT']);
  });
});

describe('dicom P-DATA-TF: DIMSE commands and the first C-STORE data set', () => {
  const store = (ds: Buffer, pc: number, pieces: number[]) => {
    // Command in two PDVs of one PDU, then the data set cut at `pieces` into PDVs, one PDU each.
    const cmd = commandSet(0x0001, '1.2.840.10008.5.1.4.1.1.4', { dataSet: true });
    const out = [pdata(pdv(pc, CMD, cmd.subarray(0, 10)), pdv(pc, CMD | LAST, cmd.subarray(10)))];
    let at = 0;
    for (const n of [...pieces, ds.length]) {
      const end = Math.min(n, ds.length);
      if (end <= at) continue;
      out.push(pdata(pdv(pc, end === ds.length ? LAST : 0, ds.subarray(at, end))));
      at = end;
    }
    return Buffer.concat(out);
  };
  const release = pdu(5, Buffer.alloc(4));

  for (const [syntax, pc] of [['explicit', 3], ['implicit', 1], ['big', 5]] as const) {
    it(`reads the device and site tags of a ${syntax} VR data set split over PDVs and PDUs, and nothing else`, () => {
      const ds = dataSet(MR_IMAGE, syntax);
      const stream = Buffer.concat([rq, store(ds, pc, [1, 2, 3, 700, 3300, 3301, 3400]), release]);
      for (const peer of [ac, EMPTY]) { // with the AC's transfer syntax, and guessed without it
        const obs = observations(parse(stream, ctx(peer)));
        expect(byPdu(obs, 'P-DATA-TF')).toEqual([{
          pdu: 'P-DATA-TF', role: 'scu', encrypted: false, dimse_commands: ['C-STORE-RQ'],
          sop_classes: ['1.2.840.10008.5.1.4.1.1.4'], sop_class_names: ['MR Image Storage'], ...MR_TAGS,
        }]);
        expectNoPatientData(obs);
      }
    });
  }

  it('finishes as soon as the tags are in, waiting before; reports what came of a data set cut short', () => {
    const ds = dataSet(MR_IMAGE, 'explicit');
    const stream = Buffer.concat([rq, store(ds, 3, [1000, 2000, 3000, 4000])]);
    const serialAt = stream.indexOf('SN-MR-0007');
    const softwareEnd = stream.indexOf('VE11E') + 'VE11E'.length + 1;
    expect(serialAt).toBeGreaterThan(rq.length + 3000); // several PDUs after Modality
    for (let k = rq.length; k < softwareEnd; k += 97) expect(parse(stream.subarray(0, k), ctx(ac)), `cut at ${k}`).toEqual({ done: false });
    // Done without waiting for the 6000 bytes of pixel data, a release or the end of the stream.
    expect(byPdu(observations(parse(stream.subarray(0, softwareEnd + 8), ctx(ac))), 'P-DATA-TF')[0]).toMatchObject(MR_TAGS);
    // The stream ends (the pipeline's 16 KiB) before the group 0018 tags: what came before them.
    const cut = observations(parse(stream.subarray(0, serialAt - 4), ctx(ac), true));
    const f = byPdu(cut, 'P-DATA-TF')[0];
    expect(f).toMatchObject({ modality: 'MR', manufacturer_model_name: 'Magnetom 3T' });
    expect(f).not.toHaveProperty('device_serial_number');
    expectNoPatientData(cut);
  });

  it('keeps a device tag only in its VR\'s shape, and the Implementation Version Name only as 16 characters', () => {
    const swap = (tag: [number, number], vr: string, value: string | Buffer): El[] =>
      MR_IMAGE.map((e) => (e[0] === tag[0] && e[1] === tag[1] ? [e[0], e[1], vr, value] : e));
    const tagsOf = (els: El[]) => byPdu(observations(parse(Buffer.concat([rq, store(dataSet(els, 'explicit'), 3, []), release]), ctx(ac))), 'P-DATA-TF')[0];
    const bad: [tag: [number, number], vr: string, value: string | Buffer, field: string][] = [
      [[0x0008, 0x0060], 'CS', 'mr', 'modality'], [[0x0008, 0x0060], 'CS', 'MR-X', 'modality'],
      [[0x0008, 0x1010], 'SH', 'STATION-NAME-OVER-16', 'station_name'],
      // ISO 2022 code extension (ESC $ B ... ESC ( B): not decoded, so not kept.
      [[0x0008, 0x0080], 'LO', Buffer.from('\x1b$B;3ED\x1b(B', 'latin1'), 'institution_name'],
      [[0x0008, 0x0070], 'LO', 'Example\\Medical', 'manufacturer'], [[0x0008, 0x1090], 'LO', 'Magnetom\x07 3T', 'manufacturer_model_name'],
      [[0x0008, 0x1040], 'LO', 'N'.repeat(65), 'institutional_department_name'], [[0x0018, 0x1000], 'LO', 'SN\u0085MR', 'device_serial_number'],
    ];
    for (const [tag, vr, value, field] of bad) {
      const f = tagsOf(swap(tag, vr, value));
      expect(f, field).not.toHaveProperty(field);
      // The other tags are still read: only the value out of shape is dropped.
      expect(f[field === 'modality' ? 'device_serial_number' : 'modality'], field).toBe(field === 'modality' ? 'SN-MR-0007' : 'MR');
    }
    const named = (version: string | Buffer) => observations(parse(associate(1, { called: 'A', calling: 'B', contexts: [], version }), ctx(), true))[0].fields;
    expect(named('OFFIS_DCMTK_367')).toMatchObject({ implementation_version_name: 'OFFIS_DCMTK_367' });
    for (const v of ['VERSION-NAME-OVER-16', 'DOE\\JANE', Buffer.from('A\x1bB'), ' LEADING']) expect(named(v)).not.toHaveProperty('implementation_version_name');
  });

  it('never reads other data sets: C-FIND identifiers, later C-STOREs; keeps C-MOVE destinations and every command', () => {
    const identifier = dataSet([[0x0008, 0x0052, 'CS', 'STUDY'], [0x0008, 0x0060, 'CS', 'PLANTED'], [0x0010, 0x0010, 'PN', 'DOE^JANE'],
      [0x0010, 0x0020, 'LO', 'MRN-4711-PLANTED']], 'implicit');
    const stream = Buffer.concat([
      rq,
      pdata(pdv(1, CMD | LAST, commandSet(0x0030, '1.2.840.10008.1.1'))),
      pdata(pdv(7, CMD | LAST, commandSet(0x0020, '1.2.840.10008.5.1.4.1.2.2.1', { dataSet: true })), pdv(7, LAST, identifier)),
      pdata(pdv(9, CMD | LAST, commandSet(0x0021, '1.2.840.10008.5.1.4.1.2.2.2', { dataSet: true, moveDestination: 'WS_VIEWER3' })), pdv(9, LAST, identifier)),
      pdata(pdv(1, CMD | LAST, commandSet(0x0fff, '1.2.840.10008.5.1.4.1.2.2.1'))),
      release,
    ]);
    const obs = observations(parse(stream, ctx(ac)));
    expect(byPdu(obs, 'P-DATA-TF')).toEqual([{
      pdu: 'P-DATA-TF', role: 'scu', encrypted: false, dimse_commands: ['C-ECHO-RQ', 'C-FIND-RQ', 'C-MOVE-RQ', 'C-CANCEL-RQ'],
      sop_classes: ['1.2.840.10008.1.1', '1.2.840.10008.5.1.4.1.2.2.1', '1.2.840.10008.5.1.4.1.2.2.2'],
      sop_class_names: ['Verification SOP Class', 'Study Root Query/Retrieve Information Model - FIND', 'Study Root Query/Retrieve Information Model - MOVE'],
      move_destination: 'WS_VIEWER3',
    }]);
    expectNoPatientData(obs);
    // Only the first C-STORE's data set is read: a second one (another device's image) is not.
    const second = dataSet(MR_IMAGE.map(([g, e, vr, v]): El => (g === 0x0008 && e === 0x0070 ? [g, e, vr, 'Other Vendor'] : [g, e, vr, v])), 'explicit');
    const two = Buffer.concat([rq, store(dataSet(MR_IMAGE, 'explicit'), 3, []), store(second, 3, []), release]);
    expect(byPdu(observations(parse(two, ctx(ac))), 'P-DATA-TF')[0]).toMatchObject({ manufacturer: 'Example Medical' });
  });

  it('attributes P-DATA to a role from peerData when the start of its own direction is the answer', () => {
    const rsp = pdata(pdv(1, CMD | LAST, commandSet(0x8030, '1.2.840.10008.1.1')));
    const fields = observations(parse(Buffer.concat([ac, rsp]), ctx(rq))).map((o) => o.fields);
    expect(fields).toContainEqual(expect.objectContaining({ pdu: 'P-DATA-TF', role: 'scp', dimse_commands: ['C-ECHO-RSP'] }));
    // A direction seen from its middle: P-DATA first, role from the other side's A-ASSOCIATE-RQ.
    expect(observations(parse(Buffer.concat([rsp, pdu(6, Buffer.alloc(4))]), ctx(rq))).map((o) => o.fields))
      .toContainEqual(expect.objectContaining({ pdu: 'P-DATA-TF', role: 'scp' }));
  });
});

describe('dicom says "not mine" and stays bounded on malformed input', () => {
  it('declines other protocols at the probe or the parse', () => {
    for (const s of ['GET / HTTP/1.1\r\n', 'SSH-2.0-OpenSSH_9.2\r\n', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc', '\x03\x00\x00\x13\x0e\xe0\x00\x00',
      '\x0bMSH|^~\\&|', '\x00\x00\x00\x85\xffSMB', '\x01\x00\x00\x00\x00\x04\x00\x00\x00\x00']) {
      const b = Buffer.from(s, 'latin1');
      expect(dicom.probe(b) && parse(b, ctx(), true) !== null, JSON.stringify(s)).toBe(false);
    }
  });

  it('rejects lying and impossible lengths, and PDV items that do not fit', () => {
    const huge = Buffer.concat([Buffer.from([1, 0]), u32(0xffffffff), rq.subarray(6)]);
    expect(dicom.probe(huge)).toBe(false);
    expect(parse(huge, ctx())).toBeNull();
    expect(parse(Buffer.concat([Buffer.from([3, 0]), u32(400), Buffer.alloc(4)]), ctx())).toBeNull(); // RJ is 4 bytes
    expect(parse(Buffer.concat([Buffer.from([1, 1]), rq.subarray(2)]), ctx())).toBeNull(); // reserved byte
    const badVersion = Buffer.from(rq);
    badVersion.writeUInt16BE(2, 6);
    expect(dicom.probe(badVersion)).toBe(false);
    expect(parse(badVersion, ctx(), true)).toBeNull();
    const badAe = Buffer.from(rq);
    badAe[12] = 0x07;
    expect(parse(badAe, ctx(), true)).toBeNull();
    // An item longer than its PDU.
    const badItem = Buffer.from(rq);
    badItem.writeUInt16BE(0xfff0, 6 + 68 + 2);
    expect(parse(badItem, ctx(), true)).toBeNull();

    // A P-DATA-TF claiming 2 GB: wait for the bytes (the pipeline bounds them), then give up.
    const lying = Buffer.concat([Buffer.from([4, 0]), u32(0x7fffffff), u32(0x7ffffff0), Buffer.from([1, CMD]), Buffer.alloc(100)]);
    expect(dicom.probe(lying)).toBe(true);
    expect(parse(lying, ctx())).toEqual({ done: false });
    expect(parse(lying, ctx(), true)).toBeNull();
    // A PDV item longer than its PDU; an even presentation context ID; reserved control bits.
    expect(parse(pdu(4, Buffer.concat([u32(100), Buffer.from([1, 3]), Buffer.alloc(10)])), ctx(), true)).toBeNull();
    expect(parse(pdata(pdv(2, CMD | LAST, Buffer.alloc(8))), ctx(), true)).toBeNull();
    expect(parse(pdata(pdv(1, 0x13, Buffer.alloc(8))), ctx(), true)).toBeNull();
    // A plausible RQ length with little data: wait; at the end, the fixed fields and whole items that came.
    const cutRq = Buffer.concat([Buffer.from([1, 0]), u32(60000), rq.subarray(6, 6 + 68 + 30)]);
    expect(parse(cutRq, ctx())).toEqual({ done: false });
    expect(observations(parse(cutRq, ctx(), true))[0].fields)
      .toMatchObject({ ae_title: 'MRI_ROOM1', application_context: '1.2.840.10008.3.1.1.1', presentation_contexts: 0 });
    // Garbage after a good start: what came before it.
    const tail = observations(parse(Buffer.concat([rq, Buffer.from([9, 9, 9, 9, 9, 9, 9])]), ctx()));
    expect(tail.map((o) => o.fields.pdu)).toEqual(['A-ASSOCIATE-RQ']);
  });

  it('survives every truncation and random corruption of built streams (no exception, verdicts only)', () => {
    const stream = Buffer.concat([rq, pdata(pdv(3, CMD | LAST, commandSet(0x0001, CT, { dataSet: true }))),
      pdata(pdv(3, LAST, dataSet(MR_IMAGE, 'explicit').subarray(0, 4000)))]);
    const frames = [{ bytes: Buffer.concat([Buffer.alloc(12), stream]), wireLen: 0, tsMicros: 0, linkType: 1 }];
    truncateAndCorrupt(frames, 1104, (_f, bytes) => {
      const b = bytes.subarray(Math.min(12, bytes.length));
      for (const [peer, final] of [[EMPTY, false], [ac, true]] as const) {
        const v = parseDicomStream(b, ctx(peer), final);
        expect(v === null || typeof v.done === 'boolean').toBe(true);
        expectNoPatientData(observations(v));
      }
    }, 400);
  });
});

// ---------------------------------------------------------------------------------------------
// Real implementations, recorded by test-fixtures/make-dicom-fixtures.sh.

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const capture = (name: string) => join(fixtures, `dicom-${name}.pcap`);
const have = ['echo', 'store', 'escaped', 'reject', 'orthanc', 'pixelmed'].every((n) => existsSync(capture(n)));
if (!have) console.warn('dicom.test: test-fixtures/dicom-*.pcap absent (make-dicom-fixtures.sh), the capture tests are skipped');

const MAX_BYTES = 16 * 1024;
const MAX_SEGMENTS = 32;

/**
 * The captures as the pipeline sees them (agent/evidence/streams.ts): each direction probed on its first
 * segment, parsed again after every segment with the other direction's bytes as peerData for as long
 * as that one is still collected, finished when the dissector says done, and at its bounds
 * (16 KiB, 32 segments) or the end of the capture with `final`.
 */
async function throughPipeline(path: string, outputs: InventoryOutput[] = []): Promise<Observation<'dicom'>[]> {
  const frames = await loadFrames(path);
  const v = new PacketView();
  interface Dir { ctx: Omit<StreamContext, 'peerData' | 'tsMs'>; data: Buffer; next: number; segments: number; open: boolean; key: string; peerKey: string }
  const dirs = new Map<string, Dir>();
  const out: Observation<'dicom'>[] = [];
  const offer = (d: Dir, tsMs: number, final: boolean) => {
    const peer = dirs.get(d.peerKey);
    const verdict = parse(d.data, { ...d.ctx, tsMs, peerData: peer?.open ? peer.data : EMPTY }, final);
    if (verdict === null || verdict.done || final) d.open = false;
    if (verdict !== null && verdict.done) {
      out.push(...verdict.observations);
      outputs.push(...(verdict.outputs ?? []));
    }
  };
  for (const f of frames) {
    if (v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType) !== DecodeStatus.OK) continue;
    if (v.l4Proto !== IpProto.TCP || v.payloadLen === 0) continue;
    const srcIp = ipToString(v.buf, v.srcIpOff, v.ipVersion);
    const dstIp = ipToString(v.buf, v.dstIpOff, v.ipVersion);
    const key = `${srcIp}|${v.srcPort}|${dstIp}|${v.dstPort}`;
    const seq = v.buf.readUInt32BE(v.l4Off + 4);
    const payload = Buffer.from(v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen));
    let d = dirs.get(key);
    if (d === undefined) {
      d = {
        key, peerKey: `${dstIp}|${v.dstPort}|${srcIp}|${v.srcPort}`, data: EMPTY, next: seq, segments: 0, open: dicom.probe(payload),
        ctx: { srcMac: macToString(macAt(v.buf, v.srcMacOff)), srcIp, srcPort: v.srcPort, dstMac: macToString(macAt(v.buf, v.dstMacOff)), dstIp, dstPort: v.dstPort },
      };
      dirs.set(key, d);
    }
    if (!d.open) continue;
    expect(seq, 'the fixtures have no loss or reordering').toBe(d.next);
    d.next = (seq + payload.length) >>> 0;
    d.segments++;
    d.data = Buffer.concat([d.data, payload]).subarray(0, MAX_BYTES);
    offer(d, Math.floor(f.tsMicros / 1000), d.data.length >= MAX_BYTES || d.segments >= MAX_SEGMENTS);
  }
  for (const d of dirs.values()) if (d.open) offer(d, 0, true);
  return out;
}

const CT_TAGS = {
  modality: 'CT', manufacturer: 'GE MEDICAL SYSTEMS', manufacturer_model_name: 'Revolution CT', device_serial_number: 'CT99-0042-SN',
  software_versions: ['revo_ct_22bc.44', '1.7.3'], station_name: 'CTROOM3', institution_name: 'Example General Hospital',
  institutional_department_name: 'Radiology',
};
const DCMTK = { implementation_class_uid: '1.2.276.0.7230010.3.0.3.6.7', implementation_version_name: 'OFFIS_DCMTK_367' };
const PIXELMED = { implementation_class_uid: '1.3.6.1.4.1.5962.99.2', implementation_version_name: 'PIXELMEDJAVA001' };
const MAC = { ct: '44:4b:5d:1e:40:20', pacs: '00:1d:4a:1e:40:10', orth: '00:25:90:1e:40:11', ws: '00:1b:21:1e:40:50' };
/** Distinct fields of the observations about one device (by MAC) from one kind of PDU (both directions
 * may report an end's association: equal facts, which the inventory keeps once). */
const on = <P extends DicomFields['pdu']>(obs: Observation<'dicom'>[], mac: string, pdu: P) =>
  [...new Map(obs.filter((o) => o.device.mac === mac && o.fields.pdu === pdu).map((o) => [JSON.stringify(o.fields), o.fields])).values()] as
    Extract<DicomFields, { pdu: P }>[];

describe.skipIf(!have)('dicom on real implementations (test-fixtures/dicom-*.pcap)', () => {
  it('dicom-echo.pcap: dcmtk echoscu -> storescp, both ends and the C-ECHO', async () => {
    const obs = await throughPipeline(capture('echo'));
    expect(on(obs, MAC.ws, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({
      role: 'scu', encrypted: false, ae_title: 'WS3VIEW', called_ae_title: 'PACSARCH', application_context: '1.2.840.10008.3.1.1.1',
      abstract_syntaxes: ['1.2.840.10008.1.1'], abstract_syntax_names: ['Verification SOP Class'], transfer_syntaxes: [IMPLICIT],
      max_pdu_length: 16384, ...DCMTK,
    })]);
    expect(on(obs, MAC.pacs, 'A-ASSOCIATE-AC')).toEqual([expect.objectContaining({
      role: 'scp', ae_title: 'PACSARCH', calling_ae_title: 'WS3VIEW', abstract_syntaxes: ['1.2.840.10008.1.1'],
      presentation_contexts_accepted: 1, max_pdu_length: 16384, ...DCMTK,
    })]);
    expect(on(obs, MAC.ws, 'P-DATA-TF')).toEqual([expect.objectContaining({ role: 'scu', dimse_commands: ['C-ECHO-RQ'], sop_classes: ['1.2.840.10008.1.1'] })]);
    for (const o of obs) expect(o.fields.encrypted).toBe(false);
    // Each end's association facts once, whichever direction reported them (the same fields object).
    expect(new Set(obs.map((o) => o.fields)).size).toBe(3);
  });

  it('dicom-relay.pcap: each C-STORE-RQ is an instance sighting, its UID only as a SHA-256 digest', async () => {
    const outputs: InventoryOutput[] = [];
    await throughPipeline(capture('relay'), outputs);
    const uid = '2.25.299792458602214076662607015141592653';
    const digest = createHash('sha256').update(uid).digest('hex');
    expect(outputs.map((o) => o.kind === 'instance-sighting' && [o.instanceDigest, o.sender.mac, o.receiver.mac])).toEqual([
      [digest, '7c:94:b2:13:06:20', '84:11:c2:30:13:06'], // the scanner stores its image to Orthanc
      [digest, '84:11:c2:30:13:06', '7c:94:b2:13:06:20'], // Orthanc sends it on to the scanner's Storage SCP
    ]);
    expect(JSON.stringify(outputs)).not.toContain(uid);
  });

  it('dicom-store.pcap: a C-STORE over PDUs of 4 KiB; device tags on the CT, patient data nowhere', async () => {
    const obs = await throughPipeline(capture('store'));
    expect(on(obs, MAC.ct, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({
      ae_title: 'CT_ROOM3', called_ae_title: 'PACSARCH', max_pdu_length: 4096, presentation_contexts: 128, ...DCMTK,
    })]);
    expect(on(obs, MAC.ct, 'A-ASSOCIATE-RQ')[0].abstract_syntax_names).toContain('CT Image Storage');
    const scp = on(obs, MAC.pacs, 'A-ASSOCIATE-AC');
    expect(scp).toEqual([expect.objectContaining({
      ae_title: 'PACSARCH', max_pdu_length: 4096, presentation_contexts_accepted: 64, transfer_syntaxes: [IMPLICIT], ...DCMTK,
    })]);
    expect(scp[0].abstract_syntaxes).toContain(CT);
    expect(on(obs, MAC.ct, 'P-DATA-TF')).toEqual([{
      pdu: 'P-DATA-TF', role: 'scu', encrypted: false, dimse_commands: ['C-STORE-RQ'], sop_classes: [CT], sop_class_names: ['CT Image Storage'], ...CT_TAGS,
    }]);
    expectNoPatientData(obs);

    // The capture is what the test claims: the RQ spans TCP segments, and the data set reaches the serial
    // number only in a later P-DATA-TF PDU than the one with Modality.
    const scu = (await tcpDirections(capture('store'))).find((d) => d.srcMac === MAC.ct)!;
    const pdus: number[] = [];
    for (let p = 0; p + 6 <= scu.data.length; p += 6 + scu.data.readUInt32BE(p + 2)) pdus.push(p);
    const pduOf = (at: number) => pdus.filter((p) => p <= at).length;
    expect(pduOf(scu.data.indexOf('CT99-0042-SN'))).toBeGreaterThan(pduOf(scu.data.indexOf('GE MEDICAL SYSTEMS')));
    expect(scu.data.readUInt32BE(2)).toBeGreaterThan(1448);
    expect(scu.data.includes('DOE^JANE')).toBe(true); // planted, and on the wire
  });

  it('dicom-escaped.pcap: a C-STORE in ISO 2022 IR 87; names in JIS X 0208 escapes nowhere, the escaped institution dropped', async () => {
    const obs = await throughPipeline(capture('escaped'));
    const { institution_name: _, ...ascii } = CT_TAGS;
    expect(on(obs, MAC.ct, 'P-DATA-TF')).toEqual([{
      pdu: 'P-DATA-TF', role: 'scu', encrypted: false, dimse_commands: ['C-STORE-RQ'], sop_classes: [CT], sop_class_names: ['CT Image Storage'],
      ...ascii, device_serial_number: 'CT99-0043-SN', station_name: 'CTROOM4',
    }]);
    expectNoPatientData(obs);
    const json = JSON.stringify(obs);
    for (const p of ['\\u001b', '$B', ';3ED', 'REFDOC']) expect(json, p).not.toContain(p);
    // Planted, and on the wire: the alphabetic name and its ideographic form (ESC $ B, JIS X 0208).
    const scu = (await tcpDirections(capture('escaped'))).find((d) => d.srcMac === MAC.ct)!;
    expect(scu.data.includes('DOE^JANE=\x1b$B;3ED\x1b(B', 0, 'latin1')).toBe(true);
    expect(scu.data.includes('\x1b$BCf1{IB1!\x1b(B', 0, 'latin1')).toBe(true); // the Institution Name
  });

  it('dicom-reject.pcap: dcmtk storescp --refuse and Orthanc refusing an unknown called AE title', async () => {
    const obs = await throughPipeline(capture('reject'));
    expect(on(obs, MAC.pacs, 'A-ASSOCIATE-RJ')).toEqual([{
      pdu: 'A-ASSOCIATE-RJ', role: 'scp', encrypted: false, ae_title: 'PACSARCH', calling_ae_title: 'CT_ROOM3', called_ae_title: 'PACSARCH',
      reject_result: 'rejected-permanent', reject_source: 'service-user', reject_reason: 'no-reason-given',
    }]);
    expect(on(obs, MAC.orth, 'A-ASSOCIATE-RJ')).toEqual([{
      pdu: 'A-ASSOCIATE-RJ', role: 'scp', encrypted: false, ae_title: 'NOT_ORTHANC', calling_ae_title: 'WS3VIEW', called_ae_title: 'NOT_ORTHANC',
      reject_result: 'rejected-permanent', reject_source: 'service-user', reject_reason: 'called-AE-title-not-recognized',
    }]);
    expect(on(obs, MAC.ct, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({ ae_title: 'CT_ROOM3', ...DCMTK })]);
    expect(on(obs, MAC.ws, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({ ae_title: 'WS3VIEW', called_ae_title: 'NOT_ORTHANC' })]);
    expect(obs.filter((o) => o.fields.pdu === 'P-DATA-TF')).toEqual([]);
  });

  it('dicom-orthanc.pcap: Orthanc as SCP of a C-STORE (explicit VR) and as SCU of a C-ECHO', async () => {
    const obs = await throughPipeline(capture('orthanc'));
    expect(on(obs, MAC.orth, 'A-ASSOCIATE-AC')).toEqual([expect.objectContaining({
      role: 'scp', ae_title: 'ORTHANC_WARD3', calling_ae_title: 'CT_ROOM3', presentation_contexts_accepted: 128, transfer_syntaxes: [EXPLICIT, IMPLICIT],
    })]);
    expect(on(obs, MAC.ct, 'P-DATA-TF')).toEqual([expect.objectContaining({ role: 'scu', dimse_commands: ['C-STORE-RQ'], ...CT_TAGS })]);
    // Orthanc's own association as an SCU (asked over its REST API): Orthanc networks with dcmtk, so its
    // implementation class UID is dcmtk's.
    expect(on(obs, MAC.orth, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({
      role: 'scu', ae_title: 'ORTHANC_WARD3', called_ae_title: 'PACSARCH', presentation_contexts: 5, ...DCMTK,
    })]);
    expect(on(obs, MAC.orth, 'P-DATA-TF')).toEqual([expect.objectContaining({ role: 'scu', dimse_commands: ['C-ECHO-RQ'] })]);
    expect(on(obs, MAC.pacs, 'A-ASSOCIATE-AC'))
      .toEqual([expect.objectContaining({ ae_title: 'PACSARCH', calling_ae_title: 'ORTHANC_WARD3', abstract_syntaxes: ['1.2.840.10008.1.1'] })]);
    expectNoPatientData(obs);
  });

  it('dicom-pixelmed.pcap: PixelMed (no dcmtk) as SCU and SCP: C-STORE, C-ECHO, and a refused called AE title', async () => {
    const obs = await throughPipeline(capture('pixelmed'));
    expect(on(obs, MAC.ct, 'A-ASSOCIATE-RQ')).toEqual([expect.objectContaining({
      ae_title: 'CT_PIXELMED', called_ae_title: 'PIXELMED_SCP', abstract_syntaxes: [CT], max_pdu_length: 0, ...PIXELMED,
    })]);
    expect(on(obs, MAC.pacs, 'A-ASSOCIATE-AC')).toEqual(expect.arrayContaining([
      expect.objectContaining({ ae_title: 'PIXELMED_SCP', calling_ae_title: 'CT_PIXELMED', abstract_syntaxes: [CT], ...PIXELMED }),
      expect.objectContaining({ ae_title: 'PIXELMED_SCP', calling_ae_title: 'WS3VIEW_PM', abstract_syntaxes: ['1.2.840.10008.1.1'], ...PIXELMED }),
    ]));
    expect(on(obs, MAC.ct, 'P-DATA-TF')).toEqual([expect.objectContaining({ role: 'scu', dimse_commands: ['C-STORE-RQ'], ...CT_TAGS })]);
    expect(on(obs, MAC.ws, 'P-DATA-TF')).toEqual([expect.objectContaining({ role: 'scu', dimse_commands: ['C-ECHO-RQ'] })]);
    expect(on(obs, MAC.pacs, 'A-ASSOCIATE-RJ')).toEqual([expect.objectContaining({
      ae_title: 'NOT_PIXELMED', calling_ae_title: 'WS3VIEW_PM', reject_reason: 'called-AE-title-not-recognized',
    })]);
    expectNoPatientData(obs);
  });

  it('reads each direction whole as well, with or without the other one (a one-sided capture)', async () => {
    for (const name of ['echo', 'store', 'reject', 'orthanc', 'pixelmed']) {
      const dirs = await tcpDirections(capture(name), MAX_BYTES);
      for (const d of dirs) {
        const peer = dirs.find((x) => x.srcIp === d.dstIp && x.srcPort === d.dstPort && x.dstPort === d.srcPort);
        for (const peerData of [peer?.data ?? EMPTY, EMPTY]) {
          const v = parse(d.data, { ...d, peerData }, true);
          expect(v, `${name} ${d.srcIp}:${d.srcPort}`).toMatchObject({ done: true });
          const obs = observations(v);
          expect(obs.length).toBeGreaterThan(0);
          expect(obs.some((o) => o.device.mac === d.srcMac)).toBe(true);
          expectNoPatientData(obs);
        }
      }
    }
  });

  it('waits at every split of the real C-STORE, then gives the same facts; never throws on corruption', async () => {
    const dirs = await tcpDirections(capture('pixelmed'), MAX_BYTES);
    const scu = dirs.find((d) => d.srcMac === MAC.ct)!;
    const scp = dirs.find((d) => d.dstMac === MAC.ct)!;
    const at = (k: number, final = false) => parseDicomStream(scu.data.subarray(0, k), { ...scu, peerData: scp.data }, final);
    let doneAt = 0;
    for (let k = 1; k <= scu.data.length && doneAt === 0; k++) {
      const v = at(k);
      expect(v, `cut at ${k}`).not.toBeNull();
      if (v !== null && v.done) doneAt = k;
    }
    expect(doneAt).toBeGreaterThan(scu.data.indexOf('1.7.3'));
    expect(byPdu(observations(at(doneAt)), 'P-DATA-TF')[0]).toMatchObject(CT_TAGS);
    for (let k = 0; k < doneAt; k += 13) expectNoPatientData(observations(at(k, true)));

    const frames = (d: TcpDirection) => [{ bytes: Buffer.concat([Buffer.alloc(12), d.data.subarray(0, 6000)]), wireLen: 0, tsMicros: 0, linkType: 1 }];
    for (const d of [scu, scp]) {
      truncateAndCorrupt(frames(d), 2762, (_f, bytes) => {
        const v = parseDicomStream(bytes.subarray(Math.min(12, bytes.length)), { ...d, peerData: d === scu ? scp.data : scu.data }, true);
        expect(v === null || typeof v.done === 'boolean').toBe(true);
        expectNoPatientData(observations(v));
      }, 150);
    }
  });
});
