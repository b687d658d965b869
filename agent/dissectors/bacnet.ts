/**
 * BACnet/IP (UDP 47808 = 0xBAC0; ANSI/ASHRAE 135): the building automation controllers of a
 * hospital (HVAC, isolation-room pressure, lighting, fire panels) announce themselves with I-Am.
 *
 * Layers read: BVLL (Annex J.2: type 0x81; Original-Unicast-NPDU, Original-Broadcast-NPDU,
 * Distribute-Broadcast-To-Network and Forwarded-NPDU, which carries the original sender's B/IP
 * address), NPDU (clause 6.2: DNET/DADR, SNET/SADR, hop count), and the unconfirmed-request APDU
 * (clause 20.1.3) of four services (clause 16.10 Who-Is and I-Am, 16.9 Who-Has and I-Have; tags per
 * clause 20.2). Other well-formed BACnet traffic is recognised and yields nothing.
 *
 * I-Am and I-Have describe the device that sent them: the frame's sender, or for a Forwarded-NPDU
 * the original B/IP address (the BBMD that forwarded it is `forwarded_by`), or for a message routed
 * from another BACnet network whose address is a B/IP address (SADR of 6 octets) that address. A
 * device on a non-IP network (MS/TP, SADR of 1 octet) has no address of ours: its facts are put on
 * the router that sent them, with `role: 'router'` and its `source_network`/`source_address`.
 * Who-Is and Who-Has describe the client that searches.
 */
import type { PacketView } from '../decode/packet-view.js';
import { BACNET_VENDORS } from './bacnet-vendors.js';
import { senderOf } from './sender.js';
import type { DeviceKey, Observation, PacketDissector } from './types.js';

export const BACNET_PORT = 0xbac0;

/** Fields of a `bacnet` observation. */
export interface BacnetFields {
  /** Unconfirmed service: `i_am`, `i_have` (the device describes itself), `who_is`, `who_has` (a client searches). */
  message: 'i_am' | 'i_have' | 'who_is' | 'who_has';
  /** `device` (I-Am, I-Have of the keyed device), `router` (I-Am/I-Have of a non-IP device behind the keyed router), `client`. */
  role: 'device' | 'router' | 'client';
  /** BVLC function: `original_unicast`, `original_broadcast`, `distribute_broadcast` or `forwarded` (by a BBMD). */
  bvlc_function: 'original_unicast' | 'original_broadcast' | 'distribute_broadcast' | 'forwarded';
  /** I-Am, I-Have: instance number of the Device object (unique on the BACnet internetwork). */
  device_instance?: number;
  /** I-Am: maxAPDULengthAccepted. */
  max_apdu?: number;
  /** I-Am: segmentationSupported (`segmented-both`, `segmented-transmit`, `segmented-receive`, `no-segmentation`). */
  segmentation?: string;
  /** I-Am: vendor identifier assigned by ASHRAE. */
  vendor_id?: number;
  /** I-Am: the vendor's name, when the identifier is in bacnet-vendors.ts. */
  vendor_name?: string;
  /** Who-Is: deviceInstanceRangeLowLimit (absent: every device is asked). */
  who_is_low?: number;
  /** Who-Is: deviceInstanceRangeHighLimit. */
  who_is_high?: number;
  /** I-Have: the object's type (`analog-input`...) or its number. */
  object_type?: string;
  /** I-Have: the object's instance number. */
  object_instance?: number;
  /** I-Have: the object's name; Who-Has: the name searched for. */
  object_name?: string;
  /** NPDU SNET: the BACnet network the message was routed from. */
  source_network?: number;
  /** NPDU SADR on that network, hex (`17` for an MS/TP MAC, `0a290005bac0` for a B/IP address and port). */
  source_address?: string;
  /** Forwarded-NPDU: IP address of the BBMD that forwarded the message. */
  forwarded_by?: string;
  /** BACnet/IP has no encryption (BACnet/SC is a different transport). */
  encrypted: false;
}

const I_AM = 0;
const I_HAVE = 1;
const WHO_HAS = 7;
const WHO_IS = 8;
const OBJECT_DEVICE = 8;
const MAX_INSTANCE = 0x3fffff;
const SEGMENTATION = ['segmented-both', 'segmented-transmit', 'segmented-receive', 'no-segmentation'];
const OBJECT_TYPES: Record<number, string> = {
  0: 'analog-input', 1: 'analog-output', 2: 'analog-value', 3: 'binary-input', 4: 'binary-output', 5: 'binary-value',
  8: 'device', 10: 'file', 13: 'multi-state-input', 14: 'multi-state-output', 17: 'schedule', 19: 'multi-state-value',
  20: 'trend-log',
};
const BVLC_FUNCTIONS: Record<number, BacnetFields['bvlc_function']> = {
  0x0a: 'original_unicast', 0x0b: 'original_broadcast', 0x09: 'distribute_broadcast', 0x04: 'forwarded',
};
/** BVLC functions that carry no NPDU (results, BDT/FDT management, foreign device registration, Secure-BVLL). */
const OTHER_BVLC = new Set([0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x0c]);

interface Tag {
  number: number;
  context: boolean;
  /** Offset and length of the value. */
  at: number;
  len: number;
  next: number;
}

/** The tag at `p` (clause 20.2.1), null when truncated, an opening/closing tag, or over 64 KiB. */
function readTag(b: Buffer, p: number, end: number): Tag | null {
  if (p >= end) return null;
  const t = b[p];
  let q = p + 1;
  let number = t >> 4;
  if (number === 15) {
    if (q >= end) return null;
    number = b[q++];
  }
  const context = (t & 0x08) !== 0;
  let len = t & 0x07;
  if (!context && number === 1) return { number, context, at: q, len: 0, next: q }; // Boolean: value in the tag
  if (len === 6 || len === 7) return null;
  if (len === 5) {
    if (q >= end) return null;
    len = b[q++];
    if (len === 254) {
      if (q + 2 > end) return null;
      len = b.readUInt16BE(q);
      q += 2;
    } else if (len === 255) return null;
  }
  if (q + len > end) return null;
  return { number, context, at: q, len, next: q + len };
}

function unsigned(b: Buffer, t: Tag | null): number | null {
  if (t === null || t.len < 1 || t.len > 4) return null;
  return b.readUIntBE(t.at, t.len);
}

function isApp(t: Tag | null, n: number): t is Tag {
  return t !== null && !t.context && t.number === n;
}

function isCtx(t: Tag | null, n: number): t is Tag {
  return t !== null && t.context && t.number === n;
}

/** [object type, instance] of a 4-octet BACnetObjectIdentifier. */
function objectId(b: Buffer, t: Tag): [number, number] | null {
  if (t.len !== 4) return null;
  const v = b.readUInt32BE(t.at);
  return [v >>> 22, v & MAX_INSTANCE];
}

/** CharacterString (clause 20.2.9): UTF-8 (0), UCS-2 (4) or ISO 8859-1 (5); control characters removed. */
function charString(b: Buffer, t: Tag): string | null {
  if (t.len < 1) return null;
  const set = b[t.at];
  const start = t.at + 1;
  const end = t.at + t.len;
  let s: string;
  if (set === 0) s = b.toString('utf8', start, end);
  else if (set === 5) s = b.toString('latin1', start, end);
  else if (set === 4 && (end - start) % 2 === 0) s = Buffer.from(b.subarray(start, end)).swap16().toString('utf16le');
  else return null;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 64);
}

function iAm(f: BacnetFields, b: Buffer, p: number, end: number): boolean {
  const id = readTag(b, p, end);
  if (!isApp(id, 12)) return false;
  const obj = objectId(b, id);
  if (obj === null || obj[0] !== OBJECT_DEVICE) return false;
  const maxApdu = readTag(b, id.next, end);
  const seg = isApp(maxApdu, 2) ? readTag(b, maxApdu.next, end) : null;
  const vendor = isApp(seg, 9) ? readTag(b, seg.next, end) : null;
  const apdu = unsigned(b, maxApdu);
  const segmentation = unsigned(b, seg);
  const vendorId = isApp(vendor, 2) ? unsigned(b, vendor) : null;
  if (apdu === null || segmentation === null || vendorId === null || vendorId > 0xffff) return false;
  f.device_instance = obj[1];
  f.max_apdu = apdu;
  f.segmentation = SEGMENTATION[segmentation] ?? String(segmentation);
  f.vendor_id = vendorId;
  const name = BACNET_VENDORS.get(vendorId);
  if (name !== undefined) f.vendor_name = name;
  return true;
}

function whoIs(f: BacnetFields, b: Buffer, p: number, end: number): boolean {
  if (p === end) return true;
  const low = readTag(b, p, end);
  const high = isCtx(low, 0) ? readTag(b, low.next, end) : null;
  const lo = isCtx(low, 0) ? unsigned(b, low) : null;
  const hi = isCtx(high, 1) ? unsigned(b, high) : null;
  if (lo === null || hi === null || lo > MAX_INSTANCE || hi > MAX_INSTANCE) return false;
  f.who_is_low = lo;
  f.who_is_high = hi;
  return true;
}

function iHave(f: BacnetFields, b: Buffer, p: number, end: number): boolean {
  const dev = readTag(b, p, end);
  const obj = isApp(dev, 12) ? readTag(b, dev.next, end) : null;
  const name = isApp(obj, 12) ? readTag(b, obj.next, end) : null;
  if (!isApp(dev, 12) || !isApp(obj, 12) || !isApp(name, 7)) return false;
  const d = objectId(b, dev);
  const o = objectId(b, obj);
  const n = charString(b, name);
  if (d === null || d[0] !== OBJECT_DEVICE || o === null) return false;
  f.device_instance = d[1];
  f.object_type = OBJECT_TYPES[o[0]] ?? String(o[0]);
  f.object_instance = o[1];
  if (n) f.object_name = n;
  return true;
}

function whoHas(f: BacnetFields, b: Buffer, p: number, end: number): boolean {
  let t = readTag(b, p, end);
  if (isCtx(t, 0)) {
    const hi = readTag(b, t.next, end);
    if (!isCtx(hi, 1) || unsigned(b, t) === null || unsigned(b, hi) === null) return false;
    t = readTag(b, hi.next, end);
  }
  if (isCtx(t, 2)) {
    const o = objectId(b, t);
    if (o === null) return false;
    f.object_type = OBJECT_TYPES[o[0]] ?? String(o[0]);
    f.object_instance = o[1];
    return true;
  }
  if (isCtx(t, 3)) {
    const n = charString(b, t);
    if (n === null) return false;
    if (n) f.object_name = n;
    return true;
  }
  return false;
}

const hex = (b: Buffer, p: number, n: number): string => b.toString('hex', p, p + n);

/** Decode one BVLL message; null when not BACnet/IP or malformed; [] when valid but not a service we read. */
export function parseBacnet(v: PacketView): Observation<'bacnet'>[] | null {
  const b = v.buf;
  const p = v.payloadOff;
  const len = v.payloadLen;
  if (len < 4 || b[p] !== 0x81) return null;
  const fn = b[p + 1];
  const bvlcLen = b.readUInt16BE(p + 2);
  if (bvlcLen < 4 || bvlcLen > len) return null;
  const end = p + bvlcLen;
  const bvlcFunction = BVLC_FUNCTIONS[fn];
  if (bvlcFunction === undefined) return OTHER_BVLC.has(fn) ? [] : null;
  let q = p + 4;
  let device: DeviceKey = senderOf(v);
  let forwardedBy: string | undefined;
  if (fn === 0x04) {
    if (bvlcLen < 10) return null;
    forwardedBy = device.ip;
    device = { ip: `${b[q]}.${b[q + 1]}.${b[q + 2]}.${b[q + 3]}` };
    q += 6;
  }
  // NPDU (clause 6.2)
  if (q + 2 > end || b[q] !== 0x01) return null;
  const control = b[q + 1];
  if ((control & 0x50) !== 0) return null; // reserved bits
  q += 2;
  if (control & 0x20) {
    if (q + 3 > end) return null;
    q += 3 + b[q + 2];
  }
  let snet: number | undefined;
  let sadr: { at: number; len: number } | undefined;
  if (control & 0x08) {
    if (q + 3 > end) return null;
    const slen = b[q + 2];
    if (slen === 0 || q + 3 + slen > end) return null;
    snet = b.readUInt16BE(q);
    sadr = { at: q + 3, len: slen };
    q += 3 + slen;
  }
  if (control & 0x20) q += 1; // hop count
  if (q > end) return null;
  if (control & 0x80) return []; // network layer message (router discovery...)
  // APDU (clause 20.1)
  if (q + 2 > end) return null;
  const type = b[q] >> 4;
  if (type > 7) return null;
  if (type !== 1) return [];
  const service = b[q + 1];
  const f: BacnetFields = { message: 'i_am', role: 'device', bvlc_function: bvlcFunction, encrypted: false };
  let ok: boolean;
  if (service === I_AM) ok = iAm(f, b, q + 2, end);
  else if (service === WHO_IS) ok = whoIs(f, b, q + 2, end);
  else if (service === I_HAVE) ok = iHave(f, b, q + 2, end);
  else if (service === WHO_HAS) ok = whoHas(f, b, q + 2, end);
  else return [];
  if (!ok) return null;
  const describesDevice = service === I_AM || service === I_HAVE;
  f.message = service === I_AM ? 'i_am' : service === I_HAVE ? 'i_have' : service === WHO_IS ? 'who_is' : 'who_has';
  f.role = describesDevice ? 'device' : 'client';
  if (snet !== undefined && sadr !== undefined) {
    f.source_network = snet;
    f.source_address = hex(b, sadr.at, sadr.len);
    if (sadr.len === 6) device = { ip: `${b[sadr.at]}.${b[sadr.at + 1]}.${b[sadr.at + 2]}.${b[sadr.at + 3]}` };
    else if (describesDevice) f.role = 'router';
  }
  if (forwardedBy !== undefined) f.forwarded_by = forwardedBy;
  return [{ device, tsMs: Math.floor(v.tsMicros / 1000), source: 'bacnet', fields: { ...f } }];
}

export const bacnet: PacketDissector<'bacnet'> = {
  kind: 'packet',
  name: 'bacnet',
  clinical: { protocol: 'bacnet', shown: ['device_instance', 'vendor_id', 'vendor_name'] },
  udpPorts: [BACNET_PORT],
  parse: parseBacnet,
};
