/**
 * Findings and risk in the database (migration 7): what the findings engine (agent/risk/findings.ts)
 * reads about a device, how its computed findings are folded into the stored ones (new, updated,
 * resolved, reopened; acknowledgements kept), the risk block, and the read model the API and the CLI
 * list. SQL only here.
 */
import type Database from 'better-sqlite3';
import { ChangeLog } from './change-log.js';
import type { Device } from './device-json.js';
import { foldObservations, iso, type ObservationRow } from './evidence-fold.js';
import { NO_RISK, type Finding, type FindingEvidence, type FindingStatus, type Risk } from './finding-json.js';
import type { Statements } from './statements.js';

/** One conversation of the device, as the engine reads it. */
export interface PeerInput {
  role: 'client' | 'server';
  localIp: string;
  peerIp: string;
  peerDeviceId: number | null;
  transport: string;
  port: number;
  tls: boolean;
  bytesSent: number;
  bytesReceived: number;
  firstMs: number;
  lastMs: number;
}

/** Everything the findings engine reads about one device. */
export interface FindingInput {
  deviceId: number;
  /** The device's MAC (null: known by IP only) and its most recent address (for events). */
  mac: string | null;
  ip: string | null;
  lastSeenMs: number;
  vendor: string | null;
  model: string | null;
  firmware: string | null;
  os: string | null;
  category: string;
  criticality: string | null;
  medical: boolean;
  /** `tcp/23` */
  services: string[];
  /** Every protocol the device produced evidence in. */
  protocols: string[];
  observations: { source: string; fields: Record<string, unknown>; firstMs: number; lastMs: number; count: number }[];
  evidence: Device['evidence'];
  peers: PeerInput[];
  /** Sources of the observations of each peer device (to find the peers that spoke a protocol too). */
  peerSources(peerId: number): ReadonlySet<string>;
}

export interface ComputedFinding {
  type: string;
  key: string;
  severity: string;
  title: string;
  remediation: string;
  references: string[];
  points: number;
  evidence: FindingEvidence;
  firstMs: number;
  lastMs: number;
}

export interface FindingChange {
  findingId: number;
  deviceId: number;
  type: string;
  key: string;
  severity: string;
  title: string;
  change: 'new' | 'reopened' | 'resolved';
  /** Capture time of the evidence that made it new or reopened it; for a resolution, the device's last packet. */
  timeMs: number;
}

/** What the risk score reads of a stored finding. */
export interface FindingPoints {
  id: number;
  type: string;
  title: string;
  status: FindingStatus;
  points: number;
}

export interface FindingFilter {
  type?: string;
  severity?: string;
  deviceId?: number;
  medical?: boolean;
  status?: FindingStatus;
  afterId?: number;
  limit?: number;
}

interface FindingRow {
  id: number; device_id: number; type: string; key: string; severity: Finding['severity']; title: string; remediation: string;
  refs: string; points: number; evidence: string; first_seen: number; last_seen: number; status: FindingStatus;
  ack_reason: string | null; ack_at: number | null; resolved_at: number | null;
}

const toFinding = (r: FindingRow): Finding => ({
  id: r.id, type: r.type, key: r.key, title: r.title, severity: r.severity, status: r.status, points: r.points, device_id: r.device_id,
  first_seen: iso(r.first_seen), last_seen: iso(r.last_seen), evidence: JSON.parse(r.evidence) as FindingEvidence,
  remediation: r.remediation, references: JSON.parse(r.refs) as string[], ack_reason: r.ack_reason,
  acknowledged_at: r.ack_at === null ? null : iso(r.ack_at), resolved_at: r.resolved_at === null ? null : iso(r.resolved_at),
});

/** Reads: the engine's input and the read model. */
/** A device's findings: open first, then by severity, type and key. */
const FINDING_ORDER = `CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END,
  CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, type, key`;

interface RiskRow {
  score: number;
  level: string;
  likelihood: number;
  impact: number;
  factors: string;
}

const toRisk = (r: RiskRow): Risk => ({ score: r.score, level: r.level, likelihood: r.likelihood, impact: r.impact, factors: JSON.parse(r.factors) as Risk['factors'] });

export class FindingsQuery {
  constructor(private readonly stmt: Statements) {}

  /**
   * The engine's input for one device, null when there is no such device. Only the observations of
   * `readSources` are read (the protocols the finding types name), and the conversations only when asked.
   */
  input(id: number, readSources: readonly string[]): FindingInput | null {
    const d = this.stmt.get('SELECT id, mac, routed_ip, last_seen FROM devices WHERE id = ?').get(id) as
      { id: number; mac: string | null; routed_ip: string | null; last_seen: number } | undefined;
    if (d === undefined) return null;
    const ip = d.routed_ip ?? (this.stmt.get('SELECT ip FROM device_ips WHERE device_id = ? ORDER BY last_seen DESC, ip LIMIT 1').pluck().get(id) as string | undefined) ?? null;
    const c = this.stmt.get('SELECT vendor, model, firmware, os, category, criticality, medical FROM classifications WHERE device_id = ?').get(id) as
      { vendor: string | null; model: string | null; firmware: string | null; os: string | null; category: string; criticality: string | null; medical: number } | undefined;
    const services = (this.stmt.get('SELECT transport, port FROM services WHERE device_id = ?').all(id) as { transport: string; port: number }[])
      .map((s) => `${s.transport}/${s.port}`);
    const protocols = this.stmt.get('SELECT DISTINCT source FROM observations WHERE device_id = ?').pluck().all(id) as string[];
    const wanted = protocols.filter((p) => readSources.includes(p));
    const rows = wanted.length === 0 ? [] : this.stmt.get(
      `SELECT source, fields, first_seen, last_seen, count FROM observations
       WHERE device_id = ? AND source IN (SELECT value FROM json_each(?)) ORDER BY last_seen DESC, source, fields`,
    ).all(id, JSON.stringify(wanted)) as ObservationRow[];
    const { evidence, parsed } = foldObservations(rows, true);
    const readPeers = (): PeerInput[] => (this.stmt.get(
      `SELECT 'client' AS role, client_ip AS l, server_ip AS p, server_device_id AS pid, transport, port, tls,
              bytes_to_server AS bs, bytes_to_client AS br, first_seen AS f, last_seen AS ls
       FROM edges WHERE client_device_id = @id
       UNION ALL
       SELECT 'server', server_ip, client_ip, client_device_id, transport, port, tls, bytes_to_client, bytes_to_server, first_seen, last_seen
       FROM edges WHERE server_device_id = @id
       ORDER BY f, p, port`,
    ).all({ id }) as { role: 'client' | 'server'; l: string; p: string; pid: number; transport: string; port: number; tls: number; bs: number; br: number; f: number; ls: number }[])
      .map((p): PeerInput => ({
        role: p.role, localIp: p.l, peerIp: p.p, peerDeviceId: p.pid === 0 ? null : p.pid, transport: p.transport, port: p.port,
        tls: p.tls === 1, bytesSent: p.bs, bytesReceived: p.br, firstMs: p.f, lastMs: p.ls,
      }));
    let peers: PeerInput[] | null = null;
    const sources = new Map<number, Set<string>>();
    const peerSources = (peerId: number): ReadonlySet<string> => {
      let s = sources.get(peerId);
      if (s === undefined) {
        s = new Set(this.stmt.get('SELECT DISTINCT source FROM observations WHERE device_id = ?').pluck().all(peerId) as string[]);
        sources.set(peerId, s);
      }
      return s;
    };
    return {
      deviceId: id, mac: d.mac, ip, lastSeenMs: d.last_seen, vendor: c?.vendor ?? null, model: c?.model ?? null, firmware: c?.firmware ?? null, os: c?.os ?? null,
      category: c?.category ?? 'unknown', criticality: c?.criticality ?? null, medical: c?.medical === 1, services, protocols, evidence, peerSources,
      // A router's or a server's conversations are many: read only when a finding needs its peers.
      get peers() {
        return (peers ??= readPeers());
      },
      observations: parsed.map((o, i) => ({ source: o.source, fields: o.fields, firstMs: rows[i].first_seen, lastMs: rows[i].last_seen, count: rows[i].count })),
    };
  }

  /** One page of findings in id order. */
  list(f: FindingFilter): { items: Finding[]; nextAfterId: number | null } {
    const where = ['f.id > @afterId'];
    if (f.type !== undefined) where.push('f.type = @type');
    if (f.severity !== undefined) where.push('f.severity = @severity');
    if (f.deviceId !== undefined) where.push('f.device_id = @deviceId');
    if (f.status !== undefined) where.push('f.status = @status');
    if (f.medical !== undefined) {
      where.push(f.medical
        ? 'f.device_id IN (SELECT device_id FROM classifications WHERE medical = 1)'
        : 'f.device_id NOT IN (SELECT device_id FROM classifications WHERE medical = 1)');
    }
    const limit = Math.max(1, Math.min(f.limit ?? 100, 1000));
    const rows = this.stmt.get(`SELECT f.* FROM findings f WHERE ${where.join(' AND ')} ORDER BY f.id LIMIT @limitPlusOne`).all({
      afterId: f.afterId ?? 0, type: f.type, severity: f.severity, deviceId: f.deviceId, status: f.status, limitPlusOne: limit + 1,
    }) as FindingRow[];
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map(toFinding), nextAfterId: more ? page[page.length - 1].id : null };
  }

  one(id: number): Finding | null {
    const r = this.stmt.get('SELECT * FROM findings WHERE id = ?').get(id) as FindingRow | undefined;
    return r ? toFinding(r) : null;
  }

  risk(id: number): Risk {
    const r = this.stmt.get('SELECT score, level, likelihood, impact, factors FROM device_risk WHERE device_id = ?').get(id) as RiskRow | undefined;
    return r ? toRisk(r) : NO_RISK;
  }

  /**
   * The findings and risk block of each of a page of devices (ids as a JSON array), two queries for the
   * page: a query per device made a 100 k device export spend seconds on statements that found nothing.
   * A device without findings is absent (its block: no findings, NO_RISK).
   */
  ofDevices(idsJson: string): Map<number, { findings: Finding[]; risk: Risk }> {
    const out = new Map<number, { findings: Finding[]; risk: Risk }>();
    const entry = (id: number) => {
      let e = out.get(id);
      if (e === undefined) out.set(id, (e = { findings: [], risk: NO_RISK }));
      return e;
    };
    const IN = 'device_id IN (SELECT value FROM json_each(?))';
    for (const r of this.stmt.get(`SELECT * FROM findings WHERE ${IN} ORDER BY device_id, ${FINDING_ORDER}`).all(idsJson) as FindingRow[]) {
      entry(r.device_id).findings.push(toFinding(r));
    }
    for (const r of this.stmt.get(`SELECT device_id, score, level, likelihood, impact, factors FROM device_risk WHERE ${IN}`).all(idsJson) as (RiskRow & { device_id: number })[]) {
      entry(r.device_id).risk = toRisk(r);
    }
    return out;
  }

  /** Whether the device has a stored risk block (it has, or had, findings). */
  hasRisk(id: number): boolean {
    return this.stmt.get('SELECT 1 FROM device_risk WHERE device_id = ?').get(id) !== undefined;
  }

  /**
   * Devices with an unresolved finding whose evidence was last seen before `beforeMs` (capture time):
   * candidates for resolution by age, though nothing new was heard from them.
   */
  staleDevices(beforeMs: number): number[] {
    return this.stmt.get("SELECT DISTINCT device_id FROM findings WHERE status != 'resolved' AND last_seen < ? ORDER BY device_id")
      .pluck().all(beforeMs) as number[];
  }

  /** Devices with a resolved finding that sent something after `afterMs` (capture time): it may open again. */
  resolvedSeenAfter(afterMs: number): number[] {
    return this.stmt.get(
      `SELECT DISTINCT f.device_id FROM findings f JOIN devices d ON d.id = f.device_id
       WHERE f.status = 'resolved' AND d.last_seen > ? ORDER BY f.device_id`,
    ).pluck().all(afterMs) as number[];
  }

  /** The latest capture time the store has seen (the devices' last packet), null when it has no device. */
  latestSeenMs(): number | null {
    return (this.stmt.get('SELECT max(last_seen) FROM devices').pluck().get() as number | null) ?? null;
  }

  /** What the score reads of each stored finding of a device. */
  points(id: number): FindingPoints[] {
    return this.stmt.get('SELECT id, type, title, status, points FROM findings WHERE device_id = ? ORDER BY id').all(id) as FindingPoints[];
  }
}

/** Writes: computed findings folded into the stored ones, acknowledgements, risk blocks. */
export class FindingsWriter {
  private readonly rows: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly update: Database.Statement;
  private readonly resolve: Database.Statement;
  private readonly riskUpsert: Database.Statement;
  private readonly ackOne: Database.Statement;

  /** `changed`: a device whose findings or risk block was written (the change feed stamps it). */
  constructor(db: Database.Database, private readonly changed: (deviceId: number) => void = () => {}) {
    this.rows = db.prepare('SELECT id, type, key, status, severity, title FROM findings WHERE device_id = ?');
    this.insert = db.prepare(
      `INSERT INTO findings (device_id, type, key, severity, title, remediation, refs, points, evidence, first_seen, last_seen)
       VALUES (@deviceId, @type, @key, @severity, @title, @remediation, @refs, @points, @evidence, @firstMs, @lastMs) RETURNING id`,
    );
    // A finding found again after it was resolved is a new occurrence: open again, the old acknowledgement gone.
    this.update = db.prepare(
      `UPDATE findings SET severity = @severity, title = @title, remediation = @remediation, refs = @refs, points = @points, evidence = @evidence,
         first_seen = min(first_seen, @firstMs), last_seen = max(last_seen, @lastMs),
         status = CASE status WHEN 'resolved' THEN 'open' ELSE status END,
         ack_reason = CASE status WHEN 'resolved' THEN NULL ELSE ack_reason END,
         ack_at = CASE status WHEN 'resolved' THEN NULL ELSE ack_at END,
         resolved_at = NULL
       WHERE id = @id`,
    );
    this.resolve = db.prepare("UPDATE findings SET status = 'resolved', resolved_at = ? WHERE id = ?");
    this.riskUpsert = db.prepare(
      `INSERT INTO device_risk (device_id, score, level, likelihood, impact, factors) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET score = excluded.score, level = excluded.level, likelihood = excluded.likelihood,
         impact = excluded.impact, factors = excluded.factors`,
    );
    this.ackOne = db.prepare("UPDATE findings SET status = 'acknowledged', ack_reason = ?, ack_at = ? WHERE id = ? AND status != 'resolved' RETURNING device_id");
  }

  /**
   * Replace a device's findings by what the engine computed now; returns what changed (for events).
   * `staleAt`: computed findings whose evidence is older than the resolution age (`type\0key` → the
   * capture time that age was reached): stored (new ones too, so the history shows them), then resolved
   * at that time; a resolved one stays resolved. Findings no longer computed are resolved at the
   * device's last packet.
   */
  sync(
    deviceId: number, computed: readonly ComputedFinding[], nowMs: number, deviceLastSeenMs = nowMs,
    staleAt: ReadonlyMap<string, number> = new Map(),
  ): FindingChange[] {
    const stored = new Map<string, { id: number; status: FindingStatus; severity: string; title: string }>();
    for (const r of this.rows.all(deviceId) as { id: number; type: string; key: string; status: FindingStatus; severity: string; title: string }[]) {
      stored.set(`${r.type}\0${r.key}`, r);
    }
    const changes: FindingChange[] = [];
    const change = (findingId: number, c: { type: string; key: string; severity: string; title: string }, kind: FindingChange['change'], timeMs: number) =>
      changes.push({ findingId, deviceId, type: c.type, key: c.key, severity: c.severity, title: c.title, change: kind, timeMs });
    for (const c of computed) {
      const k = `${c.type}\0${c.key}`;
      const stale = staleAt.get(k);
      const params = {
        deviceId, type: c.type, key: c.key, severity: c.severity, title: c.title, remediation: c.remediation, refs: JSON.stringify(c.references),
        points: c.points, evidence: JSON.stringify(c.evidence), firstMs: c.firstMs, lastMs: c.lastMs,
      };
      const s = stored.get(k);
      stored.delete(k);
      let id: number;
      if (s === undefined) {
        id = (this.insert.get(params) as { id: number }).id;
        change(id, c, 'new', c.lastMs);
      } else if (stale !== undefined && s.status === 'resolved') {
        continue; // old evidence does not open it again
      } else {
        id = s.id;
        this.update.run({ ...params, id });
        if (s.status === 'resolved') change(id, c, 'reopened', c.lastMs);
      }
      if (stale !== undefined) {
        this.resolve.run(stale, id);
        change(id, c, 'resolved', stale);
      }
    }
    for (const [k, s] of stored) {
      if (s.status === 'resolved') continue;
      this.resolve.run(nowMs, s.id);
      const [type, key] = k.split('\0');
      change(s.id, { type, key, severity: s.severity, title: s.title }, 'resolved', deviceLastSeenMs);
    }
    if (changes.length > 0) this.changed(deviceId);
    return changes;
  }

  /** Acknowledge (accept) a finding with a reason; the device id, or null when there is no such unresolved finding. */
  acknowledge(id: number, reason: string, nowMs: number): number | null {
    const r = this.ackOne.get(reason, nowMs, id) as { device_id: number } | undefined;
    return r ? r.device_id : null;
  }

  writeRisk(deviceId: number, r: Risk): void {
    this.changed(deviceId);
    this.riskUpsert.run(deviceId, r.score, r.level, r.likelihood, r.impact, JSON.stringify(r.factors));
  }
}

/**
 * A connection of its own for acknowledgements (`auscult findings ack`, the API's ack route, which
 * otherwise only reads): the writer, a reader on the same connection, transactions. A device whose
 * findings or risk it writes takes the next change sequence value, as a capture's writes do, so a
 * follower of the change feed sees the acknowledgement.
 */
export interface FindingsStore {
  reader: StoreReaderLike;
  findings: FindingsWriter;
  transaction<T>(fn: () => T): T;
  close(): void;
}

type StoreReaderLike = import('./reader.js').StoreReader;

export async function openFindingsStore(path: string): Promise<FindingsStore> {
  const { openDatabase } = await import('./database.js');
  const { StoreReader } = await import('./reader.js');
  const db = openDatabase(path);
  // Tombstones are pruned by the capture, which knows the retention it was given.
  const changeLog = new ChangeLog(db, { pruneTombstones: false });
  return {
    reader: new StoreReader(db),
    findings: new FindingsWriter(db, (id) => changeLog.touch(id)),
    transaction: <T>(fn: () => T): T => changeLog.transaction(fn),
    close: () => db.close(),
  };
}
