/**
 * SSDP (UPnP Device Architecture §1, UDP 1900): HTTP-like messages over UDP. NOTIFY announcements and
 * the unicast replies to M-SEARCH describe the sender (its SERVER string names OS and UPnP stack, USN
 * its device UUID and types, LOCATION its description document); an M-SEARCH describes the searcher
 * (what it looks for, and its USER-AGENT).
 */
import type { PacketView } from '../decode/packet-view.js';
import { senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

/** Headers beyond this many bytes are not read: real SSDP messages are a few hundred bytes. */
const MAX_MESSAGE = 4096;
const MAX_VALUE = 256;

/** Fields of an `ssdp` observation (about the sender). */
export interface SsdpFields {
  /** `notify` (announcement), `search` (M-SEARCH) or `response` (reply to a search). */
  message_type: 'notify' | 'search' | 'response';
  /** SERVER header: `OS/version UPnP/1.0 product/version` of the announcing device. */
  server?: string;
  /** USN header: unique service name (`uuid:...::urn:schemas-upnp-org:device:MediaRenderer:1`). */
  usn?: string;
  /** The device UUID out of the USN (`uuid:` prefix removed), stable across its services. */
  uuid?: string;
  /** NT header of a NOTIFY: the device or service type announced. */
  nt?: string;
  /** NTS header of a NOTIFY: `ssdp:alive`, `ssdp:byebye` or `ssdp:update`. */
  nts?: string;
  /** ST header: the search target of an M-SEARCH, or the type a response answers for. */
  st?: string;
  /** LOCATION header: URL of the device description XML. */
  location?: string;
  /** USER-AGENT header of an M-SEARCH (the control point's software). */
  user_agent?: string;
}

type Kept = 'server' | 'usn' | 'nt' | 'nts' | 'st' | 'location' | 'user_agent';
const HEADERS: Record<string, Kept> = {
  server: 'server', usn: 'usn', nt: 'nt', nts: 'nts', st: 'st', location: 'location', 'user-agent': 'user_agent',
};

const NOTIFY = Buffer.from('NOTIFY * ');
const M_SEARCH = Buffer.from('M-SEARCH * ');
const HTTP = Buffer.from('HTTP/1.');

function startsWith(b: Buffer, p: number, prefix: Buffer): boolean {
  for (let i = 0; i < prefix.length; i++) if (b[p + i] !== prefix[i]) return false;
  return true;
}

/** Message kind from the first bytes, without allocating: NOTIFY, M-SEARCH, or an HTTP/1.x reply. */
function kindOf(b: Buffer, p: number, len: number): SsdpFields['message_type'] | null {
  if (len < 16) return null;
  if (startsWith(b, p, NOTIFY)) return 'notify';
  if (startsWith(b, p, M_SEARCH)) return 'search';
  if (startsWith(b, p, HTTP)) return 'response';
  return null;
}

export const ssdp: PacketDissector<'ssdp'> = {
  kind: 'packet',
  name: 'ssdp',
  udpPorts: [1900],
  parse(v: PacketView): Observation<'ssdp'>[] | null {
    const b = v.buf;
    const p = v.payloadOff;
    const kind = kindOf(b, p, v.payloadLen);
    if (kind === null) return null;
    const text = b.toString('utf8', p, p + Math.min(v.payloadLen, MAX_MESSAGE));
    const f: SsdpFields = { message_type: kind };
    const lines = text.split(/\r?\n/);
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (line === '') break; // end of headers
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = HEADERS[line.slice(0, colon).trim().toLowerCase()];
      if (key === undefined) continue;
      // eslint-disable-next-line no-control-regex
      const value = line.slice(colon + 1).trim().slice(0, MAX_VALUE).replace(/[\x00-\x1f\x7f]/g, '');
      if (value !== '' && f[key] === undefined) f[key] = value;
    }
    const uuid = /^uuid:([^:]+)/i.exec(f.usn ?? '');
    if (uuid) f.uuid = uuid[1];
    return [{ device: senderOf(v), tsMs: Math.floor(v.tsMicros / 1000), source: 'ssdp', fields: { ...f } }];
  },
};
