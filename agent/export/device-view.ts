/**
 * The few values of a device that every single-valued SIEM field wants: one IPv4, one IPv6, one host
 * name. A device has several of each; the most recently seen wins (ties: the first listed).
 */
import type { Device } from '../store/device-json.js';

/** The most recently seen address of that IP version, or null. */
export function primaryIp(d: Device, version: 4 | 6): string | null {
  let best: Device['ips'][number] | null = null;
  for (const a of d.ips) if (a.version === version && (best === null || a.last_seen > best.last_seen)) best = a;
  return best === null ? null : best.ip;
}

/** The address a single-valued "source address" field gets: the primary IPv4, else IPv6. */
export function primaryAnyIp(d: Device): string | null {
  return primaryIp(d, 4) ?? primaryIp(d, 6);
}

/** The most recently seen host name, or null. */
export function primaryHostname(d: Device): string | null {
  let best: Device['hostnames'][number] | null = null;
  for (const h of d.hostnames) if (best === null || h.last_seen > best.last_seen) best = h;
  return best === null ? null : best.name;
}

/** Distinct host names in the device's order. */
export function hostnameList(d: Device): string[] {
  if (d.hostnames.length < 2) return d.hostnames.map((h) => h.name);
  return [...new Set(d.hostnames.map((h) => h.name))];
}

/** Every address, in the device's order. */
export function ipList(d: Device): string[] {
  return d.ips.map((a) => a.ip);
}

/** Milliseconds since the epoch of an ISO 8601 time (CEF rt/start/end, LEEF devTime). */
export function epochMs(iso: string): number {
  return Date.parse(iso);
}
