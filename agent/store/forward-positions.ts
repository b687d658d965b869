/**
 * The outbox positions: for each forwarding destination, the sequence number of the last event its
 * receiver accepted. Events stay in the events table; a destination's position moves only after its
 * receiver accepted (agent/forward/forwarder.ts), so a restart resumes where delivery stopped.
 * Retention asks minDelivered() what every destination has, and reports what it drops before a
 * destination had it through recordRetention(): counted, never silent.
 */
import type Database from 'better-sqlite3';
import { openDatabase } from './database.js';

export interface ForwardPosition {
  destination: string;
  deliveredSeq: number;
  /** Events retention removed before this destination had them. */
  dropped: number;
  /** Wall clock (ms) of the last inventory snapshot sent, null when none. */
  snapshotAtMs: number | null;
  updatedAtMs: number;
  /** Events the receiver accepted, resends included (for /metrics). */
  sent: number;
  /** Of which sent again after a reconnect (the TCP/TLS resend window). */
  resent: number;
  /** Connections opened again after a failure. */
  reconnects: number;
}

interface Row {
  destination: string;
  delivered_seq: number;
  dropped: number;
  snapshot_at_ms: number | null;
  updated_at_ms: number;
  sent: number;
  resent: number;
  reconnects: number;
}

const toPosition = (r: Row): ForwardPosition => ({
  destination: r.destination, deliveredSeq: r.delivered_seq, dropped: r.dropped, snapshotAtMs: r.snapshot_at_ms, updatedAtMs: r.updated_at_ms,
  sent: r.sent, resent: r.resent, reconnects: r.reconnects,
});

/** Every destination's position and counters, on any connection (read-only included: /metrics). */
export function readForwardPositions(db: Database.Database): ForwardPosition[] {
  return (db.prepare('SELECT * FROM forward_positions ORDER BY destination').all() as Row[]).map(toPosition);
}

export class ForwardPositions {
  /** Its own connection to the database at `path` (created and migrated when new). */
  static open(path: string): ForwardPositions {
    return new ForwardPositions(openDatabase(path), true);
  }

  constructor(private readonly db: Database.Database, private readonly owned = false) {}

  /** The destination's position; a destination seen for the first time starts at `startSeq`. */
  get(destination: string, startSeq = 0): ForwardPosition {
    this.db
      .prepare('INSERT INTO forward_positions (destination, delivered_seq, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(destination, startSeq, Date.now());
    return toPosition(this.db.prepare('SELECT * FROM forward_positions WHERE destination = ?').get(destination) as Row);
  }

  /** The receiver accepted every event up to `seq` (never moves back), `sent` of them in this batch. */
  delivered(destination: string, seq: number, sent = 0): void {
    this.db
      .prepare('UPDATE forward_positions SET delivered_seq = max(delivered_seq, ?), sent = sent + ?, updated_at_ms = ? WHERE destination = ?')
      .run(seq, sent, Date.now(), destination);
  }

  /**
   * A connection opened: `resent` events before the position sent again on it (the resend window), and
   * whether it replaced one that failed (`reconnect`; a process's first connection is not one).
   */
  reconnected(destination: string, resent: number, reconnect: boolean): void {
    this.db
      .prepare('UPDATE forward_positions SET reconnects = reconnects + ?, resent = resent + ?, sent = sent + ?, updated_at_ms = ? WHERE destination = ?')
      .run(reconnect ? 1 : 0, resent, resent, Date.now(), destination);
  }

  snapshotSent(destination: string, atMs: number): void {
    this.db.prepare('UPDATE forward_positions SET snapshot_at_ms = ?, updated_at_ms = ? WHERE destination = ?').run(atMs, Date.now(), destination);
  }

  all(): ForwardPosition[] {
    return readForwardPositions(this.db);
  }

  /** The lowest position of any destination (what retention may drop without loss); null without destinations. */
  minDelivered(): number | null {
    return this.db.prepare('SELECT min(delivered_seq) FROM forward_positions').pluck().get() as number | null;
  }

  /**
   * Retention is about to drop every event with seq <= throughSeq: each destination behind it counts
   * the events it never had (`countBetween(after, through)`) as dropped and moves past them.
   */
  recordRetention(throughSeq: number, countBetween: (afterSeq: number, throughSeq: number) => number): void {
    const behind = this.db.prepare('SELECT * FROM forward_positions WHERE delivered_seq < ?').all(throughSeq) as Row[];
    const update = this.db.prepare('UPDATE forward_positions SET dropped = dropped + ?, delivered_seq = ?, updated_at_ms = ? WHERE destination = ?');
    this.db.transaction(() => {
      for (const r of behind) update.run(countBetween(r.delivered_seq, throughSeq), throughSeq, Date.now(), r.destination);
    })();
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}
