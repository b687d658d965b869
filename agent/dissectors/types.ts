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
 * Conventions for Observation.fields (snake_case, each documented where the dissector declares them):
 * - `hostname`: a name the device gives itself (DHCP option 12, mDNS host, NetBIOS name, LLDP system
 *   name, SNMP sysName...). The inventory lists these as the device's host names.
 * - Secrets are never put in fields (SNMP communities, passwords, cookies, Authorization headers).
 */
import type { PacketView } from '../decode/packet-view.js';

/** Which device an observation is about. MAC when the fact names one, else IP. */
export interface DeviceKey {
  /** Layer-2 address, `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** IP address in text form. */
  ip?: string;
}

/** One piece of evidence about one device: every fact the inventory holds traces back to these. */
export interface Observation {
  /** The device the fact is about (not necessarily the packet's sender). */
  device: DeviceKey;
  /** Capture time of the packet it came from, milliseconds since the epoch. */
  tsMs: number;
  /** Dissector that produced it (`dhcp`, `mdns`, `tls`...). */
  source: string;
  /** Protocol facts, snake_case keys documented in the dissector's field interface. Values: string,
   * number, boolean, or arrays of those. */
  fields: Record<string, unknown>;
}

export interface PacketDissector {
  readonly kind: 'packet';
  /** Short protocol name, also `Observation.source`. */
  readonly name: string;
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
   * id): left out when recognising a repeat of a recent packet, whose observations are then reused.
   * Only for protocols whose observations do not contain those bytes.
   */
  readonly repeatSkip?: readonly [number, number];
  /**
   * The sender's UDP source port is no part of the facts (a client's random query port): a repeat from
   * another source port reuses the observations too.
   */
  readonly repeatAnyPort?: boolean;
  /**
   * Decode the packet; null when it is not this protocol or is malformed. The payload is
   * `view.buf[view.payloadOff .. +view.payloadLen]` for UDP, `view.buf[view.l3Off .. view.end]` for
   * layer-2 frames. The sender is at `view.srcMacOff` / `view.srcIpOff` (sender.ts makes its device key).
   */
  parse(view: PacketView): Observation[] | null;
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

export type StreamVerdict =
  /** Finished: these observations (possibly none) and nothing more is needed from this direction. */
  | { done: true; observations: Observation[] }
  /** Looks like mine but incomplete: call again when more bytes have arrived. */
  | { done: false }
  /** Not mine, or malformed: stop offering this direction to this dissector. */
  | null;

export interface StreamDissector {
  readonly kind: 'stream';
  readonly name: string;
  /** Cheap check on the first bytes of a direction (at least 1 byte, maybe fewer than a header). */
  probe(data: Buffer): boolean;
  /**
   * Parse the reassembled start of one direction (`data` holds all bytes so far, from the first).
   * `final` is true on the last call for this direction (the flow ended or the bounds were reached):
   * report what was read rather than wait.
   */
  parse(data: Buffer, ctx: StreamContext, final?: boolean): StreamVerdict;
}

export type Dissector = PacketDissector | StreamDissector;
