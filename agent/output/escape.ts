/**
 * Output escaping. Strings from the wire (LLDP system names, mDNS host names, DHCP options, HTTP
 * headers...) are hostile: whatever shows them to a person or another program escapes them here,
 * one function per consumer. Terminal: this file; CSV: csv.ts; CEF/LEEF and HTML belong here too.
 *
 * The database and the JSON outputs keep the exact value (JSON escapes what a terminal would act on,
 * losslessly); only text for people is escaped visibly.
 */

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

/** Text made of lines for a terminal: each line escaped, the line breaks kept. */
export function linesForTerminal(text: string): string {
  return text.split('\n').map(forTerminal).join('\n');
}
