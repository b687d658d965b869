/**
 * What the Store tells a listener as it writes rows that are new to the database (the events stage,
 * agent/events, turns them into events in the same transaction). Called only for new rows: a device
 * created, an address bound by ARP or DHCP that the device did not hold, a service first answered, a
 * conversation first seen, facts first observed, a classification that replaced another.
 */
import type { IdentityChange } from '../export/event.js';
import type { EdgeDelta } from './store.js';

/** A device as events name it: its MAC, or its IP when it is known only by IP. */
export interface DeviceSubject {
  id: number;
  mac: string | null;
  routedIp: string | null;
  macVendor: string | null;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** A conversation new to the database (what of the Store's EdgeDelta events read). */
export type NewEdge = Pick<EdgeDelta, 'clientDeviceId' | 'serverDeviceId' | 'clientIp' | 'serverIp' | 'transport' | 'port' | 'firstSeenMs'>;

export interface InventoryChanges {
  deviceCreated(deviceId: number, ip: string | null, tsMs: number): void;
  /** ARP or DHCP bound `ip` to the device; `previousDeviceId`: the device that held it by a binding before, 0 when none. */
  addressBound(deviceId: number, ip: string, previousDeviceId: number, tsMs: number): void;
  serviceCreated(deviceId: number, ip: string | null, transport: string, port: number, tsMs: number): void;
  edgeCreated(e: NewEdge): void;
  /** Facts new to the device (fieldsJson as stored). */
  observationCreated(deviceId: number, source: string, fieldsJson: string, tsMs: number): void;
  /** A stored classification was replaced by one that differs in these fields. */
  identityChanged(deviceId: number, changes: IdentityChange[]): void;
  /** An ARP packet (request or reply) in which `mac` claims IPv4 `ip` (between flushes: no write here). */
  arpClaim(ip: string, mac: string, tsMs: number): void;
  /** The end of a flush's writes, inside its transaction: events that count over the flush go out. */
  flushEnd(): void;
}
