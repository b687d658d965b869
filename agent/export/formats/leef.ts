/**
 * IBM QRadar Log Event Extended Format 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|x09|` then
 * `key=value` attributes separated by the delimiter declared in the header, here TAB (`x09`).
 *
 * LEEF defines no escape sequences. A value therefore never contains the delimiter or a line break:
 * TAB, CR, LF and every other control character (C0, DEL, C1, U+2028, U+2029) become a space. A
 * record stays one line and its attributes stay apart, whatever a host name holds; those characters
 * are lost (the JSON formats keep them). `=` and `|` need nothing: a key ends at the first `=`, and
 * only auscult's fixed text goes in the header.
 */
import type { Device } from '../../store/device-json.js';
import { PRODUCT, type ExportContext } from '../context.js';
import { epochMs, hostnameList, ipList, primaryAnyIp, primaryHostname } from '../device-view.js';
import { eventFamily, eventSubject, type AuscultEvent } from '../event.js';
import { DEVICE_RECORD_SEVERITY, SEVERITY_SCALES } from '../severity.js';
import { LINES, type ExportFormat } from './types.js';

/** The attribute delimiter, and how the header declares it (LEEF 2.0: hex with an x prefix). */
export const LEEF_DELIMITER = '\t';
const DELIMITER_DECLARED = 'x09';

// Built from a string: a regex literal with control characters trips no-control-regex.
const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]';
const UNSAFE = new RegExp(UNSAFE_CLASS);
const UNSAFE_ALL = new RegExp(UNSAFE_CLASS, 'g');

/** A LEEF attribute value: control characters (TAB, CR, LF included) replaced by spaces. */
export function leefValue(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, ' ') : text;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** The devTimeFormat we write: one of IBM's suggested patterns, in UTC. */
export const LEEF_TIME_FORMAT = 'MMM dd yyyy HH:mm:ss.SSS z';

/** An ISO 8601 UTC time as `Jun 06 2015 16:07:36.300 GMT` (LEEF_TIME_FORMAT). */
export function leefTime(iso: string): string {
  const t = new Date(epochMs(iso));
  const ms = t.getUTCMilliseconds();
  return `${MONTHS[t.getUTCMonth()]} ${two(t.getUTCDate())} ${t.getUTCFullYear()} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms} GMT`;
}

type Value = string | number | boolean | null | undefined;

class Attributes {
  private text = '';
  add(key: string, value: Value): this {
    if (value === null || value === undefined || value === '') return this;
    const v = typeof value === 'string' ? leefValue(value) : String(value);
    this.text += this.text === '' ? `${key}=${v}` : `${LEEF_DELIMITER}${key}=${v}`;
    return this;
  }
  toString(): string {
    return this.text;
  }
}

function header(ctx: ExportContext, eventId: string): string {
  return `LEEF:2.0|${PRODUCT.vendor}|${PRODUCT.product}|${leefValue(ctx.productVersion)}|${eventId}|${DELIMITER_DECLARED}|`;
}

/** EventID of device inventory records. */
export const LEEF_DEVICE_EVENT_ID = 'device.inventory';

function deviceRecord(d: Device, ctx: ExportContext): string {
  const ip = primaryAnyIp(d);
  const attrs = new Attributes()
    .add('devTime', leefTime(d.last_seen))
    .add('devTimeFormat', LEEF_TIME_FORMAT)
    .add('cat', 'inventory')
    .add('sev', SEVERITY_SCALES[DEVICE_RECORD_SEVERITY].leef)
    .add('src', ip)
    .add('srcMAC', d.mac)
    // identHostName and identMAC count only beside identSrc (IBM's attribute table): without an
    // address the name still goes out, as the custom hostName.
    .add('identSrc', ip)
    .add('identHostName', ip === null ? null : primaryHostname(d))
    .add('identMAC', ip === null ? null : d.mac)
    .add('hostName', primaryHostname(d))
    .add('sensorHostName', ctx.sensor.hostname)
    .add('sensorId', ctx.sensor.id)
    .add('deviceId', d.id)
    .add('vendor', d.vendor)
    .add('model', d.model)
    .add('deviceCategory', d.category)
    .add('firmware', d.firmware)
    .add('os', d.os)
    .add('confidence', d.confidence)
    .add('medical', d.medical)
    .add('criticality', d.criticality)
    .add('macVendor', d.mac_vendor)
    .add('ipAddresses', d.ips.length > 0 ? ipList(d).join(' ') : null)
    .add('hostNames', d.hostnames.length > 0 ? JSON.stringify(hostnameList(d)) : null)
    .add('vlans', d.vlans.length > 0 ? d.vlans.join(' ') : null)
    .add('firstSeen', d.first_seen)
    .add('lastSeen', d.last_seen);
  return header(ctx, LEEF_DEVICE_EVENT_ID) + attrs.toString();
}

function eventRecord(e: AuscultEvent, ctx: ExportContext): string {
  const s = eventSubject(e);
  const attrs = new Attributes()
    .add('devTime', leefTime(e.time))
    .add('devTimeFormat', LEEF_TIME_FORMAT)
    .add('cat', eventFamily(e.type))
    .add('sev', SEVERITY_SCALES[e.severity].leef)
    // Custom attribute: receivers deduplicate on it (at-least-once delivery).
    .add('externalId', e.id)
    .add('src', s.ip)
    .add('srcMAC', s.mac)
    .add('identSrc', s.ip)
    .add('identHostName', s.ip === null ? null : s.hostname)
    .add('identMAC', s.ip === null ? null : s.mac)
    .add('hostName', s.hostname)
    .add('dst', s.peerIp)
    .add('dstPort', s.port)
    .add('proto', s.transport === null ? null : s.transport.toUpperCase())
    .add('sensorHostName', ctx.sensor.hostname)
    .add('sensorId', ctx.sensor.id)
    .add('deviceId', e.device_id)
    .add('seq', e.seq)
    .add('msg', e.summary)
    .add('details', JSON.stringify(e.details));
  return header(ctx, e.type) + attrs.toString();
}

export const leef: ExportFormat = {
  name: 'leef',
  contentType: 'text/plain; charset=utf-8',
  extension: 'leef',
  oneLine: true,
  framing: () => LINES,
  device: deviceRecord,
  event: eventRecord,
};
