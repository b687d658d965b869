/**
 * The change feed's promise, proved against a real concurrent writer: while another process (the built
 * CLI, `auscult read` on every capture fixture, flushing every 1,000 packets) ingests into the same
 * database (WAL), this test follows GET /api/v1/changes in small pages. Applying the items in order
 * (replace the device; drop it on a tombstone) must give exactly the final device list: no device
 * missing, stale or ghostly; and sequence values must strictly increase.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeItem } from '../agent/store/change-query.js';
import type { Device } from '../agent/store/device-json.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { testApp } from './testing/test-app.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const fixtures = join(root, 'test-fixtures');
const work = mkdtempSync(join(tmpdir(), 'auscult-follow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Page { items: ChangeItem[]; next_since: number; high_water: number }

describe('following the change feed while another process ingests', () => {
  it.skipIf(!existsSync(cli))('builds exactly the final device list, with strictly increasing sequence values', async () => {
    const db = join(work, 'follow.db');
    new Store(db).close(); // the schema exists before the reader opens it; the CLI then writes to it
    const reader = StoreReader.open(db);
    const app = await testApp(reader, { scopes: ['read'] }); // the feed needs no more than read
    try {
      const captures = readdirSync(fixtures).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join(fixtures, f));
      const child = spawn(process.execPath, [cli, 'read', ...captures, '--db', db, '--flush-every', '1000', '--no-progress'], {
        env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      let exitCode: number | null = null;
      const exited = new Promise<void>((resolve) => child.on('exit', (code) => { exitCode = code; resolve(); }));

      const state = new Map<number, Device>();
      const seqs: number[] = [];
      let since = 0;
      let itemsWhileWriting = 0;
      let pagesWhileWriting = 0;
      const follow = async (): Promise<number> => {
        const r = await app.inject({ method: 'GET', url: `/api/v1/changes?since=${since}&limit=7` });
        expect(r.statusCode, r.body).toBe(200);
        const page = r.json<Page>();
        for (const item of page.items) {
          seqs.push(item.seq);
          if (item.deleted) state.delete(item.id);
          else state.set(item.id, item.device);
        }
        expect(page.next_since).toBeLessThanOrEqual(page.high_water);
        since = page.next_since;
        return page.items.length;
      };
      while (exitCode === null) {
        const n = await follow();
        if (exitCode === null && n > 0) {
          pagesWhileWriting++;
          itemsWhileWriting += n;
        }
        if (n === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await exited;
      expect(exitCode, stderr).toBe(0);
      while ((await follow()) > 0);

      // The follower really ran beside the writer: it read several pages before the writer finished.
      expect(pagesWhileWriting).toBeGreaterThan(1);
      expect(itemsWhileWriting).toBeGreaterThan(0);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i], `item ${i}`).toBeGreaterThan(seqs[i - 1]);

      const final = [...reader.allDevices()];
      expect(final.length).toBeGreaterThan(40);
      expect(seqs.length).toBeGreaterThan(final.length); // devices changed after the follower first saw them
      expect([...state.keys()].sort((a, b) => a - b)).toEqual(final.map((d) => d.id));
      for (const d of final) expect(state.get(d.id), `device ${d.id}`).toStrictEqual(d);
      expect(since).toBe(reader.changeHighWater());
    } finally {
      await app.close();
      reader.close();
    }
  }, 120_000);
});
