/**
 * Philips IntelliVue Data Export: the Connect Indication that a monitor with LAN data export enabled
 * broadcasts on UDP port 24005 to announce itself to data export clients.
 *
 * Source: Philips "Data Export Interface Programming Guide, IntelliVue Patient Monitor X2, MP Series,
 * MX Series" (4535 642 59271): "Protocol Concept > Protocol Dialog > Connect Indication", "Definition
 * of the Transport Protocols > UDP/IP > UDP Port Number", "Protocol Commands > Device Discovery
 * Messages > CONNECT INDICATION EVENT", and "Attribute Data Types and Constants Used". The layout
 * (checked against open-source implementations and a real MP70 Connect Indication, see
 * test-fixtures/clinical-udp/README.md) is, big-endian:
 *
 *   Nomenclature u32 | ROapdus {ro_type = ROIV_APDU 1, length} | ROIVapdu {invoke_id,
 *   command_type = CMD_EVENT_REPORT 0, length} | EventReportArgument {managed_object {class,
 *   context, handle}, event_time u32, event_type = NOM_NOTI_MDS_CONNECT_INDIC 0x0D17, length} |
 *   ConnectIndInfo = AttributeList {count, length, AVA {attribute_id u16, length u16, value}...}
 *
 * Only the identity attributes listed below are read; every other attribute (the monitor's private
 * ones, and anything patient-related that a device might put there) is skipped unread. The Connect
 * Indication describes the monitor, not its patient: model, production specification, addresses,
 * protocols, language. Each text kept (a VariableLabel) must be printable ASCII of 64 characters at
 * most, NUL padding aside; one that is not is dropped whole and counted (allow-list.ts), not cleaned.
 */
import type { PacketView } from '../decode/packet-view.js';
import { countDropped, isAsciiToken } from './allow-list.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

export const INTELLIVUE_CONNECT_PORT = 24005;

const ROIV_APDU = 1;
const CMD_EVENT_REPORT = 0;
const CMD_CONFIRMED_EVENT_REPORT = 1;
const NOM_NOTI_MDS_CONNECT_INDIC = 0x0d17;
const NOM_ATTR_SYS_TYPE = 0x0986;
const NOM_ATTR_SYS_ID = 0x0984;
const NOM_ATTR_ID_MODEL = 0x0928;
const NOM_ATTR_ID_PROD_SPECN = 0x092d;
const NOM_ATTR_LOCALIZN = 0x0937;
const NOM_ATTR_NET_ADDR_INFO = 0xf100;
const NOM_ATTR_PCOL_SUPPORT = 0xf101;
/** Header bytes before the attribute list: Nomenclature 4, ROapdus 4, ROIVapdu 6, EventReportArgument 14. */
const HEADER = 28;
const MAX_ATTRIBUTES = 64;
const MAX_ENTRIES = 16;

/** Fields of an `intellivue` observation (about the monitor that broadcast the Connect Indication). */
export interface IntellivueFields {
  /** Always `connect_indication`. */
  message: 'connect_indication';
  /** Always `monitor`: the sender offers Data Export (it is the server of the protocol). */
  role: 'monitor';
  /** Nomenclature version of the message header, `major.minor` (the last two octets of the u32). */
  nomenclature_version: string;
  /** NOM_ATTR_ID_MODEL SystemModel.manufacturer (`Philips`). */
  manufacturer?: string;
  /** NOM_ATTR_ID_MODEL SystemModel.model_number: the product number (`M8007A` is an MP70). */
  model?: string;
  /** NOM_ATTR_SYS_TYPE code in the object partition: 4429 is a multi-parameter patient monitor. */
  system_type_code?: number;
  /** Name of `system_type_code` when known (`multi-parameter monitor`). */
  system_type?: string;
  /** NOM_ATTR_SYS_ID: the system identifier, a MAC address for IntelliVue (`00:09:fb:...`). */
  system_id?: string;
  /** NOM_ATTR_ID_PROD_SPECN serial-number (first entry). */
  serial_number?: string;
  /** NOM_ATTR_ID_PROD_SPECN part-number (first entry: the product's). */
  part_number?: string;
  /** NOM_ATTR_ID_PROD_SPECN hw-revision. */
  hardware_revision?: string;
  /** NOM_ATTR_ID_PROD_SPECN sw-revision (the application software's revision). */
  software_revision?: string;
  /** NOM_ATTR_ID_PROD_SPECN fw-revision. */
  firmware_revision?: string;
  /** NOM_ATTR_ID_PROD_SPECN protocol-revision. */
  protocol_revision?: string;
  /** NOM_ATTR_NET_ADDR_INFO: MAC address of the monitor's network interface. */
  mac_address?: string;
  /** NOM_ATTR_NET_ADDR_INFO: IP address the monitor reports for itself. */
  ip_address?: string;
  /** NOM_ATTR_NET_ADDR_INFO: its subnet mask. */
  subnet_mask?: string;
  /** NOM_ATTR_PCOL_SUPPORT entries as `application/transport/port` (`data_export/udp/24105`). */
  protocol_support?: string[];
  /** UDP port of the Data Export protocol (the AP_ID_DATA_OUT entry): where clients associate. */
  data_export_port?: number;
  /** A protocol entry carries P_OPT_WIRELESS: the monitor is on a wireless network. */
  wireless?: boolean;
  /** NOM_ATTR_LOCALIZN language (`english`, `german`...). */
  language?: string;
  /** Clear-text protocol. */
  encrypted: false;
}

const SYSTEM_TYPES: Record<number, string> = { 4429: 'multi-parameter monitor' };
const APPLICATIONS: Record<number, string> = { 1: 'acse', 5: 'data_export' };
const TRANSPORTS: Record<number, string> = { 1: 'udp' };
const P_OPT_WIRELESS = 0x8000;
const LANGUAGES = [
  'unspecified', 'english', 'german', 'french', 'italian', 'spanish', 'dutch', 'swedish', 'finnish', 'norwegian',
  'danish', 'japanese', 'chinese (taiwan)', 'chinese (prc)', 'portuguese', 'russian', 'byelorussian', 'ukrainian',
  'croatian', 'serbian', 'macedonian', 'bulgarian', 'greek', 'polish', 'czech', 'slovak', 'slovenian', 'hungarian',
  'romanian', 'turkish', 'latvian', 'lithuanian', 'estonian', 'korean',
];
type ProdSpecKey = 'serial_number' | 'part_number' | 'hardware_revision' | 'software_revision' | 'firmware_revision' | 'protocol_revision';
/** ProdSpecEntry.spec_type (IEEE 11073-10201, as in the guide). */
const SPEC_TYPES: Record<number, ProdSpecKey> = {
  1: 'serial_number', 2: 'part_number', 3: 'hardware_revision', 4: 'software_revision', 5: 'firmware_revision', 6: 'protocol_revision',
};

const hex = (b: Buffer, p: number, n: number): string => Array.from(b.subarray(p, p + n), (x) => x.toString(16).padStart(2, '0')).join(':');
const ipv4 = (b: Buffer, p: number): string => `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;

/** Longest VariableLabel text kept. */
const MAX_LABEL = 64;

/**
 * VariableLabel at `p` within `end`: its text (NUL and space padding removed; empty when it
 * is empty; null, counted as dropped, when it is not printable ASCII of at most 64 characters) and
 * where the next field starts; null when it overruns.
 */
function label(b: Buffer, p: number, end: number): { text: string | null; next: number } | null {
  if (p + 2 > end) return null;
  const len = b.readUInt16BE(p);
  if (p + 2 + len > end) return null;
  let s = p + 2;
  let e = p + 2 + len;
  while (e > s && (b[e - 1] === 0 || b[e - 1] === 0x20)) e--;
  while (s < e && b[s] === 0x20) s++; // real monitors pad some revisions in front (` B.00.05`)
  let text: string | null = b.toString('latin1', s, e);
  if (text !== '' && !isAsciiToken(text, MAX_LABEL)) {
    countDropped('intellivue');
    text = null;
  }
  return { text, next: p + 2 + len };
}

function readAttribute(f: IntellivueFields, b: Buffer, id: number, p: number, end: number): void {
  const len = end - p;
  switch (id) {
    case NOM_ATTR_SYS_TYPE:
      if (len >= 4) {
        f.system_type_code = b.readUInt16BE(p + 2);
        const name = SYSTEM_TYPES[f.system_type_code];
        if (name !== undefined) f.system_type = name;
      }
      break;
    case NOM_ATTR_SYS_ID: {
      // A VariableLabel of bytes (an EUI-48 for IntelliVue), shown in hex: never text.
      const n = len >= 2 ? b.readUInt16BE(p) : 0;
      if (n > 0 && n <= 16 && p + 2 + n <= end) f.system_id = hex(b, p + 2, n);
      break;
    }
    case NOM_ATTR_ID_MODEL: {
      const m = label(b, p, end);
      const n = m === null ? null : label(b, m.next, end);
      if (m?.text) f.manufacturer = m.text;
      if (n?.text) f.model = n.text;
      break;
    }
    case NOM_ATTR_ID_PROD_SPECN: {
      if (len < 4) break;
      const count = Math.min(b.readUInt16BE(p), MAX_ENTRIES);
      const listEnd = Math.min(end, p + 4 + b.readUInt16BE(p + 2));
      let q = p + 4;
      for (let i = 0; i < count && q + 6 <= listEnd; i++) {
        const key = SPEC_TYPES[b.readUInt16BE(q)];
        const l = label(b, q + 4, listEnd);
        if (l === null) break;
        if (key !== undefined && l.text !== null && l.text !== '' && !/^-+$/.test(l.text) && f[key] === undefined) f[key] = l.text;
        q = l.next;
      }
      break;
    }
    case NOM_ATTR_NET_ADDR_INFO:
      if (len >= 14) {
        f.mac_address = hex(b, p, 6);
        f.ip_address = ipv4(b, p + 6);
        f.subnet_mask = ipv4(b, p + 10);
      }
      break;
    case NOM_ATTR_PCOL_SUPPORT: {
      if (len < 4) break;
      const count = Math.min(b.readUInt16BE(p), MAX_ENTRIES);
      const entries: string[] = [];
      for (let i = 0, q = p + 4; i < count && q + 8 <= end; i++, q += 8) {
        const app = b.readUInt16BE(q);
        const transport = b.readUInt16BE(q + 2);
        const port = b.readUInt16BE(q + 4);
        entries.push(`${APPLICATIONS[app] ?? app}/${TRANSPORTS[transport] ?? transport}/${port}`);
        if (app === 5 && f.data_export_port === undefined) f.data_export_port = port;
        if ((b.readUInt16BE(q + 6) & P_OPT_WIRELESS) !== 0) f.wireless = true;
      }
      if (entries.length) f.protocol_support = entries;
      break;
    }
    case NOM_ATTR_LOCALIZN:
      if (len >= 8) {
        const language = LANGUAGES[b.readUInt16BE(p + 4)];
        if (language !== undefined) f.language = language;
      }
      break;
    default:
      break; // private and patient attributes: never read
  }
}

/** Decode a Connect Indication at `b[p..p+len)`; null when it is not one or is malformed. */
export function parseConnectIndication(b: Buffer, p: number, len: number): IntellivueFields | null {
  if (len < HEADER + 4) return null;
  const end = p + len;
  if (b.readUInt16BE(p + 4) !== ROIV_APDU) return null;
  // Each length counts the bytes that follow it: they must fit the datagram (a shorter one is tolerated
  // only for the outer ROapdus, whose trailing bytes are ignored).
  const roLen = b.readUInt16BE(p + 6);
  if (p + 8 + roLen > end) return null;
  const command = b.readUInt16BE(p + 10);
  if (command !== CMD_EVENT_REPORT && command !== CMD_CONFIRMED_EVENT_REPORT) return null;
  const roivLen = b.readUInt16BE(p + 12);
  if (roivLen + 6 > roLen) return null;
  if (b.readUInt16BE(p + 24) !== NOM_NOTI_MDS_CONNECT_INDIC) return null;
  const eventLen = b.readUInt16BE(p + 26);
  if (eventLen + 14 > roivLen || eventLen < 4) return null;
  const listEnd = p + HEADER + eventLen;
  const count = b.readUInt16BE(p + HEADER);
  const listLen = b.readUInt16BE(p + HEADER + 2);
  if (listLen + 4 > eventLen || count > MAX_ATTRIBUTES) return null;
  const f: IntellivueFields = {
    message: 'connect_indication', role: 'monitor', nomenclature_version: `${b[p + 2]}.${b[p + 3]}`, encrypted: false,
  };
  let q = p + HEADER + 4;
  const attrsEnd = Math.min(listEnd, q + listLen);
  for (let i = 0; i < count; i++) {
    if (q + 4 > attrsEnd) return null;
    const id = b.readUInt16BE(q);
    const alen = b.readUInt16BE(q + 2);
    if (q + 4 + alen > attrsEnd) return null;
    readAttribute(f, b, id, q + 4, q + 4 + alen);
    q += 4 + alen;
  }
  return f;
}

export const intellivue: PacketDissector<'intellivue'> = {
  kind: 'packet',
  name: 'intellivue',
  clinical: {
    protocol: 'intellivue',
    shown: [
      'manufacturer', 'model', 'system_type', 'system_id', 'serial_number', 'software_revision', 'firmware_revision',
      'protocol_support',
    ],
  },
  udpPorts: [INTELLIVUE_CONNECT_PORT],
  parse(v: PacketView): Observation<'intellivue'>[] | null {
    const f = parseConnectIndication(v.buf, v.payloadOff, v.payloadLen);
    if (f === null) return null;
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'intellivue', fields: { ...f } }];
  },
};
