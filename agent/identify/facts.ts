/**
 * Facts: what the engine reads about one device, as evidence path → values (most recent first).
 * Paths are `protocol.field` for protocol evidence (`dhcp.vendor_class`, `dicom.implementation_class_uid`)
 * plus a few device-level paths, and `dicom.image_role`, derived from the order in which devices sent the
 * same DICOM objects (dicom-images.ts). The engine is generic over paths: a new dissector's fields are
 * usable in signatures as soon as they appear in the device's evidence.
 */

/**
 * Device-level paths (no protocol prefix): `mac` (lower case, colons), `mac_vendor` (IEEE registry
 * organisation), `ip`, `hostname` (every name the device gives itself), `service` (`tcp/104`), and
 * `protocol` (each protocol that produced evidence about the device: `dicom`, `hl7`, `dhcp`...).
 */
export const DEVICE_PATHS = ['mac', 'mac_vendor', 'ip', 'hostname', 'service', 'protocol'] as const;

/** Aliases accepted in example evidence, for readability (`services: [tcp/104]`). */
const EXAMPLE_ALIASES: Record<string, string> = { services: 'service', hostnames: 'hostname', ips: 'ip' };

const PATH = /^[a-z0-9_]+\.[a-z0-9_.-]+$/;

/** Path → observed values, most recent first. A value may itself be an array (LLDP capabilities). */
export type Facts = ReadonlyMap<string, readonly unknown[]>;

/** Whether a signature or example may name this path. */
export function isValidPath(path: string): boolean {
  return (DEVICE_PATHS as readonly string[]).includes(path) || PATH.test(path);
}

import { imageRoles, type InstanceInvolvement } from './dicom-images.js';

/** The subset of the device JSON (agent/store/device-json.ts) the engine reads. */
export interface DeviceFacts {
  mac?: string | null;
  mac_vendor?: string | null;
  ips?: readonly { ip: string }[];
  services?: readonly { transport: string; port: number }[];
  hostnames?: readonly { name: string }[];
  evidence?: Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>>;
  /** Objects (DICOM instances) it sent or received, with who sent them first (store/instances.ts). */
  instances?: readonly InstanceInvolvement[];
}

/** Facts of a stored device: its evidence flattened to `protocol.field` paths. */
export function factsFromDevice(device: DeviceFacts): Map<string, unknown[]> {
  const facts = new Map<string, unknown[]>();
  if (device.mac) facts.set('mac', [device.mac.toLowerCase()]);
  if (device.mac_vendor) facts.set('mac_vendor', [device.mac_vendor]);
  if (device.ips?.length) facts.set('ip', device.ips.map((a) => a.ip));
  if (device.services?.length) facts.set('service', device.services.map((s) => `${s.transport}/${s.port}`));
  if (device.hostnames?.length) facts.set('hostname', [...new Set(device.hostnames.map((h) => h.name))]);
  const protocols: string[] = [];
  for (const [protocol, fields] of Object.entries(device.evidence ?? {})) {
    for (const [field, values] of Object.entries(fields)) {
      if (values.length) facts.set(`${protocol}.${field}`, [...values]);
    }
    if (Object.values(fields).some((v) => v.length)) protocols.push(protocol);
  }
  if (protocols.length) facts.set('protocol', protocols);
  // Derived from the order of instance sightings: see dicom-images.ts.
  const roles = imageRoles(device.instances ?? []);
  if (roles.length) facts.set('dicom.image_role', roles);
  return facts;
}

/**
 * Facts of a signature example: keys are paths (or the aliases `services`, `hostnames`, `ips`), a
 * value is one observed value or a list of observed values; a list inside the list is one value
 * that is itself a list (`lldp.capabilities_enabled: [[bridge, router]]`).
 */
export function factsFromExample(evidence: Readonly<Record<string, unknown>>): Map<string, unknown[]> {
  const facts = new Map<string, unknown[]>();
  for (const [key, raw] of Object.entries(evidence)) {
    const path = EXAMPLE_ALIASES[key] ?? key;
    const values = Array.isArray(raw) ? [...(raw as unknown[])] : [raw];
    const normalised = path === 'mac' ? values.map((v) => String(v).toLowerCase()) : values;
    facts.set(path, [...(facts.get(path) ?? []), ...normalised]);
  }
  const protocols = new Set((facts.get('protocol') ?? []).map(String));
  for (const path of facts.keys()) if (path.includes('.')) protocols.add(path.slice(0, path.indexOf('.')));
  if (protocols.size) facts.set('protocol', [...protocols]);
  return facts;
}

/** Canonical path for an example evidence key. */
export function examplePath(key: string): string {
  return EXAMPLE_ALIASES[key] ?? key;
}
