/**
 * The `clinical` block of the device object: what clinical protocols revealed about the device, from
 * its observations (never patient data: the dissectors drop it before anything is stored). One entry
 * per protocol with the roles seen and whether it was clear text, then per protocol the identity
 * fields a clinical engineer asks for first.
 */
/** Per source: the fields shown in the block (all documented in the dissector's Fields interface). */
const SHOWN: Record<string, { protocol: string; fields: readonly string[] }> = {
  dicom: {
    protocol: 'dicom',
    fields: [
      'ae_title', 'calling_ae_title', 'called_ae_title', 'implementation_class_uid', 'implementation_version_name',
      'abstract_syntax_names', 'rejected_abstract_syntaxes', 'dimse_commands', 'sop_class_names', 'modality', 'manufacturer',
      'manufacturer_model_name', 'device_serial_number', 'software_versions', 'station_name', 'institution_name',
      'institutional_department_name', 'reject_result', 'reject_source', 'reject_reason',
    ],
  },
  hl7: {
    protocol: 'hl7',
    fields: [
      'sending_application', 'sending_facility', 'receiving_application', 'receiving_facility', 'message_types', 'version',
      'ack_codes', 'pcd_device_eui64s', 'mdc_codes',
    ],
  },
  poct1a: {
    protocol: 'poct1a',
    fields: ['message_types', 'device_id', 'vendor_id', 'model_id', 'serial_id', 'manufacturer_name', 'hw_version', 'sw_version', 'device_name'],
  },
  wsd: {
    protocol: 'sdc',
    fields: [
      'types', 'endpoint_reference', 'xaddrs', 'location_facility', 'location_building', 'location_floor',
      'location_point_of_care', 'location_room', 'location_bed',
    ],
  },
  intellivue: {
    protocol: 'intellivue',
    fields: [
      'manufacturer', 'model', 'system_type', 'system_id', 'serial_number', 'software_revision', 'firmware_revision',
      'protocol_support',
    ],
  },
  bacnet: { protocol: 'bacnet', fields: ['device_instance', 'vendor_id', 'vendor_name'] },
};

/** IANA `dicom-tls`: DICOM over TLS (PS3.15 Annex B). */
export const DICOM_TLS_PORT = 2762;

/** One protocol of the block (the API schema is `ClinicalSchema` in device-json.ts). */
export interface ClinicalProtocol {
  protocol: string;
  roles: string[];
  cleartext: boolean;
  encrypted: boolean;
  first_seen: string | null;
  last_seen: string | null;
}

/** The `clinical` block of the device object; null when the device speaks no clinical protocol. */
export type Clinical = {
  protocols: ClinicalProtocol[];
  cleartext: boolean;
  facts: Record<string, Record<string, unknown[]>>;
} | null;

interface Row {
  source: string;
  fields: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
}

/** Fold a device's observations (any order) into its clinical block; `dicomTls`: its encrypted DICOM conversations. */
export function clinicalBlock(rows: readonly Row[], dicomTls: { first_seen: string; last_seen: string } | null): Clinical {
  const protocols = new Map<string, ClinicalProtocol>();
  const facts: Record<string, Record<string, unknown[]>> = {};
  const seen = new Set<string>();
  for (const r of rows) {
    const shown = SHOWN[r.source];
    if (shown === undefined) continue;
    if (r.source === 'wsd' && r.fields.sdc !== true) continue; // WS-Discovery of PCs and printers is not clinical
    let p = protocols.get(shown.protocol);
    if (!p) {
      p = { protocol: shown.protocol, roles: [], cleartext: false, encrypted: false, first_seen: r.first_seen, last_seen: r.last_seen };
      protocols.set(shown.protocol, p);
    }
    if (r.fields.encrypted === true) p.encrypted = true;
    else p.cleartext = true;
    const role = r.fields.role;
    if (typeof role === 'string' && !p.roles.includes(role)) p.roles.push(role);
    if (p.first_seen === null || r.first_seen < p.first_seen) p.first_seen = r.first_seen;
    if (p.last_seen === null || r.last_seen > p.last_seen) p.last_seen = r.last_seen;
    const out = (facts[shown.protocol] ??= {});
    for (const k of shown.fields) {
      const v = r.fields[k];
      if (v === undefined || v === null || v === '') continue;
      const key = `${shown.protocol}.${k}.${JSON.stringify(v)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      (out[k] ??= []).push(v);
    }
  }
  if (dicomTls !== null) {
    const p = protocols.get('dicom');
    if (p) {
      p.encrypted = true;
      if (dicomTls.first_seen < (p.first_seen ?? dicomTls.first_seen)) p.first_seen = dicomTls.first_seen;
      if (dicomTls.last_seen > (p.last_seen ?? dicomTls.last_seen)) p.last_seen = dicomTls.last_seen;
    } else {
      protocols.set('dicom', { protocol: 'dicom', roles: [], cleartext: false, encrypted: true, first_seen: dicomTls.first_seen, last_seen: dicomTls.last_seen });
    }
  }
  if (protocols.size === 0) return null;
  const list = [...protocols.values()].sort((a, b) => (a.protocol < b.protocol ? -1 : 1));
  for (const p of list) p.roles.sort();
  return { protocols: list, cleartext: list.some((p) => p.cleartext), facts };
}
