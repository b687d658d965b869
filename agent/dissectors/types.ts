/**
 * The dissector contract. One module per protocol under `agent/dissectors/`, all registered in
 * `index.ts`. A dissector says "not mine" fast, never throws on malformed input (it returns null and
 * the caller counts it), and drops patient data before returning.
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
  /** Dissector that produced it (`dhcp`, `arp`, ...). */
  source: string;
  /** Protocol facts, snake_case keys documented in the dissector's field interface. */
  fields: Record<string, unknown>;
}

export interface Dissector {
  /** Short protocol name, also `Observation.source`. */
  readonly name: string;
  /** UDP ports whose every packet this dissector inspects (broadcast and discovery protocols). */
  readonly udpPorts?: readonly number[];
  /** TCP ports whose every payload-carrying packet this dissector inspects. */
  readonly tcpPorts?: readonly number[];
  /** Decode the packet's payload; null when it is not this protocol or is malformed. */
  parse(view: PacketView): Observation[] | null;
}
