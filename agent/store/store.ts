/**
 * The inventory's writer (SQL lives in agent/store/ only). better-sqlite3 in WAL mode: readers (API,
 * CLI) never block the writer; writes come in batches, one transaction per flush, so a killed process
 * leaves the database as of its last completed flush. What it reads beyond its own upserts goes
 * through `reader` (StoreReader), the same read-only interface every other reader has.
 */
import { hash as oneShotHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChangeLog, type ChangeLogOptions } from './change-log.js';
import { IdSet } from './id-set.js';
import { IngestLog } from './ingests.js';
import { InstanceSightings } from './instances.js';
import { deviceMerger } from './merge.js';
import type { BindingProtocol, ConversationProtocol } from '../dissectors/types.js';
import { openDatabase } from './database.js';
import { StoreReader } from './reader.js';
import { EventLog } from './events.js';
import { EventRetention, type EventRetentionOptions, type RetentionPass } from './event-retention.js';
import { writeCaptureCounters, type CaptureCounters } from './capture-counters.js';
import type { DeviceSubject, InventoryChanges } from './changes.js';
import type { IdentityChange } from '../export/event.js';
import { addressScope } from '../decode/address-scope.js';
import { FindingsWriter } from './findings.js';
import { PlannerStats } from './planner-stats.js';
import { CLINICAL_TLS_PORTS } from './clinical.js';

/**
 * Sources whose evidence on a device makes its TLS conversations its peers' encrypted clinical ones
 * (DeviceQuery.encryptedConversations: "known peers"): a row of one created or removed changes the
 * peers' texts.
 */
const PEER_CLINICAL_SOURCES: ReadonlySet<string> = new Set(CLINICAL_TLS_PORTS.map((c) => c.source));

type Db = Database.Database;
type Stmt = Database.Statement;

/** An address some protocol bound to the device (ARP, NDP, DHCP, DHCPv6, LLDP, CDP), not only traffic. */
const BOUND = '(seen_arp = 1 OR seen_ndp = 1 OR seen_dhcp = 1 OR seen_dhcpv6 = 1 OR seen_lldp = 1 OR seen_cdp = 1)';

export interface TrafficCounters {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

/**
 * How an address can become known for a device: ARP, a dissector's binding (DHCP/DHCPv6 assigned it,
 * LLDP/CDP: the device reported it), or traffic it sourced.
 */
export type AddressSource = 'arp' | 'ndp' | BindingProtocol | 'traffic';

/** How an address became known for a device (each source true when it bound the address), and the lease. */
export type AddressEvidence = { [S in AddressSource]?: boolean } & {
  /** How long the last binding holds, seconds (a DHCP lease). */
  leaseSeconds?: number;
};

export interface EdgeDelta extends TrafficCounters {
  clientDeviceId: number;
  serverDeviceId: number;
  clientIp: string;
  serverIp: string;
  transport: string;
  port: number;
  flows: number;
}

/** One device's classification as stored (see migration 3). */
export interface StoredClassification {
  deviceId: number;
  vendor: string | null;
  model: string | null;
  category: string;
  criticality: string | null;
  os: string | null;
  firmware: string | null;
  medical: boolean;
  confidence: number;
  /** The engine's whole result, JSON in ASCII only (jsonAscii: spliced into API answers as it is). */
  result: string;
  libraryVersion: string;
  classifiedAt: number;
}

/** The identification fields whose change is an event (device.identity_changed). */
export type IdentityFields = Pick<StoredClassification, IdentityChange['field']>;
const IDENTITY_FIELDS: readonly IdentityChange['field'][] = ['vendor', 'model', 'category', 'os', 'firmware'];

function identityChanges(before: IdentityFields, after: IdentityFields): IdentityChange[] {
  const out: IdentityChange[] = [];
  for (const field of IDENTITY_FIELDS) {
    if ((before[field] ?? null) !== (after[field] ?? null)) out.push({ field, before: before[field] ?? null, after: after[field] ?? null });
  }
  return out;
}

export type StoreOptions = ChangeLogOptions & EventRetentionOptions;

/** Write access to the inventory. */
export class Store {
  private readonly db: Db;
  /** Capture runs: start, progress, end, file fingerprints. */
  readonly ingests: IngestLog;
  /** The events table: append in the flush's transaction (see store/events.ts). */
  readonly events: EventLog;
  private readonly s: Record<string, Stmt>;
  private readonly mergeDevice: (from: number, into: number, seq: number) => void;
  /** The change feed's sequence: every device written is stamped when the transaction ends. */
  private readonly changeLog: ChangeLog;
  /** The planner's statistics of what the device list filters on (planner-stats.ts). */
  private readonly plannerStats: PlannerStats;
  /** Devices given traffic by this Store (this process's run), for the summary's "known" devices. */
  private readonly seen = new IdSet();
  /** Reads on the writer's connection (identification reads what the last flush wrote). */
  readonly reader: StoreReader;
  /** Told of rows new to the database (the events stage); null: nobody listens. */
  changes: InventoryChanges | null = null;
  /** The statement marking an edge, per conversation protocol (its column in `edges`). */
  private readonly conversationMarks: Record<ConversationProtocol, Stmt>;
  private readonly instances: InstanceSightings;
  /** Findings and risk blocks (the findings engine writes them after identification). */
  readonly findings: FindingsWriter;
  /** Events past their retention, deleted as flushes commit (counted for destinations that lacked them). */
  private readonly retention: EventRetention;

  constructor(path: string, opts: StoreOptions = {}) {
    this.db = openDatabase(path);
    this.instances = new InstanceSightings(this.db);
    this.changeLog = new ChangeLog(this.db, opts);
    this.plannerStats = new PlannerStats(this.db);
    this.ingests = new IngestLog(this.db);
    this.events = new EventLog(this.db);
    this.retention = new EventRetention(this.db, this.events, opts);
    this.findings = new FindingsWriter(this.db, (id) => this.changeLog.touch(id));
    this.mergeDevice = deviceMerger(this.db);
    this.reader = new StoreReader(this.db);
    // A database migrated from 17 has no stored texts: readers build them live until they are there.
    this.changeLog.texts.backfill();
    const p = (sql: string): Stmt => this.db.prepare(sql);
    this.s = {
      macDevice: p('SELECT id FROM devices WHERE mac = ?'),
      insertMacDevice: p(
        `INSERT INTO devices (mac, mac_vendor, mac_locally_administered, first_seen, last_seen)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      ipDevice: p('SELECT id FROM devices WHERE routed_ip = ?'),
      insertIpDevice: p('INSERT INTO devices (routed_ip, first_seen, last_seen) VALUES (?, ?, ?)'),
      insertIpDeviceWithTraffic: p(
        `INSERT INTO devices (routed_ip, first_seen, last_seen, packets_sent, bytes_sent, packets_received, bytes_received)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      routers: p('SELECT mac FROM devices WHERE is_router = 1 AND mac IS NOT NULL'),
      setRouter: p('UPDATE devices SET is_router = 1 WHERE id = ?'),
      addTraffic: p(
        `UPDATE devices SET packets_sent = packets_sent + ?, bytes_sent = bytes_sent + ?,
           packets_received = packets_received + ?, bytes_received = bytes_received + ?,
           first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?`,
      ),
      subTraffic: p(
        `UPDATE devices SET packets_sent = packets_sent - ?, bytes_sent = bytes_sent - ?,
           packets_received = packets_received - ?, bytes_received = bytes_received - ? WHERE id = ?`,
      ),
      upsertIp: p(
        `INSERT INTO device_ips (device_id, ip, version, seen_arp, seen_ndp, seen_dhcp, seen_dhcpv6, seen_lldp, seen_cdp, seen_traffic,
           dhcp_lease_seconds, first_seen, last_seen, packets_sent, bytes_sent, packets_received, bytes_received)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, ip) DO UPDATE SET
           seen_arp = max(seen_arp, excluded.seen_arp), seen_ndp = max(seen_ndp, excluded.seen_ndp), seen_dhcp = max(seen_dhcp, excluded.seen_dhcp),
           seen_dhcpv6 = max(seen_dhcpv6, excluded.seen_dhcpv6), seen_lldp = max(seen_lldp, excluded.seen_lldp),
           seen_cdp = max(seen_cdp, excluded.seen_cdp), seen_traffic = max(seen_traffic, excluded.seen_traffic),
           dhcp_lease_seconds = coalesce(excluded.dhcp_lease_seconds, dhcp_lease_seconds),
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
           packets_sent = packets_sent + excluded.packets_sent, bytes_sent = bytes_sent + excluded.bytes_sent,
           packets_received = packets_received + excluded.packets_received,
           bytes_received = bytes_received + excluded.bytes_received`,
      ),
      authoritative: p(
        `SELECT 1 FROM device_ips WHERE device_id = ? AND ip = ? AND ${BOUND}`,
      ),
      trafficOnlyIps: p(
        `SELECT ip, version, first_seen, last_seen, packets_sent, bytes_sent, packets_received, bytes_received
         FROM device_ips WHERE device_id = ? AND NOT ${BOUND}`,
      ),
      deleteIp: p('DELETE FROM device_ips WHERE device_id = ? AND ip = ?'),
      lessObservation: p(
        'UPDATE observations SET count = count - ? WHERE device_id = ? AND source = ? AND fields_hash = ? RETURNING count',
      ),
      deleteObservation: p('DELETE FROM observations WHERE device_id = ? AND source = ? AND fields_hash = ?'),
      lessService: p('UPDATE services SET flows = flows - ? WHERE device_id = ? AND transport = ? AND port = ? RETURNING flows'),
      deleteService: p('DELETE FROM services WHERE device_id = ? AND transport = ? AND port = ?'),
      ...Object.fromEntries((['client', 'server'] as const).flatMap((side) => {
        const other = side === 'client' ? 'server' : 'client';
        return [
          [`moveEdges_${side}`, p(
            `INSERT INTO edges (${side}_device_id, ${other}_device_id, client_ip, server_ip, transport, port, flows,
               packets_to_server, bytes_to_server, packets_to_client, bytes_to_client, first_seen, last_seen, tls)
             SELECT @into, ${other}_device_id, client_ip, server_ip, transport, port, flows,
               packets_to_server, bytes_to_server, packets_to_client, bytes_to_client, first_seen, last_seen, tls
             FROM edges WHERE ${side}_device_id = @from AND ${side}_ip = @ip
             ON CONFLICT (client_device_id, server_device_id, client_ip, server_ip, transport, port) DO UPDATE SET
               flows = flows + excluded.flows,
               packets_to_server = packets_to_server + excluded.packets_to_server, bytes_to_server = bytes_to_server + excluded.bytes_to_server,
               packets_to_client = packets_to_client + excluded.packets_to_client, bytes_to_client = bytes_to_client + excluded.bytes_to_client,
               first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), tls = max(tls, excluded.tls)`,
          )],
          [`deleteEdges_${side}`, p(`DELETE FROM edges WHERE ${side}_device_id = @from AND ${side}_ip = @ip`)],
        ];
      })),
      boundIps: p(`SELECT ip FROM device_ips WHERE device_id = ? AND ${BOUND}`).pluck(),
      otherSourcingMacs: p(
        `SELECT d.mac FROM device_ips i JOIN devices d ON d.id = i.device_id
         WHERE i.ip = ? AND i.device_id != ? AND d.mac IS NOT NULL AND i.seen_traffic = 1 AND NOT ${BOUND.replace(/seen_/g, 'i.seen_')}`,
      ).pluck(),
      markDerived: p(
        `UPDATE devices SET derived_from_device_id = ?, derived_protocol = ?, derived_field = ?, derived_message_type = ?
         WHERE id = ? AND derived_protocol IS NULL`,
      ),
      holder: p('SELECT device_id FROM device_ips WHERE ip = ? ORDER BY last_seen DESC LIMIT 1'),
      upsertVlan: p(
        `INSERT INTO device_vlans (device_id, vlan, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (device_id, vlan) DO UPDATE SET
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
      ),
      upsertService: p(
        `INSERT INTO services (device_id, transport, port, flows, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, transport, port) DO UPDATE SET flows = flows + excluded.flows,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
         RETURNING flows`,
      ),
      upsertEdge: p(
        `INSERT INTO edges (client_device_id, server_device_id, client_ip, server_ip, transport, port, flows,
           packets_to_server, bytes_to_server, packets_to_client, bytes_to_client, first_seen, last_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_device_id, server_device_id, client_ip, server_ip, transport, port) DO UPDATE SET
           flows = flows + excluded.flows,
           packets_to_server = packets_to_server + excluded.packets_to_server,
           bytes_to_server = bytes_to_server + excluded.bytes_to_server,
           packets_to_client = packets_to_client + excluded.packets_to_client,
           bytes_to_client = bytes_to_client + excluded.bytes_to_client,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
         RETURNING flows`,
      ),
      upsertObservation: p(
        `INSERT INTO observations (device_id, source, fields_hash, fields, first_seen, last_seen, count)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, source, fields_hash) DO UPDATE SET count = count + excluded.count,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
         RETURNING count`,
      ),
      upsertClassification: p(
        `INSERT INTO classifications (device_id, vendor, model, category, criticality, os, firmware, medical,
           confidence, result, library_version, classified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET vendor = excluded.vendor, model = excluded.model,
           category = excluded.category, criticality = excluded.criticality, os = excluded.os,
           firmware = excluded.firmware, medical = excluded.medical, confidence = excluded.confidence,
           result = excluded.result, library_version = excluded.library_version, classified_at = excluded.classified_at`,
      ),
      markTls: p(
        `UPDATE edges SET tls = 1 WHERE client_ip = ? AND server_ip = ? AND port = ? AND transport = 'tcp' AND tls = 0
         RETURNING client_device_id, server_device_id`,
      ),
      // The other ends of a device's TLS conversations (their clinical block reads this device's evidence).
      tlsPeers: p(
        `SELECT server_device_id FROM edges WHERE client_device_id = @id AND tls = 1 AND server_device_id != 0
         UNION SELECT client_device_id FROM edges WHERE server_device_id = @id AND tls = 1 AND client_device_id != 0`,
      ).pluck(),
      // What a device folded into another changes beside the two (merge.ts): the devices derived from it,
      // the other ends of its conversations (now with `into`'s evidence) and of `into`'s TLS ones.
      mergeNeighbours: p(
        `SELECT id FROM devices WHERE derived_from_device_id = @from
         UNION SELECT server_device_id FROM edges WHERE client_device_id = @from AND server_device_id != 0
         UNION SELECT client_device_id FROM edges WHERE server_device_id = @from AND client_device_id != 0
         UNION SELECT server_device_id FROM edges WHERE client_device_id = @into AND tls = 1 AND server_device_id != 0
         UNION SELECT client_device_id FROM edges WHERE server_device_id = @into AND tls = 1 AND client_device_id != 0`,
      ).pluck(),
      // The other ends of a router's conversations from `ip`, which move to that address's own device.
      movedEdgePeers: p(
        `SELECT server_device_id FROM edges WHERE client_device_id = @id AND client_ip = @ip AND server_device_id != 0
         UNION SELECT client_device_id FROM edges WHERE server_device_id = @id AND server_ip = @ip AND client_device_id != 0`,
      ).pluck(),
      addHostname: p('INSERT INTO device_hostnames (device_id, name) VALUES (?, ?) ON CONFLICT (device_id, name) DO NOTHING'),
      devicesAbove: p('SELECT count(*) FROM devices WHERE id > ?').pluck(),
      subject: p('SELECT id, mac, routed_ip AS routedIp, mac_vendor AS macVendor, first_seen AS firstSeenMs, last_seen AS lastSeenMs FROM devices WHERE id = ?'),
      boundHolder: p(
        `SELECT device_id FROM device_ips WHERE ip = ? AND device_id != ? AND (seen_arp = 1 OR seen_ndp = 1 OR seen_dhcp = 1 OR seen_dhcpv6 = 1)
         ORDER BY last_seen DESC LIMIT 1`,
      ).pluck(),
      silentBetween: p(
        `SELECT id, mac, routed_ip AS routedIp, mac_vendor AS macVendor, first_seen AS firstSeenMs, last_seen AS lastSeenMs
         FROM devices WHERE last_seen > ? AND last_seen <= ? AND is_router = 0
           AND NOT (derived_protocol IS NOT NULL AND packets_sent = 0) -- never on the wire: nothing to fall silent
         ORDER BY last_seen LIMIT ?`,
      ),
    };
    this.conversationMarks = { tls: this.s.markTls };
  }

  /**
   * Devices whose evidence changed (new device, observation or service) since the last takeChanged():
   * a bitmap, 125 KB per million device ids, whatever number of devices changed.
   */
  private readonly changed = new IdSet();

  /** Classify this device again at the next identification run (e.g. classified with another library). */
  markChanged(deviceId: number): void {
    this.changed.add(deviceId);
  }

  /** The devices to classify again, in id order, and start collecting anew. */
  takeChanged(): Int32Array {
    return this.changed.take();
  }

  /** Store what the identification engine concluded (the classification JSON holds the reasons). */
  upsertClassification(c: StoredClassification, before: IdentityFields | null = null): void {
    if (before !== null && this.changes !== null) {
      const changes = identityChanges(before, c);
      if (changes.length > 0) this.changes.identityChanged(c.deviceId, changes);
    }
    this.s.upsertClassification.run(
      c.deviceId, c.vendor, c.model, c.category, c.criticality, c.os, c.firmware, c.medical ? 1 : 0, c.confidence,
      c.result, c.libraryVersion, c.classifiedAt,
    );
    this.changeLog.touch(c.deviceId);
  }

  /**
   * The TCP conversation from `clientIp` to `serverIp`:`port` carried `protocol` (a ConversationMark):
   * its edge says so (no-op for the other orientation, or an edge not written yet).
   */
  markConversation(protocol: ConversationProtocol, clientIp: string, serverIp: string, port: number): void {
    const edges = this.conversationMarks[protocol].all(clientIp, serverIp, port) as { client_device_id: number; server_device_id: number }[];
    for (const e of edges) this.touchPair(e.client_device_id, e.server_device_id);
  }

  /**
   * `sender` sent `receiver` the object whose UID has SHA-256 `digest` (an InstanceSighting): kept as a
   * salted keyed hash (store/instances.ts). Every device that sent or received that object is classified
   * again: an earlier sighting read later can change which of them made it.
   */
  recordInstanceSighting(digest: string, sender: number, receiver: number, tsMs: number): void {
    for (const id of this.instances.record(digest, sender, receiver, tsMs)) this.changed.add(id);
  }

  /**
   * Run `fn` in one IMMEDIATE transaction (nested calls join the outer one); the devices it wrote take
   * their change sequence values just before it commits (ChangeLog.transaction).
   */
  transaction<T>(fn: () => T): T {
    const result = this.changeLog.transaction(() => {
      const r = fn();
      this.retention.prune(Date.now());
      return r;
    });
    if (!this.db.inTransaction) this.plannerStats.refreshIfGrown();
    return result;
  }

  /**
   * Delete events past their retention now (the writer also does it as flushes commit, once a minute);
   * what forwarding destinations had not accepted is counted (event-retention.ts).
   */
  pruneEvents(nowMs = Date.now()): RetentionPass | null {
    return this.transaction(() => this.retention.prune(nowMs, true));
  }

  /** Drop tombstones older than the retention now (the writer also does it as it goes, once a minute). */
  pruneTombstones(nowMs = Date.now()): void {
    this.transaction(() => this.changeLog.prune(nowMs, true));
  }

  /** Both ends of a conversation changed (0: not a known device). */
  private touchPair(client: number, server: number): void {
    if (client !== 0) this.changeLog.touch(client);
    if (server !== 0) this.changeLog.touch(server);
  }

  /** Device id for a layer-2 MAC, created on first sight. */
  macDeviceId(mac: string, vendor: string | null, locallyAdministered: boolean, tsMs: number, ip: string | null = null): number {
    const row = this.s.macDevice.get(mac) as { id: number } | undefined;
    if (row) return row.id;
    const id = Number(this.s.insertMacDevice.run(mac, vendor, locallyAdministered ? 1 : 0, tsMs, tsMs).lastInsertRowid);
    this.changed.add(id);
    this.changes?.deviceCreated(id, ip, tsMs);
    this.changeLog.touch(id);
    return id;
  }

  /** Device id for an IP-only (routed) device, created on first sight. */
  ipDeviceId(ip: string, tsMs: number): number {
    const row = this.s.ipDevice.get(ip) as { id: number } | undefined;
    if (row) return row.id;
    const id = Number(this.s.insertIpDevice.run(ip, tsMs, tsMs).lastInsertRowid);
    this.changed.add(id);
    this.changes?.deviceCreated(id, ip, tsMs);
    this.changeLog.touch(id);
    return id;
  }

  /** MACs already known to be routers. */
  routerMacs(): string[] {
    return (this.s.routers.all() as { mac: string }[]).map((r) => r.mac);
  }

  addTraffic(deviceId: number, t: TrafficCounters): void {
    this.seen.add(deviceId);
    this.s.addTraffic.run(t.packetsSent, t.bytesSent, t.packetsReceived, t.bytesReceived, t.firstSeenMs, t.lastSeenMs, deviceId);
    this.changeLog.touch(deviceId);
  }

  /** Record that `deviceId` used `ip`, with how we know and the traffic it carried. */
  upsertAddress(deviceId: number, ip: string, version: number, ev: AddressEvidence, t: TrafficCounters): void {
    // A binding the device did not hold: an address new to it, or moved from another device.
    // LLDP/CDP addresses are only reported by the device itself: they move nothing.
    const binds = ev.arp === true || ev.ndp === true || ev.dhcp === true || ev.dhcpv6 === true;
    if (this.changes !== null && binds && !this.isAuthoritative(deviceId, ip)) {
      this.changes.addressBound(deviceId, ip, (this.s.boundHolder.get(ip, deviceId) as number | undefined) ?? 0, t.firstSeenMs);
    }
    // Positional parameters: binding named ones looks each name up on the object (a flush binds thousands).
    this.s.upsertIp.run(
      deviceId, ip, version, ev.arp ? 1 : 0, ev.ndp ? 1 : 0, ev.dhcp ? 1 : 0, ev.dhcpv6 ? 1 : 0, ev.lldp ? 1 : 0, ev.cdp ? 1 : 0,
      ev.traffic ? 1 : 0, ev.leaseSeconds ?? null,
      t.firstSeenMs, t.lastSeenMs, t.packetsSent, t.bytesSent, t.packetsReceived, t.bytesReceived,
    );
    this.changeLog.touch(deviceId);
  }

  /** Whether ARP, NDP or a dissector's binding (DHCP, DHCPv6, LLDP, CDP) bound `ip` to this device. */
  isAuthoritative(deviceId: number, ip: string): boolean {
    return this.s.authoritative.get(deviceId, ip) !== undefined;
  }

  /** Addresses of a device known from traffic only (no ARP or dissector binding). */
  trafficOnlyAddresses(deviceId: number): { ip: string; version: number }[] {
    return this.s.trafficOnlyIps.all(deviceId) as { ip: string; version: number }[];
  }

  /** Addresses some protocol bound to the device (ARP, NDP, DHCP, DHCPv6, LLDP, CDP). */
  boundAddresses(deviceId: number): string[] {
    return this.s.boundIps.all(deviceId) as string[];
  }

  /** Whether `ip` is a routed (IP-only) device's: some router forwards it. */
  isRoutedAddress(ip: string): boolean {
    return this.s.ipDevice.get(ip) !== undefined;
  }

  /** MACs of other layer-2 devices that sourced `ip` without a binding for it. */
  otherMacsSourcing(ip: string, deviceId: number): string[] {
    return this.s.otherSourcingMacs.all(ip, deviceId) as string[];
  }

  /**
   * The MAC forwards traffic for others: flag it as a router and give each address it sourced without
   * a binding a device of its own, moving that address's counters along. Link-local addresses stay:
   * no router forwards them.
   */
  markRouter(deviceId: number): void {
    this.s.setRouter.run(deviceId);
    const rows = (this.s.trafficOnlyIps.all(deviceId) as {
      ip: string; version: number; first_seen: number; last_seen: number;
      packets_sent: number; bytes_sent: number; packets_received: number; bytes_received: number;
    }[]).filter((r) => addressScope(r.ip) !== 'link-local');
    if (rows.length === 0) {
      this.changeLog.touch(deviceId);
      return;
    }
    // Each address moves to its own device (created with its traffic, or given it); the router loses
    // their traffic in one update and their rows in one delete. Same rows as moving them one by one.
    const moved: TrafficCounters = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, firstSeenMs: 0, lastSeenMs: 0 };
    for (const r of rows) {
      const t: TrafficCounters = {
        packetsSent: r.packets_sent, bytesSent: r.bytes_sent, packetsReceived: r.packets_received,
        bytesReceived: r.bytes_received, firstSeenMs: r.first_seen, lastSeenMs: r.last_seen,
      };
      moved.packetsSent += t.packetsSent;
      moved.bytesSent += t.bytesSent;
      moved.packetsReceived += t.packetsReceived;
      moved.bytesReceived += t.bytesReceived;
      const known = this.s.ipDevice.get(r.ip) as { id: number } | undefined;
      let target: number;
      if (known) {
        target = known.id;
        this.addTraffic(target, t);
      } else {
        // As ipDeviceId() then addTraffic() would (a capture's clock can step back: last may precede first).
        target = Number(this.s.insertIpDeviceWithTraffic.run(
          r.ip, t.firstSeenMs, Math.max(t.firstSeenMs, t.lastSeenMs), t.packetsSent, t.bytesSent, t.packetsReceived, t.bytesReceived,
        ).lastInsertRowid);
        this.changed.add(target);
        this.changes?.deviceCreated(target, r.ip, t.firstSeenMs);
        this.changeLog.touch(target);
      }
      this.upsertAddress(target, r.ip, r.version, { traffic: true }, t);
      this.s.deleteIp.run(deviceId, r.ip);
      // Its conversations name the routed device from now on (as the router rule would have at the time):
      // their other ends' clinical blocks read that device's evidence instead of the router's.
      for (const peer of this.s.movedEdgePeers.all({ id: deviceId, ip: r.ip }) as number[]) this.changeLog.touch(peer);
      for (const side of ['client', 'server'] as const) {
        this.s[`moveEdges_${side}`].run({ from: deviceId, into: target, ip: r.ip });
        this.s[`deleteEdges_${side}`].run({ from: deviceId, ip: r.ip });
      }
    }
    this.s.subTraffic.run(moved.packetsSent, moved.bytesSent, moved.packetsReceived, moved.bytesReceived, deviceId);
    this.changeLog.touch(deviceId);
  }


  /**
   * Evidence written to device `from` that turned out to be another's (a router's MAC carried what a
   * remote host said about itself): `count` sightings of it move to device `into`.
   */
  moveObservation(from: number, into: number, source: string, fieldsJson: string, firstMs: number, lastMs: number, count: number): void {
    const hash = oneShotHash('sha1', fieldsJson, 'hex');
    const left = this.s.lessObservation.get(count, from, source, hash) as { count: number } | undefined;
    if (left === undefined) return;
    if (left.count <= 0) {
      this.s.deleteObservation.run(from, source, hash);
      if (PEER_CLINICAL_SOURCES.has(source)) this.touchTlsPeers(from);
    }
    this.changed.add(from);
    this.changeLog.touch(from);
    this.upsertObservation(into, source, fieldsJson, firstMs, lastMs, count);
  }

  /** Likewise for `flows` answers on a service. */
  moveService(
    from: number, into: number, transport: string, port: number, flows: number, firstMs: number, lastMs: number, ip: string | null = null,
  ): void {
    const left = this.s.lessService.get(flows, from, transport, port) as { flows: number } | undefined;
    if (left === undefined) return;
    if (left.flows <= 0) this.s.deleteService.run(from, transport, port);
    this.changed.add(from);
    this.changeLog.touch(from);
    this.upsertService(into, transport, port, flows, firstMs, lastMs, ip);
  }

  /**
   * `ip` is the router's own address after all (ARP or DHCP bound it to the router after its traffic
   * had gone to a routed device of its own): fold that routed device into the router, as if the
   * binding had been known when the router was detected. Returns the routed device's id, 0 if none.
   */
  reclaimRoutedAddress(routerId: number, ip: string): number {
    const routed = this.s.ipDevice.get(ip) as { id: number } | undefined;
    if (routed === undefined || routed.id === routerId) return 0;
    this.changeLog.forget(routed.id);
    for (const id of this.s.mergeNeighbours.all({ from: routed.id, into: routerId }) as number[]) if (id !== routed.id) this.changeLog.touch(id);
    this.mergeDevice(routed.id, routerId, this.changeLog.next());
    this.changeLog.touch(routerId);
    this.changed.delete(routed.id);
    this.changed.add(routerId);
    return routed.id;
  }

  /**
   * The device is known from another device's message (a DeviceDerivation): record the first such
   * origin (later ones do not replace it).
   */
  markDerived(deviceId: number, fromDeviceId: number, protocol: string, field: string, messageType: string | null): void {
    if (this.s.markDerived.run(fromDeviceId || null, protocol, field, messageType, deviceId).changes > 0) {
      this.changed.add(deviceId);
      this.changeLog.touch(deviceId);
    }
  }

  /** The device that most recently held `ip`, or 0. */
  deviceHoldingIp(ip: string): number {
    const row = this.s.holder.get(ip) as { device_id: number } | undefined;
    return row ? row.device_id : 0;
  }

  upsertVlan(deviceId: number, vlan: number, firstMs: number, lastMs: number): void {
    this.s.upsertVlan.run(deviceId, vlan, firstMs, lastMs);
    this.changeLog.touch(deviceId);
  }

  upsertService(deviceId: number, transport: string, port: number, flows: number, firstMs: number, lastMs: number, ip: string | null = null): void {
    const row = this.s.upsertService.get(deviceId, transport, port, flows, firstMs, lastMs) as { flows: number };
    if (row.flows === flows) {
      this.changed.add(deviceId); // a new service, not more flows of a known one
      this.changes?.serviceCreated(deviceId, ip, transport, port, firstMs);
    }
    this.changeLog.touch(deviceId);
  }

  upsertEdge(e: EdgeDelta): void {
    const row = this.s.upsertEdge.get(
      e.clientDeviceId, e.serverDeviceId, e.clientIp, e.serverIp, e.transport, e.port, e.flows,
      e.packetsSent, e.bytesSent, e.packetsReceived, e.bytesReceived, e.firstSeenMs, e.lastSeenMs,
    ) as { flows: number };
    if (row.flows === e.flows && this.changes !== null) this.changes.edgeCreated(e);
    // The device object shows its encrypted clinical conversations' times, taken from its edges.
    this.touchPair(e.clientDeviceId, e.serverDeviceId);
  }

  /** Record evidence about a device; identical facts are counted, not repeated. */
  upsertObservation(deviceId: number, source: string, fieldsJson: string, firstMs: number, lastMs: number, count: number): void {
    const hash = oneShotHash('sha1', fieldsJson, 'hex');
    const row = this.s.upsertObservation.get(deviceId, source, hash, fieldsJson, firstMs, lastMs, count) as { count: number };
    if (row.count === count) {
      this.changed.add(deviceId); // new facts, not a repeat of known ones
      this.changes?.observationCreated(deviceId, source, fieldsJson, firstMs);
      if (fieldsJson.includes('"hostname"')) this.indexHostname(deviceId, fieldsJson);
      if (PEER_CLINICAL_SOURCES.has(source)) this.touchTlsPeers(deviceId);
    }
    this.changeLog.touch(deviceId);
  }

  /** The other ends of the device's TLS conversations: their encrypted clinical conversations go by its evidence. */
  private touchTlsPeers(deviceId: number): void {
    for (const peer of this.s.tlsPeers.all({ id: deviceId }) as number[]) this.changeLog.touch(peer);
  }

  /** The capture's counters as of this flush, for a separate serve's /metrics and /health. */
  writeCaptureCounters(ingestId: number, c: CaptureCounters): void {
    writeCaptureCounters(this.db, ingestId, c);
  }

  /** The device as events name it, null when there is none. */
  deviceSubject(id: number): DeviceSubject | null {
    return (this.s.subject.get(id) as DeviceSubject | undefined) ?? null;
  }

  /** Devices (not routers) whose last packet is after `afterMs` and at or before `upToMs`, oldest first, at most `limit`. */
  devicesLastSeenBetween(afterMs: number, upToMs: number, limit: number): DeviceSubject[] {
    return this.s.silentBetween.all(afterMs, upToMs, limit) as DeviceSubject[];
  }

  /** The observation's host name (its convention field), searchable by substring (device_hostnames). */
  private indexHostname(deviceId: number, fieldsJson: string): void {
    const { hostname } = JSON.parse(fieldsJson) as { hostname?: unknown };
    if (typeof hostname === 'string' && hostname !== '') this.s.addHostname.run(deviceId, hostname);
  }

  /** Devices with an id above `id` (created after a run that started with maxDeviceId() = id). */
  devicesAbove(id: number): number {
    return this.s.devicesAbove.get(id) as number;
  }

  /** Devices up to `maxId` that this Store gave traffic to: the known devices seen again. */
  seenUpTo(maxId: number): number {
    return this.seen.countUpTo(maxId);
  }

  close(): void {
    if (this.db.open) {
      // Fold the WAL back so the .db file alone is complete after a clean stop.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }
}
