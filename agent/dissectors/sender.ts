/**
 * The device an observation is about, from the packet or stream it came from: usually its sender (a
 * device says things about itself), sometimes its receiver (an answer that describes the asker). One
 * shape for every dissector: `{ mac, ip }`, or `{ ip }` when the capture has no link layer.
 */
import { ipToString, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import type { DeviceKey, StreamEnds } from './types.js';

/** A device key from a MAC in text form (null: no link layer) and an IP address. */
export function deviceKey(mac: string | null, ip: string): DeviceKey {
  return mac === null ? { ip } : { mac, ip };
}

/** The packet's sender: MAC when the frame has a link layer, and IP. */
export function senderOf(v: PacketView): DeviceKey {
  const ip = ipToString(v.buf, v.srcIpOff, v.ipVersion);
  return v.srcMacOff >= 0 ? { mac: macToString(macAt(v.buf, v.srcMacOff)), ip } : { ip };
}

/** The packet's receiver: MAC when the frame has a link layer (may be a group MAC), and IP. */
export function receiverOf(v: PacketView): DeviceKey {
  const ip = ipToString(v.buf, v.dstIpOff, v.ipVersion);
  return v.dstMacOff >= 0 ? { mac: macToString(macAt(v.buf, v.dstMacOff)), ip } : { ip };
}

/** The sender of a TCP direction's bytes. */
export function streamSender(ends: StreamEnds): DeviceKey {
  return deviceKey(ends.srcMac, ends.srcIp);
}

/** The receiver of a TCP direction's bytes. */
export function streamReceiver(ends: StreamEnds): DeviceKey {
  return deviceKey(ends.dstMac, ends.dstIp);
}
