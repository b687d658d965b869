/**
 * MAC vendor from the IEEE registry, through the `oui-data` package (MA-L, MA-M and MA-S assignments,
 * keyed by 6, 7 or 9 hex digits).
 *
 * The package is one 5.6 MB JSON object, one entry per line, in three runs sorted by key: MA-L (6
 * digits), then MA-M (7), then MA-S (9). Parsing all of it costs ~100 ms per process, mostly for
 * postal addresses we never show, so we binary-search the text by (key length, key) and parse only
 * the entries looked up. A test checks that order on the installed package.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isLocallyAdministeredMac, isGroupMac } from '../decode/format.js';

/** Shown instead of a vendor for locally administered (randomised or software-assigned) MACs. */
export const LOCALLY_ADMINISTERED = '(locally administered)';

interface Registry {
  get(prefix: string): string | undefined;
  /** Whether this MA-L block (6 hex digits) is split into MA-M or MA-S assignments (7 or 9 digits). */
  subdivides(prefix: string): boolean;
}

let registry: Registry | undefined;

/** Orders keys as the package stores them: by length (MA-L, MA-M, MA-S), then lexically. */
export function compareOuiKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const NL = 0x0a;
const QUOTE = 0x22;

/**
 * Binary search over the lines of the registry, kept as raw bytes: keys are ASCII, and only the
 * entries found are decoded (as UTF-8), which spares decoding 5.6 MB at start-up.
 */
export function textRegistry(text: string | Buffer): Registry {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const first = buf.indexOf(NL) + 1;
  const end = buf.lastIndexOf('\n}') + 1;
  const keyAt = (lineStart: number): string => {
    const q1 = buf.indexOf(QUOTE, lineStart);
    return buf.toString('latin1', q1 + 1, buf.indexOf(QUOTE, q1 + 1));
  };
  /** Start of the first line whose key is not below `key` (`end` when there is none). */
  const lowerBound = (key: string): number => {
    let lo = first;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let s = mid === 0 ? 0 : buf.lastIndexOf(NL, mid - 1) + 1;
      if (s < lo) s = lo;
      if (compareOuiKeys(keyAt(s), key) < 0) lo = buf.indexOf(NL, s) + 1;
      else hi = s;
    }
    return lo;
  };
  return {
    get(prefix) {
      const s = lowerBound(prefix);
      if (s >= end || keyAt(s) !== prefix) return undefined;
      const colon = buf.indexOf('": ', s) + 3;
      const eol = buf.indexOf(NL, colon);
      return JSON.parse(buf.toString('utf8', colon, eol).replace(/,$/, '')) as string;
    },
    subdivides(prefix) {
      for (const digits of [7, 9]) {
        const s = lowerBound(prefix.padEnd(digits, '0'));
        if (s < end) {
          const key = keyAt(s);
          if (key.length === digits && key.startsWith(prefix)) return true;
        }
      }
      return false;
    },
  };
}

/**
 * Per 24-bit prefix: the name (null: unassigned), or SUBDIVIDED when the block is split into MA-M/MA-S
 * assignments and each MAC needs its own lookup. A network's devices share few vendors.
 */
const SUBDIVIDED = '\u0000subdivided';
const byPrefix = new Map<number, string | null>();

function load(): Registry {
  if (!registry) {
    const require = createRequire(import.meta.url);
    registry = textRegistry(readFileSync(require.resolve('oui-data')));
  }
  return registry;
}

/** Entries are "Organisation\naddress lines": the first line is the name. */
const nameOf = (entry: string | undefined): string | null => (entry ? entry.split('\n', 1)[0].trim() : null);

/** Organisation name for a 48-bit MAC number, LOCALLY_ADMINISTERED, or null when unassigned. */
export function macVendor(mac: number): string | null {
  if (isGroupMac(mac)) return null;
  if (isLocallyAdministeredMac(mac)) return LOCALLY_ADMINISTERED;
  const reg = load();
  const prefix = Math.floor(mac / 0x1000000);
  let known = byPrefix.get(prefix);
  if (known === undefined) {
    const hex6 = prefix.toString(16).padStart(6, '0').toUpperCase();
    known = reg.subdivides(hex6) ? SUBDIVIDED : nameOf(reg.get(hex6));
    if (byPrefix.size >= 100_000) byPrefix.clear();
    byPrefix.set(prefix, known);
  }
  if (known !== SUBDIVIDED) return known;
  const hex = mac.toString(16).padStart(12, '0').toUpperCase();
  return nameOf(reg.get(hex.slice(0, 9)) ?? reg.get(hex.slice(0, 7)) ?? reg.get(hex.slice(0, 6)));
}
