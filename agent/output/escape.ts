/**
 * Output escaping. Strings from the wire (LLDP system names, mDNS host names, DHCP options, HTTP
 * headers...) are hostile: whatever shows them to a person or another program escapes them here,
 * one function per consumer. Terminal: this file; CSV: csv.ts; CEF/LEEF and HTML belong here too.
 *
 * The database and the JSON outputs keep the exact value (JSON escapes what a terminal would act on,
 * losslessly); only text for people is escaped visibly.
 */
import { isAscii, isUtf8 } from 'node:buffer';

/**
 * What a terminal may act on instead of printing: C0 controls (ESC starts screen clears, OSC titles
 * and OSC 8 links; BEL, NUL, CR, LF), DEL and the C1 controls (U+009B is a one-character CSI); and
 * the Unicode format characters that reorder or break the line a person reads (Trojan Source,
 * CVE-2021-42574: bidi embeddings, overrides, isolates and marks; line and paragraph separators).
 */
const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const TERMINAL_UNSAFE = new RegExp(UNSAFE_CLASS, 'g');
const TERMINAL_UNSAFE_ONE = new RegExp(UNSAFE_CLASS);

/** The characters of TERMINAL_UNSAFE that JSON.stringify leaves as they are (it escapes C0 itself). */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, digits: number): string => c.charCodeAt(0).toString(16).padStart(digits, '0');

/** `\x1b` for a control character up to U+00FF, `\u202e` above. */
function visible(c: string): string {
  return c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/**
 * A string for a person's terminal: every control and reordering character written visibly as an
 * escape (`\x1b`, `\x07`, `\x00`, `\x9b`, `\u202e`), everything else unchanged. Newlines inside the
 * string are escaped too: a printer escapes each line (or cell) it prints, then joins the lines.
 */
export function forTerminal(text: string): string {
  return TERMINAL_UNSAFE_ONE.test(text) ? text.replace(TERMINAL_UNSAFE, visible) : text;
}

/** Whether `text` holds a character that forTerminal would escape. */
export function hasControls(text: string): boolean {
  return TERMINAL_UNSAFE_ONE.test(text);
}

/** `text` without the characters forTerminal would escape (for outputs that cannot show them: CSV). */
export function withoutControls(text: string): string {
  return TERMINAL_UNSAFE_ONE.test(text) ? text.replace(TERMINAL_UNSAFE, '') : text;
}

/**
 * JSON.stringify whose output is also safe to print: the characters it leaves raw (DEL, C1, bidi,
 * U+2028/U+2029) become `\uXXXX` escapes. Lossless: a JSON parser reads back the exact value.
 */
export function jsonForTerminal(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space);
  return text === undefined ? 'null' : jsonTextForTerminal(text);
}

/** JSON text (from JSON.stringify) made safe to print the same way, for a printer that has only the text. */
export function jsonTextForTerminal(json: string): string {
  // Outside strings JSON is ASCII, so every match is inside a string, where \uXXXX means the same.
  return json.replace(JSON_UNSAFE, (c) => `\\u${hex(c, 4)}`);
}

/** Every character outside ASCII, and DEL: what ASCII-only JSON writes as `\uXXXX` (UTF-16 units, so astral ones as a surrogate pair). */
const NOT_PRINTABLE_ASCII = /[\u007f-\uffff]/g;

/**
 * JSON text written in ASCII only, as Python's `json.dumps(ensure_ascii=True)` writes it: every
 * non-ASCII character (and DEL) as a lower-case `\uXXXX` escape, a character beyond U+FFFF as its
 * surrogate pair of escapes. Lossless: a JSON parser reads back the exact value. Safe to print too
 * (what jsonTextForTerminal escapes is DEL or non-ASCII). The API answers so: a client decodes an
 * ASCII body fast (Python's and Node 22's UTF-8 decoders have an ASCII fast path; on Node 20 it can be
 * read as Latin-1), where a few accented names in a 2.4 MB page made Node 20 build a two-byte string
 * (README Performance).
 */
export function jsonTextAscii(json: string): string {
  // Outside strings JSON is ASCII, and inside one a backslash is never followed by a non-ASCII
  // character, so every match is a raw character of a string, where \uXXXX means the same.
  return json.replace(NOT_PRINTABLE_ASCII, (c) => `\\u${hex(c, 4)}`);
}

/** JSON.stringify(value) written in ASCII only (jsonTextAscii). */
export function jsonAscii(value: unknown): string {
  return jsonTextAscii(JSON.stringify(value) ?? 'null');
}

/** JSON text written in ASCII only (jsonTextAscii) as its bytes (Latin-1 encodes an ASCII string byte for byte). */
export function jsonAsciiBytesOfText(json: string): Buffer {
  return Buffer.from(jsonTextAscii(json), 'latin1');
}

/**
 * The UTF-8 of a JSON text written in ASCII only: the same bytes as jsonAsciiBytesOfText of its
 * text. `bytes` itself when it is ASCII without DEL already (simdutf's isAscii and one memchr: well
 * under a millisecond for a 2.4 MB page), which a page made only of texts stored escaped is. Else
 * only the blocks holding non-ASCII are walked byte by byte (a page of a database written before holds
 * a few hundred non-ASCII characters in 2.4 MB: ~7 ms); a body that is not valid UTF-8 goes through
 * its decoded text instead.
 */
export function jsonBytesAscii(bytes: Buffer): Buffer {
  const escaped = isAscii(bytes) ? bytes : isUtf8(bytes) ? escapeUtf8(bytes) : jsonAsciiBytesOfText(bytes.toString('utf8'));
  return escaped.indexOf(DEL) === -1 ? escaped : escapeDel(escaped);
}

const DEL = 0x7f;
/**
 * Bytes checked at once for non-ASCII: a block holding one is walked byte by byte in JavaScript, and
 * each block checked costs a subarray. 512 was the fastest of 64-4096 on a 2.3 MB page with one
 * non-ASCII character per device (7 ms against 11 ms at 4096, and 24 ms through the decoded text).
 */
const ASCII_BLOCK = 512;

/** Valid UTF-8 with every non-ASCII character replaced by its escape(s). */
function escapeUtf8(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let block = 0; block < b.length; block += ASCII_BLOCK) {
    const end = Math.min(block + ASCII_BLOCK, b.length);
    if (isAscii(b.subarray(block, end))) continue;
    // A sequence begun in the block before may end in this one: start after it.
    for (let i = Math.max(block, from); i < end; i++) {
      const lead = b[i];
      if (lead < 0x80) continue;
      const n = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      const cp = n === 2 ? ((lead & 0x1f) << 6) | (b[i + 1] & 0x3f)
        : n === 3 ? ((lead & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f)
          : ((lead & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      parts.push(b.subarray(from, i), Buffer.from(escapeCodePoint(cp), 'latin1'));
      from = i + n;
      i = from - 1;
    }
  }
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}

function escapeCodePoint(cp: number): string {
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  const c = cp - 0x10000;
  return `\\u${(0xd800 + (c >> 10)).toString(16)}\\u${(0xdc00 + (c & 0x3ff)).toString(16)}`;
}

/** ASCII bytes with each DEL written as its escape. */
function escapeDel(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = b.indexOf(DEL); i !== -1; i = b.indexOf(DEL, from)) {
    parts.push(b.subarray(from, i), DEL_ESCAPE);
    from = i + 1;
  }
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}

const DEL_ESCAPE = Buffer.from('\\u007f', 'latin1');

/** Text made of lines for a terminal: each line escaped, the line breaks kept. */
export function linesForTerminal(text: string): string {
  return text.split('\n').map(forTerminal).join('\n');
}
