/**
 * Read side of the live capture runs (`ingests`), for `auscult doctor` through StoreReader: what the
 * last live capture on an interface recorded (drops, the interface's transmit counter).
 */
import type Database from 'better-sqlite3';

export interface LiveIngest {
  id: number;
  source: string;
  startedAt: string;
  finishedAt: string | null;
  /** running, complete, interrupted, failed. */
  status: string;
  kernelDrops: number | null;
  /** Frames libpcap received (details.received), when the run finished. */
  received: number | null;
  /** The interface's tx_packets when the run started and when it ended (null: unknown). */
  txPacketsStart: number | null;
  txPacketsEnd: number | null;
}

interface Row {
  id: number;
  source: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  kernel_drops: number | null;
  details: string | null;
}

/** The most recent live capture on `iface`, or undefined when there was none. */
export function lastLiveIngest(db: Database.Database, iface: string): LiveIngest | undefined {
  const row = db
    .prepare(`SELECT id, source, started_at, finished_at, status, kernel_drops, details FROM ingests
              WHERE kind = 'live' AND source = ? ORDER BY id DESC LIMIT 1`)
    .get(iface) as Row | undefined;
  if (row === undefined) return undefined;
  let details: Record<string, unknown> = {};
  try {
    details = (JSON.parse(row.details ?? '{}') as Record<string, unknown> | null) ?? {};
  } catch {
    // details written by an older auscult or by hand: the counters are simply unknown
  }
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    id: row.id, source: row.source, startedAt: row.started_at, finishedAt: row.finished_at, status: row.status,
    kernelDrops: row.kernel_drops, received: num(details.received),
    txPacketsStart: num(details.tx_packets_start), txPacketsEnd: num(details.tx_packets_end),
  };
}
