/**
 * The event object (issue 15, "Events"), as the API, `auscult events` and every export format see it.
 * The events table and its producers come later; this is the contract they adopt.
 *
 * Each type's `details` is typed below (the Zeek habit: every field documented where it is declared).
 * The export formats read a few well-known detail keys, whatever the type: `mac`, `ip`, `hostname`
 * (the device the event is about), `peer_ip`, `port`, `transport` (the other side, when there is one).
 */

/** Every event type, in the order the README documents them. */
export const EVENT_TYPES = [
  'device.new',
  'device.identity_changed',
  'device.address_changed',
  'device.hostname_new',
  'service.new',
  'peer.external_new',
  'arp.conflict',
  'mac.flood',
  'device.silent',
  'capture.drops',
  'finding.new',
  'finding.resolved',
  'forward.dropped',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * auscult's severity scale, lowest first. Each format maps it to its own scale (severity.ts):
 * info = worth knowing, no action; low = review when convenient; medium = review today;
 * high = act now (spoofing, flooding); critical = act now, patient safety or broad impact.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An identification field that changed, with its value before and after (null: unknown). */
export interface IdentityChange {
  field: 'vendor' | 'model' | 'category' | 'os' | 'firmware';
  before: string | null;
  after: string | null;
}

/** `details` of each event type. */
export interface EventDetails {
  'device.new': {
    /** Layer-2 address of the new device; null for a device known only by IP. */
    mac: string | null;
    /** First address seen for it, when any. */
    ip: string | null;
    /** IEEE registry organisation of the MAC, when known. */
    mac_vendor: string | null;
  };
  'device.identity_changed': {
    mac: string | null;
    /** What changed, field by field. */
    changes: IdentityChange[];
  };
  'device.address_changed': {
    /** The address that appeared or moved. */
    ip: string;
    /** The device's MAC (the address's new owner). */
    mac: string | null;
    /** The MAC that held the address before, null for an address new to the network. */
    previous_mac: string | null;
    /** The device that held the address before, null when none. */
    previous_device_id: number | null;
  };
  'device.hostname_new': {
    /** The name, exactly as it came from the wire. */
    hostname: string;
    /** Protocol that carried it (dhcp, mdns, netbios, lldp, snmp...). */
    source: string;
    mac: string | null;
  };
  'service.new': {
    /** Address the device answered on. */
    ip: string;
    transport: 'tcp' | 'udp';
    port: number;
    mac: string | null;
  };
  'peer.external_new': {
    /** The device's address in the conversation. */
    ip: string;
    /** The public address it talked to. */
    peer_ip: string;
    /** Server port of the conversation. */
    port: number;
    transport: string;
    mac: string | null;
  };
  'arp.conflict': {
    /** The address claimed by more than one MAC. */
    ip: string;
    /** Every MAC that claimed it in the window, the device's own first. */
    macs: string[];
    mac: string | null;
  };
  'mac.flood': {
    /** New MACs seen in the last minute. */
    new_macs_per_minute: number;
    /** The configured threshold it crossed. */
    threshold: number;
  };
  'device.silent': {
    mac: string | null;
    ip: string | null;
    /** Last packet from or to the device (ISO 8601). */
    last_seen: string;
    /** Silence so far, in seconds. */
    silent_seconds: number;
  };
  'capture.drops': {
    /** Capture interface. */
    interface: string;
    /** Packets the kernel dropped in the interval. */
    dropped: number;
    /** Packets received in the interval. */
    received: number;
    /** The configured threshold it crossed (drops per interval). */
    threshold: number;
  };
  'finding.new': {
    /** Finding id (risk layer). */
    finding_id: string;
    /** Finding type, e.g. cleartext-clinical, insecure-management, advisory. */
    finding_type: string;
    mac: string | null;
    ip: string | null;
  };
  'finding.resolved': {
    finding_id: string;
    finding_type: string;
    mac: string | null;
    ip: string | null;
  };
  'forward.dropped': {
    /** The forwarding destination that never had them (its name in forward --status; never a token). */
    destination: string;
    /** Events events retention removed before this destination accepted them. */
    dropped: number;
    /** Every event up to this seq was removed. */
    through_seq: number;
    /** The retention that removed them. */
    retention_days: number;
  };
}

/** One event. */
export interface AuscultEvent<T extends EventType = EventType> {
  /**
   * Stable id derived from what the event says (reading a capture again yields the same id), at most
   * 40 ASCII characters: CEF's externalId length. SIEMs deduplicate on it.
   */
  id: string;
  /** Position in the database's change sequence (`since=`). */
  seq: number;
  /** Capture time of what the event reports (ISO 8601 UTC). */
  time: string;
  type: T;
  severity: Severity;
  /** The device it is about; null for sensor-wide events (mac.flood, capture.drops). */
  device_id: number | null;
  /** One line for people, e.g. "New device 00:1a:2b:3c:4d:5e (Baxter)". */
  summary: string;
  details: EventDetails[T];
}

/** A suggestion for the events stage: the severity each type starts with (a threshold may raise it). */
export const DEFAULT_SEVERITY: Readonly<Record<EventType, Severity>> = {
  'device.new': 'low',
  'device.identity_changed': 'low',
  'device.address_changed': 'info',
  'device.hostname_new': 'info',
  'service.new': 'low',
  'peer.external_new': 'medium',
  'arp.conflict': 'high',
  'mac.flood': 'high',
  'device.silent': 'medium',
  'capture.drops': 'medium',
  'finding.new': 'medium',
  'finding.resolved': 'info',
  'forward.dropped': 'high',
};

/** Human name of each type: the CEF/LEEF event name, OCSF activity text, ECS action. Never data. */
export const EVENT_NAMES: Readonly<Record<EventType, string>> = {
  'device.new': 'New device',
  'device.identity_changed': 'Device identity changed',
  'device.address_changed': 'Device address changed',
  'device.hostname_new': 'New device host name',
  'service.new': 'New service',
  'peer.external_new': 'New external peer',
  'arp.conflict': 'ARP conflict',
  'mac.flood': 'MAC flood',
  'device.silent': 'Device silent',
  'capture.drops': 'Capture drops',
  'finding.new': 'New finding',
  'finding.resolved': 'Finding resolved',
  'forward.dropped': 'Events dropped before forwarding',
};

/** The detail keys every format knows how to place (see the header comment). */
export interface EventSubject {
  mac: string | null;
  ip: string | null;
  hostname: string | null;
  peerIp: string | null;
  port: number | null;
  transport: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The well-known detail keys of an event, whatever its type. */
export function eventSubject(e: AuscultEvent): EventSubject {
  const d = e.details as unknown as Record<string, unknown>;
  return {
    mac: str(d.mac),
    ip: str(d.ip),
    hostname: str(d.hostname),
    peerIp: str(d.peer_ip),
    port: typeof d.port === 'number' ? d.port : null,
    transport: str(d.transport),
  };
}

/** The family of an event type ("device", "arp"...): CEF/LEEF `cat`. */
export function eventFamily(type: EventType): string {
  return type.slice(0, type.indexOf('.'));
}
