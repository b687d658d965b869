/**
 * What identification reads of the stored inventory: each device's facts (agent/identify DeviceFacts)
 * and its stored classification. Read one device at a time during a capture's flushes, or a whole
 * capture's devices in a few table scans at the end of a file read.
 */
import type { Device } from './device-json.js';
import { foldObservations, type ObservationRow } from './evidence-fold.js';
import type { InstanceInvolvement } from '../identify/dicom-images.js';
import { InstanceInvolvements } from './instances.js';
import type { Statements } from './statements.js';
import { isDerivedOnly } from './device-query.js';

/** The identification engine's view of a stored device. */
export type DeviceFactsRow = Pick<Device, 'mac' | 'mac_vendor' | 'hostnames' | 'evidence'> & {
  ips: { ip: string }[];
  services: { transport: string; port: number }[];
  /** Nothing beyond its MAC, vendor and addresses: no evidence, no service. */
  bare: boolean;
  /** Objects (DICOM instances) it sent or received, when any (store/instances.ts). */
  instances?: InstanceInvolvement[];
  /** Known only from another device's message, never seen on the wire (device kind `derived`). */
  derived: { protocol: string; field: string; fromDevice: number | null } | null;
};

interface DeviceRow {
  mac: string | null;
  mac_vendor: string | null;
  packets_sent: number;
  derived_protocol: string | null;
  derived_field: string | null;
  derived_from_device_id: number | null;
}

const DEVICE_COLUMNS = 'mac, mac_vendor, packets_sent, derived_protocol, derived_field, derived_from_device_id';

function factsRow(
  row: DeviceRow,
  ips: { ip: string }[],
  services: { transport: string; port: number }[],
  observations: readonly ObservationRow[],
): DeviceFactsRow {
  const { hostnames, evidence } = foldObservations(observations, false);
  const bare = services.length === 0 && Object.keys(evidence).length === 0;
  const derived = isDerivedOnly(row) ? { protocol: row.derived_protocol!, field: row.derived_field ?? '', fromDevice: row.derived_from_device_id } : null;
  return { mac: row.mac, mac_vendor: row.mac_vendor, ips, services, hostnames, evidence, bare, derived };
}

export class FactsQuery {
  private readonly instances: InstanceInvolvements;

  constructor(private readonly stmt: Statements) {
    this.instances = new InstanceInvolvements(stmt);
  }

  /** The row with the device's instance sightings, if it has any. */
  private withInstances(id: number, row: DeviceFactsRow): DeviceFactsRow {
    const instances = this.instances.of(id);
    if (instances.length > 0) {
      row.instances = instances;
      row.bare = false;
    }
    return row;
  }

  /** What the identification engine reads about a device, without the rest of the device object. */
  facts(id: number): DeviceFactsRow | null {
    const row = this.stmt.get(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(id) as DeviceRow | undefined;
    if (row === undefined) return null;
    const ips = this.stmt.get('SELECT ip FROM device_ips WHERE device_id = ? ORDER BY first_seen, ip').all(id) as { ip: string }[];
    const services = this.stmt.get('SELECT transport, port FROM services WHERE device_id = ? ORDER BY transport, port').all(id) as { transport: string; port: number }[];
    const observations = this.stmt
      .get('SELECT source, fields, first_seen, last_seen, count FROM observations WHERE device_id = ? ORDER BY last_seen DESC, source, fields')
      .all(id) as ObservationRow[];
    return this.withInstances(id, factsRow(row, ips, services, observations));
  }

  /**
   * `facts()` of the wanted devices among ids `fromId`..`toId` (absent ids are left out): four range scans
   * instead of four lookups per device. Identification reads a large set of devices this way, one bounded
   * batch of ids at a time, so memory holds one batch's rows, never a whole capture's.
   */
  factsRange(fromId: number, toId: number, wanted: (id: number) => boolean): Map<number, DeviceFactsRow> {
    const group = <T extends { device_id: number }>(sql: string): Map<number, T[]> => {
      const by = new Map<number, T[]>();
      for (const r of this.stmt.get(sql).iterate(fromId, toId) as IterableIterator<T>) {
        if (!wanted(r.device_id)) continue;
        let list = by.get(r.device_id);
        if (list === undefined) by.set(r.device_id, (list = []));
        list.push(r);
      }
      return by;
    };
    const ips = group<{ device_id: number; ip: string }>(
      'SELECT device_id, ip FROM device_ips WHERE device_id BETWEEN ? AND ? ORDER BY device_id, first_seen, ip',
    );
    const services = group<{ device_id: number; transport: string; port: number }>(
      'SELECT device_id, transport, port FROM services WHERE device_id BETWEEN ? AND ? ORDER BY device_id, transport, port',
    );
    const observations = group<ObservationRow & { device_id: number }>(
      'SELECT device_id, source, fields, first_seen, last_seen, count FROM observations WHERE device_id BETWEEN ? AND ? ' +
        'ORDER BY device_id, last_seen DESC, source, fields',
    );
    const out = new Map<number, DeviceFactsRow>();
    const involved = this.instances.devices(fromId, toId);
    const devices = this.stmt.get(`SELECT id, ${DEVICE_COLUMNS} FROM devices WHERE id BETWEEN ? AND ? ORDER BY id`)
      .iterate(fromId, toId) as IterableIterator<DeviceRow & { id: number }>;
    for (const d of devices) {
      if (!wanted(d.id)) continue;
      const addresses = (ips.get(d.id) ?? []).map((r) => ({ ip: r.ip }));
      const ports = (services.get(d.id) ?? []).map((r) => ({ transport: r.transport, port: r.port }));
      const row = factsRow(d, addresses, ports, observations.get(d.id) ?? []);
      out.set(d.id, involved.has(d.id) ? this.withInstances(d.id, row) : row);
    }
    return out;
  }

  /** Up to `limit` device ids above `afterId`, in order (every device, a page at a time). */
  deviceIdsAfter(afterId: number, limit: number): number[] {
    return this.stmt.get('SELECT id FROM devices WHERE id > ? ORDER BY id LIMIT ?').pluck().all(afterId, limit) as number[];
  }

  /** Every device id, in order. */
  deviceIds(): number[] {
    return this.stmt.get('SELECT id FROM devices ORDER BY id').pluck().all() as number[];
  }

  /** The highest device id (about the number of devices: ids are never reused), 0 when none. */
  maxDeviceId(): number {
    return (this.stmt.get('SELECT max(id) FROM devices').pluck().get() as number | null) ?? 0;
  }

  /** Devices whose stored classification was made with another library version, in id order. */
  classifiedWithOtherLibrary(libraryVersion: string): number[] {
    return this.stmt.get('SELECT device_id FROM classifications WHERE library_version != ? ORDER BY device_id').pluck().all(libraryVersion) as number[];
  }

  /** The last stored classification result (JSON) of a device, if any. */
  classificationJson(deviceId: number): string | null {
    const row = this.stmt.get('SELECT result FROM classifications WHERE device_id = ?').get(deviceId) as { result: string } | undefined;
    return row?.result ?? null;
  }

  /** Stored classification results (JSON) of devices `fromId`..`toId`, by device id. */
  classificationJsonsRange(fromId: number, toId: number): Map<number, string> {
    const out = new Map<number, string>();
    const rows = this.stmt.get('SELECT device_id, result FROM classifications WHERE device_id BETWEEN ? AND ?')
      .iterate(fromId, toId) as IterableIterator<{ device_id: number; result: string }>;
    for (const r of rows) out.set(r.device_id, r.result);
    return out;
  }
}
