/**
 * The ingest log: one row per capture file read or live capture run. While it runs, the writer keeps
 * its progress there (frames, drops, time of the newest packet, a heartbeat); at the end, how it ended
 * and why when it is not complete. A file's fingerprint (size, SHA-256 of its first MiB) lets `read`
 * recognise a file it already counted.
 *
 * A writer killed by SIGKILL never finishes its row: readers show such a `running` row as
 * `interrupted` when its process is provably gone (same machine and PID namespace, no process with
 * that PID and start time) or its heartbeat is older than STALE_HEARTBEAT_MS.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type Database from 'better-sqlite3';

type Db = Database.Database;

/** running: being written; complete: read to its end; incomplete: stopped early by damage (truncated, corrupt record); interrupted: stopped on request or killed; failed: an error ended it. */
export type IngestStatus = 'running' | 'complete' | 'incomplete' | 'interrupted' | 'failed';

export interface IngestStart {
  kind: 'file' | 'live';
  /** File name or interface. */
  source: string;
  /** Regular files: fileFingerprint() of it. */
  fingerprint?: string | null;
  /** Known at the start (JSON): a live capture's interface transmit counter. finish() replaces it. */
  details?: unknown;
}

/** Counters of the run so far (or at its end). */
export interface IngestProgress {
  frames: number;
  bytes: number;
  malformed: number;
  unsupported: number;
  flows: number;
  kernelDrops?: number;
  interfaceDrops?: number;
  /** Capture time of the newest packet, ms; null before the first. */
  lastPacketMs?: number | null;
}

export interface IngestResult extends IngestProgress {
  status: Exclude<IngestStatus, 'running'>;
  /** Why it is not complete, one line. */
  reason?: string | null;
  details?: unknown;
}

/** An ingest as readers show it (API /health, CLI). */
export interface IngestRow {
  id: number;
  kind: string;
  source: string;
  started_at: string;
  finished_at: string | null;
  status: IngestStatus;
  /** Why it is not complete; null when complete or still running. */
  reason: string | null;
  frames: number;
  bytes: number;
  malformed: number;
  unsupported: number;
  flows: number;
  kernel_drops: number | null;
  interface_drops: number | null;
  /** Capture time of the newest packet, ISO 8601; null before the first. */
  last_packet_at: string | null;
  /** Wall clock of the writer's last progress write (ISO 8601). */
  updated_at: string | null;
}

/** A running ingest whose writer has not written for this long is shown as interrupted. */
export const STALE_HEARTBEAT_MS = 5 * 60_000;

/** This process as `boot-id/pid-namespace/pid/start-time`, or null where /proc cannot tell. */
function processIdentity(pid: number): string | null {
  const self = hostScope();
  const start = processStartTicks(pid);
  return self === null || start === null ? null : `${self}/${pid}/${start}`;
}

let scope: string | null | undefined;
/** The boot of this machine and the PID namespace: a PID means the same process only within both. */
function hostScope(): string | null {
  if (scope !== undefined) return scope;
  try {
    scope = `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid').replace(/\D/g, '')}`;
  } catch {
    scope = null;
  }
  return scope;
}

/** Field 22 of /proc/PID/stat (clock ticks after boot): a PID reused by another process has another. */
function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `owner` is certainly gone (false when this process cannot tell). */
function ownerGone(owner: string | null): boolean {
  if (owner === null) return false;
  const self = hostScope();
  const cut = owner.lastIndexOf('/', owner.lastIndexOf('/') - 1);
  if (self === null || owner.slice(0, cut) !== self) return false;
  const [pid, start] = owner.slice(cut + 1).split('/');
  return processStartTicks(Number(pid)) !== start;
}

/** Writer side: one per Store. */
export class IngestLog {
  private readonly s: Record<string, Database.Statement>;
  private readonly owner = processIdentity(process.pid);

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      start: p(
        `INSERT INTO ingests (kind, source, started_at, status, fingerprint, owner, heartbeat_at, details)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?)`,
      ),
      progress: p(
        `UPDATE ingests SET frames = @frames, bytes = @bytes, malformed = @malformed, unsupported = @unsupported,
           flows = @flows, kernel_drops = @kernelDrops, interface_drops = @interfaceDrops,
           last_packet_at = coalesce(@lastPacketMs, last_packet_at), heartbeat_at = @now WHERE id = @id`,
      ),
      finish: p(
        `UPDATE ingests SET finished_at = @now, status = @status, reason = @reason, frames = @frames, bytes = @bytes,
           malformed = @malformed, unsupported = @unsupported, flows = @flows, kernel_drops = @kernelDrops,
           interface_drops = @interfaceDrops, last_packet_at = coalesce(@lastPacketMs, last_packet_at),
           heartbeat_at = @now, details = @details WHERE id = @id`,
      ),
      completed: p(
        `SELECT id, started_at, source FROM ingests WHERE fingerprint = ? AND status = 'complete' ORDER BY id LIMIT 1`,
      ),
    };
  }

  start(r: IngestStart): number {
    const now = new Date().toISOString();
    const details = r.details === undefined ? null : JSON.stringify(r.details);
    return Number(this.s.start.run(r.kind, r.source, now, r.fingerprint ?? null, this.owner, now, details).lastInsertRowid);
  }

  /** The run's counters so far; also its heartbeat. */
  progress(id: number, p: IngestProgress): void {
    this.s.progress.run(bind(id, p));
  }

  finish(id: number, r: IngestResult): void {
    this.s.finish.run({
      ...bind(id, r), status: r.status, reason: r.reason ?? null, details: r.details === undefined ? null : JSON.stringify(r.details),
    });
  }

  /** The first ingest that read a file with this fingerprint to its end, if any. */
  completedWithFingerprint(fingerprint: string): { id: number; started_at: string; source: string } | null {
    return (this.s.completed.get(fingerprint) as { id: number; started_at: string; source: string } | undefined) ?? null;
  }
}

function bind(id: number, p: IngestProgress) {
  return {
    id, now: new Date().toISOString(), frames: p.frames, bytes: p.bytes, malformed: p.malformed, unsupported: p.unsupported,
    flows: p.flows, kernelDrops: p.kernelDrops ?? null, interfaceDrops: p.interfaceDrops ?? null, lastPacketMs: p.lastPacketMs ?? null,
  };
}

interface StoredIngest extends Omit<IngestRow, 'last_packet_at' | 'updated_at' | 'status'> {
  status: string;
  owner: string | null;
  heartbeat_at: string | null;
  last_packet_at: number | null;
}

const INGEST_COLUMNS = `id, kind, source, started_at, finished_at, status, reason, frames, bytes, malformed, unsupported, flows,
  kernel_drops, interface_drops, owner, heartbeat_at, last_packet_at`;
/** The same from a database written before the ingest columns above existed (a read-only reader does not migrate). */
const INGEST_COLUMNS_OLD = `id, kind, source, started_at, finished_at, status, NULL AS reason, frames, bytes, malformed, unsupported,
  flows, kernel_drops, interface_drops, NULL AS owner, NULL AS heartbeat_at, NULL AS last_packet_at`;

/** A stored row as readers show it: a running ingest whose writer is gone is interrupted. */
function shown(r: StoredIngest, nowMs: number): IngestRow {
  let status = r.status as IngestStatus;
  let reason = r.reason;
  if (status === 'running') {
    const heartbeat = Date.parse(r.heartbeat_at ?? r.started_at);
    if (ownerGone(r.owner)) {
      status = 'interrupted';
      reason = 'the process writing it ended without finishing it (killed?)';
    } else if (nowMs - heartbeat > STALE_HEARTBEAT_MS) {
      status = 'interrupted';
      reason = `no progress written since ${r.heartbeat_at ?? r.started_at}: the process writing it is gone or stuck`;
    }
  } else if ((status as string) === 'truncated') {
    status = 'incomplete'; // written before the migration that renamed it (a reader may open an old database)
  }
  return {
    id: r.id, kind: r.kind, source: r.source, started_at: r.started_at, finished_at: r.finished_at, status, reason,
    frames: r.frames, bytes: r.bytes, malformed: r.malformed, unsupported: r.unsupported, flows: r.flows,
    kernel_drops: r.kernel_drops, interface_drops: r.interface_drops,
    last_packet_at: r.last_packet_at === null ? null : new Date(r.last_packet_at).toISOString(),
    updated_at: r.heartbeat_at,
  };
}

/** The ingest columns this database has (a read-only reader does not migrate an old one). */
function columnsOf(db: Db): string {
  const hasOwner = (db.pragma('table_info(ingests)') as { name: string }[]).some((c) => c.name === 'owner');
  return hasOwner ? INGEST_COLUMNS : INGEST_COLUMNS_OLD;
}

/** Reader side: every ingest as readers show it, oldest first. */
export function ingestRows(db: Db): IngestRow[] {
  const now = Date.now();
  return (db.prepare(`SELECT ${columnsOf(db)} FROM ingests ORDER BY id`).all() as StoredIngest[]).map((r) => shown(r, now));
}

/** Reader side: the most recent ingest, and how many ingests ended each way. */
export function ingestOverview(db: Db): { last: IngestRow | null; counts: Record<IngestStatus, number> } {
  const now = Date.now();
  const columns = columnsOf(db);
  const counts: Record<IngestStatus, number> = { running: 0, complete: 0, incomplete: 0, interrupted: 0, failed: 0 };
  // Only rows not finished need a look each; the rest are counted by SQL.
  for (const r of db.prepare(`SELECT status, count(*) AS n FROM ingests WHERE status != 'running' GROUP BY status`).all() as { status: string; n: number }[]) {
    const s = (r.status === 'truncated' ? 'incomplete' : r.status) as IngestStatus;
    counts[s] = (counts[s] ?? 0) + r.n;
  }
  for (const r of db.prepare(`SELECT ${columns} FROM ingests WHERE status = 'running'`).all() as StoredIngest[]) counts[shown(r, now).status]++;
  const last = db.prepare(`SELECT ${columns} FROM ingests ORDER BY id DESC LIMIT 1`).get() as StoredIngest | undefined;
  return { last: last === undefined ? null : shown(last, now), counts };
}
