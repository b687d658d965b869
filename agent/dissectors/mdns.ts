/**
 * Multicast DNS (RFC 6762, UDP 5353) and DNS-SD (RFC 6763). Responses and announcements describe the
 * sender: its host names (A/AAAA owners `X.local`), the service instances and types it offers
 * (PTR/SRV), and a few TXT keys that name its hardware. Queries say what the sender looks for; the
 * known answers a query lists are other devices' records and are ignored. A probe (a query whose
 * authority section holds the records the sender wants to claim) describes the sender too.
 * Limitation: a Bonjour Sleep Proxy answers for sleeping hosts, so its responses name other devices.
 */
import type { Answer } from 'dns-packet';
import type { PacketView } from '../decode/packet-view.js';
import { addUnique, decodeDns, dnsHeaderOk, isResponse, isReverseName } from './dns-common.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

/**
 * TXT keys kept, because they name hardware or firmware (compared case-insensitively, RFC 6763 §6.4);
 * every other TXT key is dropped (they can carry anything, including user data).
 * model: Apple _device-info/AirPlay model (`MacBookPro11,5`); md: Google Cast / HomeKit model name;
 * ty, product, usb_MFG, usb_MDL: printer make and model (Bonjour Printing 1.2); am: AirPlay/RAOP model
 * (`AppleTV3,2`); rpMd: Apple companion-link model; fv, srcvers, osxvers: firmware/AirPlay/macOS
 * version; ci: HomeKit accessory category number; vendor, manufacturer: the maker (embedded devices).
 */
export const MDNS_TXT_HARDWARE_KEYS: ReadonlySet<string> = new Set([
  'model', 'md', 'ty', 'product', 'usb_mfg', 'usb_mdl', 'am', 'rpmd', 'fv', 'srcvers', 'osxvers', 'ci', 'vendor', 'manufacturer',
]);
const MAX_TXT_VALUE = 100;

/** Fields of an `mdns` observation (about the sender). */
export interface MdnsFields {
  /** `response` (answers/announcements), `query`, or `probe` (a query claiming records). */
  message_type: 'query' | 'response' | 'probe';
  /** Host name the sender claims: first A/AAAA owner `X.local` → `X` (else SRV target, reverse PTR data). */
  hostname?: string;
  /** Further host names the sender claims in the same packet. */
  alt_hostnames?: string[];
  /** DNS-SD service instances the sender offers, full names (`Philips hue - 2476FF._hap._tcp.local`). */
  service_instances?: string[];
  /** DNS-SD service types the sender offers (`_ipp._tcp`; `_device-info._tcp` holds the model TXT). */
  service_types?: string[];
  /** Hardware/firmware TXT entries `key=value`, keys from MDNS_TXT_HARDWARE_KEYS only. */
  txt_hardware?: string[];
  /** HINFO record of the sender, `cpu / os`. */
  hinfo?: string;
  /** Query: service types the sender browses for (PTR questions of `_x._tcp.local`). */
  queried_service_types?: string[];
  /** Query: other names the sender asks about (hosts, instances, reverse names). */
  queried_names?: string[];
}

type Lists = Partial<Record<'hosts' | 'service_instances' | 'service_types' | 'txt_hardware' | 'queried_service_types' | 'queried_names', string[]>>;

const SERVICE_TYPE = /(?:^|\.)(_[^.]+\._(?:tcp|udp))\.local\.?$/i;
const SERVICES_ENUM = '_services._dns-sd._udp.local';

/** `_ipp._tcp` out of `_ipp._tcp.local`, `Name._ipp._tcp.local` or `x._sub._ipp._tcp.local`. */
export function serviceTypeOf(name: string): string | undefined {
  return SERVICE_TYPE.exec(name)?.[1];
}

/** `X` out of `X.local`; names in other domains are kept whole. */
function hostOf(name: string): string {
  return name.toLowerCase().endsWith('.local') ? name.slice(0, -6) : name;
}

function txtEntries(l: Lists, data: unknown): void {
  const parts = Array.isArray(data) ? data : [data];
  for (const part of parts) {
    const s = Buffer.isBuffer(part) ? part.toString('utf8') : String(part);
    const eq = s.indexOf('=');
    if (eq <= 0 || !MDNS_TXT_HARDWARE_KEYS.has(s.slice(0, eq).toLowerCase())) continue;
    // eslint-disable-next-line no-control-regex
    const value = s.slice(eq + 1, eq + 1 + MAX_TXT_VALUE).replace(/[\x00-\x1f\x7f]/g, '');
    if (value !== '') addUnique(l, 'txt_hardware', `${s.slice(0, eq)}=${value}`);
  }
}

/** Records the sender publishes about itself. */
function ownRecord(l: Lists, f: MdnsFields, a: Answer): void {
  switch (a.type) {
    case 'A':
    case 'AAAA':
      addUnique(l, 'hosts', hostOf(a.name));
      break;
    case 'PTR': {
      if (isReverseName(a.name)) {
        addUnique(l, 'hosts', hostOf(a.data));
        break;
      }
      if (a.name.toLowerCase() === SERVICES_ENUM) {
        const t = serviceTypeOf(a.data);
        if (t !== undefined) addUnique(l, 'service_types', t);
        break;
      }
      const t = serviceTypeOf(a.name);
      if (t === undefined) break;
      addUnique(l, 'service_types', t);
      addUnique(l, 'service_instances', a.data);
      break;
    }
    case 'SRV': {
      const t = serviceTypeOf(a.name);
      if (t !== undefined) {
        addUnique(l, 'service_types', t);
        addUnique(l, 'service_instances', a.name);
      }
      if (a.data.target !== '.' && a.data.target !== '') addUnique(l, 'hosts', hostOf(a.data.target));
      break;
    }
    case 'TXT': {
      const t = serviceTypeOf(a.name);
      if (t === undefined) break;
      txtEntries(l, a.data);
      // A TXT update alone also says the instance is offered.
      addUnique(l, 'service_types', t);
      addUnique(l, 'service_instances', a.name);
      break;
    }
    case 'HINFO':
      f.hinfo = `${a.data.cpu} / ${a.data.os}`.slice(0, 2 * MAX_TXT_VALUE);
      break;
  }
}

export const mdns: PacketDissector<'mdns'> = {
  kind: 'packet',
  name: 'mdns',
  udpPorts: [5353],
  parse(v: PacketView): Observation<'mdns'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    if (!dnsHeaderOk(b, p, v.payloadLen, -1)) return null;
    const msg = decodeDns(b, p, v.payloadLen);
    if (msg === null) return null;
    const response = isResponse(b, p);
    const f: MdnsFields = { message_type: response ? 'response' : 'query' };
    const l: Lists = {};
    if (response) {
      for (const a of msg.answers ?? []) ownRecord(l, f, a);
      for (const a of msg.additionals ?? []) ownRecord(l, f, a);
    } else {
      // A probe's questions are the names it is about to claim, not what it looks for.
      const probe = (msg.authorities ?? []).length > 0;
      for (const q of probe ? [] : msg.questions ?? []) {
        const t = q.type === 'PTR' ? serviceTypeOf(q.name) : undefined;
        if (t !== undefined && !/\._sub\./i.test(q.name) && q.name.toLowerCase() !== SERVICES_ENUM) {
          addUnique(l, 'queried_service_types', t);
        } else addUnique(l, 'queried_names', q.name);
      }
      if (probe) f.message_type = 'probe';
      for (const a of msg.authorities ?? []) ownRecord(l, f, a);
    }
    if (l.hosts !== undefined) {
      f.hostname = l.hosts[0];
      if (l.hosts.length > 1) f.alt_hostnames = l.hosts.slice(1);
    }
    if (l.service_instances) f.service_instances = l.service_instances;
    if (l.service_types) f.service_types = l.service_types;
    if (l.txt_hardware) f.txt_hardware = l.txt_hardware;
    if (l.queried_service_types) f.queried_service_types = l.queried_service_types;
    if (l.queried_names) f.queried_names = l.queried_names;
    if (Object.keys(f).length === 1) return []; // e.g. a response holding only NSEC/OPT records
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'mdns', fields: { ...f } }];
  },
};
