/**
 * HL7 version 2 over MLLP, on any TCP port. MLLP frames each message as `0x0B message 0x1C 0x0D`
 * (HL7 v2 Transport Specification, MLLP release 2, section 2.1); a message is segments ending in CR,
 * the first being MSH, whose MSH-1 and MSH-2 give the field separator and the encoding characters
 * (HL7 v2.6 chapter 2, "Message control": MSH, MSA). One observation per direction, about the sender:
 * its applications and facilities (MSH-3..6), the message types it sends (MSH-9), the version (MSH-12)
 * and, when it answers, the acknowledgement codes (MSA-1). For IHE PCD-01 reports (ORU^R01 from a
 * device gateway, IHE PCD TF-2 section 3.1 and appendix B, OBX), the EUI-64 identities of the medical
 * devices behind the gateway (OBX-18, Equipment Instance Identifier) and the ISO/IEEE 11073 MDC codes
 * of what they are and measure (OBX-3).
 *
 * Patient data is dropped here: only MSH, MSA, and OBX-3 and OBX-18 of OBX are ever decoded. PID, NK1,
 * PV1, PV2, IN1, GT1, MRG, ORC, OBR, NTE and every other segment are skipped by their 3-byte id without
 * being turned into text, and OBX-5 (the measured value) is never read.
 *
 * What is kept is an allow-list (allow-list.ts), each field with the shape its HL7 data type gives:
 * MSH-3..6 as an HD (namespace id, and a universal id of the shape its type from HL7 table 0301 gives),
 * MSH-9 as three-character codes, MSH-11 from table 0103, MSH-12 as a version number, MSA-1 from table
 * 0008, OBX-3 as an MDC code, OBX-18 as EUI-64s. A value with an HL7 escape sequence (`\F\ \S\ \T\
 * \R\ \E\`, `\X..\` hex, `\H\`...) or any other character outside its shape is dropped whole and
 * counted: codes and identifiers never need escaping, and an escape is how a name such as
 * `DOE\S\JANE` (DOE^JANE) could pass for an application name.
 */
import { countDropped, isAsciiToken, isOid } from './allow-list.js';
import { streamSender } from './sender.js';
import type { DeviceDerivation, Observation, StreamContext, StreamDissector, StreamVerdict } from './types.js';

/**
 * Fields of an `hl7` observation about a medical device behind a PCD-01 gateway, when its OBX-18
 * EUI-64 embeds an EUI-48 (the IEEE encapsulation: OUI, FF-FE, then the last three bytes): the device
 * is the one with that MAC address, whether or not it is on the monitored segment.
 */
export interface Hl7BehindGatewayFields {
  encrypted: false;
  role: 'device_behind_gateway';
  /** OBX-18 Equipment Instance Identifier, 16 upper-case hex digits. */
  eui64: string;
  /** IP address of the gateway that reported it. */
  gateway_ip: string;
  /** MSH-3 of the gateway's messages. */
  gateway_application?: string;
  /** MDC codes (OBX-3) of the OBX segments that name this device: what it is and measures. */
  mdc_codes?: string[];
}

/** Fields of an `hl7` observation, about the sender of one direction of an MLLP connection. */
export interface Hl7Fields {
  /** Always false: MLLP carries HL7 in clear text. */
  encrypted: false;
  /** `sender`: none of its messages carries MSA (it originates messages); `acknowledger`: every one
   * does (ACKs, query responses: it answers); `both`. */
  role: 'sender' | 'acknowledger' | 'both';
  /** MSH-3 Sending Application (HD) of the first message that has a valid one: the application on this
   * device (HD components joined by `^`, e.g. `ICU3_GATEWAY^0009FBFFFE4C0021^EUI-64`). An application
   * identifier by definition (HL7 v2.5.1 2.15.9.3): it names a system, not a person. */
  sending_application?: string;
  /** MSH-4 Sending Facility (HD) of the first message that has a valid one: the site. */
  sending_facility?: string;
  /** MSH-5 Receiving Application (HD) of the first message that has a valid one: the application it addresses. */
  receiving_application?: string;
  /** MSH-6 Receiving Facility (HD) of the first message that has a valid one. */
  receiving_facility?: string;
  /** MSH-9 message code and trigger event of each distinct message type sent: `ADT^A01`, `ORU^R01`,
   * `ACK^A01`, or the code alone when there is no trigger (`ACK`). */
  message_types: string[];
  /** MSH-12 Version ID of the first message: `2.3`, `2.5.1`, `2.6`. */
  version?: string;
  /** MSH-11 Processing ID of the first message (HL7 table 0103): `P` production, `T` training, `D` debugging. */
  processing_id?: string;
  /** MSA-1 acknowledgement codes sent, distinct: `AA`, `AE`, `AR` (original mode), `CA`, `CE`, `CR`. */
  ack_codes?: string[];
  /** Messages whose MSH was read (complete ones, and a cut last one whose MSH segment was whole). */
  message_count: number;
  /** IHE PCD-01: EUI-64s (16 upper-case hex digits) found in OBX-18 Equipment Instance Identifier:
   * the medical devices whose observations this sender (a device gateway) reports. */
  pcd_device_eui64s?: string[];
  /** IHE PCD-01: MDC codes (ISO/IEEE 11073-10101) of OBX-3, `150456^MDC_PULS_OXIM_SAT_O2`, in order
   * of appearance: device types (`69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS`) and what is measured. */
  mdc_codes?: string[];
}

/** The pipeline reassembles at most this much of a direction; nothing past it is looked at. */
const MAX_BYTES = 16 * 1024;
/** Messages read per direction. */
const MAX_MESSAGES = 64;
/** Distinct values kept per list field; MDC codes: a multi-parameter monitor reports dozens. */
const MAX_LIST = 32;
const MAX_MDC = 96;
/** Longest HD namespace id kept (HL7 v2.5 gives IS 20 characters; real senders exceed it), universal id (ST 199). */
const MAX_NAMESPACE_ID = 64;
const MAX_UNIVERSAL_ID = 199;
/** HL7 table 0301, Universal ID type (v2.5.1, and CLIA/CLIP of v2.7), with IHE PCD's `EUI-64`. */
const UNIVERSAL_ID_TYPES = new Set(['DNS', 'GUID', 'HCD', 'HL7', 'ISO', 'L', 'M', 'N', 'Random', 'URI', 'UUID', 'x400', 'x500', 'CLIA', 'CLIP', 'EUI-64']);
/** MSH fields looked at (up to MSH-12), OBX fields (up to OBX-18). */
const MSH_FIELDS = 12;
const OBX_FIELDS = 18;

const SB = 0x0b;
const EB = 0x1c;
const CR = 0x0d;
const LF = 0x0a;
const M = 0x4d;
const S = 0x53;
const H = 0x48;

/** What one direction has shown so far. */
interface Acc {
  f: Partial<Hl7Fields>;
  types: Set<string>;
  acks: Set<string>;
  euis: Set<string>;
  mdc: Set<string>;
  /** Per EUI-64 of OBX-18: the MDC codes of the OBX segments naming it. */
  mdcByEui: Map<string, Set<string>>;
  /** Per EUI-64 of OBX-18: MSH-9 of the first message naming it. */
  typeByEui: Map<string, string>;
  /** MSH-9 of the message being read, when valid. */
  currentType?: string;
  messages: number;
  withMsa: number;
  /** The current message has an MSA segment (counted when the next MSH or the end comes). */
  inMessage: boolean;
  msa: boolean;
}

/** Separators of one message, from MSH-1 and MSH-2. */
interface Delims {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** A delimiter may be any printable ASCII character that is not a letter, digit or space. */
const isDelimiter = (c: number) => c > 0x20 && c < 0x7f && !isAlnum(c);
/** Segment ids are three upper-case letters or digits, the first a letter (`MSH`, `OBX`, `ZPD`, `NK1`). */
const isSegmentId = (b: Buffer, p: number) =>
  b[p] >= 0x41 && b[p] <= 0x5a && isAlnum(b[p + 1]) && b[p + 1] < 0x61 && isAlnum(b[p + 2]) && b[p + 2] < 0x61;

/** MSH-1 and MSH-2 of the MSH segment at `p` (`MSH|^~\&|...`); null when they are not delimiters. */
function delimiters(b: Buffer, p: number, end: number): Delims | null {
  if (p + 5 > end) return null;
  const fs = b[p + 3];
  if (!isDelimiter(fs)) return null;
  // MSH-2: 4 characters (5 since v2.7, the truncation character); some senders send fewer.
  let q = p + 4;
  while (q < end && b[q] !== fs && q - (p + 4) < 5) {
    if (!isDelimiter(b[q])) return null;
    q++;
  }
  const n = q - (p + 4);
  if (n === 0 || (q < end && b[q] !== fs)) return null;
  const enc = b.toString('latin1', p + 4, q);
  if (new Set(enc + String.fromCharCode(fs)).size !== n + 1) return null; // all distinct
  return { field: String.fromCharCode(fs), component: enc[0], repetition: enc[1] ?? '', escape: enc[2] ?? '', subcomponent: enc[3] ?? '' };
}

/** The first `max + 1` fields of a segment's text (field 0 is the segment id). */
function fieldsOf(text: string, sep: string, max: number): string[] {
  const out: string[] = [];
  let p = 0;
  while (out.length <= max) {
    const q = text.indexOf(sep, p);
    if (q < 0) {
      out.push(text.slice(p));
      break;
    }
    out.push(text.slice(p, q));
    p = q + 1;
  }
  return out;
}

/** Whether a universal id (HD-2) has the shape its type (HD-3, table 0301) gives. */
function isUniversalId(id: string, type: string, forbidden: string): boolean {
  switch (type) {
    case 'ISO':
      return isOid(id);
    case 'EUI-64':
      return /^[0-9A-Fa-f]{16}$/.test(id);
    case 'UUID':
    case 'GUID':
      return /^\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}\}?$/.test(id);
    case 'DNS':
      return id.length <= 253 && /^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$/.test(id);
    case 'URI':
      return id.length <= MAX_UNIVERSAL_ID && /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$'()*+,;=]+$/.test(id);
    default:
      return isAsciiToken(id, MAX_UNIVERSAL_ID, forbidden);
  }
}

/**
 * An HD (hierarchic designator, HL7 v2.5.1 chapter 2A) as text, components joined by `^`: a namespace id
 * (IS), and a universal id (ST) with its type (ID, table 0301), both or neither. Undefined when empty;
 * null when it is not an HD of that shape: an escape sequence, a subcomponent or a repetition, a type
 * outside the table, a universal id not of its type's shape.
 */
function hd(field: string | undefined, d: Delims): string | null | undefined {
  if (field === undefined || field === '') return undefined;
  const forbidden = `|^~\\&${d.field}${d.repetition}${d.escape}${d.subcomponent}`;
  if ((d.escape !== '' && field.includes(d.escape)) || (d.subcomponent !== '' && field.includes(d.subcomponent))
    || (d.repetition !== '' && field.includes(d.repetition))) return null;
  const comps = field.split(d.component);
  while (comps.length > 0 && comps[comps.length - 1] === '') comps.pop();
  if (comps.length === 0) return undefined;
  if (comps.length > 3) return null;
  const [namespace, universal = '', type = ''] = comps;
  if (namespace !== '' && !isAsciiToken(namespace, MAX_NAMESPACE_ID, forbidden)) return null;
  if ((universal === '') !== (type === '')) return null;
  if (universal !== '' && !(UNIVERSAL_ID_TYPES.has(type) && isUniversalId(universal, type, forbidden))) return null;
  return comps.join('^');
}

const components = (field: string | undefined, d: Delims): string[] => (field === undefined || field === '' ? [] : field.split(d.component));

function addTo(set: Set<string>, v: string, max = MAX_LIST): void {
  if (set.size < max) set.add(v);
}

/** MSH: header facts of a new message. */
function readMsh(seg: string, d: Delims, acc: Acc): void {
  const f = fieldsOf(seg, d.field, MSH_FIELDS - 1); // f[n - 1] is MSH-n: MSH-1 is the separator itself
  const keep = (k: 'sending_application' | 'sending_facility' | 'receiving_application' | 'receiving_facility', field: string | undefined) => {
    const v = hd(field, d);
    if (v === null) countDropped('hl7');
    else if (acc.f[k] === undefined && v !== undefined) acc.f[k] = v;
  };
  keep('sending_application', f[2]);
  keep('sending_facility', f[3]);
  keep('receiving_application', f[4]);
  keep('receiving_facility', f[5]);
  const [code, trigger] = components(f[8], d);
  acc.currentType = undefined;
  if (code !== undefined && /^[A-Z0-9]{3}$/.test(code)) {
    acc.currentType = trigger !== undefined && /^[A-Z0-9]{3}$/.test(trigger) ? `${code}^${trigger}` : code;
    addTo(acc.types, acc.currentType);
  }
  const processing = components(f[10], d)[0];
  if (acc.f.processing_id === undefined && processing !== undefined && /^[DPT]$/.test(processing)) acc.f.processing_id = processing;
  const version = components(f[11], d)[0];
  if (acc.f.version === undefined && version !== undefined && /^[0-9]{1,2}(\.[0-9]{1,3}){1,3}$/.test(version)) acc.f.version = version;
}

/** MSA: the acknowledgement code (MSA-1) only; MSA-3 text can quote anything. */
function readMsa(seg: string, d: Delims, acc: Acc): void {
  const code = components(fieldsOf(seg, d.field, 1)[1], d)[0];
  if (code !== undefined && /^[AC][AER]$/.test(code)) addTo(acc.acks, code);
  acc.msa = true;
}

/** OBX: OBX-3 when coded in MDC, the EUI-64s of OBX-18. OBX-5, the value, is never looked at. */
function readObx(seg: string, d: Delims, acc: Acc): void {
  const f = fieldsOf(seg, d.field, OBX_FIELDS);
  const [code, name, system] = components(f[3], d);
  let mdc: string | null = null;
  if (code !== undefined && /^[0-9]{1,10}$/.test(code) && (system === 'MDC' || (name !== undefined && name.startsWith('MDC_')))) {
    mdc = name !== undefined && /^MDC_[A-Z0-9_]{1,80}$/.test(name) ? `${code}^${name}` : code;
    addTo(acc.mdc, mdc, MAX_MDC);
  }
  const eq = f[18];
  if (eq === undefined || eq === '') return;
  // EI (entity id ^ namespace ^ universal id ^ universal id type), repeating; an EUI-64 may be in the
  // first or the third component (`0123456789ABCDEF^EUI-64^IEEE`, `ACME^^0123456789ABCDEF^EUI-64`).
  for (const rep of d.repetition !== '' ? eq.split(d.repetition) : [eq]) {
    for (const c of rep.split(d.component)) {
      if (!/^[0-9A-Fa-f]{16}$/.test(c)) continue;
      const eui = c.toUpperCase();
      addTo(acc.euis, eui);
      if (!acc.euis.has(eui)) continue; // over the bound
      let codes = acc.mdcByEui.get(eui);
      if (codes === undefined) acc.mdcByEui.set(eui, (codes = new Set()));
      if (acc.currentType !== undefined && !acc.typeByEui.has(eui)) acc.typeByEui.set(eui, acc.currentType);
      if (mdc !== null) addTo(codes, mdc, MAX_MDC);
    }
  }
}

/** Close the message being read: count it and whether it acknowledged something. */
function endMessage(acc: Acc): void {
  if (!acc.inMessage) return;
  acc.messages++;
  if (acc.msa) acc.withMsa++;
  acc.inMessage = false;
  acc.msa = false;
}

/** What a frame turned out to be. */
const enum Frame {
  /** Not HL7: a segment that is not one, binary bytes in MSH, no MSH first. */
  Bad,
  /** No whole segment yet (a cut frame). */
  Empty,
  Ok,
}

/** Whether `b[p..e)` has control characters (binary data). */
function hasControl(b: Buffer, p: number, e: number): boolean {
  for (let i = p; i < e; i++) if (b[i] < 0x20 || b[i] === 0x7f) return true;
  return false;
}

/**
 * The segments of the frame body `b[start..stop)`. `cut`: the frame ends unfinished, so its last
 * unterminated segment is left out.
 */
function readFrame(b: Buffer, start: number, stop: number, cut: boolean, acc: Acc): Frame {
  let d: Delims | null = null;
  let p = start;
  while (p < stop && acc.messages < MAX_MESSAGES) {
    let e = p;
    while (e < stop && b[e] !== CR && b[e] !== LF) e++;
    if (e === stop && cut) break; // unterminated: the rest of the segment did not arrive
    if (e === p) { // an empty line (CR LF, or a blank line of a sloppy sender)
      p = e + 1;
      continue;
    }
    if (e - p < 3 || !isSegmentId(b, p) || (e - p > 3 && !isDelimiter(b[p + 3]))) return Frame.Bad;
    if (b[p] === M && b[p + 1] === S && b[p + 2] === H) {
      const nd = delimiters(b, p, e);
      if (nd === null || hasControl(b, p, e)) return Frame.Bad;
      endMessage(acc);
      d = nd;
      acc.inMessage = true;
      readMsh(b.toString('utf8', p, e), d, acc);
    } else if (d === null) {
      // Before the first MSH only batch headers (FHS, BHS: HL7 v2.6 2.10.3) may come.
      const id = b.toString('latin1', p, p + 3);
      if (id !== 'FHS' && id !== 'BHS') return Frame.Bad;
    } else if (b[p + 3] === d.field.charCodeAt(0) || e - p === 3) {
      const id = b.toString('latin1', p, p + 3);
      if (id === 'MSA') readMsa(b.toString('utf8', p, e), d, acc);
      else if (id === 'OBX') readObx(b.toString('utf8', p, e), d, acc);
      // Every other segment (PID, NK1, PV1, OBR...) is skipped unread.
    } else {
      return Frame.Bad;
    }
    p = e + 1;
  }
  return d !== null ? Frame.Ok : cut ? Frame.Empty : Frame.Bad;
}


function finish(acc: Acc, ctx: StreamContext): StreamVerdict<'hl7'> {
  endMessage(acc);
  if (acc.messages === 0) return null;
  const fields: Hl7Fields = {
    encrypted: false,
    role: acc.withMsa === 0 ? 'sender' : acc.withMsa === acc.messages ? 'acknowledger' : 'both',
    ...acc.f,
    message_types: [...acc.types],
    message_count: acc.messages,
  };
  if (acc.acks.size > 0) fields.ack_codes = [...acc.acks];
  if (acc.euis.size > 0) fields.pcd_device_eui64s = [...acc.euis];
  if (acc.mdc.size > 0) fields.mdc_codes = [...acc.mdc];
  const obs: Observation<'hl7'> = { device: streamSender(ctx), tsMs: ctx.tsMs, source: 'hl7', fields: { ...fields } };
  const behind = behindGateway(acc, ctx, fields.sending_application);
  const observations = [obs, ...behind.observations];
  return behind.derivations.length > 0 ? { done: true, observations, outputs: behind.derivations } : { done: true, observations };
}

/** EUI-48 inside an EUI-64 (bytes 4 and 5 FF-FE), as a MAC in text form; null otherwise. */
export function macOfEui64(eui: string): string | null {
  if (!/^[0-9A-F]{6}FFFE[0-9A-F]{6}$/.test(eui)) return null;
  const hex = eui.slice(0, 6) + eui.slice(10);
  return hex.match(/../g)!.join(':').toLowerCase();
}

/**
 * Per device behind the gateway whose EUI-64 names its MAC: an observation about it, and the typed
 * output saying that the device is known from this gateway's message (OBX-18), not seen on the wire.
 */
function behindGateway(
  acc: Acc, ctx: StreamContext, gatewayApplication: string | undefined,
): { observations: Observation<'hl7'>[]; derivations: DeviceDerivation[] } {
  const out: Observation<'hl7'>[] = [];
  const derivations: DeviceDerivation[] = [];
  const gateway = streamSender(ctx);
  for (const [eui, codes] of acc.mdcByEui) {
    const mac = macOfEui64(eui);
    if (mac === null) continue;
    const fields: Hl7BehindGatewayFields = { encrypted: false, role: 'device_behind_gateway', eui64: eui, gateway_ip: ctx.srcIp };
    if (gatewayApplication !== undefined) fields.gateway_application = gatewayApplication;
    if (codes.size > 0) fields.mdc_codes = [...codes];
    out.push({ device: { mac }, tsMs: ctx.tsMs, source: 'hl7', fields: { ...fields } });
    const derivation: DeviceDerivation = { kind: 'derived-device', mac, from: gateway, protocol: 'hl7', field: 'OBX-18', tsMs: ctx.tsMs };
    const messageType = acc.typeByEui.get(eui);
    if (messageType !== undefined) derivation.messageType = messageType;
    derivations.push(derivation);
  }
  return { observations: out, derivations };
}

/** Segment ids a frame may start with: a message, or a batch (HL7 v2.6 2.10.3: FHS, BHS). */
const FIRST_IDS = ['MSH', 'FHS', 'BHS'].map((id) => Buffer.from(id, 'latin1'));

/** Whether `b[p..]` starts like `0x0B MSH` (or a batch header) as far as it goes. */
function startsLikeFrame(b: Buffer, p: number): boolean {
  if (b[p] !== SB) return false;
  const n = Math.min(3, b.length - p - 1);
  return FIRST_IDS.some((id) => {
    for (let i = 0; i < n; i++) if (b[p + 1 + i] !== id[i]) return false;
    return true;
  });
}

/** `final`: no more bytes will come; a cut last message is then read as far as it goes. */
function parseHl7(data: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'hl7'> {
  const b = data.length > MAX_BYTES ? data.subarray(0, MAX_BYTES) : data;
  const last = final || data.length >= MAX_BYTES;
  const acc: Acc = {
    f: {}, types: new Set(), acks: new Set(), euis: new Set(), mdc: new Set(), mdcByEui: new Map(), typeByEui: new Map(), messages: 0,
    withMsa: 0, inMessage: false, msa: false,
  };
  let p = 0;
  while (p < b.length && acc.messages < MAX_MESSAGES) {
    // Between frames: the CR of the previous trailer, or line ends some senders add.
    if (b[p] === CR || b[p] === LF) {
      p++;
      continue;
    }
    if (!startsLikeFrame(b, p)) return acc.messages > 0 ? finish(acc, ctx) : null;
    const eb = b.indexOf(EB, p + 1);
    // An unfinished frame is read as far as it arrived: garbage is refused at once, and at the end
    // the MSH of a message cut by the bounds still counts.
    const r = readFrame(b, p + 1, eb < 0 ? b.length : eb, eb < 0, acc);
    if (r === Frame.Bad) return acc.messages > 0 || acc.inMessage ? finish(acc, ctx) : null;
    if (eb < 0) return last ? finish(acc, ctx) : { done: false };
    endMessage(acc);
    p = eb + 1;
  }
  if (acc.messages >= MAX_MESSAGES || last) return finish(acc, ctx);
  // More messages may follow on this connection: wait for them until the bounds or the end.
  return { done: false };
}

export const hl7: StreamDissector<'hl7'> = {
  kind: 'stream',
  name: 'hl7',
  clinical: {
    protocol: 'hl7',
    shown: [
      'sending_application', 'sending_facility', 'receiving_application', 'receiving_facility', 'message_types', 'version',
      'ack_codes', 'pcd_device_eui64s', 'mdc_codes',
    ],
  },
  probe(d: Buffer): boolean {
    return d.length > 0 && startsLikeFrame(d, 0);
  },
  /** `final`: no more bytes will come (connection closed, bounds reached): report what was read. */
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'hl7'> {
    return parseHl7(data, ctx, final);
  },
};
