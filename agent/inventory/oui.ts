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
}

let registry: Registry | undefined;

/** Orders keys as the package stores them: by length (MA-L, MA-M, MA-S), then lexically. */
export function compareOuiKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Binary search over the lines of the registry text. */
export function textRegistry(text: string): Registry {
  const first = text.indexOf('\n') + 1;
  const end = text.lastIndexOf('\n}') + 1;
  const keyAt = (lineStart: number): string => {
    const q1 = text.indexOf('"', lineStart);
    return text.slice(q1 + 1, text.indexOf('"', q1 + 1));
  };
  return {
    get(prefix) {
      let lo = first;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        let s = text.lastIndexOf('\n', mid - 1) + 1;
        if (s < lo) s = lo;
        const c = compareOuiKeys(keyAt(s), prefix);
        if (c === 0) {
          const colon = text.indexOf('": ', s) + 3;
          const eol = text.indexOf('\n', colon);
          return JSON.parse(text.slice(colon, eol).replace(/,$/, '')) as string;
        }
        if (c < 0) lo = text.indexOf('\n', s) + 1;
        else hi = s;
      }
      return undefined;
    },
  };
}

function load(): Registry {
  if (!registry) {
    const require = createRequire(import.meta.url);
    registry = textRegistry(readFileSync(require.resolve('oui-data'), 'utf8'));
  }
  return registry;
}

/** Organisation name for a 48-bit MAC number, LOCALLY_ADMINISTERED, or null when unassigned. */
export function macVendor(mac: number): string | null {
  if (isGroupMac(mac)) return null;
  if (isLocallyAdministeredMac(mac)) return LOCALLY_ADMINISTERED;
  const reg = load();
  const hex = mac.toString(16).padStart(12, '0').toUpperCase();
  const entry = reg.get(hex.slice(0, 9)) ?? reg.get(hex.slice(0, 7)) ?? reg.get(hex.slice(0, 6));
  // Entries are "Organisation\naddress lines": the first line is the name.
  return entry ? entry.split('\n', 1)[0].trim() : null;
}
