/**
 * WS-Discovery (UDP 3702; OASIS WS-Discovery 1.1 of 2009 and Microsoft's 2005/04 draft that Windows,
 * printers and wsdd speak), including IEEE 11073 SDC discovery (MDPWS, IEEE 11073-20702).
 *
 * Hello, Bye, ProbeMatches and ResolveMatches describe the sender, a target service: its endpoint
 * reference (a stable UUID URN), its types (`Device`, `Computer`, `MedicalDevice`...), its scopes and
 * the transport addresses of its metadata. A Probe or a Resolve describes the sender too, as a client:
 * what it looks for. SDC location scopes (`sdc.ctxt.loc:`, IEEE 11073-20701 section 9.4) give the
 * facility, building, floor, point of care, room and bed.
 *
 * What is kept is an allow-list (allow-list.ts): scopes only of the forms in wsd-scopes.ts (SDC device
 * type, key purpose and location; ONVIF type, hardware and profile), endpoint references only as a
 * UUID URN, transport addresses only as plain http(s) URLs, types only as XML names. Any other value
 * is dropped whole and counted: patient, workflow and operator context scopes, vendor scopes, and
 * anything else a device puts there.
 *
 * The SOAP envelope is read by a small tolerant scanner (elements, attributes, namespace prefixes,
 * comments, CDATA, entities): no DTD, no entity expansion, bounded depth, element count and size.
 */
import type { PacketView } from '../decode/packet-view.js';
import { countDropped } from './allow-list.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';
import { keepScopes } from './wsd-scopes.js';

/** Bytes of a message read: a SOAP-over-UDP message fits one datagram, rarely over 4 KiB. */
const MAX_MESSAGE = 32 * 1024;
const MAX_DEPTH = 24;
const MAX_ELEMENTS = 400;
/** Matches of one ProbeMatches/ResolveMatches turned into observations. */
const MAX_MATCHES = 8;
const MAX_LIST = 32;
/** Longest transport address kept. */
const MAX_XADDR = 256;

/** Fields of a `wsd` observation (about the sender). */
export interface WsdFields {
  /** Message: `Hello`, `Bye`, `Probe`, `ProbeMatches`, `Resolve` or `ResolveMatches`. */
  message: WsdMessage;
  /** `target` (Hello, Bye, the Matches: the sender announces itself) or `client` (Probe, Resolve). */
  role: 'target' | 'client';
  /** WS-Discovery namespace: `2009` (OASIS 1.1, SDC), `2005` (Microsoft 2005/04), `2004`, `2008`. */
  namespace_version: '2009' | '2008' | '2005' | '2004';
  /** wsa:EndpointReference/wsa:Address of the target, kept only as a UUID URN (`urn:uuid:...` or
   * ONVIF's `uuid:...`, WS-Discovery 1.1 section 2.6): a stable identity of the device. */
  endpoint_reference?: string;
  /** Types of the target, namespace local names (`Device`, `Computer`, `MedicalDevice`, `NetworkVideoTransmitter`). */
  types?: string[];
  /** The same types as `{namespace}LocalName` (`prefix:LocalName` when the prefix is undeclared). */
  types_qualified?: string[];
  /** XAddrs: transport addresses of the target's metadata service (`http://10.0.2.15:5357/<uuid>/`), kept
   * only as http(s) or soap.udp URLs with an address or host name and a path without escapes. */
  xaddrs?: string[];
  /** Scopes of the target of an allowed form (wsd-scopes.ts), as sent; the others are counted in `dropped_scopes`. */
  scopes?: string[];
  /** MetadataVersion: incremented when the target's metadata changes. */
  metadata_version?: number;
  /** Probe: the types the client searches for (local names). */
  searched_types?: string[];
  /** Probe: the scopes the client searches for, of an allowed form. */
  searched_scopes?: string[];
  /** Resolve: the endpoint reference the client asks to be resolved (a UUID URN, as `endpoint_reference`). */
  resolve_target?: string;
  /** IEEE 11073 SDC: an MDPWS type (MedicalDevice) or an `sdc.` scope is announced or searched. */
  sdc: boolean;
  /** SDC location scope (IEEE 11073-20701 9.4.1.2) `fac`: LocationDetail Facility, a label of 64 characters at most. */
  location_facility?: string;
  /** SDC location scope `bldng`: Building. */
  location_building?: string;
  /** SDC location scope `flr`: Floor. */
  location_floor?: string;
  /** SDC location scope `poc`: PoC, the point of care (ward, unit). */
  location_point_of_care?: string;
  /** SDC location scope `rm`: Room. */
  location_room?: string;
  /** SDC location scope `bed`: Bed. */
  location_bed?: string;
  /** Scopes dropped by the allow-list (patient, workflow, operator context scopes, vendor scopes, malformed ones). */
  dropped_scopes?: number;
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

/** The items of a whitespace-separated list, distinct, as sent: their shape is checked when kept. */
function list(text: string): string[] {
  const out: string[] = [];
  for (const v of text.split(/\s+/)) {
    if (v === '') continue;
    if (!out.includes(v)) out.push(v);
    if (out.length >= MAX_LIST) break;
  }
  return out;
}

/** A UUID URN (`urn:uuid:` or ONVIF's `uuid:`), the form WS-Discovery 1.1 section 2.6 recommends. */
const UUID_URN = /^(urn:)?uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A transport address: scheme, an IPv4, bracketed IPv6 or DNS host, a port, a path without escapes. */
const XADDR = /^(https?|soap\.udp):\/\/(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*)(:[0-9]{1,5})?(\/[A-Za-z0-9\-._~!$'()*+,;=:@/]*)?$/;
/** An XML name (NCName) as a type's local name, or an unresolved `prefix:Local`. */
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const QUALIFIED = /^\{[A-Za-z][A-Za-z0-9+.-]{0,31}:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]{1,200}\}[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const isQualifiedType = (t: string): boolean => QUALIFIED.test(t) || /^[A-Za-z_][A-Za-z0-9_.-]{0,63}:[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(t);

/** The values of `values` of the right shape; the others are counted as dropped. */
function allowed(values: readonly string[] | undefined, ok: (v: string) => boolean, drops: { n: number }): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (ok(v)) out.push(v);
    else drops.n++;
  }
  return out;
}

/** One value of the right shape, or undefined (counted as dropped when there was one). */
function allowedOne(value: string | undefined, ok: (v: string) => boolean, drops: { n: number }): string | undefined {
  if (value === undefined) return undefined;
  if (ok(value)) return value;
  drops.n++;
  return undefined;
}

function isSdc(qualified: readonly string[] | undefined, scopes: readonly string[]): boolean {
  return (qualified ?? []).some((t) => t.startsWith(`{${MDPWS_PREFIX}`)) || scopes.some((s) => s.toLowerCase().startsWith('sdc.'));
}

function fieldsOf(message: WsdMessage, version: WsdFields['namespace_version'], r: Described): WsdFields {
  const client = message === 'Probe' || message === 'Resolve';
  const f: WsdFields = { message, role: client ? 'client' : 'target', namespace_version: version, sdc: false, encrypted: false };
  const { kept, dropped, location } = keepScopes(r.scopes ?? []);
  Object.assign(f, location);
  const drops = { n: dropped };
  const types = allowed(r.types, (t) => NCNAME.test(t), drops);
  const qualified = allowed(r.typesQualified, isQualifiedType, drops);
  const address = allowedOne(r.address, (a) => UUID_URN.test(a), drops);
  if (message === 'Probe') {
    if (types.length) f.searched_types = types;
    if (kept.length) f.searched_scopes = kept;
  } else if (message === 'Resolve') {
    if (address !== undefined) f.resolve_target = address;
  } else {
    if (address !== undefined) f.endpoint_reference = address;
    if (types.length) {
      f.types = types;
      f.types_qualified = qualified;
    }
    const xaddrs = allowed(r.xaddrs, (x) => x.length <= MAX_XADDR && XADDR.test(x), drops);
    if (xaddrs.length) f.xaddrs = xaddrs;
    if (kept.length) f.scopes = kept;
    if (r.metadataVersion !== undefined) f.metadata_version = r.metadataVersion;
  }
  if (dropped > 0) f.dropped_scopes = dropped;
  countDropped('wsd', drops.n);
  f.sdc = isSdc(qualified, kept);
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
        const a = text.trim();
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

export const wsd: PacketDissector<'wsd'> = {
  kind: 'packet',
  name: 'wsd',
  clinical: {
    protocol: 'sdc',
    shown: [
      'types', 'endpoint_reference', 'xaddrs', 'location_facility', 'location_building', 'location_floor',
      'location_point_of_care', 'location_room', 'location_bed',
    ],
    // WS-Discovery of PCs and printers is not clinical: only messages with SDC types or scopes are.
    applies: (f) => f.sdc === true,
  },
  udpPorts: [3702],
  parse(v: PacketView): Observation<'wsd'>[] | null {
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
