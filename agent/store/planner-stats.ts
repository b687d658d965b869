/**
 * SQLite's planner statistics (ANALYZE) of the devices and classifications tables, refreshed by the
 * writer each time classifications has doubled. Without them the planner takes the category and medical indexes for selective:
 * a device page filtered by category (ordered by id) walked the index and sorted every match, 40-55 ms
 * at 100 k devices, instead of walking devices in id order, under 1 ms; and the list of categories in
 * use (SELECT DISTINCT, read by each category filter) took 110 ms instead of 0.1 ms.
 * ANALYZE of both costs about 0.4 s at 100 k devices (under load); doubling keeps the total to about twice that
 * over a capture (about 2 % of ingesting 100 k devices). The plan needs both tables' statistics.
 */
import type Database from 'better-sqlite3';

/** Below this many rows any plan is fast: no statistics needed yet. */
const MIN_ROWS = 1000;

export class PlannerStats {
  private readonly rows: Database.Statement;
  /** Rows the table had at its last ANALYZE (from sqlite_stat1 when the database has been analysed). */
  private analyzedAtRows: number;

  constructor(private readonly db: Database.Database) {
    // The highest rowid: O(log n), and close enough to the row count (devices are rarely removed).
    this.rows = db.prepare('SELECT coalesce(max(device_id), 0) FROM classifications').pluck();
    this.analyzedAtRows = PlannerStats.storedRows(db);
  }

  private static storedRows(db: Database.Database): number {
    const hasStats = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get() !== undefined;
    if (!hasStats) return 0;
    const stat = db.prepare("SELECT stat FROM sqlite_stat1 WHERE tbl = 'classifications' LIMIT 1").pluck().get() as string | undefined;
    return stat === undefined ? 0 : Number.parseInt(stat, 10) || 0;
  }

  /** Call after a transaction committed (not inside one): ANALYZE when the table has doubled since the last. */
  refreshIfGrown(): void {
    const rows = this.rows.get() as number;
    if (rows < MIN_ROWS || rows < 2 * this.analyzedAtRows) return;
    this.db.exec('ANALYZE devices; ANALYZE classifications');
    this.analyzedAtRows = rows;
  }
}
