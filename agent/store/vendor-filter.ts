/**
 * The vendor filter's SQL: a case-insensitive substring of the identified vendor (classifications.vendor)
 * or of the MAC vendor (devices.mac_vendor), with `%`, `_` and `\` literal. LIKE's semantics (ASCII
 * letters fold case, others do not), applied to the few distinct names (vendor_names, migration 17)
 * instead of to every device: the devices of the names matched are then read through the indexes on
 * both columns. At 100 k devices, LIKE over every device and its classification took 0.5 s for the
 * inventory's count and 0.2-0.7 s for a page of a rare vendor or in another order (BENCHMARKS.md).
 */

/** The vendor names containing @vendor (escaped by vendorPattern). */
const NAMES = `SELECT name FROM vendor_names WHERE name LIKE '%' || @vendor || '%' ESCAPE '\\'`;

/**
 * The ids of the matching devices, each once (every classification has its device: a count needs no
 * join), beyond @afterId when `bound` is given: both indexes hold the id after the name, so a page in
 * id order reads only the ids after the previous page's.
 */
function deviceIds(bound?: '<' | '>'): string {
  const after = (column: string) => (bound === undefined ? '' : ` AND ${column} ${bound} @afterId`);
  return `SELECT id FROM devices WHERE mac_vendor IN (${NAMES})${after('id')}
    UNION SELECT device_id FROM classifications WHERE vendor IN (${NAMES})${after('device_id')}`;
}

export const VENDOR_DEVICE_IDS = deviceIds();

/**
 * The WHERE term of a vendor filter. `perDevice`: checked on each device another filter or a window of
 * ids found, over `devices d LEFT JOIN classifications c`; else the matching devices' ids, over
 * `devices d` (`bound`: only those beyond @afterId).
 */
export function vendorTerm(perDevice: boolean, bound?: '<' | '>'): string {
  return perDevice ? `(d.mac_vendor IN (${NAMES}) OR c.vendor IN (${NAMES}))` : `d.id IN (${deviceIds(bound)})`;
}

/** The @vendor parameter: `%`, `_` and `\` escaped, so they match themselves. */
export function vendorPattern(vendor: string): string {
  return vendor.replace(/[\\%_]/g, (c) => `\\${c}`);
}
