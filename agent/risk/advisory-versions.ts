/**
 * Version expressions of advisories against a device's version string. Advisories write versions as
 * free text: "Rev B-M", "<=N", "<= 2.3.6", ">= 1.0.0 | <= 1.1.1", "2.X", "1.1.7.333 | 2.1.1.3069",
 * `vers:` ranges (https://github.com/package-url/purl-spec/blob/main/VERSION-RANGE-SPEC.rst), and also
 * dates, model numbers and sentences. What cannot be read as versions is `unknown`, never a match.
 *
 * Versions compare segment by segment: runs of digits numerically, runs of letters alphabetically
 * (Philips releases go A, B, ... N), separators ignored. A bound is a prefix: "N" covers N.00.01,
 * "2.X" covers 2.1. A digit run against a letter run is a different numbering scheme: unknown.
 */

export type Segment = number | string;
/** Wildcard segment ("x" in "2.X", "*"): anything from here on. */
const ANY = '*';

export type VersionVerdict =
  | { result: 'match'; detail: string }
  | { result: 'no-match'; detail: string }
  | { result: 'unknown'; detail: string };

interface Bound {
  segments: Segment[];
  inclusive: boolean;
  text: string;
}

/** One interval: no `lower` means from the first version, no `upper` up to the last. */
interface Interval {
  lower?: Bound;
  upper?: Bound;
}

export type VersionSpec =
  | { kind: 'all'; text: string }
  | { kind: 'intervals'; intervals: Interval[]; text: string }
  | { kind: 'unparseable'; text: string; reason: string };

/** Segments of a version string: "M.00.03" → ["m", 0, 3]; "v22D28" → [22, "d", 28]; "2.X" → [2, "*"]. */
export function versionSegments(text: string): Segment[] {
  const out: Segment[] = [];
  const cleaned = text.trim().replace(/^(v(?=\d)|rev(ision)?\.?\s*|version\s+|release\s+)/i, '');
  // "C.0x" is C.00 to C.09: a digit run followed by x is a wildcard from there on.
  for (const m of cleaned.matchAll(/(\d+)(?=[xX]+(?![A-Za-z]))|(\d+)|([A-Za-z]+)|(\*)/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined || m[4] !== undefined || /^x+$/i.test(m[3])) {
      out.push(ANY);
      break;
    } else out.push(m[3].toLowerCase());
  }
  return out;
}

/**
 * Compare a device version with a bound: -1 below, 0 within the bound's prefix, 1 above, null when
 * the two use different schemes (a number where the other has letters).
 */
export function compareToBound(device: Segment[], bound: Segment[]): -1 | 0 | 1 | null {
  for (let i = 0; i < bound.length; i++) {
    const b = bound[i];
    if (b === ANY) return 0;
    const d = device[i];
    if (d === undefined) {
      // "2" against "2.1": the device names less; a missing number counts as 0.
      if (typeof b === 'number') return b === 0 ? 0 : -1;
      return null;
    }
    if (typeof d !== typeof b) return null;
    if (d !== b) return d < b ? -1 : 1;
  }
  return 0;
}

/** A version literal: digits and letters joined by . _ -, optionally "v"/"Rev"/"Version" in front. */
const LITERAL = /^(?:v(?=\d)|rev(?:ision)?\.?\s*|version\s+|release\s+)?[A-Za-z0-9]+(?:[._-][A-Za-z0-9*]+)*\*?$/i;
const OPERATOR = /^(<=|>=|<|>|=)\s*(.+)$/;

function bound(text: string, inclusive: boolean): Bound | null {
  const t = text.trim();
  if (!LITERAL.test(t)) return null;
  // A literal must carry a digit, or be a Philips-style release letter ("N", "B.02"), or a wildcard.
  if (!/\d/.test(t) && !/^(rev(ision)?\.?\s*)?[A-Za-z]$/i.test(t) && !/^[A-Za-z]\.[A-Za-z0-9]/.test(t) && !/^x$/i.test(t)) return null;
  return { segments: versionSegments(t), inclusive, text: t };
}

/** Parentheses and what they hold, removed; unbalanced ones run to the end. */
function withoutParentheses(text: string): { rest: string; removed: string[] } {
  const removed: string[] = [];
  let rest = '';
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') {
      if (depth > 0) current += ch;
      depth++;
    } else if (ch === ')' && depth > 0) {
      depth--;
      if (depth === 0) {
        removed.push(current);
        current = '';
      } else current += ch;
    } else if (depth > 0) current += ch;
    else rest += ch;
  }
  if (depth > 0) removed.push(current);
  return { rest, removed };
}

/** Read an advisory's version text. `notes` receives what parentheses held (component versions, remarks). */
export function parseVersionSpec(text: string | null): VersionSpec & { notes: string[] } {
  if (text === null) return { kind: 'unparseable', text: '', reason: 'the advisory names no version', notes: [] };
  const raw = text.trim();
  let body = raw;
  let notes: string[] = [];
  const vers = /^vers:([a-z0-9.+-]+)\/(.*)$/i.exec(raw);
  if (vers) body = vers[2];
  else {
    const p = withoutParentheses(raw);
    // "8.x model 35700BAX2" (ICSMA-22-251-01): the model the version runs on is a note, not a version.
    const model = /\s+model\s+\S+\s*$/i.exec(p.rest);
    body = model ? p.rest.slice(0, model.index) : p.rest;
    notes = [...p.removed, ...(model ? [model[0]] : [])].map((s) => s.trim()).filter(Boolean);
  }
  body = body.trim();
  if (/^(\*|all|all versions)$/i.test(body)) return { kind: 'all', text: raw, notes };
  const terms = body.split('|').map((t) => t.trim()).filter(Boolean);
  if (terms.length === 0) return { kind: 'unparseable', text: raw, reason: 'no version in it', notes };
  const intervals: Interval[] = [];
  let open: Bound | undefined;
  for (const term of terms) {
    const op = OPERATOR.exec(term);
    if (op) {
      const b = bound(op[2], op[1] !== '<' && op[1] !== '>');
      if (b === null) return { kind: 'unparseable', text: raw, reason: `"${op[2].trim()}" is not a version`, notes };
      if (op[1] === '>=' || op[1] === '>') {
        if (open) intervals.push({ lower: open });
        open = b;
      } else if (op[1] === '=') {
        intervals.push({ lower: b, upper: b });
      } else {
        intervals.push(open ? { lower: open, upper: b } : { upper: b });
        open = undefined;
      }
      continue;
    }
    // "A.01 <= C.0x", "A10 < A11": a range written between two versions.
    const between = /^(\S+)\s*(<=|<)\s*(\S+)$/.exec(term);
    // "Rev B-M": a range of release letters (hyphens inside "2018-1" or "GEH-1.1" are not ranges).
    const letters = /^(?:rev(?:ision)?\.?\s*)([A-Za-z])\s*-\s*([A-Za-z])$/i.exec(term) ?? /^([A-Z])-([A-Z])$/.exec(term);
    if (between) {
      const lo = bound(between[1], true);
      const hi = bound(between[3], between[2] === '<=');
      if (lo && hi) {
        intervals.push({ lower: lo, upper: hi });
        continue;
      }
    } else if (letters) {
      intervals.push({ lower: bound(letters[1], true)!, upper: bound(letters[2], true)! });
      continue;
    }
    const exact = bound(term, true);
    if (exact === null) return { kind: 'unparseable', text: raw, reason: `"${term}" is not a version`, notes };
    if (exact.segments[0] === ANY) return { kind: 'all', text: raw, notes };
    intervals.push({ lower: exact, upper: exact });
  }
  if (open) intervals.push({ lower: open });
  return { kind: 'intervals', intervals, text: raw, notes };
}

function describe(i: Interval): string {
  if (i.lower && i.upper && i.lower === i.upper) return i.lower.text;
  const lo = i.lower ? `${i.lower.inclusive ? '>=' : '>'} ${i.lower.text}` : '';
  const hi = i.upper ? `${i.upper.inclusive ? '<=' : '<'} ${i.upper.text}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

/** Whether `version` (a device's) is in the advisory's version expression. */
export function evaluateVersion(spec: VersionSpec, version: string): VersionVerdict {
  if (spec.kind === 'all') return { result: 'match', detail: `every version (${spec.text})` };
  if (spec.kind === 'unparseable') return { result: 'unknown', detail: `cannot read the advisory's version "${spec.text}": ${spec.reason}` };
  const device = versionSegments(version);
  if (device.length === 0) return { result: 'unknown', detail: `"${version}" is not a version` };
  // Intervals in another numbering than the device's say nothing about it ("A.01 <= C.0x | 4.0": a
  // letter release is judged by the letter interval); only when none is comparable is it unknown.
  let comparable = false;
  for (const iv of spec.intervals) {
    const lo = iv.lower ? compareToBound(device, iv.lower.segments) : -2;
    const hi = iv.upper ? compareToBound(device, iv.upper.segments) : -2;
    if (lo === null || hi === null) continue;
    comparable = true;
    const aboveLower = lo === -2 || lo === 1 || (lo === 0 && iv.lower!.inclusive);
    const belowUpper = hi === -2 || hi === -1 || (hi === 0 && iv.upper!.inclusive);
    if (aboveLower && belowUpper) return { result: 'match', detail: `${version} is within ${describe(iv)}` };
  }
  if (!comparable) {
    return { result: 'unknown', detail: `${version} and the advisory's "${spec.text}" are numbered differently` };
  }
  return { result: 'no-match', detail: `${version} is outside "${spec.text}"` };
}
