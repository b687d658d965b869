/**
 * ArcSight Common Event Format (CEF:0), "Implementing ArcSight CEF" (Micro Focus / OpenText):
 * `CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension`.
 *
 * Escaping (the standard's "Character Encoding"): in header fields `\` → `\\` and `|` → `\|`; in
 * extension values `\` → `\\`, `=` → `\=`, newline → `\n`, carriage return → `\r`. The header cannot
 * hold a line break, and only fixed auscult text goes there, so CR/LF in it become spaces. Values are
 * not truncated to the dictionary's lengths (an ArcSight connector truncates what it must).
 */
import type { Device } from '../../store/device-json.js';
import { PRODUCT, type ExportContext } from '../context.js';
import { epochMs, hostnameList, ipList, primaryHostname, primaryIp } from '../device-view.js';
import { EVENT_NAMES, eventFamily, eventSubject, type AuscultEvent } from '../event.js';
import { DEVICE_RECORD_SEVERITY, SEVERITY_SCALES } from '../severity.js';
import { LINES, type ExportFormat } from './types.js';

const HEADER_SPECIAL = /[\\|\r\n]/;
const HEADER_SPECIAL_ALL = /[\\|\r\n]/g;
const VALUE_SPECIAL = /[\\=\r\n]/;
const VALUE_SPECIAL_ALL = /[\\=\r\n]/g;

const headerEscape = (c: string): string => (c === '\\' ? '\\\\' : c === '|' ? '\\|' : ' ');
const valueEscape = (c: string): string => (c === '\\' ? '\\\\' : c === '=' ? '\\=' : c === '\n' ? '\\n' : '\\r');

/** A CEF header field. */
export function cefHeader(text: string): string {
  return HEADER_SPECIAL.test(text) ? text.replace(HEADER_SPECIAL_ALL, headerEscape) : text;
}

/** A CEF extension value. */
export function cefValue(text: string): string {
  return VALUE_SPECIAL.test(text) ? text.replace(VALUE_SPECIAL_ALL, valueEscape) : text;
}

type Value = string | number | null | undefined;

/** Extension text from key/value pairs; pairs without a value are left out. Keys are ours (no escaping). */
class Extension {
  private text = '';
  add(key: string, value: Value): this {
    if (value === null || value === undefined || value === '') return this;
    const v = typeof value === 'number' ? String(value) : cefValue(value);
    this.text += this.text === '' ? `${key}=${v}` : ` ${key}=${v}`;
    return this;
  }
  /** A labelled custom field (cs1..cs6, cn1..cn3, c6a1..c6a4): the label only when there is a value. */
  custom(key: string, label: string, value: Value): this {
    if (value === null || value === undefined || value === '') return this;
    return this.add(`${key}Label`, label).add(key, value);
  }
  toString(): string {
    return this.text;
  }
}

function header(ctx: ExportContext, classId: string, name: string, severity: number): string {
  return `CEF:0|${cefHeader(PRODUCT.vendor)}|${cefHeader(PRODUCT.product)}|${cefHeader(ctx.productVersion)}|${cefHeader(classId)}|${cefHeader(name)}|${severity}|`;
}

/** Signature id and name of device inventory records. */
export const CEF_DEVICE_CLASS = { id: 'device.inventory', name: 'Device inventory' } as const;

function deviceRecord(d: Device, ctx: ExportContext): string {
  const ext = new Extension()
    .add('rt', epochMs(d.last_seen))
    .add('start', epochMs(d.first_seen))
    .add('end', epochMs(d.last_seen))
    .add('dvchost', ctx.sensor.hostname)
    .add('deviceExternalId', ctx.sensor.id)
    .add('cat', 'inventory')
    .add('smac', d.mac)
    .add('src', primaryIp(d, 4))
    .custom('c6a2', 'Source IPv6 Address', primaryIp(d, 6))
    .add('shost', primaryHostname(d))
    .custom('cs1', 'Vendor', d.vendor)
    .custom('cs2', 'Model', d.model)
    .custom('cs3', 'Category', d.category)
    .custom('cs4', 'Firmware', d.firmware)
    .custom('cs5', 'Operating System', d.os)
    .custom('cs6', 'Criticality', d.criticality)
    .add('auscultMacVendor', d.mac_vendor)
    .add('auscultIpAddresses', d.ips.length > 0 ? ipList(d).join(' ') : null)
    .add('auscultHostnames', d.hostnames.length > 0 ? JSON.stringify(hostnameList(d)) : null)
    .add('auscultVlans', d.vlans.length > 0 ? d.vlans.join(' ') : null)
    // Numbers last: the final value of an extension loses trailing spaces, a number has none.
    .custom('cn2', 'Device ID', d.id)
    .custom('cn3', 'Medical', d.medical ? 1 : 0)
    .custom('cn1', 'Confidence', d.confidence);
  return header(ctx, CEF_DEVICE_CLASS.id, CEF_DEVICE_CLASS.name, SEVERITY_SCALES[DEVICE_RECORD_SEVERITY].cef) + ext.toString();
}

function eventRecord(e: AuscultEvent, ctx: ExportContext): string {
  const s = eventSubject(e);
  const peer6 = s.peerIp !== null && s.peerIp.includes(':');
  const own6 = s.ip !== null && s.ip.includes(':');
  const ext = new Extension()
    .add('rt', epochMs(e.time))
    .add('externalId', e.id)
    .add('dvchost', ctx.sensor.hostname)
    .add('deviceExternalId', ctx.sensor.id)
    .add('cat', eventFamily(e.type))
    .add('msg', e.summary)
    .add('smac', s.mac)
    .add('src', own6 ? null : s.ip)
    .custom('c6a2', 'Source IPv6 Address', own6 ? s.ip : null)
    .add('shost', s.hostname)
    .add('dst', peer6 ? null : s.peerIp)
    .custom('c6a3', 'Destination IPv6 Address', peer6 ? s.peerIp : null)
    .add('proto', s.transport === null ? null : s.transport.toUpperCase())
    .custom('cs1', 'Details', JSON.stringify(e.details))
    .add('dpt', s.port)
    .custom('cn2', 'Device ID', e.device_id)
    .custom('cn1', 'Sequence', e.seq);
  return header(ctx, e.type, EVENT_NAMES[e.type], SEVERITY_SCALES[e.severity].cef) + ext.toString();
}

export const cef: ExportFormat = {
  name: 'cef',
  contentType: 'text/plain; charset=utf-8',
  extension: 'cef',
  oneLine: true,
  framing: () => LINES,
  device: deviceRecord,
  event: eventRecord,
};
