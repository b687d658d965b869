/**
 * HTTP/1.x (RFC 9112): the start line and header block of the first message of each direction, on
 * any port. A request tells what the client software is (User-Agent) and which name it asked for;
 * a response tells what the server software is (Server, X-Powered-By). Privacy: no request target
 * is kept at all (paths and query strings in hospitals can carry patient identifiers), nor Cookie,
 * Authorization or any other header value; from NTLM authentication headers only the non-secret
 * identity fields are decoded (workstation, Windows version), never the user name or responses.
 */
import { parseNtlmssp, type NtlmFields } from './ntlm.js';
import { streamSender } from './sender.js';
import type { StreamContext, StreamDissector, StreamVerdict } from './types.js';
import { definedFields, FieldsInterner } from './intern.js';
import { HASH, HashMemo, hashInt, hashRange, hashStart } from './hash.js';

/** Fields of an `http` observation, about the sender of the message (client or server). */
export interface HttpFields extends NtlmFields {
  /** HTTP-version of the start line: `1.0`, `1.1`. */
  http_version: string;
  /** Request method (`GET`, `POST`, `NOTIFY`...): set on requests only. */
  method?: string;
  /** User-Agent request header: the client software. */
  user_agent?: string;
  /** Host request header as sent (name[:port]): the server the client asked for, not the client. */
  host?: string;
  /** Status code of the final response (after any 1xx interim ones): set on responses only. */
  status_code?: number;
  /** Server response header: the server software. */
  server?: string;
  /** X-Powered-By header (application framework: `PHP/7.4.3`, `ASP.NET`, `Express`). */
  x_powered_by?: string;
  /** Request: it carried `Authorization: Basic` (a password, only base64-encoded): the flag, never the credentials. */
  basic_auth?: boolean;
  /** Response: `WWW-Authenticate` asks for `basic` authentication (a password will follow in clear on plain HTTP). */
  auth_challenge?: 'basic';
}

/** Header block bound: beyond it the message is reported with the headers read so far. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Request line bound (RFC 9112 recommends supporting at least 8000 octets). */
const MAX_START_LINE = 8192;
/** Longest header value kept; longer ones are cut. */
const MAX_VALUE = 1024;
/** Longest base64 NTLM token decoded. */
const MAX_AUTH_TOKEN = 8192;
/** 1xx interim responses skipped before the final one. */
const MAX_INTERIM = 4;
const MAX_METHOD = 20;

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const HTTP_SLASH = Buffer.from('HTTP/', 'latin1');

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** Method token characters we accept: upper-case letters, `-` and `_` (WebDAV, UPnP GENA). */
const isMethodChar = (c: number) => (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;

/** After `HTTP/` in a status line: `1.x 3DIGIT`. */
const STATUS_LINE: readonly ((c: number) => boolean)[] = [
  (c) => c === 0x31, (c) => c === 0x2e, isDigit, (c) => c === SP, isDigit, isDigit, isDigit,
];

/** Whether `b[at..]` starts with as much of `lit` as `b` holds (a prefix of it still counts). */
function startsLike(b: Buffer, at: number, lit: Buffer): boolean {
  const n = Math.min(lit.length, b.length - at);
  for (let i = 0; i < n; i++) if (b[at + i] !== lit[i]) return false;
  return true;
}

/**
 * Header names we look at, lower case, matched without allocating: the first KEPT.length are kept (as
 * the field of the same index), the others are authentication headers whose NTLM identity is decoded.
 */
const HEADERS = ['user-agent', 'host', 'server', 'x-powered-by', 'authorization', 'proxy-authorization',
  'www-authenticate', 'proxy-authenticate'] as const;
const KEPT = ['user_agent', 'host', 'server', 'x_powered_by'] as const;
const HEADER_BYTES = HEADERS.map((h) => Buffer.from(h, 'latin1'));
/** Value [start, end) of each kept header in the message being read; -1 when absent. */
const VALUES = new Int32Array(2 * KEPT.length);

/** Index into HEADERS of the header name at b[start..colon), or -1. */
function headerAt(b: Buffer, start: number, colon: number): number {
  const len = colon - start;
  for (let i = 0; i < HEADERS.length; i++) {
    const name = HEADER_BYTES[i];
    if (name.length !== len) continue;
    let j = 0;
    while (j < len && (b[start + j] | 0x20) === name[j]) j++;
    if (j === len) return i;
  }
  return -1;
}

const BASIC = Buffer.from('basic', 'latin1');
/** Whether the header value `b[v..e)` starts with the scheme `Basic` (any case) and a space or its end. */
function isBasic(b: Buffer, v: number, e: number): boolean {
  if (e - v < 5 || (e - v > 5 && b[v + 5] !== SP)) return false;
  for (let i = 0; i < 5; i++) if ((b[v + i] | 0x20) !== BASIC[i]) return false;
  return true;
}

/** `Authorization: NTLM <base64>` (or Negotiate wrapping NTLMSSP): identity fields into `f`. */
function ntlmFromAuth(value: string, f: HttpFields): void {
  const m = /^(?:NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)/i.exec(value);
  if (m === null || m[1].length > MAX_AUTH_TOKEN) return;
  const token = Buffer.from(m[1], 'base64');
  const at = token.indexOf('NTLMSSP\0', 0, 'latin1');
  if (at >= 0) parseNtlmssp(token, at, token.length, f);
}

/** Where the line starting at `p` ends: [index of LF, end of content without CR]; undefined if incomplete. */
function lineEnd(b: Buffer, p: number, limit: number): [number, number] | undefined {
  const lf = b.indexOf(LF, p);
  if (lf < 0 || lf >= limit) return undefined;
  return [lf, lf > p && b[lf - 1] === CR ? lf - 1 : lf];
}

/**
 * The start line at 0: [kind, end of line, index after LF]; null when not HTTP, undefined when it
 * could still become HTTP once more bytes arrive.
 */
function startLine(b: Buffer, p: number): { response: boolean; content: number; next: number } | null | undefined {
  const line = lineEnd(b, p, Math.min(b.length, p + MAX_START_LINE));
  // Without LF yet, a final CR may be the start of the CR LF.
  const end = line ? line[1] : b.length > p && b[b.length - 1] === CR ? b.length - 1 : b.length;
  if (startsLike(b, p, HTTP_SLASH)) {
    // HTTP/1.x SP 3DIGIT [SP reason]
    for (let i = 0; i < STATUS_LINE.length; i++) {
      const at = p + 5 + i;
      if (at >= end) return line || b.length - p >= MAX_START_LINE ? null : undefined;
      if (!STATUS_LINE[i](b[at])) return null;
    }
    if (p + 12 < end && b[p + 12] !== SP) return null;
    return line ? { response: true, content: end, next: line[0] + 1 } : undefined;
  }
  // method SP request-target SP HTTP/1.x. The target is never kept, so it is only checked for control
  // characters: spaces inside it (attack traffic) or runs of spaces (lenient servers) are tolerated.
  let i = p;
  while (i < end && isMethodChar(b[i])) i++;
  if (i === p || i - p > MAX_METHOD) return null;
  if (i === end) return line ? null : undefined;
  if (b[i] !== SP) return null;
  for (let j = i + 1; j < end; j++) if (b[j] < SP || b[j] === 0x7f) return null;
  if (!line) return b.length - p >= MAX_START_LINE ? null : undefined;
  const v = end - 8; // "HTTP/1.x"
  if (v - 1 <= i + 1 || b[v - 1] !== SP || b.compare(HTTP_SLASH, 0, 5, v, v + 5) !== 0) return null;
  if (b[v + 5] !== 0x31 || b[v + 6] !== 0x2e || !isDigit(b[v + 7])) return null;
  return { response: false, content: end, next: line[0] + 1 };
}

/**
 * Parse the first message (a response's first non-1xx one) of the direction. `final`: no more bytes
 * will come, so an unfinished header block is reported as far as it goes.
 */
function parseHttp(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'http'> {
  let p = 0;
  for (let interim = 0; interim <= MAX_INTERIM; interim++) {
    const start = startLine(b, p);
    if (start === null) return null;
    if (start === undefined) return final || b.length >= MAX_HEADER_BYTES ? { done: true, observations: [] } : { done: false };
    const status = start.response ? (b[p + 9] - 0x30) * 100 + (b[p + 10] - 0x30) * 10 + (b[p + 11] - 0x30) : -1;
    const f: HttpFields = { http_version: '' };
    let q: number;
    VALUES.fill(-1);
    // Header lines up to the empty line; bare LF tolerated; obs-fold continuation lines ignored.
    const limit = Math.min(b.length, p + MAX_HEADER_BYTES);
    q = start.next;
    let complete = false;
    while (true) {
      const line = lineEnd(b, q, limit);
      if (line === undefined) break;
      const [lf, content] = line;
      if (content === q) {
        complete = true;
        q = lf + 1;
        break;
      }
      const c0 = b[q];
      const colon = c0 === SP || c0 === HTAB ? -1 : b.indexOf(COLON, q);
      if (colon > q && colon < content) {
        const h = headerAt(b, q, colon);
        if (h >= 0) {
          let v = colon + 1;
          let e = content;
          while (v < e && (b[v] === SP || b[v] === HTAB)) v++;
          while (e > v && (b[e - 1] === SP || b[e - 1] === HTAB)) e--;
          e = Math.min(e, v + MAX_VALUE);
          // The first non-empty value of a kept header; authentication headers are decoded at once.
          if (h >= KEPT.length) {
            if (v < e && isBasic(b, v, e)) {
              // The credentials after the scheme are never read.
              if (HEADERS[h].endsWith('authorization')) f.basic_auth = true;
              else f.auth_challenge = 'basic';
            } else if (v < e) ntlmFromAuth(b.toString('utf8', v, e), f);
          } else if (v < e && VALUES[2 * h] < 0) {
            VALUES[2 * h] = v;
            VALUES[2 * h + 1] = e;
          }
        }
      }
      q = lf + 1;
    }
    const cut = !complete && (final || b.length >= MAX_HEADER_BYTES || limit < b.length);
    if (!complete && !cut) return { done: false };
    // 100 Continue and friends precede the real response, which carries the Server header.
    if (complete && status >= 0 && status < 200 && status !== 101 && q < b.length) {
      p = q;
      continue;
    }
    if (complete && status >= 0 && status < 200 && status !== 101 && !final && b.length < MAX_HEADER_BYTES) return { done: false };
    return done(b, p, start.content, status, f, ctx);
  }
  return { done: true, observations: [] };
}

const interner = new FieldsInterner();

/** Fields by message content (see done()). */
const memo = new HashMemo<HttpFields>();

/**
 * The observation of the message whose start line begins at `p` and whose content ends at `content`
 * (`status` -1 for a request), with the kept header values in VALUES. Clients and servers send the
 * same head again and again: the fields are found by a hash of the bytes they are made of, and only
 * built (strings, interned object) the first time.
 */
function done(b: Buffer, p: number, content: number, status: number, f: HttpFields, ctx: StreamContext): StreamVerdict<'http'> {
  const device = streamSender(ctx);
  // NTLM fields (rare, and different on every connection) are not memoised.
  const ntlm = Object.keys(f).length > 1;
  const method = status < 0 ? b.indexOf(SP, p) : -1;
  hashStart(status);
  if (status < 0) {
    hashRange(b, p, method);
    hashRange(b, content - 3, content);
  } else {
    hashRange(b, p + 5, p + 8);
  }
  for (let h = 0; h < KEPT.length; h++) {
    const v = VALUES[2 * h];
    hashInt(v < 0 ? -1 : VALUES[2 * h + 1] - v);
    if (v >= 0) hashRange(b, v, VALUES[2 * h + 1]);
  }
  const h1 = HASH[0];
  const h2 = HASH[1];
  const known = ntlm ? undefined : memo.get(h1, h2);
  if (known !== undefined) return { done: true, observations: [{ device, tsMs: ctx.tsMs, source: 'http', fields: known }] };
  if (status < 0) {
    f.method = b.toString('latin1', p, method);
    f.http_version = b.toString('latin1', content - 3, content);
  } else {
    f.http_version = b.toString('latin1', p + 5, p + 8);
    f.status_code = status;
  }
  for (let h = 0; h < KEPT.length; h++) {
    const v = VALUES[2 * h];
    if (v >= 0) f[KEPT[h]] = b.toString('utf8', v, VALUES[2 * h + 1]);
  }
  const fields = interner.intern(definedFields(f));
  if (!ntlm) memo.set(h1, h2, fields);
  return { done: true, observations: [{ device, tsMs: ctx.tsMs, source: 'http', fields }] };
}

export const http: StreamDissector<'http'> = {
  kind: 'stream',
  name: 'http',
  probe(d: Buffer): boolean {
    if (startsLike(d, 0, HTTP_SLASH)) return true;
    const n = Math.min(d.length, MAX_METHOD + 1);
    for (let i = 0; i < n; i++) {
      if (d[i] === SP) return i > 0;
      if (!isMethodChar(d[i])) return false;
    }
    return n === d.length && n <= MAX_METHOD; // a method still arriving
  },
  /** `final`: no more bytes will come (connection closed, bounds reached): report what was read. */
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'http'> {
    return parseHttp(data, ctx, final);
  },
};
