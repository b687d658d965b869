/**
 * CSV: one row per device or event, written through the shared spreadsheet-safe helper
 * (agent/output/csv.ts: RFC 4180 quoting; control characters removed; a text cell that a
 * spreadsheet would run as a formula gets a leading apostrophe). Lists are space-separated in one
 * cell, as `auscult devices --format csv` writes them; `hostname` holds the most recent name alone.
 */
import { csvRow, type CsvValue } from '../../output/csv.js';
import type { Device } from '../../store/device-json.js';
import type { ExportContext } from '../context.js';
import { hostnameList, ipList, primaryHostname } from '../device-view.js';
import { eventSubject, type AuscultEvent } from '../event.js';
import type { ExportFormat, Framing, RecordKind } from './types.js';

export const CSV_DEVICE_COLUMNS = [
  'id', 'mac', 'mac_vendor', 'vendor', 'model', 'category', 'criticality', 'medical', 'confidence', 'os', 'firmware', 'hostname', 'hostnames',
  'kind', 'is_router', 'ips', 'vlans', 'first_seen', 'last_seen', 'packets', 'bytes', 'services', 'sensor',
] as const;

export const CSV_EVENT_COLUMNS = ['id', 'seq', 'time', 'type', 'severity', 'device_id', 'summary', 'mac', 'ip', 'hostname', 'peer_ip', 'port', 'details', 'sensor'] as const;

function deviceRow(d: Device, ctx: ExportContext): string {
  const cells: CsvValue[] = [
    d.id, d.mac, d.mac_vendor, d.vendor, d.model, d.category, d.criticality, d.medical, d.confidence, d.os, d.firmware,
    primaryHostname(d), hostnameList(d).join(' '), d.kind, d.is_router, ipList(d).join(' '), d.vlans.join(' '),
    d.first_seen, d.last_seen, d.packets, d.bytes, d.services.map((s) => `${s.transport}/${s.port}`).join(' '), ctx.sensor.id,
  ];
  return csvRow(cells);
}

function eventRow(e: AuscultEvent, ctx: ExportContext): string {
  const s = eventSubject(e);
  return csvRow([e.id, e.seq, e.time, e.type, e.severity, e.device_id, e.summary, s.mac, s.ip, s.hostname, s.peerIp, s.port, JSON.stringify(e.details), ctx.sensor.id]);
}

const framings: Record<RecordKind, Framing> = {
  devices: framing(CSV_DEVICE_COLUMNS),
  events: framing(CSV_EVENT_COLUMNS),
};

function framing(columns: readonly string[]): Framing {
  const header = `${csvRow(columns)}\n`;
  return { begin: header, separator: '\n', end: '\n', empty: header };
}

export const csv: ExportFormat = {
  name: 'csv',
  contentType: 'text/csv; charset=utf-8',
  extension: 'csv',
  oneLine: false,
  framing: (kind) => framings[kind],
  device: deviceRow,
  event: eventRow,
};
