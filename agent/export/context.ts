/**
 * What every export record says about its producer: the product and the sensor that saw the traffic.
 * The sensor identity is a small config value: the machine's host name by default, an option later.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../config.js';

export interface SensorIdentity {
  /** Host name of the sensor (CEF dvchost, ECS observer.hostname, syslog HOSTNAME). */
  hostname: string;
  /** Stable sensor id (CEF deviceExternalId, LEEF/ECS observer id); the host name unless configured. */
  id: string;
}

export interface ExportContext {
  sensor: SensorIdentity;
  /** auscult's version (CEF/LEEF header, OCSF metadata.product.version, ECS observer.version). */
  productVersion: string;
}

let version: string | null = null;
/** auscult's version, from package.json (read once). */
export function productVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** The default context: this machine's host name as sensor name and id. */
export function exportContext(sensor: Partial<SensorIdentity> = {}): ExportContext {
  const name = sensor.hostname ?? hostname();
  return { sensor: { hostname: name, id: sensor.id ?? name }, productVersion: productVersion() };
}

/** Vendor and product names in every header (CEF, LEEF, OCSF metadata.product, ECS observer). */
export const PRODUCT = { vendor: 'auscult', product: 'auscult' } as const;
