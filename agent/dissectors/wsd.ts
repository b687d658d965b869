/**
 * WS-Discovery (UDP 3702; OASIS WS-Discovery 1.1 of 2009 and Microsoft's 2005/04 draft that Windows,
 * printers and wsdd speak), including IEEE 11073 SDC discovery (MDPWS, IEEE 11073-20702).
 *
 * Hello, Bye, ProbeMatches and ResolveMatches describe the sender, a target service: its endpoint
 * reference (a stable UUID URN), its types (`Device`, `Computer`, `MedicalDevice`...), its scopes and
 * the transport addresses of its metadata. A Probe or a Resolve describes the sender too, as a client:
 * what it looks for. SDC location scopes (`sdc.ctxt.loc:`, IEEE 11073-20701 section 9.4) give the
 * facility, building, floor, point of care, room and bed. Patient and other personal context scopes
 * (`sdc.ctxt.pat:`, workflow, operator...) are dropped here: only their number is kept.
 *
 * The SOAP envelope is read by a small tolerant scanner (elements, attributes, namespace prefixes,
 * comments, CDATA, entities): no DTD, no entity expansion, bounded depth, element count and size.
 */
import type { PacketView } from '../decode/packet-view.js';
import { senderOf } from './dns-common.js';
import type { Observation, PacketDissector } from './types.js';

/** Bytes of a message read: a SOAP-over-UDP message fits one datagram, rarely over 4 KiB. */
const MAX_MESSAGE = 32 * 1024;
const MAX_DEPTH = 24;
const MAX_ELEMENTS = 400;
/** Matches of one ProbeMatches/ResolveMatches turned into observations. */
const MAX_MATCHES = 8;
const MAX_LIST = 32;
const MAX_VALUE = 256;

/** Fields of a `wsd` observation (about the sender). */
export interface WsdFields {
  /** Message: `Hello`, `Bye`, `Probe`, `ProbeMatches`, `Resolve` or `ResolveMatches`. */
  message: WsdMessage;
  /** `target` (Hello, Bye, the Matches: the sender announces itself) or `client` (Probe, Resolve). */
  role: 'target' | 'client';
  /** WS-Discovery namespace: `2009` (OASIS 1.1, SDC), `2005` (Microsoft 2005/04), `2004`, `2008`. */
  namespace_version: '2009' | '2008' | '2005' | '2004';
  /** wsa:EndpointReference/wsa:Address of the target: a stable identity, usually `urn:uuid:...`. */
  endpoint_reference?: string;
  /** Types of the target, namespace local names (`Device`, `Computer`, `MedicalDevice`, `NetworkVideoTransmitter`). */
  types?: string[];
  /** The same types as `{namespace}LocalName` (`prefix:LocalName` when the prefix is undeclared). */
  types_qualified?: string[];
  /** XAddrs: transport addresses of the target's metadata service (`http://10.0.2.15:5357/<uuid>/`). */
  xaddrs?: string[];
  /** Scopes of the target, personal context scopes removed (see `context_scopes_dropped`). */
  scopes?: string[];
  /** MetadataVersion: incremented when the target's metadata changes. */
  metadata_version?: number;
  /** Probe: the types the client searches for (local names). */
  searched_types?: string[];
  /** Probe: the scopes the client searches for, personal context scopes removed. */
  searched_scopes?: string[];
  /** Resolve: the endpoint reference the client asks to be resolved. */
  resolve_target?: string;
  /** IEEE 11073 SDC: an MDPWS type (MedicalDevice) or an `sdc.` scope is announced or searched. */
  sdc: boolean;
  /** SDC location scope (IEEE 11073-20701): `fac` facility. */
  location_facility?: string;
  /** SDC location scope: `bldng` building. */
  location_building?: string;
  /** SDC location scope: `flr` floor. */
  location_floor?: string;
  /** SDC location scope: `poc` point of care (ward, unit). */
  location_point_of_care?: string;
  /** SDC location scope: `rm` room. */
  location_room?: string;
  /** SDC location scope: `bed` bed. */
  location_bed?: string;
  /** Scopes dropped because they name a patient, an order or a person (`sdc.ctxt.pat:`, `sdc.ctxt.wfl:`...). */
  context_scopes_dropped?: number;
  /** WS-Discovery over UDP is never encrypted. */
  encrypted: false;
}

export type WsdMessage = 'Hello' | 'Bye' | 'Probe' | 'ProbeMatches' | 'Resolve' | 'ResolveMatches';

const NAMESPACES: Record<string, WsdFields['namespace_version']> = {
  'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01': '2009',
  'http://docs.oasis-open.org/ws-dd/ns/discovery/2008/09': '2008',
  'http://schemas.xmlsoap.org/ws/2005/04/discovery': '2005',
  'http://schemas.xmlsoap.org/ws/2004/10/discovery': '2004',
};
const MESSAGES = new Set<string>(['Hello', 'Bye', 'Probe', 'ProbeMatches', 'Resolve', 'ResolveMatches']);
/** MDPWS namespaces (IEEE 11073-20702-2016 and drafts before it) start with this. */
const MDPWS_PREFIX = 'http://standards.ieee.org/downloads/11073/11073-20702';
const LOCATION_KEYS: Record<string, keyof WsdFields> = {
  fac: 'location_facility', bldng: 'location_building', bld: 'location_building', flr: 'location_floor',
  poc: 'location_point_of_care', rm: 'location_room', bed: 'location_bed',
};

// ------------------------------------------------------------------ scanner

interface Frame {
  local: string;
  /** Prefixed name as written, to match the end tag. */
  qname: string;
  ns: string | undefined;
  /** Namespace declarations on this element: prefix ('' default) → URI. */
  decls: Map<string, string> | null;
  /** Offset just after the start tag. */
  contentStart: number;
  hadChild: boolean;
}

/** What the scanner reports: element open and close (with the text of leaf elements). */
interface Handler {
  open(stack: readonly Frame[]): void;
  close(stack: readonly Frame[], text: string | null, resolve: (prefix: string) => string | undefined): void;
}

const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function lookup(stack: readonly Frame[], prefix: string): string | undefined {
  if (prefix === 'xml') return 'http://www.w3.org/XML/1998/namespace';
  for (let i = stack.length - 1; i >= 0; i--) {
    const uri = stack[i].decls?.get(prefix);
    if (uri !== undefined) return uri === '' ? undefined : uri;
  }
  return undefined;
}

/** End of the tag starting at `lt` (the `>`), skipping quoted attribute values; -1 when unterminated. */
function tagEnd(s: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
    else if (c === '<') return -1;
  }
  return -1;
}

/** Scan `s`; false when it is not well-formed enough to trust (or exceeds the bounds). */
function scan(s: string, h: Handler): boolean {
  const stack: Frame[] = [];
  let elements = 0;
  let i = 0;
  let seenRoot = false;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt < 0) break;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4);
      if (end < 0) return false;
      i = end + 3;
      continue;
    }
    if (s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt + 9);
      if (end < 0 || stack.length === 0) return false;
      i = end + 3;
      continue;
    }
    if (s.startsWith('<?', lt)) {
      const end = s.indexOf('?>', lt + 2);
      if (end < 0) return false;
      i = end + 2;
      continue;
    }
    if (s[lt + 1] === '!') return false; // DOCTYPE or other declarations: not allowed in SOAP
    const gt = tagEnd(s, lt);
    if (gt < 0) return false;
    if (s[lt + 1] === '/') {
      const qname = s.slice(lt + 2, gt).trim();
      const top = stack[stack.length - 1];
      if (top === undefined || top.qname !== qname) return false;
      const text = top.hadChild ? null : decodeText(s.slice(top.contentStart, lt));
      h.close(stack, text, (p) => lookup(stack, p));
      stack.pop();
      i = gt + 1;
      if (stack.length === 0) return true; // the root element ended: trailing bytes are ignored
      continue;
    }
    if (++elements > MAX_ELEMENTS || stack.length >= MAX_DEPTH) return false;
    if (seenRoot && stack.length === 0) return false;
    seenRoot = true;
    const selfClosing = s[gt - 1] === '/';
    const inner = s.slice(lt + 1, selfClosing ? gt - 1 : gt);
    const nameEnd = inner.search(/[\s]|$/);
    const qname = inner.slice(0, nameEnd);
    if (qname === '' || /[<>"'=]/.test(qname)) return false;
    let decls: Map<string, string> | null = null;
    ATTR.lastIndex = nameEnd;
    for (let m = ATTR.exec(inner); m !== null; m = ATTR.exec(inner)) {
      const name = m[1];
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        decls ??= new Map();
        decls.set(name === 'xmlns' ? '' : name.slice(6), decodeText(m[2] ?? m[3] ?? '').trim());
      }
    }
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.hadChild = true;
    const colon = qname.indexOf(':');
    const frame: Frame = {
      local: colon < 0 ? qname : qname.slice(colon + 1), qname, ns: undefined, decls, contentStart: gt + 1, hadChild: false,
    };
    stack.push(frame);
    frame.ns = lookup(stack, colon < 0 ? '' : qname.slice(0, colon));
    h.open(stack);
    if (selfClosing) {
      h.close(stack, '', (p) => lookup(stack, p));
      stack.pop();
      if (stack.length === 0) return true;
    }
    i = gt + 1;
  }
  return false; // the root element never ended: truncated
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character data of a leaf element: CDATA unwrapped, comments removed, entities decoded. */
function decodeText(raw: string): string {
  let t = raw;
  if (t.includes('<')) t = t.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_, c: string) => c.replace(/&/g, '&amp;'));
  if (!t.includes('&')) return t;
  return t.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, e: string) => {
    if (e[0] !== '#') return ENTITIES[e] ?? whole;
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '';
  });
}

// --------------------------------------------------------------- the message

/** One described endpoint: the Hello/Bye/Probe/Resolve element itself, or one ProbeMatch/ResolveMatch. */
interface Described {
  depth: number;
  address?: string;
  types?: string[];
  typesQualified?: string[];
  scopes?: string[];
  xaddrs?: string[];
  metadataVersion?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

function clean(value: string): string {
  return value.replace(CONTROL, '').slice(0, MAX_VALUE);
}

function list(text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(/\s+/)) {
    if (item === '') continue;
    const v = clean(item);
    if (!out.includes(v)) out.push(v);
    if (out.length >= MAX_LIST) break;
  }
  return out;
}

/** A scope that names a patient, an order or a person: dropped, never stored. */
function isPersonalScope(scope: string): boolean {
  const lower = scope.toLowerCase();
  // IEEE 11073-20701 context scopes other than location: patient, workflow (orders), operator, means, ensemble.
  if (lower.startsWith('sdc.ctxt.') && !lower.startsWith('sdc.ctxt.loc:')) return true;
  let decoded = lower;
  try {
    decoded = decodeURIComponent(lower);
  } catch {
    // keep the raw text
  }
  return /(^|[^a-z])(pat|patient|mrn|dob)([^a-z]|$)/.test(decoded);
}

function decodeParam(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

/** LocationDetail from `sdc.ctxt.loc:/root/extension?fac=..&bldng=..&flr=..&poc=..&rm=..&bed=..`. */
function addLocation(f: WsdFields, scope: string): void {
  if (!scope.toLowerCase().startsWith('sdc.ctxt.loc:')) return;
  const q = scope.indexOf('?');
  if (q < 0) return;
  for (const pair of scope.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = LOCATION_KEYS[pair.slice(0, eq).toLowerCase()];
    const value = clean(decodeParam(pair.slice(eq + 1))).trim();
    if (key !== undefined && value !== '' && f[key] === undefined) (f as unknown as Record<string, string>)[key] = value;
  }
}

/** Scopes split into kept ones (with the location read) and a count of dropped personal ones. */
function keepScopes(f: WsdFields, scopes: string[]): { kept: string[]; dropped: number } {
  const kept: string[] = [];
  let dropped = 0;
  for (const s of scopes) {
    if (isPersonalScope(s)) dropped++;
    else {
      kept.push(s);
      addLocation(f, s);
    }
  }
  return { kept, dropped };
}

function isSdc(qualified: readonly string[] | undefined, scopes: readonly string[]): boolean {
  return (qualified ?? []).some((t) => t.startsWith(`{${MDPWS_PREFIX}`)) || scopes.some((s) => s.toLowerCase().startsWith('sdc.'));
}

function fieldsOf(message: WsdMessage, version: WsdFields['namespace_version'], r: Described): WsdFields {
  const client = message === 'Probe' || message === 'Resolve';
  const f: WsdFields = { message, role: client ? 'client' : 'target', namespace_version: version, sdc: false, encrypted: false };
  const { kept, dropped } = keepScopes(f, r.scopes ?? []);
  if (message === 'Probe') {
    if (r.types?.length) f.searched_types = r.types;
    if (kept.length) f.searched_scopes = kept;
  } else if (message === 'Resolve') {
    if (r.address !== undefined) f.resolve_target = r.address;
  } else {
    if (r.address !== undefined) f.endpoint_reference = r.address;
    if (r.types?.length) {
      f.types = r.types;
      f.types_qualified = r.typesQualified;
    }
    if (r.xaddrs?.length) f.xaddrs = r.xaddrs;
    if (kept.length) f.scopes = kept;
    if (r.metadataVersion !== undefined) f.metadata_version = r.metadataVersion;
  }
  if (dropped > 0) f.context_scopes_dropped = dropped;
  f.sdc = isSdc(r.typesQualified, kept);
  return f;
}

/** The scanner's handler stops at the first element that shows the message is not WS-Discovery. */
const NOT_WSD = new Error('not WS-Discovery');

/** Parse one SOAP message; null when it is not WS-Discovery or is malformed. */
export function parseWsd(text: string): WsdFields[] | null {
  try {
    return parseMessage(text);
  } catch (err) {
    if (err === NOT_WSD) return null;
    throw err;
  }
}

function parseMessage(text: string): WsdFields[] | null {
  let message: WsdMessage | undefined;
  let version: WsdFields['namespace_version'] | undefined;
  /** Depth of the message element (Envelope 1, Body 2, message 3). */
  let messageDepth = -1;
  let bodyDepth = -1;
  const records: Described[] = [];
  let current: Described | undefined;
  const ok = scan(text, {
    open(stack) {
      const depth = stack.length;
      const el = stack[depth - 1];
      if (depth === 1 && el.local !== 'Envelope') throw NOT_WSD;
      if (depth === 2 && el.local === 'Body') bodyDepth = 2;
      else if (depth === 3 && bodyDepth === 2 && message === undefined) {
        const v = el.ns === undefined ? undefined : NAMESPACES[el.ns];
        if (v === undefined || !MESSAGES.has(el.local)) throw NOT_WSD;
        message = el.local as WsdMessage;
        version = v;
        messageDepth = 3;
        if (!message.endsWith('Matches')) records.push((current = { depth: 3 }));
      } else if (depth === messageDepth + 1 && message?.endsWith('Matches') && (el.local === 'ProbeMatch' || el.local === 'ResolveMatch')) {
        current = records.length < MAX_MATCHES ? { depth } : undefined;
        if (current) records.push(current);
      }
    },
    close(stack, text, resolve) {
      const depth = stack.length;
      const el = stack[depth - 1];
      if (current === undefined || text === null) {
        if (current && depth === current.depth) current = undefined;
        return;
      }
      if (depth === current.depth + 1) {
        if (el.local === 'Types') {
          const qnames = list(text);
          current.types = [];
          current.typesQualified = [];
          for (const q of qnames) {
            const colon = q.indexOf(':');
            const local = colon < 0 ? q : q.slice(colon + 1);
            const ns = resolve(colon < 0 ? '' : q.slice(0, colon));
            if (local !== '' && !current.types.includes(local)) current.types.push(local);
            current.typesQualified.push(ns === undefined ? q : `{${ns}}${local}`);
          }
        } else if (el.local === 'Scopes') current.scopes = list(text);
        else if (el.local === 'XAddrs') current.xaddrs = list(text);
        else if (el.local === 'MetadataVersion') {
          const n = Number(text.trim());
          if (Number.isSafeInteger(n) && n >= 0) current.metadataVersion = n;
        }
      } else if (depth === current.depth + 2 && el.local === 'Address' && stack[depth - 2].local === 'EndpointReference') {
        const a = clean(text.trim());
        if (a !== '') current.address = a;
      }
      if (depth === current.depth) current = undefined;
    },
  });
  if (!ok || message === undefined || version === undefined) return null;
  const m = message;
  const v = version;
  if (records.length === 0) return [fieldsOf(m, v, { depth: 3 })];
  return records.map((r) => fieldsOf(m, v, r));
}

/** First non-blank payload byte is `<` (after an optional UTF-8 byte order mark). */
function looksLikeXml(b: Buffer, p: number, len: number): boolean {
  let i = p;
  const end = p + Math.min(len, 64);
  if (b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) i += 3;
  while (i < end && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i < end && b[i] === 0x3c;
}

export const wsd: PacketDissector = {
  kind: 'packet',
  name: 'wsd',
  udpPorts: [3702],
  parse(v: PacketView): Observation[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    if (v.payloadLen < 40 || !looksLikeXml(b, p, v.payloadLen)) return null;
    const text = b.toString('utf8', p, p + Math.min(v.payloadLen, MAX_MESSAGE)).replace(/^\uFEFF/, '');
    const parsed = parseWsd(text);
    if (parsed === null) return null;
    const device = senderOf(v);
    const tsMs = Math.floor(v.tsMicros / 1000);
    return parsed.map((f) => ({ device: { ...device }, tsMs, source: 'wsd', fields: { ...f } }));
  },
};
