/**
 * A capture's counters as of its last flush (migration 8): the capture process writes them with each
 * flush, and a separate `serve` reports them on /metrics and /health with their age.
 */
import type Database from 'better-sqlite3';

export interface CaptureCounters {
  /** Interface or file the run reads. */
  source: string;
  framesReceived: number;
  wireBytes: number;
  kernelDrops: number;
  interfaceDrops: number;
  malformedByReason: Record<string, number>;
  dissectorProduced: Record<string, number>;
  dissectorRejected: Record<string, number>;
  flowsActive: number;
  flowsEvicted: number;
  flushes: number;
  flushSecondsTotal: number;
  /** Capture time of the newest packet, ms; null before the first (absent in rows written before it was added). */
  lastPacketMs?: number | null;
}

export interface StoredCaptureCounters {
  ingestId: number;
  writtenAtMs: number;
  counters: CaptureCounters;
}

export function writeCaptureCounters(db: Database.Database, ingestId: number, c: CaptureCounters, nowMs = Date.now()): void {
  db.prepare(
    `INSERT INTO capture_counters (ingest_id, written_at_ms, counters) VALUES (?, ?, ?)
     ON CONFLICT (ingest_id) DO UPDATE SET written_at_ms = excluded.written_at_ms, counters = excluded.counters`,
  ).run(ingestId, nowMs, JSON.stringify(c));
}

/** The counters most recently written (the running or last capture), null before any. */
export function latestCaptureCounters(db: Database.Database): StoredCaptureCounters | null {
  const row = db.prepare('SELECT ingest_id, written_at_ms, counters FROM capture_counters ORDER BY written_at_ms DESC, ingest_id DESC LIMIT 1')
    .get() as { ingest_id: number; written_at_ms: number; counters: string } | undefined;
  return row === undefined ? null : { ingestId: row.ingest_id, writtenAtMs: row.written_at_ms, counters: JSON.parse(row.counters) as CaptureCounters };
}
