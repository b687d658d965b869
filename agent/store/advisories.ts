/**
 * Stored advisories (migration 5): the latest revision of each CSAF document, normalised, with the
 * network indicators it names. Its own connection: the importer writes, matching and listing read
 * (read-only, WAL: never blocking a capture that writes the inventory).
 */
import type Database from 'better-sqlite3';
import type { Advisory } from '../risk/csaf.js';
import type { NetworkIndicator } from '../risk/advisory-ioc.js';
import { openDatabase } from './database.js';

/** What is stored of a revision, to decide whether another file replaces it. */
export interface StoredRevision {
  id: string;
  revision: string;
  currentReleaseMs: number;
  sha256: string;
  format: number;
}

export interface AdvisoryRecord {
  advisory: Advisory;
  /** File name it comes from. */
  source: string;
  sha256: string;
  format: number;
  indicators: NetworkIndicator[];
}

/** One line of `auscult advisories list`. */
export interface AdvisorySummary {
  id: string;
  revision: string;
  title: string;
  currentReleaseMs: number;
  vendors: string[];
  products: string[];
  cveCount: number;
  maxCvss: number | null;
  source: string;
}

interface SummaryRow {
  id: string;
  revision: string;
  title: string;
  current_release_ms: number;
  vendors: string;
  products: string;
  cve_count: number;
  max_cvss: number | null;
  source: string;
}

export class AdvisoryStore {
  private constructor(private readonly db: Database.Database) {}

  /** Over a connection someone else owns (StoreReader's): never close it. */
  static over(db: Database.Database): AdvisoryStore {
    return new AdvisoryStore(db);
  }

  /** Changes whenever an advisory is imported or replaced. */
  version(): string {
    const r = this.db.prepare('SELECT count(*) AS n, max(imported_at_ms) AS t FROM advisories').get() as { n: number; t: number | null };
    return `${r.n}:${r.t ?? 0}`;
  }

  /** Open (and migrate, unless read-only) the database at `path`. */
  static open(path: string, opts: { readonly?: boolean } = {}): AdvisoryStore {
    return new AdvisoryStore(openDatabase(path, opts));
  }

  revision(id: string): StoredRevision | null {
    const row = this.db.prepare('SELECT id, revision, current_release_ms, sha256, format FROM advisories WHERE id = ?').get(id) as
      | { id: string; revision: string; current_release_ms: number; sha256: string; format: number }
      | undefined;
    return row ? { id: row.id, revision: row.revision, currentReleaseMs: row.current_release_ms, sha256: row.sha256, format: row.format } : null;
  }

  /** Insert an advisory, or replace the stored revision and its indicators, in one transaction. */
  put(r: AdvisoryRecord, importedAtMs = Date.now()): void {
    const a = r.advisory;
    const scores = a.vulnerabilities.flatMap((v) => v.scores.map((s) => s.baseScore));
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM advisory_indicators WHERE advisory_id = ?').run(a.id);
      this.db.prepare(
        `INSERT INTO advisories (id, revision, current_release_ms, initial_release_ms, title, publisher, vendors, products,
           cve_count, max_cvss, source, sha256, format, advisory, imported_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, current_release_ms = excluded.current_release_ms,
           initial_release_ms = excluded.initial_release_ms, title = excluded.title, publisher = excluded.publisher,
           vendors = excluded.vendors, products = excluded.products, cve_count = excluded.cve_count, max_cvss = excluded.max_cvss,
           source = excluded.source, sha256 = excluded.sha256, format = excluded.format, advisory = excluded.advisory,
           imported_at_ms = excluded.imported_at_ms`,
      ).run(
        a.id, a.version, a.currentReleaseMs, a.initialReleaseMs, a.title, a.publisher,
        JSON.stringify([...new Set(a.products.map((p) => p.vendor))]), JSON.stringify([...new Set(a.products.map((p) => p.name))]),
        new Set(a.vulnerabilities.map((v) => v.cve ?? v.title ?? '')).size, scores.length ? Math.max(...scores) : null,
        r.source, r.sha256, r.format, JSON.stringify(a), importedAtMs,
      );
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO advisory_indicators (advisory_id, indicator, ip_version, prefix_length, source, cve, context)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const i of r.indicators) insert.run(a.id, i.indicator, i.ip_version, i.prefix_length, i.source, i.cve, i.context);
    })();
  }

  /** Every stored advisory, newest release first. */
  summaries(): AdvisorySummary[] {
    const rows = this.db.prepare(
      `SELECT id, revision, title, current_release_ms, vendors, products, cve_count, max_cvss, source
       FROM advisories ORDER BY current_release_ms DESC, id`,
    ).all() as SummaryRow[];
    return rows.map((r) => ({
      id: r.id, revision: r.revision, title: r.title, currentReleaseMs: r.current_release_ms,
      vendors: JSON.parse(r.vendors) as string[], products: JSON.parse(r.products) as string[],
      cveCount: r.cve_count, maxCvss: r.max_cvss, source: r.source,
    }));
  }

  /** Every stored advisory, normalised (agent/risk/csaf.ts), by id. */
  advisories(): Advisory[] {
    return (this.db.prepare('SELECT advisory FROM advisories ORDER BY id').pluck().all() as string[]).map((j) => JSON.parse(j) as Advisory);
  }

  /** Network indicators of every stored advisory. */
  indicators(): NetworkIndicator[] {
    return this.db.prepare(
      'SELECT advisory_id, indicator, ip_version, prefix_length, source, cve, context FROM advisory_indicators ORDER BY advisory_id, indicator',
    ).all() as NetworkIndicator[];
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM advisories').pluck().get() as number;
  }

  close(): void {
    if (!this.db.open) return;
    // As Store.close(): fold the WAL back so the .db file alone is complete.
    if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
