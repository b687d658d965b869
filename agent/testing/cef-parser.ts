/**
 * A strict CEF parser for the tests, written from "Implementing ArcSight CEF" (header, extension,
 * character encoding) and independent of agent/export/formats/cef.ts. It rejects what the standard
 * does not allow instead of guessing: an unknown escape, an unescaped `=` inside a value, a line
 * break, a header without its 7 fields, a severity outside 0-10, a duplicate key, a custom field
 * without its label, a typed key with a value of the wrong shape.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface CefRecord {
  version: number;
  vendor: string;
  product: string;
  productVersion: string;
  classId: string;
  name: string;
  severity: number;
  extension: Map<string, string>;
}

export class CefError extends Error {}

const SEVERITY_WORDS: Record<string, number> = { Unknown: 0, Low: 3, Medium: 5, High: 8, 'Very-High': 10 };
const KEY_CHAR = /[A-Za-z0-9_]/;
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const INTEGER = /^-?\d+$/;

/** The dictionary keys with a typed value (the extension dictionary), and how to check them. */
const TYPED: Record<string, (v: string) => boolean> = {
  rt: (v) => INTEGER.test(v), start: (v) => INTEGER.test(v), end: (v) => INTEGER.test(v),
  smac: (v) => MAC.test(v), dmac: (v) => MAC.test(v),
  src: isIPv4, dst: isIPv4, dvc: isIPv4,
  c6a1: isIPv6, c6a2: isIPv6, c6a3: isIPv6, c6a4: isIPv6,
  cn1: (v) => INTEGER.test(v), cn2: (v) => INTEGER.test(v), cn3: (v) => INTEGER.test(v),
  spt: (v) => INTEGER.test(v) && +v <= 65535, dpt: (v) => INTEGER.test(v) && +v <= 65535,
};
const LENGTH: Record<string, number> = { externalId: 40, deviceExternalId: 255, dvchost: 100 };

/** Header fields: `\|` and `\\` are the only escapes; an unescaped `|` ends the field. */
function header(line: string): { fields: string[]; rest: number } {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  while (fields.length < 7) {
    if (i >= line.length) throw new CefError(`header has ${fields.length} of its 7 fields`);
    const c = line[i];
    if (c === '\\') {
      const n = line[i + 1];
      if (n !== '\\' && n !== '|') throw new CefError(`invalid header escape \\${n ?? ''} at ${i}`);
      field += n;
      i += 2;
    } else if (c === '|') {
      fields.push(field);
      field = '';
      i++;
    } else {
      field += c;
      i++;
    }
  }
  return { fields, rest: i };
}

/** Extension: `key=value` pairs; in values only `\\`, `\=`, `\n`, `\r` are escapes. */
function extension(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.trim() === '') return out;
  // Offsets of unescaped '=' (each ends a key).
  const equals: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      const n = text[i + 1];
      if (n !== '\\' && n !== '=' && n !== 'n' && n !== 'r') throw new CefError(`invalid extension escape \\${n ?? ''} at ${i}`);
      i++;
    } else if (text[i] === '=') equals.push(i);
  }
  if (equals.length === 0) throw new CefError('extension without key=value');
  const keyStart = (eq: number): number => {
    let s = eq;
    while (s > 0 && KEY_CHAR.test(text[s - 1])) s--;
    if (s === eq) throw new CefError(`unescaped = at ${eq} without a key before it`);
    if (s > 0 && text[s - 1] !== ' ') throw new CefError(`unescaped = at ${eq} inside a value`);
    return s;
  };
  let start = keyStart(equals[0]);
  if (start !== 0) throw new CefError(`text before the first key: ${JSON.stringify(text.slice(0, start))}`);
  for (let k = 0; k < equals.length; k++) {
    const eq = equals[k];
    const key = text.slice(start, eq);
    let valueEnd: number;
    let nextStart = text.length;
    if (k + 1 < equals.length) {
      nextStart = keyStart(equals[k + 1]);
      valueEnd = nextStart - 1; // the one space before the next key; more spaces belong to the value
    } else {
      valueEnd = text.length;
      while (valueEnd > eq + 1 && text[valueEnd - 1] === ' ') valueEnd--; // final value: trailing spaces not kept
    }
    if (out.has(key)) throw new CefError(`duplicate key ${key}`);
    out.set(key, unescapeValue(text.slice(eq + 1, valueEnd)));
    start = nextStart;
  }
  return out;
}

function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let v = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '\\') {
      v += raw[i];
      continue;
    }
    const n = raw[++i];
    v += n === 'n' ? '\n' : n === 'r' ? '\r' : n;
  }
  return v;
}

/** Parse one CEF record (no syslog prefix). */
export function parseCef(line: string): CefRecord {
  if (/[\r\n]/.test(line)) throw new CefError('a record holds a raw line break');
  const m = /^CEF:(\d+)\|/.exec(line);
  if (m === null) throw new CefError('does not start with CEF:<version>|');
  const { fields, rest } = header(line.slice(4));
  const [version, vendor, product, productVersion, classId, name, sev] = fields;
  const severity = INTEGER.test(sev) ? Number(sev) : SEVERITY_WORDS[sev];
  if (severity === undefined || severity < 0 || severity > 10) throw new CefError(`severity ${sev} outside 0-10`);
  for (const [f, v] of [['Device Vendor', vendor], ['Device Product', product], ['Device Version', productVersion], ['Signature ID', classId], ['Name', name]]) {
    if (v === '') throw new CefError(`empty header field ${f}`);
  }
  const ext = extension(line.slice(4 + rest));
  for (const [key, value] of ext) {
    const check = TYPED[key];
    if (check !== undefined && !check(value)) throw new CefError(`${key}=${value}: not the dictionary's type`);
    if (LENGTH[key] !== undefined && value.length > LENGTH[key]) throw new CefError(`${key} longer than ${LENGTH[key]}`);
    const custom = /^(cs[1-6]|cn[1-3]|c6a[1-4]|cfp[1-4]|deviceCustomDate[12])$/.exec(key);
    if (custom !== null && !ext.has(`${key}Label`)) throw new CefError(`${key} without ${key}Label`);
  }
  return { version: Number(version), vendor, product, productVersion, classId, name, severity, extension: ext };
}

/** The value of a labelled custom field by its label (cs1Label=Vendor cs1=X → "X"). */
export function cefCustom(r: CefRecord, label: string): string | undefined {
  for (const [key, value] of r.extension) {
    if (key.endsWith('Label') && value === label) return r.extension.get(key.slice(0, -'Label'.length));
  }
  return undefined;
}
