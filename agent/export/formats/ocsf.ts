/**
 * OCSF 1.4.0, class Device Inventory Info (5001, category Discovery 5), one JSON object per line.
 *
 * Devices: activity Collect (2), type_uid 500102: auscult collects what it knows by watching the
 * network. Events: activity Log (1), type_uid 500101, with the device the event is about (as far as
 * the event knows it) and the event in `message`, `metadata.uid` (its id), `metadata.labels` and
 * `unmapped`. Why not another class: every auscult event reports a change in what is known about a
 * device or about the monitored network; OCSF 1.4 has no class for a passive sensor's change notices
 * that fits better (Device Config State Change describes security settings of the device itself,
 * Detection Finding needs an analytic and a finding life cycle: it will carry findings once the risk
 * layer has them). Sensor-wide events (mac.flood, capture.drops) name the sensor as the device.
 * What OCSF has no attribute for (category, criticality, medical, confidence, firmware, every
 * address and name) goes under `unmapped.auscult`.
 */
import type { Device } from '../../store/device-json.js';
import { PRODUCT, type ExportContext } from '../context.js';
import { epochMs, hostnameList, ipList, primaryAnyIp, primaryHostname } from '../device-view.js';
import { eventSubject, type AuscultEvent } from '../event.js';
import { DEVICE_RECORD_SEVERITY, OCSF_SEVERITY_NAMES, SEVERITY_SCALES } from '../severity.js';
import { LINES, type ExportFormat } from './types.js';

/** The OCSF version every record declares (metadata.version); the tests check against its definitions. */
export const OCSF_VERSION = '1.4.0';

export const OCSF_CLASS = { uid: 5001, name: 'Device Inventory Info', categoryUid: 5, categoryName: 'Discovery' } as const;
const ACTIVITY = { log: { id: 1, name: 'Log' }, collect: { id: 2, name: 'Collect' } } as const;

/** endpoint.type_id (OCSF 1.4 enum: 0 Unknown ... 15 Load Balancer, 99 Other) and a descriptive type. */
export function ocsfDeviceType(d: Pick<Device, 'category' | 'medical' | 'is_router'>): { type_id: number; type: string } {
  if (d.medical) {
    const what = d.category === 'medical-device' || d.category === 'unknown' ? '' : `: ${d.category.replace(/-/g, ' ')}`;
    return { type_id: 7, type: `Medical device${what}` };
  }
  switch (d.category) {
    case 'workstation': return { type_id: 2, type: 'Workstation' };
    case 'server': return { type_id: 1, type: 'Server' };
    case 'mobile': return { type_id: 5, type: 'Mobile' };
    case 'network-equipment': return d.is_router ? { type_id: 12, type: 'Router' } : { type_id: 10, type: 'Switch' };
    case 'wireless-ap': return { type_id: 99, type: 'Wireless access point' };
    case 'printer': return { type_id: 99, type: 'Printer' };
    case 'ip-phone': return { type_id: 7, type: 'IP phone' };
    case 'camera': return { type_id: 7, type: 'IP camera' };
    case 'building-automation': return { type_id: 7, type: 'Building automation' };
    case 'consumer-iot': return { type_id: 7, type: 'Consumer IoT' };
    default: return d.is_router ? { type_id: 12, type: 'Router' } : { type_id: 0, type: 'Unknown' };
  }
}

/** os.type_id from the identified OS name (OCSF 1.4 os enum; 99 Other when no family fits). */
export function ocsfOsTypeId(name: string): number {
  const n = name.toLowerCase();
  if (n.includes('windows')) return n.includes('mobile') ? 101 : 100;
  if (n.includes('android')) return 201;
  if (n.includes('ipados')) return 302;
  if (n.includes('ios') && !n.includes('cisco ios')) return 301;
  if (n.includes('macos') || n.includes('mac os') || n.includes('os x')) return 300;
  if (n.includes('linux')) return 200;
  if (n.includes('solaris')) return 400;
  if (n.includes('aix')) return 401;
  if (n.includes('hp-ux')) return 402;
  return 99;
}

function metadata(ctx: ExportContext, event?: AuscultEvent): Record<string, unknown> {
  const product = { name: PRODUCT.product, vendor_name: PRODUCT.vendor, version: ctx.productVersion };
  return {
    version: OCSF_VERSION,
    product,
    uid: event?.id,
    labels: event === undefined ? undefined : [event.type],
    // The sensor that saw the traffic.
    loggers: [{ name: ctx.sensor.hostname, uid: ctx.sensor.id, product }],
  };
}

/** The classification attributes, then the rest of the record, in one literal (a spread into a
 * literal makes V8 build a slow dictionary object, and JSON.stringify of it 5x slower). */
function record(activity: { id: number; name: string }, severityId: number, timeMs: number, rest: Record<string, unknown>): string {
  return JSON.stringify({
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: OCSF_CLASS.categoryUid,
    category_name: OCSF_CLASS.categoryName,
    class_uid: OCSF_CLASS.uid,
    class_name: OCSF_CLASS.name,
    type_uid: OCSF_CLASS.uid * 100 + activity.id,
    type_name: activity === ACTIVITY.log ? TYPE_NAME_LOG : TYPE_NAME_COLLECT,
    severity_id: severityId,
    severity: OCSF_SEVERITY_NAMES[severityId],
    time: timeMs,
    message: rest.message,
    metadata: rest.metadata,
    device: rest.device,
    unmapped: rest.unmapped,
  });
}
const TYPE_NAME_LOG = `${OCSF_CLASS.name}: ${ACTIVITY.log.name}`;
const TYPE_NAME_COLLECT = `${OCSF_CLASS.name}: ${ACTIVITY.collect.name}`;

/** Sets `key` only when `value` is not null (OCSF: an unknown attribute is absent, not null). */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== null && value !== undefined) o[key] = value;
}

/** The OCSF device object of an auscult device. */
export function ocsfDevice(d: Device): Record<string, unknown> {
  const { type_id, type } = ocsfDeviceType(d);
  const o: Record<string, unknown> = { type_id, type, uid: String(d.id) };
  put(o, 'hostname', primaryHostname(d));
  put(o, 'ip', primaryAnyIp(d));
  put(o, 'mac', d.mac);
  put(o, 'vendor_name', d.vendor ?? d.mac_vendor);
  put(o, 'model', d.model);
  if (d.os !== null) o.os = { name: d.os, type_id: ocsfOsTypeId(d.os) };
  if (d.vlans.length > 0) o.vlan_uid = String(d.vlans[0]);
  o.first_seen_time = epochMs(d.first_seen);
  o.last_seen_time = epochMs(d.last_seen);
  return o;
}

function deviceRecord(d: Device, ctx: ExportContext): string {
  return record(ACTIVITY.collect, SEVERITY_SCALES[DEVICE_RECORD_SEVERITY].ocsf, epochMs(d.last_seen), {
    metadata: metadata(ctx),
    device: ocsfDevice(d),
    unmapped: {
      auscult: {
        category: d.category, criticality: d.criticality, medical: d.medical, confidence: d.confidence, firmware: d.firmware,
        mac_vendor: d.mac_vendor, kind: d.kind, is_router: d.is_router, ips: ipList(d), hostnames: hostnameList(d), vlans: d.vlans,
        services: d.services.map((s) => `${s.transport}/${s.port}`),
      },
    },
  });
}

function eventRecord(e: AuscultEvent, ctx: ExportContext): string {
  const s = eventSubject(e);
  let device: Record<string, unknown>;
  if (e.device_id === null) device = { type_id: 99, type: 'Network sensor (auscult)', uid: ctx.sensor.id, hostname: ctx.sensor.hostname };
  else {
    device = { type_id: 0, type: 'Unknown', uid: String(e.device_id) };
    put(device, 'hostname', s.hostname);
    put(device, 'ip', s.ip);
    put(device, 'mac', s.mac);
  }
  return record(ACTIVITY.log, SEVERITY_SCALES[e.severity].ocsf, epochMs(e.time), {
    message: e.summary,
    metadata: metadata(ctx, e),
    device,
    unmapped: { auscult: { event_type: e.type, seq: e.seq, severity: e.severity, details: e.details } },
  });
}

export const ocsf: ExportFormat = {
  name: 'ocsf',
  contentType: 'application/x-ndjson',
  extension: 'ocsf.ndjson',
  oneLine: true,
  framing: () => LINES,
  device: deviceRecord,
  event: eventRecord,
};
