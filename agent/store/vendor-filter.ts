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

/** The ids of the matching devices, each once (every classification has its device: no join needed to count). */
export const VENDOR_DEVICE_IDS = `SELECT id FROM devices WHERE mac_vendor IN (${NAMES})
  UNION SELECT device_id FROM classifications WHERE vendor IN (${NAMES})`;

/**
 * WHERE term over `devices d` starting from the matching devices: what narrows the list most, unless
 * a filter that reads few devices by an index (MAC, IP address, host name) is there too.
 */
const FROM_NAMES = `d.id IN (${VENDOR_DEVICE_IDS})`;

/** WHERE term over `devices d LEFT JOIN classifications c`, checked on each device another filter found. */
const PER_DEVICE = `(d.mac_vendor IN (${NAMES}) OR c.vendor IN (${NAMES}))`;

/** The WHERE term of a vendor filter, given whether a filter reading few devices by an index comes with it. */
export function vendorTerm(withNarrowFilter: boolean): string {
  return withNarrowFilter ? PER_DEVICE : FROM_NAMES;
}

/** The @vendor parameter: `%`, `_` and `\` escaped, so they match themselves. */
export function vendorPattern(vendor: string): string {
  return vendor.replace(/[\\%_]/g, (c) => `\\${c}`);
}
