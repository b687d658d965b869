/**
 * The device read model: device lists with filters and keyset pagination, one device with its peers,
 * its observations. What the API and the CLI show (through StoreReader, reader.ts).
 */
import type { Classification } from '../identify/index.js';
import type { Device, DeviceDetail, DeviceObservation, Peer } from './device-json.js';
import { CLINICAL_TLS_PORTS, clinicalBlock, type EncryptedRange } from './clinical.js';
import { foldObservations, iso, type ObservationRow } from './evidence-fold.js';
import type { Statements } from './statements.js';

export interface DeviceFilter {
  /** Exact MAC (any case/separator already normalised to aa:bb:cc:dd:ee:ff). */
  mac?: string;
  /** Devices that used this address. */
  ip?: string;
  /** Case-insensitive substring of the identified vendor or of the MAC vendor. */
  vendor?: string;
  /** Category id (fingerprints/categories.yaml), exact. */
  category?: string;
  /** Only devices identified as medical (true) or not (false). */
  medical?: boolean;
  /** Devices seen at or after this time (ms). */
  seenSinceMs?: number;
  /** Return devices with id greater than this (keyset pagination). */
  afterId?: number;
  limit?: number;
}

interface DeviceRow {
  id: number;
  mac: string | null;
  routed_ip: string | null;
  mac_vendor: string | null;
  mac_locally_administered: number;
  is_router: number;
  first_seen: number;
  last_seen: number;
  packets_sent: number;
  bytes_sent: number;
  packets_received: number;
  bytes_received: number;
  /** classifications.result (JSON) of the joined row, null when not classified. */
  classification: string | null;
}

/** The identification fields of the device object, from the stored classification. */
function identity(json: string | null): Pick<Device, 'vendor' | 'model' | 'category' | 'criticality' | 'os' | 'firmware' | 'confidence' | 'medical' | 'classification'> {
  if (json === null) {
    return { vendor: null, model: null, category: 'unknown', criticality: null, os: null, firmware: null, confidence: 0, medical: false, classification: null };
  }
  const c = JSON.parse(json) as Classification;
  return {
    vendor: c.vendor.value, model: c.model.value, category: c.category.value ?? 'unknown', criticality: c.criticality,
    os: c.os.value, firmware: c.firmware.value, confidence: c.confidence, medical: c.medical, classification: c as unknown as Record<string, unknown>,
  };
}

export class DeviceQuery {
  constructor(private readonly statements: Statements) {}

  private stmt(sql: string) {
    return this.statements.get(sql);
  }

  list(f: DeviceFilter): { items: Device[]; nextAfterId: number | null } {
    const where: string[] = ['d.id > @afterId'];
    if (f.mac !== undefined) where.push('d.mac = @mac');
    if (f.ip !== undefined) where.push('d.id IN (SELECT device_id FROM device_ips WHERE ip = @ip)');
    if (f.vendor !== undefined) {
      where.push("(d.mac_vendor LIKE '%' || @vendor || '%' ESCAPE '\\' OR c.vendor LIKE '%' || @vendor || '%' ESCAPE '\\')");
    }
    if (f.category !== undefined) where.push('c.category = @category');
    if (f.medical !== undefined) where.push(f.medical ? 'c.medical = 1' : '(c.medical IS NULL OR c.medical = 0)');
    if (f.seenSinceMs !== undefined) where.push('d.last_seen >= @seenSince');
    const limit = Math.max(1, Math.min(f.limit ?? 100, 1000));
    const rows = this
      .stmt(
        `SELECT d.*, c.result AS classification FROM devices d LEFT JOIN classifications c ON c.device_id = d.id
         WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT @limitPlusOne`,
      )
      .all({
        afterId: f.afterId ?? 0,
        mac: f.mac,
        ip: f.ip,
        vendor: f.vendor?.replace(/[\\%_]/g, (c) => `\\${c}`),
        seenSince: f.seenSinceMs,
        category: f.category,
        limitPlusOne: limit + 1,
      }) as DeviceRow[];
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map((r) => this.toDevice(r)), nextAfterId: more ? page[page.length - 1].id : null };
  }

  /** Every device, in id order, for exports. */
  *all(f: Omit<DeviceFilter, 'afterId' | 'limit'> = {}): Generator<Device> {
    let afterId = 0;
    for (;;) {
      const { items, nextAfterId } = this.list({ ...f, afterId, limit: 1000 });
      yield* items;
      if (nextAfterId === null) return;
      afterId = nextAfterId;
    }
  }

  get(id: number): DeviceDetail | null {
    const d = this.device(id);
    return d === null ? null : { ...d, peers: this.peers(id) };
  }

  /** One device without its peers. */
  device(id: number): Device | null {
    const row = this
      .stmt('SELECT d.*, c.result AS classification FROM devices d LEFT JOIN classifications c ON c.device_id = d.id WHERE d.id = ?')
      .get(id) as DeviceRow | undefined;
    return row ? this.toDevice(row) : null;
  }

  /** Device ids matching a MAC, an IP address it used, or an id (for `auscult explain`). */
  find(key: string): number[] {
    if (/^\d+$/.test(key)) return this.stmt('SELECT id FROM devices WHERE id = ?').pluck().all(Number(key)) as number[];
    const mac = key.toLowerCase().replace(/-/g, ':');
    const byMac = this.stmt('SELECT id FROM devices WHERE mac = ?').pluck().all(mac) as number[];
    if (byMac.length) return byMac;
    return this
      .stmt('SELECT id FROM devices WHERE routed_ip = ? UNION SELECT device_id FROM device_ips WHERE ip = ? ORDER BY 1')
      .pluck()
      .all(key, key) as number[];
  }

  /** Category ids that classified devices have (a user library may add categories the built-in one lacks). */
  categories(): string[] {
    return this.stmt('SELECT DISTINCT category FROM classifications ORDER BY 1').pluck().all() as string[];
  }

  /** The evidence behind a device, newest first. */
  observations(id: number): DeviceObservation[] | null {
    if (this.stmt('SELECT 1 FROM devices WHERE id = ?').get(id) === undefined) return null;
    return this.observationRows(id).map((o) => ({
      source: o.source, fields: JSON.parse(o.fields) as Record<string, unknown>,
      first_seen: iso(o.first_seen), last_seen: iso(o.last_seen), count: o.count,
    }));
  }

  private observationRows(id: number): ObservationRow[] {
    return this
      .stmt('SELECT source, fields, first_seen, last_seen, count FROM observations WHERE device_id = ? ORDER BY last_seen DESC, source, fields')
      .all(id) as ObservationRow[];
  }

  /** Host names and per-protocol facts, folded from the observations (and the clinical block). */
  private evidence(id: number): Pick<Device, 'hostnames' | 'evidence' | 'clinical'> {
    const { hostnames, evidence, parsed } = foldObservations(this.observationRows(id), true);
    const encrypted = new Map<string, EncryptedRange>();
    for (const { source, protocol, port } of CLINICAL_TLS_PORTS) {
      const range = this.encryptedConversations(id, source, port, source in evidence);
      if (range !== null) encrypted.set(protocol, range);
    }
    return { hostnames, evidence, clinical: clinicalBlock(parsed, encrypted) };
  }

  /**
   * First and last encrypted conversation of a clinical protocol (`source`) of the device, as client
   * or server: on the protocol's own TLS port (DICOM: dicom-tls), or TLS on any port with a peer that
   * it (and which) also spoke the protocol in clear with elsewhere (known peers).
   */
  private encryptedConversations(id: number, source: string, port: number, speaksIt: boolean): EncryptedRange | null {
    const r = this
      .stmt(
        `SELECT min(f) AS f, max(l) AS l FROM (
           SELECT first_seen AS f, last_seen AS l, server_device_id AS peer, port, tls FROM edges
             WHERE client_device_id = @id AND transport = 'tcp'
           UNION ALL
           SELECT first_seen, last_seen, client_device_id, port, tls FROM edges
             WHERE server_device_id = @id AND transport = 'tcp')
         WHERE port = @port
            OR (@speaksIt = 1 AND tls = 1 AND EXISTS (SELECT 1 FROM observations o WHERE o.device_id = peer AND o.source = @source))`,
      )
      .get({ id, port, speaksIt: speaksIt ? 1 : 0, source }) as { f: number | null; l: number | null };
    return r.f === null || r.l === null ? null : { first_seen: iso(r.f), last_seen: iso(r.l) };
  }

  private toDevice(r: DeviceRow): Device {
    const ips = this
      .stmt(
        `SELECT ip, version, seen_arp, seen_dhcp, seen_traffic, dhcp_lease_seconds, first_seen, last_seen
         FROM device_ips WHERE device_id = ? ORDER BY first_seen, ip`,
      )
      .all(r.id) as {
        ip: string; version: 4 | 6; seen_arp: number; seen_dhcp: number; seen_traffic: number;
        dhcp_lease_seconds: number | null; first_seen: number; last_seen: number;
      }[];
    const vlans = this.stmt('SELECT vlan FROM device_vlans WHERE device_id = ? ORDER BY vlan').pluck().all(r.id) as number[];
    const services = this
      .stmt('SELECT transport, port, flows, first_seen, last_seen FROM services WHERE device_id = ? ORDER BY transport, port')
      .all(r.id) as { transport: string; port: number; flows: number; first_seen: number; last_seen: number }[];
    return {
      id: r.id,
      mac: r.mac,
      mac_vendor: r.mac_vendor,
      mac_locally_administered: r.mac_locally_administered === 1,
      kind: r.mac !== null ? 'layer2' : 'routed',
      is_router: r.is_router === 1,
      ips: ips.map((a) => ({
        ip: a.ip,
        version: a.version,
        sources: [
          ...(a.seen_arp ? (['arp'] as const) : []),
          ...(a.seen_dhcp ? (['dhcp'] as const) : []),
          ...(a.seen_traffic ? (['traffic'] as const) : []),
        ],
        dhcp_lease_seconds: a.dhcp_lease_seconds,
        first_seen: iso(a.first_seen),
        last_seen: iso(a.last_seen),
      })),
      vlans,
      first_seen: iso(r.first_seen),
      last_seen: iso(r.last_seen),
      packets: r.packets_sent + r.packets_received,
      bytes: r.bytes_sent + r.bytes_received,
      packets_sent: r.packets_sent,
      bytes_sent: r.bytes_sent,
      packets_received: r.packets_received,
      bytes_received: r.bytes_received,
      services: services.map((s) => ({ ...s, first_seen: iso(s.first_seen), last_seen: iso(s.last_seen) })),
      ...this.evidence(r.id),
      ...identity(r.classification),
    };
  }

  private peers(id: number): Peer[] {
    const rows = this
      .stmt(
        `SELECT 'client' AS role, client_ip AS local_ip, server_ip AS peer_ip, server_device_id AS peer_id,
                transport, port, flows, packets_to_server AS ps, bytes_to_server AS bs,
                packets_to_client AS pr, bytes_to_client AS br, first_seen, last_seen, tls
         FROM edges WHERE client_device_id = @id
         UNION ALL
         SELECT 'server', server_ip, client_ip, client_device_id, transport, port, flows,
                packets_to_client, bytes_to_client, packets_to_server, bytes_to_server, first_seen, last_seen, tls
         FROM edges WHERE server_device_id = @id
         ORDER BY first_seen, peer_ip, port`,
      )
      .all({ id }) as {
        role: 'client' | 'server'; local_ip: string; peer_ip: string; peer_id: number; transport: string; port: number;
        flows: number; ps: number; bs: number; pr: number; br: number; first_seen: number; last_seen: number; tls: number;
      }[];
    return rows.map((p) => ({
      role: p.role,
      local_ip: p.local_ip,
      peer_ip: p.peer_ip,
      peer_device_id: p.peer_id === 0 ? null : p.peer_id,
      transport: p.transport,
      port: p.port,
      flows: p.flows,
      packets_sent: p.ps,
      bytes_sent: p.bs,
      packets_received: p.pr,
      bytes_received: p.br,
      tls: p.tls === 1,
      first_seen: iso(p.first_seen),
      last_seen: iso(p.last_seen),
    }));
  }
}
