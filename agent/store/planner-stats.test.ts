/**
 * The writer refreshes the planner's statistics of classifications as the table doubles, so a device
 * page filtered by category or medical walks devices in id order instead of sorting every match
 * (planner-stats.ts). Checked on the plan SQLite picks for the reader's own query, through a reader
 * opened before the statistics existed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreReader } from './reader.js';
import { Store } from './store.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-planner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 4, 1);
const PAGE_BY_CATEGORY = `EXPLAIN QUERY PLAN SELECT d.id FROM devices d LEFT JOIN classifications c ON c.device_id = d.id
  WHERE d.id > 0 AND c.category = 'infusion-pump' ORDER BY d.id LIMIT 101`;

describe('planner statistics of classifications', () => {
  it('appear once the table has 1,000 rows, and a page by category then needs no sort', () => {
    const path = join(work, 'stats.db');
    const store = new Store(path);
    const reader = StoreReader.open(path);
    const classify = (n: number, from: number) => store.transaction(() => {
      for (let i = from; i < from + n; i++) {
        const id = store.macDeviceId(`02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, null, true, T0 + i);
        const category = i % 3 === 0 ? 'infusion-pump' : 'workstation';
        store.upsertClassification({
          deviceId: id, vendor: null, model: null, category, criticality: null, os: null, firmware: null, medical: category === 'infusion-pump',
          confidence: 50, result: '{}', libraryVersion: 'test', classifiedAt: T0,
        });
      }
    });
    const plan = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare(PAGE_BY_CATEGORY).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      } finally {
        db.close();
      }
    };
    const stats = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").get() === undefined
          ? [] : db.prepare("SELECT stat FROM sqlite_stat1 WHERE tbl = 'classifications'").pluck().all();
      } finally {
        db.close();
      }
    };
    classify(900, 0);
    expect(stats()).toEqual([]);
    expect(plan()).toMatch(/TEMP B-TREE FOR ORDER BY/);
    classify(300, 900);
    expect(stats().length).toBeGreaterThan(0);
    expect(plan()).not.toMatch(/TEMP B-TREE/);
    // A reader opened before the statistics still answers.
    expect(reader.countDevices({ category: 'infusion-pump' })).toEqual({ devices: 400, medical: 400 });
    reader.close();
    store.close();
  });
});
