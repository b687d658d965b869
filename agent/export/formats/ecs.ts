/**
 * Elastic Common Schema documents, one JSON object per line (NDJSON: the Elasticsearch bulk body
 * and Filebeat both read it). Devices are asset documents (`event.kind: asset`, ECS 8.8+, beta),
 * the device in `host.*` and `device.*`, the sensor in `observer.*`. Events are `event.kind: event`
 * (`alert` for ARP conflicts and MAC floods: detections by auscult itself). What ECS has no field
 * for goes under the custom namespace `auscult.*`, as ECS asks of custom fields.
 */
import type { Device } from '../../store/device-json.js';
import { PRODUCT, type ExportContext } from '../context.js';
import { hostnameList, ipList, primaryHostname } from '../device-view.js';
import { eventSubject, type AuscultEvent, type EventType } from '../event.js';
import { DEVICE_RECORD_SEVERITY, SEVERITY_SCALES } from '../severity.js';
import { LINES, type ExportFormat } from './types.js';

/** The ECS version every document declares (`ecs.version`). */
export const ECS_VERSION = '8.11.0';

/** ECS spells a MAC in upper case with hyphens (RFC 7042): 00-00-5E-00-53-23. */
export function ecsMac(mac: string): string {
  return mac.replace(/:/g, '-').toUpperCase();
}

/** host.os.type from the identified OS name; only ECS's expected values, else left out. */
function osType(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.includes('windows')) return 'windows';
  if (n.includes('android')) return 'android';
  if (/\bi(pad)?os\b/.test(n) && !n.includes('cisco')) return 'ios';
  if (n.includes('macos') || n.includes('mac os')) return 'macos';
  if (n.includes('linux')) return 'linux';
  if (/unix|bsd|solaris|aix|hp-ux|qnx/.test(n)) return 'unix';
  return undefined;
}

function observer(ctx: ExportContext): Record<string, string> {
  return { hostname: ctx.sensor.hostname, name: ctx.sensor.id, type: 'sensor', vendor: PRODUCT.vendor, product: PRODUCT.product, version: ctx.productVersion };
}

/** A value, or undefined (left out by JSON.stringify) when null or an empty array. Objects are built
 * as literals with undefined members rather than with `delete`: V8 keeps them fast for stringify. */
function opt<T>(v: T | null | undefined): T | undefined {
  return v === null || (Array.isArray(v) && v.length === 0) ? undefined : v;
}

function deviceRecord(d: Device, ctx: ExportContext): string {
  const names = hostnameList(d);
  const ips = ipList(d);
  const hostname = primaryHostname(d);
  return JSON.stringify({
    '@timestamp': d.last_seen,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'asset', category: ['host'], type: ['info'], module: 'auscult', dataset: 'auscult.device',
      start: d.first_seen, end: d.last_seen, severity: SEVERITY_SCALES[DEVICE_RECORD_SEVERITY].ecs,
    },
    host: {
      id: String(d.id),
      name: opt(hostname),
      hostname: opt(hostname),
      ip: opt(ips),
      mac: d.mac === null ? undefined : [ecsMac(d.mac)],
      os: d.os === null ? undefined : { name: d.os, type: osType(d.os) },
    },
    device: { id: String(d.id), manufacturer: opt(d.vendor ?? d.mac_vendor), model: d.model === null ? undefined : { name: d.model } },
    observer: observer(ctx),
    related: ips.length + names.length === 0 ? undefined : { ip: opt(ips), hosts: opt(names) },
    network: d.vlans.length > 0 ? { vlan: { id: String(d.vlans[0]) } } : undefined,
    auscult: {
      device: {
        category: d.category, criticality: d.criticality, medical: d.medical, confidence: d.confidence, firmware: d.firmware,
        mac_vendor: d.mac_vendor, kind: d.kind, is_router: d.is_router, vlans: d.vlans, services: d.services.map((s) => `${s.transport}/${s.port}`),
      },
    },
  });
}

const NETWORK_TYPES: ReadonlySet<EventType> = new Set(['peer.external_new', 'arp.conflict', 'mac.flood']);
const CHANGE_TYPES: ReadonlySet<EventType> = new Set(['device.identity_changed', 'device.address_changed', 'device.hostname_new', 'service.new']);
const ALERT_TYPES: ReadonlySet<EventType> = new Set(['arp.conflict', 'mac.flood']);

function eventRecord(e: AuscultEvent, ctx: ExportContext): string {
  const s = eventSubject(e);
  const related = [s.ip, s.peerIp].filter((x): x is string => x !== null);
  return JSON.stringify({
    '@timestamp': e.time,
    ecs: { version: ECS_VERSION },
    message: e.summary,
    event: {
      kind: ALERT_TYPES.has(e.type) ? 'alert' : 'event',
      category: [NETWORK_TYPES.has(e.type) ? 'network' : 'host'],
      type: [CHANGE_TYPES.has(e.type) ? 'change' : 'info'],
      module: 'auscult',
      dataset: 'auscult.event',
      action: e.type,
      id: e.id,
      sequence: e.seq,
      severity: SEVERITY_SCALES[e.severity].ecs,
    },
    host: e.device_id === null ? undefined : {
      id: String(e.device_id), name: opt(s.hostname), hostname: opt(s.hostname), ip: s.ip === null ? undefined : [s.ip], mac: s.mac === null ? undefined : [ecsMac(s.mac)],
    },
    observer: observer(ctx),
    related: related.length === 0 && s.hostname === null ? undefined : { ip: opt(related), hosts: s.hostname === null ? undefined : [s.hostname] },
    network: s.transport === null ? undefined : { transport: s.transport.toLowerCase() },
    auscult: { event: { type: e.type, severity: e.severity, device_id: e.device_id, details: e.details } },
  });
}

export const ecs: ExportFormat = {
  name: 'ecs',
  contentType: 'application/x-ndjson',
  extension: 'ecs.ndjson',
  oneLine: true,
  framing: () => LINES,
  device: deviceRecord,
  event: eventRecord,
};
