/**
 * LLDP (IEEE 802.1AB-2016, EtherType 0x88cc): what a switch, phone, access point or host says about
 * itself on each link: its chassis and port, names, description, capabilities, management
 * addresses, the port VLAN (802.1 TLVs) and, for LLDP-MED endpoints (ANSI/TIA-1057), its inventory
 * (manufacturer, model, serial, revisions). The observation is about the sender of the frame.
 */
import { ipToString, isGroupMac, macAt, macToString } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import { decodeText, hexOf } from './ber.js';
import { reportedAddressBindings } from './bindings.js';
import type { PacketDissector, PacketOutput } from './types.js';

/** Fields of an `lldp` observation (one per LLDPDU). */
export interface LldpFields {
  /** Chassis ID TLV (1), rendered by subtype: MAC `aa:bb:cc:dd:ee:ff`, IP address, text, or hex. */
  chassis_id: string;
  /** Chassis ID subtype: chassis-component, interface-alias, port-component, mac, network-address, interface-name, local. */
  chassis_id_subtype: string;
  /** The chassis ID when it is a MAC (subtype 4): the device's base MAC, often not the port's source MAC. */
  chassis_mac?: string;
  /** Port ID TLV (2), rendered by subtype like the chassis ID. */
  port_id: string;
  /** Port ID subtype: interface-alias, port-component, mac, network-address, interface-name, agent-circuit-id, local. */
  port_id_subtype: string;
  /** Time To Live TLV (3), seconds; 0 announces that the sender is shutting LLDP down on this port. */
  ttl_seconds: number;
  /** Port Description TLV (4): ifDescr of the sending port. */
  port_description?: string;
  /** System Name TLV (5): the name the device gives itself (sysName). */
  hostname?: string;
  /** System Description TLV (6): sysDescr (vendor, model, OS and version). */
  system_description?: string;
  /** System Capabilities TLV (7), supported: other, repeater, bridge, wlan-access-point, router, telephone, docsis-cable-device, station, c-vlan, s-vlan, two-port-mac-relay. */
  capabilities?: string[];
  /** System Capabilities TLV (7), enabled subset, same names. */
  capabilities_enabled?: string[];
  /** Management Address TLVs (8): IPv4/IPv6 text, MAC for 802 addresses, else `af<n>:<hex>`. */
  management_addresses?: string[];
  /** IEEE 802.1 Port VLAN ID TLV (OUI 00-80-C2, subtype 1): untagged VLAN of the sending port (0 = none, not recorded). */
  native_vlan?: number;
  /** LLDP-MED Capabilities TLV (OUI 00-12-BB, subtype 1): endpoint-class-1/2/3, network-connectivity. */
  med_device_class?: string;
  /** LLDP-MED inventory (OUI 00-12-BB subtypes 5-11): hardware, firmware and software revision. */
  hardware_revision?: string;
  firmware_revision?: string;
  software_revision?: string;
  /** LLDP-MED serial number (subtype 8). */
  serial_number?: string;
  /** LLDP-MED manufacturer name (subtype 9). */
  manufacturer?: string;
  /** LLDP-MED model name (subtype 10). */
  model?: string;
  /** LLDP-MED asset ID (subtype 11). */
  asset_id?: string;
  /** RFC 8520 MUD URL TLV (OUI 00-00-5E, subtype 1): where the maker describes the device's expected traffic. */
  mud_url?: string;
  /**
   * The LLDPDU ends (cut by the capture's snap length, or damaged) inside a TLV or before its End TLV:
   * the fields hold every complete TLV before that point.
   */
  truncated?: true;
}

const TLV_END = 0;
const TLV_CHASSIS_ID = 1;
const TLV_PORT_ID = 2;
const TLV_TTL = 3;
const TLV_PORT_DESCRIPTION = 4;
const TLV_SYSTEM_NAME = 5;
const TLV_SYSTEM_DESCRIPTION = 6;
const TLV_CAPABILITIES = 7;
const TLV_MANAGEMENT_ADDRESS = 8;
const TLV_ORG = 127;

const OUI_IEEE_8021 = 0x0080c2;
const OUI_TIA_MED = 0x0012bb;
const OUI_IANA = 0x00005e;

/** Strings are at most 255 octets in 802.1AB; MED inventory strings at most 32. */
const MAX_TEXT = 255;
const MAX_MANAGEMENT_ADDRESSES = 8;

const CHASSIS_SUBTYPES = ['', 'chassis-component', 'interface-alias', 'port-component', 'mac', 'network-address', 'interface-name', 'local'];
const PORT_SUBTYPES = ['', 'interface-alias', 'port-component', 'mac', 'network-address', 'interface-name', 'agent-circuit-id', 'local'];
const CAPABILITY_NAMES = [
  'other', 'repeater', 'bridge', 'wlan-access-point', 'router', 'telephone',
  'docsis-cable-device', 'station', 'c-vlan', 's-vlan', 'two-port-mac-relay',
];
const MED_CLASSES = ['', 'endpoint-class-1', 'endpoint-class-2', 'endpoint-class-3', 'network-connectivity'];
/** LLDP-MED inventory TLVs, subtypes 5 to 11 in order. */
const MED_INVENTORY = ['hardware_revision', 'firmware_revision', 'software_revision', 'serial_number',
  'manufacturer', 'model', 'asset_id'] as const;

/** Empty strings say nothing: keep them out of the fields. */
export function nonEmpty(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** Bit names set in a 16-bit capability mask. */
export function capabilityNames(mask: number, names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) if (mask & (1 << i)) out.push(names[i]);
  return out;
}

/** Text when the octets are printable (UTF-8, no control characters), else colon-separated hex. */
function textOrHex(b: Uint8Array, off: number, len: number): string {
  let printable = true;
  for (let i = 0; i < len; i++) {
    const c = b[off + i];
    if (c < 0x20 || c === 0x7f) {
      printable = false;
      break;
    }
  }
  if (printable) {
    const t = decodeText(b, off, len, MAX_TEXT);
    if (!t.includes('\ufffd')) return t;
  }
  return hexOf(b, off, len, MAX_TEXT, ':');
}

/** An IANA address-family-numbered address (LLDP network-address subtype, management address). */
function familyAddress(b: Uint8Array, af: number, off: number, len: number): string {
  if (af === 1 && len === 4) return ipToString(b, off, 4);
  if (af === 2 && len === 16) return ipToString(b, off, 6);
  if (af === 6 && len === 6) return macToString(macAt(b, off));
  return `af${af}:${hexOf(b, off, len, 32)}`;
}

/** Chassis or port ID value after its subtype byte. */
function renderId(b: Uint8Array, off: number, len: number, macSubtype: boolean, networkSubtype: boolean, binary: boolean): string {
  if (macSubtype && len === 6) return macToString(macAt(b, off));
  if (networkSubtype && len >= 2) return familyAddress(b, b[off], off + 1, len - 1);
  return binary ? hexOf(b, off, len, MAX_TEXT, ':') : textOrHex(b, off, len);
}

export const lldp: PacketDissector<'lldp'> = {
  kind: 'packet',
  name: 'lldp',
  etherTypes: [0x88cc],
  parse(v: PacketView): PacketOutput<'lldp'>[] | null {
    const b = v.buf;
    const end = v.end;
    let o = v.l3Off;
    // An LLDPDU starts with Chassis ID, Port ID and TTL, in that order (802.1AB 9.2.7.7.1).
    if (v.etherType !== 0x88cc || end - o < 2 || b[o] >> 1 !== TLV_CHASSIS_ID) return null;
    const f: LldpFields = { chassis_id: '', chassis_id_subtype: '', port_id: '', port_id_subtype: '', ttl_seconds: 0 };
    let index = 0;
    let complete = false;
    while (end - o >= 2) {
      const type = b[o] >> 1;
      const len = ((b[o] & 1) << 8) | b[o + 1];
      const p = o + 2;
      if (type === TLV_END) {
        complete = true;
        break;
      }
      if (len > end - p) break; // cut inside this TLV: keep those before it
      if (index < 3 && type !== index + 1) return null;
      switch (type) {
        case TLV_CHASSIS_ID: {
          if (index !== 0 || len < 2 || len > 256) return null;
          const st = b[p];
          f.chassis_id_subtype = CHASSIS_SUBTYPES[st] ?? `subtype-${st}`;
          f.chassis_id = renderId(b, p + 1, len - 1, st === 4, st === 5, false);
          if (st === 4 && len === 7) f.chassis_mac = f.chassis_id;
          break;
        }
        case TLV_PORT_ID: {
          if (index !== 1 || len < 2 || len > 256) return null;
          const st = b[p];
          f.port_id_subtype = PORT_SUBTYPES[st] ?? `subtype-${st}`;
          f.port_id = renderId(b, p + 1, len - 1, st === 3, st === 4, st === 6);
          break;
        }
        case TLV_TTL:
          if (index !== 2 || len < 2) return null;
          f.ttl_seconds = (b[p] << 8) | b[p + 1];
          break;
        case TLV_PORT_DESCRIPTION:
          f.port_description ??= nonEmpty(decodeText(b, p, len, MAX_TEXT));
          break;
        case TLV_SYSTEM_NAME:
          f.hostname ??= nonEmpty(decodeText(b, p, len, MAX_TEXT));
          break;
        case TLV_SYSTEM_DESCRIPTION:
          f.system_description ??= nonEmpty(decodeText(b, p, len, MAX_TEXT));
          break;
        case TLV_CAPABILITIES:
          if (len >= 4 && f.capabilities === undefined) {
            f.capabilities = capabilityNames((b[p] << 8) | b[p + 1], CAPABILITY_NAMES);
            f.capabilities_enabled = capabilityNames((b[p + 2] << 8) | b[p + 3], CAPABILITY_NAMES);
          }
          break;
        case TLV_MANAGEMENT_ADDRESS: {
          // Address string length (subtype + address, 2..32), then interface numbering and OID.
          const n = len >= 1 ? b[p] : 0;
          if (n < 2 || n > 32 || 1 + n + 6 > len) break;
          const list = (f.management_addresses ??= []);
          const addr = familyAddress(b, b[p + 1], p + 2, n - 1);
          if (list.length < MAX_MANAGEMENT_ADDRESSES && !list.includes(addr)) list.push(addr);
          break;
        }
        case TLV_ORG:
          if (len >= 4) orgTlv(b, p, len, f);
          break;
        default:
          break;
      }
      o = p + len;
      index++;
    }
    if (index < 3) return null;
    // Without the End TLV, the PDU was cut: inside a TLV, or at a TLV boundary by the snap length.
    if (!complete && (o < end || v.caplen < v.wireLen)) f.truncated = true;
    // The sender is the device; a capture without its MAC (or with a zero one) falls back to the chassis MAC.
    const src = v.srcMacOff >= 0 ? macAt(b, v.srcMacOff) : 0;
    const mac = src !== 0 && !isGroupMac(src) ? macToString(src) : f.chassis_mac;
    if (mac === undefined) return [];
    const tsMs = Math.floor(v.tsMicros / 1000);
    // The management addresses are the device's own, as it reports them (not seen in its traffic).
    return [{ device: { mac }, tsMs, source: 'lldp', fields: { ...f } }, ...reportedAddressBindings(mac, f.management_addresses, 'lldp', tsMs)];
  },
};

/** Organizationally specific TLV: 3-byte OUI, subtype, then information (at `p`, `len` >= 4). */
function orgTlv(b: Uint8Array, p: number, len: number, f: LldpFields): void {
  const oui = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  const subtype = b[p + 3];
  const d = p + 4;
  const n = len - 4;
  if (oui === OUI_IEEE_8021) {
    if (subtype === 1 && n >= 2) {
      const vid = ((b[d] << 8) | b[d + 1]) & 0x0fff;
      if (vid !== 0) f.native_vlan ??= vid;
    }
  } else if (oui === OUI_TIA_MED) {
    if (subtype === 1 && n >= 3) f.med_device_class ??= MED_CLASSES[b[d + 2]] ?? `class-${b[d + 2]}`;
    else if (subtype >= 5 && subtype <= 11) {
      const key = MED_INVENTORY[subtype - 5];
      if (f[key] === undefined) f[key] = nonEmpty(decodeText(b, d, n, 32));
    }
  } else if (oui === OUI_IANA) {
    if (subtype === 1) f.mud_url ??= nonEmpty(decodeText(b, d, n, MAX_TEXT));
  }
}
