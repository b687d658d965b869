import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MERGE_SQL } from './merge.js';
import { openDatabase } from './database.js';
import { Store } from './store.js';

describe('folding one device into another', () => {
  it('covers every table that names a device (a new one must be added to MERGE_SQL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-merge-'));
    try {
      new Store(join(dir, 'm.db')).close();
      const db = openDatabase(join(dir, 'm.db'), { readonly: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const naming = tables.filter((t) =>
        t === 'devices' || (db.pragma(`table_info(${t})`) as { name: string }[]).some((c) => /(^|_)device_id$/.test(c.name)));
      db.close();
      const merged = new Set(MERGE_SQL.flatMap((sql) => [...sql.matchAll(/(?:INSERT INTO|DELETE FROM|UPDATE) (\w+)/g)].map((m) => m[1])));
      expect(naming.length).toBeGreaterThan(5);
      for (const t of naming) expect(merged.has(t), t).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
