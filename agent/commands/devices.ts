/**
 * `auscult devices`: the inventory as a table, a JSON array (the same objects the API returns) or CSV.
 * JSON and CSV stream one device at a time (thousands of devices through a pipe in flat memory); the
 * table needs every row first for its column widths.
 */
import type { DeviceFilter } from '../store/device-query.js';
import { StoreReader } from '../store/reader.js';
import type { Device } from '../store/device-json.js';
import { thousands } from '../config.js';
import { csvLines, type CsvValue } from '../output/csv.js';
import { forTerminal, jsonForTerminal } from '../output/escape.js';
import { writeAll } from '../output/write.js';
import type { Writable } from 'node:stream';

export type DeviceFormat = 'table' | 'json' | 'csv';
export type DeviceListFilter = Omit<DeviceFilter, 'afterId' | 'limit'>;

/** Print the devices matching `filter` to `out` in `format`; resolves once all of it was written. */
export async function printDevices(db: string, filter: DeviceListFilter, format: DeviceFormat, out: Writable = process.stdout): Promise<void> {
  const reader = StoreReader.open(db);
  try {
    const devices = reader.allDevices(filter);
    await writeAll(out, formatDevices(devices, format));
  } finally {
    reader.close();
  }
}

/** The devices as text pieces in `format` (the last one ends with a newline). */
export function* formatDevices(devices: Iterable<Device>, format: DeviceFormat): Generator<string> {
  if (format === 'json') yield* toJson(devices);
  else if (format === 'csv') yield* csvLines(CSV_COLUMNS, csvRows(devices));
  else yield toTable([...devices]) + '\n';
}

/** As JSON.stringify(devices, null, 2) would print the array, one device at a time. */
function* toJson(devices: Iterable<Device>): Generator<string> {
  let first = true;
  for (const d of devices) {
    yield (first ? '[\n  ' : ',\n  ') + jsonForTerminal(d, 2).replace(/\n/g, '\n  ');
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

const services = (d: Device) => d.services.map((s) => `${s.transport}/${s.port}`);
const ips = (d: Device) => d.ips.map((a) => a.ip);

const CSV_COLUMNS = [
  'id', 'mac', 'mac_vendor', 'vendor', 'model', 'category', 'criticality', 'medical', 'confidence', 'os', 'firmware', 'hostnames',
  'kind', 'is_router', 'ips', 'vlans', 'first_seen', 'last_seen', 'packets', 'bytes', 'services',
] as const;

function* csvRows(devices: Iterable<Device>): Generator<CsvValue[]> {
  for (const d of devices) {
    const flat: Record<(typeof CSV_COLUMNS)[number], CsvValue> = {
      id: d.id, mac: d.mac, mac_vendor: d.mac_vendor, vendor: d.vendor, model: d.model, category: d.category,
      criticality: d.criticality, medical: d.medical, confidence: d.confidence, os: d.os, firmware: d.firmware, hostnames: [...new Set(d.hostnames.map((h) => h.name))].join(' '),
      kind: d.kind, is_router: d.is_router,
      ips: ips(d).join(' '), vlans: d.vlans.join(' '), first_seen: d.first_seen, last_seen: d.last_seen,
      packets: d.packets, bytes: d.bytes, services: services(d).join(' '),
    };
    yield CSV_COLUMNS.map((c) => flat[c]);
  }
}

function toTable(devices: Device[]): string {
  const header = ['ID', 'MAC', 'VENDOR', 'MODEL', 'CATEGORY', 'MED', 'CONF', 'HOSTNAME', 'IPS', 'VLANS', 'LAST SEEN', 'PACKETS', 'SERVICES'];
  // Escaped before cutting: the widths count what the terminal shows, and whatever is cut is plain text.
  const cut = (s: string, n: number) => {
    const e = forTerminal(s);
    return e.length > n ? `${e.slice(0, n - 1)}…` : e;
  };
  const rows = devices.map((d) => [
    String(d.id),
    d.mac ?? '-',
    cut(d.vendor ?? d.mac_vendor ?? (d.is_router ? 'router' : '-'), 28) + (d.is_router && d.mac_vendor ? ' (router)' : ''),
    cut(d.model ?? '-', 20),
    forTerminal(d.category),
    d.medical ? 'yes' : '-',
    String(d.confidence),
    cut(d.hostnames[0]?.name ?? '-', 24),
    cut(ips(d).join(' ') || '-', 40),
    d.vlans.join(' ') || '-',
    d.last_seen.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    thousands(d.packets),
    cut(services(d).join(' ') || '-', 40),
  ]);
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) if (r[i].length > widths[i]) widths[i] = r[i].length;
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${devices.length} device(s)`].join('\n');
}
