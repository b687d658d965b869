import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, fuzz, parseFrame, runCapture, shapeErrors, withPayload } from '../testing/udp-dissectors.js';
import { intellivue, parseConnectIndication } from './intellivue.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const ava = (id: number, value: Buffer) => Buffer.concat([u16(id), u16(value.length), value]);
/** VariableLabel: length, then the characters padded to an even length. */
const label = (s: string | Buffer) => {
  const raw = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  const even = raw.length % 2 ? Buffer.concat([raw, Buffer.from([0])]) : raw;
  return Buffer.concat([u16(even.length), even]);
};

/** A Connect Indication (Data Export Interface Programming Guide layout) carrying `avas`. */
function connectIndication(avas: Buffer[], opts: { eventType?: number; roType?: number; command?: number } = {}): Buffer {
  const body = Buffer.concat(avas);
  const info = Buffer.concat([u16(avas.length), u16(body.length), body]);
  const event = Buffer.concat([u16(0x23), u16(0), u16(0), Buffer.from([0, 0xd6, 0xd4, 0]), u16(opts.eventType ?? 0x0d17), u16(info.length), info]);
  const roiv = Buffer.concat([u16(0), u16(opts.command ?? 0), u16(event.length), event]);
  return Buffer.concat([Buffer.from([0, 0, 1, 0]), u16(opts.roType ?? 1), u16(roiv.length), roiv]);
}

const IDENTITY = [
  ava(0x0986, Buffer.from([0, 1, 0x11, 0x4d])),
  ava(0x0928, Buffer.concat([label('Philips'), label('M8007A')])),
  ava(0xf100, Buffer.from([0x00, 0x09, 0xfb, 0x01, 0x02, 0x03, 10, 1, 2, 3, 255, 255, 0, 0])),
  ava(0xf101, Buffer.concat([u16(1), u16(8), u16(5), u16(1), u16(24105), u16(0x8000)])),
];
const PATIENT = [
  ava(0x095c, label('DOE')), ava(0x095d, label('JANE')), ava(0x095a, label('MRN-4711-PLANTED')),
  ava(0x0958, Buffer.from([0x19, 0x45, 0x03, 0x17, 0, 0, 0, 0])), ava(0xf001, label('MRN-4711-PLANTED')),
];
const PLANTED = ['DOE', 'JANE', 'MRN-4711', '19450317', '19:45:03:17', '1945'];

describe('intellivue on test-fixtures/intellivue-connect.pcap (Connect Indication broadcasts, built from the guide)', async () => {
  const routed = await runCapture(join(fixturesDir, 'intellivue-connect.pcap'), intellivue);
  const obs = routed.flatMap((r) => r.out ?? []);
  const identity = {
    message: 'connect_indication', role: 'monitor', nomenclature_version: '1.0', encrypted: false, manufacturer: 'Philips', model: 'M8007A',
    system_type_code: 4429, system_type: 'multi-parameter monitor', serial_number: 'DE12345678', part_number: 'M8007A',
    hardware_revision: 'B.00.05', software_revision: 'M.00.03', mac_address: '00:09:fb:2e:00:31', ip_address: '10.40.0.31',
    subnet_mask: '255.255.255.0', protocol_support: ['acse/udp/24105', 'data_export/udp/24105'], data_export_port: 24105, language: 'english',
  };

  it('describes the monitor that broadcast it: model, serial, revisions, addresses, data export port', () => {
    expect(routed).toHaveLength(3);
    expect(obs).toHaveLength(3);
    expect(shapeErrors(intellivue, obs)).toEqual([]);
    expect(obs[0]).toMatchObject({ device: { ip: '10.40.0.31', mac: '00:09:fb:2e:00:31' }, source: 'intellivue' });
    expect(obs[0].fields).toEqual(identity);
    expect(obs[2].fields).toEqual({ ...identity, system_id: '00:09:fb:2e:00:31' });
  });

  it('keeps none of the patient attributes planted in the last one', () => {
    const json = JSON.stringify(obs);
    for (const p of PLANTED) expect(json).not.toContain(p);
  });

  it('never throws on truncated or corrupted copies of its packets', () => {
    expect(fuzz(intellivue, routed.map((r) => r.captured))).toBeGreaterThan(3000);
  });

  it('reads hand-built messages in a real frame, and rejects what is not a Connect Indication', () => {
    const f = routed[0].captured;
    const ok = connectIndication([...IDENTITY, ...PATIENT]);
    expect(parseFrame(intellivue, withPayload(f, ok))?.[0].fields).toEqual({
      message: 'connect_indication', role: 'monitor', nomenclature_version: '1.0', encrypted: false, system_type_code: 4429,
      system_type: 'multi-parameter monitor', manufacturer: 'Philips', model: 'M8007A', mac_address: '00:09:fb:01:02:03',
      ip_address: '10.1.2.3', subnet_mask: '255.255.0.0', protocol_support: ['data_export/udp/24105'], data_export_port: 24105, wireless: true,
    });
    expect(JSON.stringify(parseFrame(intellivue, withPayload(f, ok)))).not.toMatch(/DOE|JANE|MRN|1945/);
    expect(parseFrame(intellivue, withPayload(f, connectIndication(IDENTITY, { eventType: 0x0d06 })))).toBeNull(); // MDS Create
    expect(parseFrame(intellivue, withPayload(f, connectIndication(IDENTITY, { roType: 2 })))).toBeNull();
    expect(parseFrame(intellivue, withPayload(f, connectIndication(IDENTITY, { command: 7 })))).toBeNull();
    expect(parseFrame(intellivue, withPayload(f, Buffer.from('hello, this is not IntelliVue data export at all')))).toBeNull();
  });
});

describe('intellivue: malformed Connect Indications', () => {
  const good = connectIndication(IDENTITY);
  const parse = (b: Buffer) => parseConnectIndication(b, 0, b.length);

  it('is null for every truncation', () => {
    expect(parse(good)).not.toBeNull();
    for (let n = 0; n < good.length; n++) expect(parse(good.subarray(0, n))).toBeNull();
  });

  it('is null when a length lies: ROapdus, ROIVapdu, event, list, attribute, count', () => {
    const lie = (off: number, value: number) => {
      const b = Buffer.from(good);
      b.writeUInt16BE(value, off);
      return parse(b);
    };
    expect(lie(6, 0xffff)).toBeNull(); // ROapdus.length past the datagram
    expect(lie(12, 0xfff0)).toBeNull(); // ROIVapdu.length
    expect(lie(26, 0xfff0)).toBeNull(); // EventReportArgument.length
    expect(lie(30, 0xfff0)).toBeNull(); // AttributeList.length
    expect(lie(28, 0xffff)).toBeNull(); // AttributeList.count: too many
    expect(lie(28, 9)).toBeNull(); // more attributes announced than present
    expect(lie(34, 0xfff0)).toBeNull(); // first AVA's length
  });

  it('tolerates short or odd attribute values without reading past them', () => {
    const odd = connectIndication([
      ava(0x0986, Buffer.alloc(1)), ava(0x0928, Buffer.from([0, 40, 65])), ava(0xf100, Buffer.alloc(3)),
      ava(0xf101, Buffer.concat([u16(0xffff), u16(0xffff), Buffer.alloc(8)])), ava(0x092d, Buffer.concat([u16(50), u16(0xffff), u16(1), u16(8), u16(200)])),
      ava(0x0984, Buffer.alloc(0)), ava(0x0937, Buffer.alloc(2)),
    ]);
    expect(parse(odd)).toEqual({ message: 'connect_indication', role: 'monitor', nomenclature_version: '1.0', encrypted: false, protocol_support: ['0/0/0'] });
  });

  it('keeps a text only as printable ASCII of 64 characters at most, padding aside; drops it whole otherwise', () => {
    const model = (m: string | Buffer) => parse(connectIndication([ava(0x0928, Buffer.concat([label('Philips'), label(m)]))]));
    expect(model(' M8007A \0')).toMatchObject({ manufacturer: 'Philips', model: 'M8007A' });
    for (const bad of ['DOE\x1bJANE', 'MP70\x07', 'M8007A\xe9', 'x'.repeat(65), Buffer.from('\0D\0O\0E', 'latin1')]) {
      const f = model(bad);
      expect(f, JSON.stringify(bad)).toMatchObject({ manufacturer: 'Philips' });
      expect(f, JSON.stringify(bad)).not.toHaveProperty('model');
    }
  });

  it('bounds a list that claims 65535 entries', () => {
    const many = connectIndication([ava(0xf101, Buffer.concat([u16(0xffff), u16(8 * 100), ...Array.from({ length: 100 }, () => Buffer.concat([u16(5), u16(1), u16(1), u16(0)]))]))]);
    expect(parse(many)?.protocol_support).toHaveLength(16);
  });
});
