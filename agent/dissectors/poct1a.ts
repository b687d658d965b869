/**
 * POCT1-A (CLSI POCT1-A2, Device Messaging Layer): XML messages over TCP between a point-of-care
 * device and its data manager (the "observation reviewer"), on any port. Each message is one XML
 * document whose root element names it (`HEL.R01`, `DST.R01`, `OBS.R01`, `ACK.R01`, `DTV.R02`...);
 * values are in the `V` attribute of elements named `<segment>.<field>` (`<DEV.serial_id V="..."/>`).
 * The device opens a conversation with HEL.R01 (hello), whose DEV segment identifies it: device id,
 * vendor, model, serial number, manufacturer, hardware and software versions, device name.
 *
 * Patient data is dropped here: of the messages only the root names are read, and of HEL.R01 only
 * the DEV fields listed below and HDR.version_id, DSC.connection_profile_cd. OBS (results), PT
 * (patient), OPR (operator) and every other element are never decoded.
 *
 * The DEV segment describes the device itself (POCT1-A2 "device identification"): ids, vendor, model,
 * serial number, versions and the name the device is known by. Each value kept must have its field's
 * shape (allow-list.ts): identifiers and versions printable ASCII, names a short label; anything else
 * (control characters, HL7 delimiters, over 64 characters) is dropped whole and counted, not cut.
 */
import { countDropped, isAsciiToken, isLabel } from './allow-list.js';
import { streamSender } from './sender.js';
import type { Observation, StreamContext, StreamDissector, StreamVerdict } from './types.js';

/** Fields of a `poct1a` observation, about the sender of one direction. */
export interface Poct1aFields {
  /** Always false: POCT1-A over plain TCP is clear text. */
  encrypted: false;
  /** `device` when it sends device messages (HEL, DST, OBS, EVS), `observation_reviewer` (the data
   * manager) when it sends manager messages (DTV, REQ, OPL, PTL); absent with only ACK/END/EOT/KPA. */
  role?: 'device' | 'observation_reviewer';
  /** Root element of each distinct message sent: `HEL.R01`, `DST.R01`, `OBS.R01`, `ACK.R01`. */
  message_types: string[];
  /** Messages read in this direction. */
  message_count: number;
  /** HDR.version_id of the first message: `POCT1`. */
  protocol_version?: string;
  /** HEL.R01 DEV.device_id: the device's unique id (often its MAC, `00:06:66:00:22:A1`). */
  device_id?: string;
  /** HEL.R01 DEV.vendor_id: the vendor's identifier. */
  vendor_id?: string;
  /** HEL.R01 DEV.model_id: the model. */
  model_id?: string;
  /** HEL.R01 DEV.serial_id: the serial number. */
  serial_id?: string;
  /** HEL.R01 DEV.manufacturer_name. */
  manufacturer_name?: string;
  /** HEL.R01 DEV.hw_version. */
  hw_version?: string;
  /** HEL.R01 DEV.sw_version. */
  sw_version?: string;
  /** HEL.R01 DEV.device_name: the name it is known by (model or user-given name). */
  device_name?: string;
  /** HEL.R01 DSC.connection_profile_cd: `SA` stand-alone, `CS` continuous, `BS` batch... */
  connection_profile?: string;
}

/** The pipeline reassembles at most this much of a direction; nothing past it is looked at. */
const MAX_BYTES = 16 * 1024;
/** Messages read per direction. */
const MAX_MESSAGES = 64;
/** Distinct message types kept. */
const MAX_TYPES = 32;
/** Longest value kept. */
const MAX_VALUE = 64;
/** Bytes of a start tag, an XML declaration or a comment looked through. */
const MAX_TAG = 1024;

/** Message names: a 3-letter topic, a dot, an event (`R01`, or a vendor's `VENDOR`). */
const MESSAGE_NAME = /^[A-Z]{3}\.[A-Z0-9_]{2,16}$/;
/** The start of such a name, cut by the end of the bytes so far. */
const NAME_PREFIX = /^(?:[A-Z]{0,3}|[A-Z]{3}\.[A-Z0-9_]{0,16})$/;
const DEVICE_MESSAGES = new Set(['HEL', 'DST', 'OBS', 'EVS']);
const REVIEWER_MESSAGES = new Set(['DTV', 'REQ', 'OPL', 'PTL']);

/** The shape each kept value must have: identifiers and versions ASCII, names a label, codes letters. */
/** Identifiers never hold the HL7 delimiters with which names are written (`DOE^JANE`). */
const isIdentifier = (v: string) => isAsciiToken(v, MAX_VALUE, '^|~\\');
const isName = (v: string) => isLabel(v, MAX_VALUE);
const SHAPES: Partial<Record<keyof Poct1aFields, (v: string) => boolean>> = {
  protocol_version: (v) => /^[A-Za-z0-9._-]{1,16}$/.test(v), device_id: isIdentifier, vendor_id: isIdentifier, model_id: isIdentifier,
  serial_id: isIdentifier, manufacturer_name: isName, hw_version: isIdentifier, sw_version: isIdentifier, device_name: isName,
  connection_profile: (v) => /^[A-Z]{1,4}$/.test(v),
};

/** HEL.R01 elements read, and the field each goes to; nothing else of any message is decoded. */
const HELLO_FIELDS: Record<string, keyof Poct1aFields> = {
  'DEV.device_id': 'device_id',
  'DEV.vendor_id': 'vendor_id',
  'DEV.model_id': 'model_id',
  'DEV.serial_id': 'serial_id',
  'DEV.manufacturer_name': 'manufacturer_name',
  'DEV.hw_version': 'hw_version',
  'DEV.sw_version': 'sw_version',
  'DEV.device_name': 'device_name',
  'DSC.connection_profile_cd': 'connection_profile',
};

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** An attribute value as text, entities resolved and surrounding white space trimmed; undefined when empty.
 * Its shape is checked where it is kept. */
function attrText(raw: string): string | undefined {
  if (raw.length > 4 * MAX_VALUE) return raw; // far too long for any field: its shape check drops it
  const s = raw
    .replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (m, e: string) => {
      if (e[0] !== '#') return ENTITIES[e] ?? m;
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
    })
    .trim();
  return s === '' ? undefined : s;
}

/** Keep `v` in field `key` when it has the field's shape (the first value wins); count it otherwise. */
function keep(f: Partial<Poct1aFields>, key: keyof Poct1aFields, v: string | undefined): void {
  if (v === undefined) return;
  if (!SHAPES[key]!(v)) countDropped('poct1a');
  else if (f[key] === undefined) (f as Record<string, string>)[key] = v;
}

/** The `V` attribute of the start tag `s[from..to)` (after the element name). */
function vAttribute(s: string, from: number, to: number): string | undefined {
  const m = /\sV\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(s.slice(from, to));
  return m === null ? undefined : attrText(m[1] ?? m[2]);
}

/** Whether `s[from..to)` has control characters other than white space (binary data). */
function hasControl(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

/** Whether `c` may be part of an XML name. */
const nameChar = (c: string) => /[A-Za-z0-9._:-]/.test(c);

/** Read the allowed elements of one HEL.R01 `s[from..to)` into `f` (first value of each wins). */
function readHello(s: string, from: number, to: number, f: Partial<Poct1aFields>): void {
  let p = s.indexOf('<', from);
  while (p >= 0 && p < to) {
    let q = p + 1;
    while (q < to && nameChar(s[q])) q++;
    const name = s.slice(p + 1, q);
    const key = HELLO_FIELDS[name];
    if (key !== undefined) {
      const end = s.indexOf('>', q);
      if (end < 0 || end > to) return;
      keep(f, key, vAttribute(s, q, end));
    }
    p = s.indexOf('<', q);
  }
}

/** HDR.version_id of any message (the first one that has it). */
function readVersion(s: string, from: number, to: number, f: Partial<Poct1aFields>): void {
  if (f.protocol_version !== undefined) return;
  const at = s.indexOf('<HDR.version_id', from);
  if (at < 0 || at >= to) return;
  const end = s.indexOf('>', at);
  if (end < 0 || end > to) return;
  keep(f, 'protocol_version', vAttribute(s, at + 15, end));
}

/** Skip whitespace, NUL and the ESC control character some devices send between messages. */
function skipSpace(s: string, p: number): number {
  while (p < s.length && (s[p] === ' ' || s[p] === '\t' || s[p] === '\r' || s[p] === '\n' || s[p] === '\0' || s[p] === '\x1b' || s[p] === '\ufeff')) p++;
  return p;
}


/** What one message start looked like. */
type Start = { kind: 'message'; name: string; body: number } | { kind: 'more' } | { kind: 'bad' };

/** The root element at `p`, after an optional XML declaration and comments. */
function messageStart(s: string, p: number): Start {
  for (let guard = 0; guard < 8; guard++) {
    p = skipSpace(s, p);
    if (p >= s.length) return { kind: 'more' };
    if (s[p] !== '<') return { kind: 'bad' };
    if (p + 1 >= s.length) return { kind: 'more' };
    const c = s[p + 1];
    if (c === '?' || c === '!') { // XML declaration, comment, DOCTYPE
      const close = c === '?' ? '?>' : s.startsWith('<!--', p) ? '-->' : '>';
      const e = s.indexOf(close, p + 2);
      if (e < 0) return s.length - p > MAX_TAG ? { kind: 'bad' } : { kind: 'more' };
      if (e - p > MAX_TAG) return { kind: 'bad' };
      if (c === '?' && !/^<\?xml[\s?]/.test(s.slice(p, p + 6))) return { kind: 'bad' };
      p = e + close.length;
      continue;
    }
    let q = p + 1;
    while (q < s.length && nameChar(s[q]) && q - p <= 24) q++;
    if (q >= s.length) return NAME_PREFIX.test(s.slice(p + 1, q)) ? { kind: 'more' } : { kind: 'bad' };
    const name = s.slice(p + 1, q);
    if (!MESSAGE_NAME.test(name) || !/[\s/>]/.test(s[q])) return { kind: 'bad' };
    // The root's start tag must be whole, and text.
    const gt = s.indexOf('>', q);
    if (gt < 0 || gt - p > MAX_TAG) return s.length - p > MAX_TAG ? { kind: 'bad' } : hasControl(s, q, s.length) ? { kind: 'bad' } : { kind: 'more' };
    if (hasControl(s, q, gt)) return { kind: 'bad' };
    return { kind: 'message', name, body: q };
  }
  return { kind: 'bad' };
}

function finish(f: Partial<Poct1aFields>, types: Set<string>, count: number, ctx: StreamContext): StreamVerdict<'poct1a'> {
  if (count === 0) return null;
  let role: Poct1aFields['role'];
  for (const t of types) {
    const topic = t.slice(0, 3);
    if (DEVICE_MESSAGES.has(topic)) role ??= 'device';
    else if (REVIEWER_MESSAGES.has(topic)) role ??= 'observation_reviewer';
  }
  const fields: Poct1aFields = { encrypted: false, ...(role !== undefined ? { role } : {}), message_types: [...types], message_count: count, ...f };
  const obs: Observation<'poct1a'> = { device: streamSender(ctx), tsMs: ctx.tsMs, source: 'poct1a', fields: { ...fields } };
  return { done: true, observations: [obs] };
}

/** `final`: no more bytes will come; a cut last message then counts by its name. */
function parsePoct1a(data: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'poct1a'> {
  const last = final || data.length >= MAX_BYTES;
  // UTF-8 (the declared encoding in practice); UTF-16 documents fail the checks below.
  const s = data.toString('utf8', 0, Math.min(data.length, MAX_BYTES));
  const f: Partial<Poct1aFields> = {};
  const types = new Set<string>();
  let count = 0;
  let hello = false;
  let p = 0;
  while (count < MAX_MESSAGES) {
    const st = messageStart(s, p);
    if (st.kind === 'bad') return count > 0 ? finish(f, types, count, ctx) : null;
    if (st.kind === 'more') {
      if (!last) return { done: false };
      break;
    }
    const closeTag = `</${st.name}>`;
    const close = s.indexOf(closeTag, st.body);
    // A root written as one empty element (`<KPA.R01/>`) is a whole message too.
    const tagEnd = s.indexOf('>', st.body);
    const empty = tagEnd >= 0 && s[tagEnd - 1] === '/' && (close < 0 || tagEnd < close);
    const end = empty ? tagEnd + 1 : close < 0 ? -1 : close + closeTag.length;
    if (end < 0 && !last) return { done: false }; // the rest of the message has not arrived
    const to = end < 0 ? s.length : end;
    if (types.size < MAX_TYPES) types.add(st.name);
    count++;
    readVersion(s, st.body, to, f);
    if (st.name === 'HEL.R01' && !hello) {
      hello = true;
      readHello(s, st.body, to, f);
    }
    if (end < 0) break;
    p = end;
  }
  if (count >= MAX_MESSAGES || last) return finish(f, types, count, ctx);
  return { done: false };
}

const XML_DECL = Buffer.from('<?xml', 'latin1');

export const poct1a: StreamDissector<'poct1a'> = {
  kind: 'stream',
  name: 'poct1a',
  clinical: {
    protocol: 'poct1a',
    shown: ['message_types', 'device_id', 'vendor_id', 'model_id', 'serial_id', 'manufacturer_name', 'hw_version', 'sw_version', 'device_name'],
  },
  /** `<?xml` or a message root like `<HEL.R01` near the start (after whitespace or a BOM). */
  probe(d: Buffer): boolean {
    let p = 0;
    if (d[0] === 0xef && d[1] === 0xbb && d[2] === 0xbf) p = 3;
    while (p < d.length && p < 64 && (d[p] === 0x20 || d[p] === 0x09 || d[p] === 0x0d || d[p] === 0x0a)) p++;
    if (p >= d.length) return d.length > 0 && p < 64;
    if (d[p] !== 0x3c) return false;
    let decl = true;
    for (let i = 1; i < XML_DECL.length && p + i < d.length; i++) if (d[p + i] !== XML_DECL[i]) decl = false;
    if (decl) return true;
    // `<` + three upper-case letters + `.`
    for (let i = 1; i <= 4 && p + i < d.length; i++) {
      const c = d[p + i];
      if (i < 4 ? c < 0x41 || c > 0x5a : c !== 0x2e) return false;
    }
    return true;
  },
  /** `final`: no more bytes will come (connection closed, bounds reached): report what was read. */
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'poct1a'> {
    return parsePoct1a(data, ctx, final);
  },
};
