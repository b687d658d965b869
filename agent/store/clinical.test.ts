import { describe, expect, it } from 'vitest';
import { CLINICAL_VIEWS } from '../dissectors/index.js';
import { CLINICAL_TLS_PORTS, clinicalBlock } from './clinical.js';

const T1 = '2024-05-01T08:00:00.000Z';
const T2 = '2024-05-01T09:00:00.000Z';
const row = (source: string, fields: Record<string, unknown>, first = T1, last = T1) => ({ source, fields, first_seen: first, last_seen: last });

describe('the clinical block, from the views the clinical dissectors declare', () => {
  it('has a view for each clinical protocol, DICOM with its TLS port', () => {
    expect([...CLINICAL_VIEWS.keys()].sort()).toEqual(['bacnet', 'dicom', 'hl7', 'intellivue', 'poct1a', 'wsd']);
    expect(CLINICAL_TLS_PORTS).toEqual([{ source: 'dicom', protocol: 'dicom', port: 2762 }]);
  });

  it('ignores non-clinical sources, and WS-Discovery without SDC', () => {
    expect(clinicalBlock([row('dhcp', { message_type: 'ACK', hostname: 'pc' })], new Map())).toBeNull();
    expect(clinicalBlock([row('wsd', { message: 'Hello', role: 'target', sdc: false, encrypted: false, types: ['Printer'] })], new Map())).toBeNull();
  });

  it('shows the declared fields only, under the protocol name, with roles and clear text', () => {
    const c = clinicalBlock([
      row('wsd', { message: 'Hello', role: 'target', sdc: true, encrypted: false, types: ['MedicalDevice'], location_bed: 'Bed 4' }, T1, T2),
      row('dicom', { pdu: 'A-ASSOCIATE-RQ', role: 'scu', encrypted: false, ae_title: 'CT_ROOM3', max_pdu_length: 4096 }),
    ], new Map());
    expect(c).toEqual({
      protocols: [
        { protocol: 'dicom', roles: ['scu'], cleartext: true, encrypted: false, first_seen: T1, last_seen: T1 },
        { protocol: 'sdc', roles: ['target'], cleartext: true, encrypted: false, first_seen: T1, last_seen: T2 },
      ],
      cleartext: true,
      facts: { sdc: { types: [['MedicalDevice']], location_bed: ['Bed 4'] }, dicom: { ae_title: ['CT_ROOM3'] } },
    });
  });

  it('adds the encrypted conversations of a protocol, with or without clear-text ones', () => {
    const range = { first_seen: T1, last_seen: T2 };
    expect(clinicalBlock([], new Map([['dicom', range]]))).toEqual({
      protocols: [{ protocol: 'dicom', roles: [], cleartext: false, encrypted: true, first_seen: T1, last_seen: T2 }],
      cleartext: false,
      facts: {},
    });
    const both = clinicalBlock([row('dicom', { pdu: 'A-ASSOCIATE-AC', role: 'scp', encrypted: false }, T2, T2)], new Map([['dicom', range]]));
    expect(both?.protocols).toEqual([{ protocol: 'dicom', roles: ['scp'], cleartext: true, encrypted: true, first_seen: T1, last_seen: T2 }]);
  });
});
