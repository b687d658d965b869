/**
 * A strict LEEF 2.0 parser for the tests, written from IBM's "Log Event Extended Format (LEEF)
 * Version 2" guide and independent of agent/export/formats/leef.ts: the header's six fields (the
 * delimiter as one character or `x`/`0x` and 1-4 hex digits), attributes split on that delimiter,
 * each `key=value` with a key of one word, no key twice, no line break, and the predefined
 * attributes' types (sev 1-10, src/dst IP addresses, srcMAC colon-separated hex, devTime with its
 * devTimeFormat, identHostName/identMAC only beside identSrc).
 */
import { isIP } from 'node:net';

export interface LeefRecord {
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  delimiter: string;
  attributes: Map<string, string>;
}

export class LeefError extends Error {}

const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const HEX_DELIMITER = /^(?:0x|x)([0-9A-Fa-f]{1,4})$/;

function delimiterOf(field: string): string {
  const hex = HEX_DELIMITER.exec(field);
  if (hex !== null) return String.fromCharCode(parseInt(hex[1], 16));
  if ([...field].length !== 1) throw new LeefError(`delimiter field ${JSON.stringify(field)} is neither one character nor hex`);
  return field;
}

export function parseLeef(line: string): LeefRecord {
  if (/[\r\n]/.test(line)) throw new LeefError('a record holds a line break');
  if (!line.startsWith('LEEF:2.0|')) throw new LeefError('not a LEEF 2.0 record');
  const parts = line.split('|');
  if (parts.length < 7) throw new LeefError(`header has ${parts.length - 1} fields, LEEF 2.0 needs 6`);
  const [v, vendor, product, productVersion, eventId, delimiterField] = parts;
  if (eventId === '' || eventId.length > 255) throw new LeefError('EventID empty or over 255 characters');
  const delimiter = delimiterOf(delimiterField);
  const body = parts.slice(6).join('|');
  const attributes = new Map<string, string>();
  if (body !== '') {
    for (const attr of body.split(delimiter)) {
      const eq = attr.indexOf('=');
      if (eq <= 0) throw new LeefError(`attribute without key=value: ${JSON.stringify(attr)}`);
      const key = attr.slice(0, eq);
      if (!/^[A-Za-z0-9_]+$/.test(key)) throw new LeefError(`key ${JSON.stringify(key)} is not one word`);
      if (attributes.has(key)) throw new LeefError(`duplicate key ${key}`);
      attributes.set(key, attr.slice(eq + 1));
    }
  }
  const a = attributes;
  const sev = a.get('sev');
  if (sev !== undefined && !(/^\d+$/.test(sev) && +sev >= 1 && +sev <= 10)) throw new LeefError(`sev ${sev} outside 1-10`);
  for (const k of ['src', 'dst', 'identSrc']) if (a.has(k) && isIP(a.get(k)!) === 0) throw new LeefError(`${k} is not an IP address`);
  for (const k of ['srcMAC', 'dstMAC', 'identMAC']) if (a.has(k) && !MAC.test(a.get(k)!)) throw new LeefError(`${k} is not a MAC address`);
  for (const k of ['srcPort', 'dstPort']) if (a.has(k) && !(/^\d+$/.test(a.get(k)!) && +a.get(k)! <= 65535)) throw new LeefError(`${k} not a port`);
  const devTime = a.get('devTime');
  if (devTime !== undefined && !/^\d{10}(\d{3})?$/.test(devTime) && !a.has('devTimeFormat')) throw new LeefError('devTime without devTimeFormat');
  for (const k of ['identHostName', 'identMAC']) if (a.has(k) && !a.has('identSrc')) throw new LeefError(`${k} without identSrc`);
  return { version: v.slice(5), vendor, product, productVersion, eventId, delimiter, attributes };
}
