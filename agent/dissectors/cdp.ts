/**
 * CDP, Cisco Discovery Protocol v1/v2: an 802.3 frame to 01:00:0c:cc:cc:cc carrying LLC/SNAP
 * (AA AA 03, OUI 00:00:0c, PID 0x2000), then version, TTL, checksum and type-length-value records.
 * Cisco switches, routers, access points and IP phones (and some others) announce their name,
 * software, platform, port and addresses this way. The observation is about the sender.
 */
import { LinkType } from '../capture/types.js';
import { ipToString, isGroupMac, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import { decodeText } from './ber.js';
import { capabilityNames, nonEmpty } from './lldp.js';
import { reportedAddressBindings } from './bindings.js';
import type { PacketDissector, PacketOutput } from './types.js';

/** Fields of a `cdp` observation (one per CDP frame). */
export interface CdpFields {
  /** CDP header version (1 or 2). */
  cdp_version: number;
  /** Header TTL: seconds the receiver should keep this information. */
  ttl_seconds: number;
  /** Whether the header checksum verifies (CDP's own odd-length variant; false when cut); frames are kept either way. */
  checksum_ok: boolean;
  /** The frame ends (cut by the capture's snap length, or damaged) inside a TLV: the fields hold every complete TLV before it. */
  truncated?: true;
  /** Device ID TLV (0x01): the name the device gives itself (hostname, or e.g. SEP<mac> on phones). */
  hostname?: string;
  /** Software Version TLV (0x05): full text, lines separated by newlines. */
  software_version?: string;
  /** Platform TLV (0x06): model, e.g. `cisco WS-C3560G-24PS`. */
  platform?: string;
  /** Port ID TLV (0x03): the sender's interface the frame left from. */
  port_id?: string;
  /** Capabilities TLV (0x04): router, trans-bridge, source-route-bridge, switch, host, igmp, repeater, phone, remotely-managed, cvta, two-port-mac-relay. */
  capabilities?: string[];
  /** Addresses (0x02) and Management Addresses (0x16) TLVs: the sender's IPv4/IPv6 addresses, distinct, 0.0.0.0 and :: left out. */
  addresses?: string[];
  /** Native VLAN TLV (0x0a): untagged VLAN of the sending port. */
  native_vlan?: number;
  /** VTP Management Domain TLV (0x09). */
  vtp_domain?: string;
  /** Duplex TLV (0x0b): half or full. */
  duplex?: string;
}

/** LLC AA AA 03, SNAP OUI 00 00 0C, PID 0x2000. */
const SNAP_CDP = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00];
const HEADER = SNAP_CDP.length + 4;
const MAX_TEXT = 1024;
const MAX_ADDRESSES = 8;

const CAPABILITY_NAMES = [
  'router', 'trans-bridge', 'source-route-bridge', 'switch', 'host', 'igmp', 'repeater', 'phone',
  'remotely-managed', 'cvta', 'two-port-mac-relay',
];

/** 802.2 SNAP header announcing IPv6 inside a CDP address entry. */
const IPV6_PROTOCOL = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd];

/**
 * The CDP checksum: the Internet checksum, except that an odd final octet is added as the low byte
 * of a word, and Cisco's signed addition makes an octet >= 0x80 count as 0xff00 + octet - 1
 * (Wireshark's packet-cdp.c verifies it the same way).
 */
export function cdpChecksumOk(b: Uint8Array, off: number, end: number): boolean {
  let sum = 0;
  let p = off;
  for (; p + 1 < end; p += 2) sum += (b[p] << 8) | b[p + 1];
  if (p < end) sum += b[p] & 0x80 ? 0xff00 + b[p] - 1 : b[p];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

function addAddresses(b: Uint8Array, p: number, end: number, out: string[]): void {
  if (end - p < 4) return;
  const count = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  p += 4;
  for (let i = 0; i < count && i < MAX_ADDRESSES; i++) {
    // protocol type (1 NLPID, 2 802.2), protocol length, protocol, address length (2), address.
    if (end - p < 2) return;
    const plen = b[p + 1];
    const proto = p + 2;
    if (end - proto < plen + 2) return;
    const alen = (b[proto + plen] << 8) | b[proto + plen + 1];
    const a = proto + plen + 2;
    if (end - a < alen) return;
    let text: string | null = null;
    if (b[p] === 1 && plen === 1 && b[proto] === 0xcc && alen === 4) text = ipToString(b, a, 4);
    else if (b[p] === 2 && plen === 8 && alen === 16 && IPV6_PROTOCOL.every((x, j) => b[proto + j] === x)) text = ipToString(b, a, 6);
    // 0.0.0.0 and :: name no address (switches without an SVI send them); they must not bind.
    if (text !== null && text !== '0.0.0.0' && text !== '::' && out.length < MAX_ADDRESSES && !out.includes(text)) out.push(text);
    p = a + alen;
  }
}

export const cdp: PacketDissector<'cdp'> = {
  kind: 'packet',
  name: 'cdp',
  snap: [[0x00000c, 0x2000]],
  parse(v: PacketView): PacketOutput<'cdp'>[] | null {
    const b = v.buf;
    const start = v.l3Off;
    // On Ethernet the type field is the 802.3 length and excludes padding; cooked captures have none.
    let end = v.end;
    if (v.linkType === LinkType.ETHERNET && v.etherType <= 1500 && start + v.etherType < end) end = start + v.etherType;
    if (end - start < HEADER) return null;
    // Cut by the snap length: the checksum covers bytes that were not captured.
    const cut = v.caplen < v.wireLen && end === v.end;
    for (let i = 0; i < SNAP_CDP.length; i++) if (b[start + i] !== SNAP_CDP[i]) return null;
    const pdu = start + SNAP_CDP.length;
    const version = b[pdu];
    if (version !== 1 && version !== 2) return null;
    const f: CdpFields = { cdp_version: version, ttl_seconds: b[pdu + 1], checksum_ok: !cut && cdpChecksumOk(b, pdu, end) };
    let o = pdu + 4;
    while (end - o >= 4) {
      const type = (b[o] << 8) | b[o + 1];
      const len = (b[o + 2] << 8) | b[o + 3];
      if (len < 4 || len > end - o) break; // cut or damaged here: keep the TLVs before it
      const p = o + 4;
      const n = len - 4;
      switch (type) {
        case 0x01:
          f.hostname ??= nonEmpty(decodeText(b, p, n, 255));
          break;
        case 0x02:
        case 0x16:
          addAddresses(b, p, p + n, (f.addresses ??= []));
          break;
        case 0x03:
          f.port_id ??= nonEmpty(decodeText(b, p, n, 255));
          break;
        case 0x04:
          if (n >= 4) f.capabilities ??= capabilityNames((b[p + 2] << 8) | b[p + 3], CAPABILITY_NAMES);
          break;
        case 0x05:
          f.software_version ??= nonEmpty(decodeText(b, p, n, MAX_TEXT));
          break;
        case 0x06:
          f.platform ??= nonEmpty(decodeText(b, p, n, 255));
          break;
        case 0x09:
          f.vtp_domain ??= nonEmpty(decodeText(b, p, n, 255));
          break;
        case 0x0a:
          if (n >= 2) f.native_vlan ??= (b[p] << 8) | b[p + 1];
          break;
        case 0x0b:
          if (n >= 1) f.duplex ??= b[p] === 1 ? 'full' : 'half';
          break;
        default:
          break;
      }
      o += len;
    }
    if (o < end || cut) {
      if (o === pdu + 4) return null; // not one complete TLV: nothing to keep
      f.truncated = true;
    }
    if (f.addresses?.length === 0) delete f.addresses;
    const src = v.srcMacOff >= 0 ? macAt(b, v.srcMacOff) : 0;
    if (src === 0 || isGroupMac(src)) return [];
    const mac = macToString(src);
    const tsMs = Math.floor(v.tsMicros / 1000);
    // The addresses are the device's own, as it reports them (not seen in its traffic).
    return [{ device: { mac }, tsMs, source: 'cdp', fields: { ...f } }, ...reportedAddressBindings(mac, f.addresses, 'cdp', tsMs)];
  },
};
