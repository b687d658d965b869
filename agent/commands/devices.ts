/**
 * `auscult devices`: the inventory as a table, a JSON array (the same objects the API returns) or CSV.
 */
import { openDatabase } from '../store/store.js';
import { DeviceQuery, type DeviceFilter } from '../store/device-query.js';
import type { Device } from '../store/device-json.js';
import { thousands } from '../config.js';

export type DeviceFormat = 'table' | 'json' | 'csv';

export function listDevices(db: string, filter: Omit<DeviceFilter, 'afterId' | 'limit'>): Device[] {
  const handle = openDatabase(db, { readonly: true });
  try {
    return [...new DeviceQuery(handle).all(filter)];
  } finally {
    handle.close();
  }
}

export function formatDevices(devices: Device[], format: DeviceFormat): string {
  if (format === 'json') return JSON.stringify(devices, null, 2);
  if (format === 'csv') return toCsv(devices);
  return toTable(devices);
}

const services = (d: Device) => d.services.map((s) => `${s.transport}/${s.port}`);
const ips = (d: Device) => d.ips.map((a) => a.ip);

const CSV_COLUMNS = [
  'id', 'mac', 'mac_vendor', 'vendor', 'model', 'category', 'criticality', 'medical', 'confidence', 'os', 'firmware', 'hostnames',
  'kind', 'is_router', 'ips', 'vlans', 'first_seen', 'last_seen', 'packets', 'bytes', 'services',
] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(devices: Device[]): string {
  const rows = devices.map((d) => {
    const flat: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      id: d.id, mac: d.mac, mac_vendor: d.mac_vendor, vendor: d.vendor, model: d.model, category: d.category,
      criticality: d.criticality, medical: d.medical, confidence: d.confidence, os: d.os, firmware: d.firmware, hostnames: [...new Set(d.hostnames.map((h) => h.name))].join(' '),
      kind: d.kind, is_router: d.is_router,
      ips: ips(d).join(' '), vlans: d.vlans.join(' '), first_seen: d.first_seen, last_seen: d.last_seen,
      packets: d.packets, bytes: d.bytes, services: services(d).join(' '),
    };
    return CSV_COLUMNS.map((c) => csvCell(flat[c])).join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\n');
}

function toTable(devices: Device[]): string {
  const header = ['ID', 'MAC', 'VENDOR', 'MODEL', 'CATEGORY', 'MED', 'CONF', 'HOSTNAME', 'IPS', 'VLANS', 'LAST SEEN', 'PACKETS', 'SERVICES'];
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const rows = devices.map((d) => [
    String(d.id),
    d.mac ?? '-',
    cut(d.vendor ?? d.mac_vendor ?? (d.is_router ? 'router' : '-'), 28) + (d.is_router && d.mac_vendor ? ' (router)' : ''),
    cut(d.model ?? '-', 20),
    d.category,
    d.medical ? 'yes' : '-',
    String(d.confidence),
    cut(d.hostnames[0]?.name ?? '-', 24),
    cut(ips(d).join(' ') || '-', 40),
    d.vlans.join(' ') || '-',
    d.last_seen.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    thousands(d.packets),
    cut(services(d).join(' ') || '-', 40),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${devices.length} device(s)`].join('\n');
}
