/**
 * The events table (migration 7): append in the writer's transaction, read a page after a sequence
 * number. `seq` is SQLite's AUTOINCREMENT rowid: assigned by the inserting transaction, strictly
 * increasing and never reused, so a reader that passes the last seq it saw misses nothing. `id` is
 * unique: an event already recorded (the same capture read again) is not appended twice.
 */
import type Database from 'better-sqlite3';
import { EVENT_TYPES, SEVERITIES, type AuscultEvent, type EventType, type Severity } from '../export/event.js';
import { Statements } from './statements.js';

/** An event before the store gives it its place in the sequence. */
export type NewEvent = Omit<AuscultEvent, 'seq'>;

export interface EventFilter {
  /** Events with a seq above this (0: from the start). */
  afterSeq: number;
  /** Events with a seq below this (none: up to the newest). */
  beforeSeq?: number;
  limit: number;
  /** 'desc': newest first (the page holds the newest events of the range). Default 'asc'. */
  order?: 'asc' | 'desc';
  type?: EventType;
  deviceId?: number;
  /** This severity and above. */
  minSeverity?: Severity;
}

interface EventRow {
  seq: number;
  id: string;
  time_ms: number;
  type: string;
  severity: number;
  device_id: number | null;
  summary: string;
  details: string;
}

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

function toEvent(r: EventRow): AuscultEvent {
  return {
    id: r.id, seq: r.seq, time: new Date(r.time_ms).toISOString(), type: r.type as EventType,
    severity: SEVERITIES[r.severity] ?? 'info', device_id: r.device_id, summary: r.summary, details: JSON.parse(r.details) as AuscultEvent['details'],
  };
}

/** Writing events (the Store's connection). */
export class EventLog {
  private readonly insert: Database.Statement;
  /** Events appended by this process, by type (for /metrics). */
  readonly appendedByType = new Map<EventType, number>();

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      // Not ON CONFLICT DO NOTHING: that would use up a seq for an event already recorded.
      `INSERT INTO events (id, time_ms, type, severity, device_id, summary, details, recorded_at_ms)
       SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = ?)`,
    );
  }

  /** Append `e` unless an event with its id is recorded already; returns its seq, or null when it was. */
  append(e: NewEvent): number | null {
    if (!EVENT_TYPES.includes(e.type)) throw new Error(`unknown event type ${e.type}`);
    const timeMs = Date.parse(e.time);
    if (!Number.isFinite(timeMs)) throw new Error(`event ${e.id}: time is not ISO 8601: ${e.time}`);
    const r = this.insert.run(e.id, timeMs, e.type, rank(e.severity), e.device_id, e.summary, JSON.stringify(e.details), Date.now(), e.id);
    if (r.changes === 0) return null;
    this.appendedByType.set(e.type, (this.appendedByType.get(e.type) ?? 0) + 1);
    return Number(r.lastInsertRowid);
  }
}

/** Reading events (any connection, read-only included). */
export class EventQuery {
  constructor(private readonly stmt: Statements) {}

  /**
   * One page of events between `f.afterSeq` and `f.beforeSeq`, filtered: the oldest of them in seq
   * order, or with order 'desc' the newest, newest first (both walk the primary key, no sort).
   */
  list(f: EventFilter): AuscultEvent[] {
    const where = ['seq > ?'];
    const params: (string | number)[] = [f.afterSeq];
    if (f.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(f.beforeSeq);
    }
    if (f.type !== undefined) {
      where.push('type = ?');
      params.push(f.type);
    }
    if (f.deviceId !== undefined) {
      where.push('device_id = ?');
      params.push(f.deviceId);
    }
    if (f.minSeverity !== undefined && rank(f.minSeverity) > 0) {
      where.push('severity >= ?');
      params.push(rank(f.minSeverity));
    }
    params.push(f.limit);
    const sql = `SELECT seq, id, time_ms, type, severity, device_id, summary, details FROM events WHERE ${where.join(' AND ')} ORDER BY seq ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
    return (this.stmt.get(sql).all(...params) as EventRow[]).map(toEvent);
  }

  /** Recorded events by type (every type present, 0 when none). */
  countsByType(): Record<EventType, number> {
    const out = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
    for (const r of this.stmt.get('SELECT type, count(*) AS n FROM events GROUP BY type').all() as { type: string; n: number }[]) {
      if ((EVENT_TYPES as readonly string[]).includes(r.type)) out[r.type as EventType] = r.n;
    }
    return out;
  }

  /** Events with afterSeq < seq <= throughSeq (a forwarding destination's lag). */
  countBetween(afterSeq: number, throughSeq: number): number {
    return this.stmt.get('SELECT count(*) FROM events WHERE seq > ? AND seq <= ?').pluck().get(afterSeq, throughSeq) as number;
  }

  /** The seq after which the last `count` events up to throughSeq begin, 0 when fewer (a resend window). */
  seqBefore(throughSeq: number, count: number): number {
    return (this.stmt.get('SELECT seq FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck().get(throughSeq, count) as number | undefined) ?? 0;
  }

  /** The highest seq recorded, 0 when none. */
  lastSeq(): number {
    return (this.stmt.get('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number);
  }
}
