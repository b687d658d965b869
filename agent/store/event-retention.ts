/**
 * Events retention: events stored longer ago than the retention (wall clock of their storing,
 * events.recorded_at_ms) are deleted by the writer as it flushes, at most once a minute. Forwarding
 * destinations are never robbed silently: before the delete, every destination whose position is
 * behind it counts the events it never had (forward_positions.dropped, `/metrics`
 * auscult_forward_dropped_events_total) and moves past them, and a `forward.dropped` event (severity
 * high) says so, itself forwarded like any other. Events every destination has are simply deleted.
 */
import type Database from 'better-sqlite3';
import { eventId } from '../events/event-id.js';
import type { EventLog } from './events.js';
import { ForwardPositions } from './forward-positions.js';

const DAY_MS = 86_400_000;
/** Retention runs at most this often (a flush every few seconds need not look each time). */
const PRUNE_EVERY_MS = 60_000;

export const DEFAULT_EVENTS_RETENTION_DAYS = 90;

export interface EventRetentionOptions {
  /** Days an event is kept after it was stored (default 90). */
  eventsRetentionDays?: number;
}

/** What one pass removed. */
export interface RetentionPass {
  /** Every event up to this seq is gone. */
  throughSeq: number;
  deleted: number;
  /** Destinations that had not accepted some of them, and how many each lost. */
  undelivered: { destination: string; dropped: number }[];
}

export class EventRetention {
  private readonly lastExpired: Database.Statement;
  private readonly countBetween: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly positions: ForwardPositions;
  private readonly retentionDays: number;
  private lastPruneMs = 0;

  constructor(db: Database.Database, private readonly events: EventLog, opts: EventRetentionOptions = {}) {
    this.lastExpired = db.prepare('SELECT max(seq) FROM events WHERE recorded_at_ms < ?').pluck();
    this.countBetween = db.prepare('SELECT count(*) FROM events WHERE seq > ? AND seq <= ?').pluck();
    this.deleteThrough = db.prepare('DELETE FROM events WHERE seq <= ?');
    this.positions = new ForwardPositions(db);
    this.retentionDays = opts.eventsRetentionDays ?? DEFAULT_EVENTS_RETENTION_DAYS;
  }

  /**
   * Inside the writer's transaction: delete the events past retention, counting what destinations
   * had not accepted; null when nothing was due (or it ran less than a minute ago, unless `force`).
   */
  prune(nowMs: number, force = false): RetentionPass | null {
    if (!force && nowMs - this.lastPruneMs < PRUNE_EVERY_MS) return null;
    this.lastPruneMs = nowMs;
    const through = this.lastExpired.get(nowMs - this.retentionDays * DAY_MS) as number | null;
    if (through === null) return null;
    const count = (after: number, upTo: number): number => this.countBetween.get(after, upTo) as number;
    const undelivered = this.positions
      .all()
      .filter((p) => p.deliveredSeq < through)
      .map((p) => ({ destination: p.destination, dropped: count(p.deliveredSeq, through) }))
      .filter((u) => u.dropped > 0);
    this.positions.recordRetention(through, count);
    const deleted = this.deleteThrough.run(through).changes;
    for (const u of undelivered) {
      this.events.append({
        id: eventId('forward.dropped', u.destination, through),
        time: new Date(nowMs).toISOString(),
        type: 'forward.dropped',
        severity: 'high',
        device_id: null,
        summary: `Events retention (${this.retentionDays} days) dropped ${u.dropped} events before ${u.destination} had them`,
        details: { destination: u.destination, dropped: u.dropped, through_seq: through, retention_days: this.retentionDays },
      });
    }
    return { throughSeq: through, deleted, undelivered };
  }
}
