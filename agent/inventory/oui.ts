/**
 * MAC vendor from the IEEE registry, through the `oui-data` package (MA-L, MA-M and MA-S assignments,
 * keyed by 6, 7 or 9 hex digits). Loaded once, on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isLocallyAdministeredMac, isGroupMac } from '../decode/format.js';

/** Shown instead of a vendor for locally administered (randomised or software-assigned) MACs. */
export const LOCALLY_ADMINISTERED = '(locally administered)';

let registry: Record<string, string> | undefined;

function load(): Record<string, string> {
  if (!registry) {
    const require = createRequire(import.meta.url);
    registry = JSON.parse(readFileSync(require.resolve('oui-data'), 'utf8')) as Record<string, string>;
  }
  return registry;
}

/** Organisation name for a 48-bit MAC number, LOCALLY_ADMINISTERED, or null when unassigned. */
export function macVendor(mac: number): string | null {
  if (isGroupMac(mac)) return null;
  if (isLocallyAdministeredMac(mac)) return LOCALLY_ADMINISTERED;
  const reg = load();
  const hex = mac.toString(16).padStart(12, '0').toUpperCase();
  const entry = reg[hex.slice(0, 9)] ?? reg[hex.slice(0, 7)] ?? reg[hex.slice(0, 6)];
  // Entries are "Organisation\naddress lines": the first line is the name.
  return entry ? entry.split('\n', 1)[0].trim() : null;
}
