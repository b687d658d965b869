/**
 * The dissector contract. One module per protocol under `agent/dissectors/`, all registered in
 * `index.ts`. A dissector says "not mine" fast, never throws on malformed input (it returns null and
 * the caller counts it), and drops patient data before returning.
 *
 * Two kinds:
 * - PacketDissector: one packet is one message (UDP discovery protocols, LLDP/CDP frames). Chosen by
 *   UDP port, EtherType, or (CDP) the SNAP protocol id of an 802.3 LLC frame.
 * - StreamDissector: a TCP byte stream (HTTP, TLS, SSH, SMB). The pipeline reassembles the first bytes
 *   of each direction of each TCP connection (in sequence order, retransmissions trimmed, bounded) and
 *   offers them to every stream dissector whose `probe` accepts them, on any port.
 *
 * What a dissector emits:
 * - Observations: facts about one device from one protocol. `fields` is typed per source
 *   (FieldsBySource), each field documented where the dissector declares it. Later stages store and
 *   show them without knowing their names, but for the conventions of ConventionFields.
 * - Typed outputs (InventoryOutput): what the inventory needs beyond facts, said by the dissector that
 *   learns it, so that no later stage digs it out of a protocol's fields: an address binding (DHCP ACK:
 *   this IP is this MAC's, for this lease), a conversation mark (this TCP conversation carried TLS).
 *
 * Secrets are never put in fields (SNMP communities, passwords, cookies, Authorization headers).
 */
import type { PacketView } from '../decode/packet-view.js';
import type { BacnetFields } from './bacnet.js';
import type { CdpFields } from './cdp.js';
import type { DhcpFields } from './dhcp.js';
import type { Dhcpv6Fields } from './dhcpv6.js';
import type { DicomFields } from './dicom-fields.js';
import type { DnsFields, LlmnrFields } from './dns.js';
import type { Hl7BehindGatewayFields, Hl7Fields } from './hl7.js';
import type { HttpFields } from './http.js';
import type { IntellivueFields } from './intellivue.js';
import type { LldpFields } from './lldp.js';
import type { MdnsFields } from './mdns.js';
import type { BrowserFields, NbnsFields } from './netbios.js';
import type { Poct1aFields } from './poct1a.js';
import type { SmbFields } from './smb.js';
import type { SnmpFields } from './snmp.js';
import type { SsdpFields } from './ssdp.js';
import type { SshFields } from './ssh.js';
import type { TlsClientHelloFields, TlsServerHelloFields } from './tls.js';
import type { WsdFields } from './wsd.js';
import type { TelnetFields } from './telnet.js';
import type { FtpFields } from './ftp.js';
import type { TftpFields } from './tftp.js';
import type { VncFields } from './vnc.js';
import type { RdpFields } from './rdp.js';

/** The fields of each source's observations: `Observation<'dhcp'>` has DhcpFields. */
export interface FieldsBySource {
  dhcp: DhcpFields;
  dhcpv6: Dhcpv6Fields;
  dns: DnsFields;
  llmnr: LlmnrFields;
  mdns: MdnsFields;
  nbns: NbnsFields;
  browser: BrowserFields;
  ssdp: SsdpFields;
  snmp: SnmpFields;
  lldp: LldpFields;
  cdp: CdpFields;
  wsd: WsdFields;
  intellivue: IntellivueFields;
  bacnet: BacnetFields;
  http: HttpFields;
  tls: TlsClientHelloFields | TlsServerHelloFields;
  ssh: SshFields;
  smb: SmbFields;
  dicom: DicomFields;
  hl7: Hl7Fields | Hl7BehindGatewayFields;
  poct1a: Poct1aFields;
  telnet: TelnetFields;
  ftp: FtpFields;
  tftp: TftpFields;
  vnc: VncFields;
  rdp: RdpFields;
}

/** A dissector's name, which is also the `source` of its observations. */
export type Source = keyof FieldsBySource;

/**
 * Fields with one meaning in every protocol that has them: the only field names later stages read
 * (store/device-query.ts: host names; store/clinical.ts: roles, clear text or encrypted).
 */
export interface ConventionFields {
  /** A name the device gives itself (DHCP option 12, mDNS host, NetBIOS name, LLDP system name, SNMP
   * sysName...): the inventory lists these as the device's host names. */
  hostname?: string;
  /** Clinical protocols: the device's role in the exchange (scu/scp, sender/acknowledger, device...). */
  role?: string;
  /** Clinical protocols: seen inside TLS (true) or read in clear text (false). */
  encrypted?: boolean;
}

/** Convention fields a fields interface declares with another type. */
type Broken<F> = F extends unknown
  ? { [K in keyof ConventionFields & keyof F]: F[K] extends ConventionFields[K] ? never : K }[keyof ConventionFields & keyof F]
  : never;
/** Every source's fields keep the conventions: a compile error here names the source that does not. */
type ConventionsBroken = { [S in Source]: [Broken<FieldsBySource[S]>] extends [never] ? never : S }[Source];
type Assert<T extends true> = T;
export type _ConventionsKept = Assert<[ConventionsBroken] extends [never] ? true : ConventionsBroken>;

/** Which device an observation is about. MAC when the fact names one, else IP. */
export interface DeviceKey {
  /** Layer-2 address, `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** IP address in text form. */
  ip?: string;
}

interface ObservationOf<S extends Source> {
  /** The device the fact is about (not necessarily the packet's sender). */
  device: DeviceKey;
  /** Capture time of the packet it came from, milliseconds since the epoch. */
  tsMs: number;
  /** Dissector that produced it (`dhcp`, `mdns`, `tls`...). */
  source: S;
  /** Protocol facts, snake_case keys documented in the dissector's field interface. Values: string,
   * number, boolean, or arrays of those. */
  fields: FieldsBySource[S];
}

/**
 * One piece of evidence about one device: every fact the inventory holds traces back to these.
 * `Observation` is any source's (narrow it by `source`); `Observation<'dhcp'>` a DHCP one.
 */
export type Observation<S extends Source = Source> = S extends Source ? ObservationOf<S> : never;

/**
 * Protocols whose dissector binds addresses to MACs (ARP's bindings are the inventory's own). Each is a
 * source of the device object's `ips[].sources`, stored in its own device_ips column (store.ts).
 */
export type BindingProtocol = 'dhcp' | 'dhcpv6' | 'lldp' | 'cdp';

/** Every BindingProtocol, in the order the device object lists an address's sources. */
export const BINDING_PROTOCOLS: readonly BindingProtocol[] = ['dhcp', 'dhcpv6', 'lldp', 'cdp'];

/**
 * An IP address a protocol assigned to, or announced for, a MAC: the inventory lists it among the
 * device's addresses with `protocol` as its source, and traffic from that IP belongs to that MAC.
 * Assigned: a DHCP ACK, a DHCPv6 REPLY. Reported by the device itself, not seen in traffic: an
 * LLDP/CDP management address.
 */
export interface AddressBinding {
  kind: 'address-binding';
  /** The device the address belongs to, `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** The address, text form. */
  ip: string;
  /** Which protocol bound it (the address's source in the device object). */
  protocol: BindingProtocol;
  /** How long the binding holds, in seconds, when the protocol says (a DHCP lease). */
  leaseSeconds?: number;
  /** Capture time of the packet that bound it, ms since the epoch. */
  tsMs: number;
}

/** What a conversation mark says a TCP conversation carried. */
export type ConversationProtocol = 'tls';

/**
 * A TCP conversation recognised as carrying a protocol: the inventory marks the edge between its two
 * ends (the device object's `peers[].tls`). The ends are as the dissector saw them: either may be the
 * server (the inventory knows which).
 */
export interface ConversationMark {
  kind: 'conversation-mark';
  protocol: ConversationProtocol;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** Capture time of the bytes recognised, ms since the epoch. */
  tsMs: number;
}

/**
 * One object (a DICOM SOP instance) sent from one device to another: who sent an instance first, by
 * capture time, is what tells the device that made it from an archive or router sending it on
 * (identification, agent/identify/dicom-images.ts). The instance's UID itself never leaves the
 * dissector: only its SHA-256 does, and the store keeps that only as a keyed hash with a salt of its own
 * (store.ts recordInstanceSighting).
 */
export interface InstanceSighting {
  kind: 'instance-sighting';
  /** SHA-256 of the instance's UID (DICOM: the C-STORE-RQ's Affected SOP Instance UID (0000,1000)), hex. */
  instanceDigest: string;
  /** The device that sent the object (the C-STORE SCU). */
  sender: DeviceKey;
  /** The device it was sent to (the Storage SCP). */
  receiver: DeviceKey;
  /** Capture time of the bytes that carried it, ms since the epoch. */
  tsMs: number;
}

/**
 * A device known only because another device's message names it (IHE PCD-01: the EUI-64 of OBX-18
 * embeds the MAC of a monitor behind a device gateway). The inventory creates or finds the device by
 * `mac` and records where it came from; until the device is seen on the wire itself it is `derived`
 * (device object `kind`), and its identification confidence is capped (identify/engine.ts).
 */
export interface DeviceDerivation {
  kind: 'derived-device';
  /** The derived device's MAC, `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** The device whose message named it (the sender of that message). */
  from: DeviceKey;
  /** Protocol and field the address was read from: `hl7`, `OBX-18`. */
  protocol: Source;
  field: string;
  /** Message type that carried it (`ORU^R01`), when the protocol has one. */
  messageType?: string;
  /** Capture time of the message, ms since the epoch. */
  tsMs: number;
}

/** What the inventory needs beyond facts: the typed outputs dissectors emit besides observations. */
export type InventoryOutput = AddressBinding | ConversationMark | InstanceSighting | DeviceDerivation;

/** What a packet dissector returns for one packet: its observations and typed outputs, in any order. */
export type PacketOutput<S extends Source = Source> = Observation<S> | InventoryOutput;

/** Whether a packet dissector's output is a typed output rather than an observation. */
export function isInventoryOutput(o: PacketOutput): o is InventoryOutput {
  return 'kind' in o;
}

/**
 * How a clinical protocol's observations appear in the device's `clinical` block (store/clinical.ts):
 * declared by the dissector, so that the store repeats no protocol's field names.
 */
export interface ClinicalView<S extends Source = Source> {
  /** Protocol name in the block (`sdc` for IEEE 11073 SDC discovery over WS-Discovery). */
  protocol: string;
  /** Fields shown under `clinical.facts.<protocol>`, in this order: identity, never patient data. */
  shown: readonly FieldName<S>[];
  /** Whether an observation is clinical at all (WS-Discovery of PCs and printers is not); default yes. */
  applies?(fields: FieldsBySource[S]): boolean;
  /** IANA port of the protocol over TLS: conversations on it count as encrypted (DICOM: 2762). */
  tlsPort?: number;
}

/** The field names of a source's fields (of any of its field interfaces when it has several). */
export type FieldName<S extends Source> = FieldsBySource[S] extends infer F ? (F extends unknown ? keyof F & string : never) : never;

export interface PacketDissector<S extends Source = Source> {
  readonly kind: 'packet';
  /** Short protocol name, also `Observation.source`. */
  readonly name: S;
  /** UDP ports (source or destination) whose every packet this dissector inspects. */
  readonly udpPorts?: readonly number[];
  /** EtherTypes of non-IP frames this dissector inspects (LLDP 0x88cc). */
  readonly etherTypes?: readonly number[];
  /**
   * 802.2 LLC/SNAP protocols this dissector inspects, as [OUI, protocol id] (CDP: [0x00000c, 0x2000]).
   * Other LLC frames (spanning tree, NetBIOS...) never reach a dissector.
   */
  readonly snap?: readonly (readonly [oui: number, pid: number])[];
  /**
   * Payload bytes [start, end) that change on every message without changing its facts (a transaction
   * id): left out when recognising a repeat of a recent packet, whose outputs are then reused.
   * Only for protocols whose outputs do not contain those bytes.
   */
  readonly repeatSkip?: readonly [number, number];
  /**
   * The sender's UDP source port is no part of the facts (a client's random query port): a repeat from
   * another source port reuses the outputs too.
   */
  readonly repeatAnyPort?: boolean;
  /** Clinical protocols: how their observations show in the clinical block. */
  readonly clinical?: ClinicalView<S>;
  /**
   * Decode the packet: observations and typed outputs, null when it is not this protocol or is
   * malformed. The payload is `view.buf[view.payloadOff .. +view.payloadLen]` for UDP,
   * `view.buf[view.l3Off .. view.end]` for layer-2 frames. The sender is at `view.srcMacOff` /
   * `view.srcIpOff` (sender.ts makes its device key).
   */
  parse(view: PacketView): PacketOutput<S>[] | null;
}

/** The two ends of one direction of a TCP connection. */
export interface StreamEnds {
  /** Sender of these bytes: MAC (null without layer 2) and IP, text form. */
  srcMac: string | null;
  srcIp: string;
  srcPort: number;
  /** Receiver of these bytes. */
  dstMac: string | null;
  dstIp: string;
  dstPort: number;
}

/** What a stream dissector is told about the direction it reads. */
export interface StreamContext extends StreamEnds {
  /** Capture time of the newest segment in `data`, ms since the epoch. */
  tsMs: number;
  /**
   * The first bytes the *other* direction of the same connection has sent so far (may be empty):
   * lets a server-side parser know what the client asked for.
   */
  peerData: Buffer;
}

export type StreamVerdict<S extends Source = Source> =
  /**
   * Finished: these observations (possibly none), typed outputs if any, and nothing more is needed
   * from this direction.
   */
  | { done: true; observations: Observation<S>[]; outputs?: InventoryOutput[] }
  /** Looks like mine but incomplete: call again when more bytes have arrived. */
  | { done: false }
  /** Not mine, or malformed: stop offering this direction to this dissector. */
  | null;

export interface StreamDissector<S extends Source = Source> {
  readonly kind: 'stream';
  readonly name: S;
  /** Clinical protocols: how their observations show in the clinical block. */
  readonly clinical?: ClinicalView<S>;
  /** Cheap check on the first bytes of a direction (at least 1 byte, maybe fewer than a header). */
  probe(data: Buffer): boolean;
  /**
   * Parse the reassembled start of one direction (`data` holds all bytes so far, from the first).
   * `final` is true on the last call for this direction (the flow ended or the bounds were reached):
   * report what was read rather than wait.
   */
  parse(data: Buffer, ctx: StreamContext, final?: boolean): StreamVerdict<S>;
}

export type Dissector = PacketDissector | StreamDissector;
