import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdSet } from './id-set.js';
import { ingestOverview, STALE_HEARTBEAT_MS } from './ingests.js';
import { openDatabase } from './database.js';
import { Store } from './store.js';

/** A second connection to the Store's file, to read and to tamper with what it wrote (its own is private). */
const beside = (path: string) => openDatabase(path);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-ingests-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const progress = { frames: 10, bytes: 1000, malformed: 0, unsupported: 1, flows: 2 };

describe('the ingest log as readers show it', () => {
  it('a running ingest of a live process is running, with its progress; finished ones keep their status and reason', () => {
    const store = new Store(join(dir, 'i.db'));
    const db = beside(join(dir, 'i.db'));
    const done = store.ingests.start({ kind: 'file', source: 'a.pcap', fingerprint: '1:ab' });
    store.ingests.finish(done, { ...progress, status: 'incomplete', reason: 'the file is truncated: it ends in the middle of a record' });
    const live = store.ingests.start({ kind: 'live', source: 'eth1' });
    store.ingests.progress(live, { ...progress, kernelDrops: 3, interfaceDrops: 0, lastPacketMs: Date.UTC(2025, 0, 1) });
    const o = ingestOverview(db);
    expect(o.last).toMatchObject({ id: live, status: 'running', reason: null, frames: 10, kernel_drops: 3, last_packet_at: '2025-01-01T00:00:00.000Z' });
    expect(o.counts).toEqual({ running: 1, complete: 0, incomplete: 1, interrupted: 0, failed: 0 });
    expect(store.ingests.completedWithFingerprint('1:ab')).toBeNull(); // incomplete: read again next time
    db.close();
    store.close();
  });

  it('a running ingest whose process is gone (same machine, PID namespace) is interrupted', () => {
    const store = new Store(join(dir, 'k.db'));
    const db = beside(join(dir, 'k.db'));
    const id = store.ingests.start({ kind: 'file', source: 'b.pcap' });
    // This process's identity (boot/pid-namespace/pid/start) with the PID of a process that has exited.
    const owner = (db.prepare('SELECT owner FROM ingests WHERE id = ?').pluck().get(id) as string).split('/');
    expect(owner[2]).toBe(String(process.pid));
    owner[2] = String(spawnSync('true').pid);
    db.prepare('UPDATE ingests SET owner = ? WHERE id = ?').run(owner.join('/'), id);
    expect(ingestOverview(db).last).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(/ended without finishing it/) });
    db.close();
    store.close();
  });

  it('a running ingest without a heartbeat for STALE_HEARTBEAT_MS is interrupted, whoever wrote it', () => {
    const store = new Store(join(dir, 's.db'));
    const db = beside(join(dir, 's.db'));
    const id = store.ingests.start({ kind: 'live', source: 'eth2' });
    const old = new Date(Date.now() - STALE_HEARTBEAT_MS - 1000).toISOString();
    db.prepare(`UPDATE ingests SET owner = 'another-host/1/2/3', heartbeat_at = ? WHERE id = ?`).run(old, id);
    expect(ingestOverview(db)).toMatchObject({
      last: { status: 'interrupted', reason: expect.stringMatching(/^no progress written since /) },
      counts: { running: 0, interrupted: 1 },
    });
    db.close();
    store.close();
  });

  it('a read-only reader of a database from before the ingest columns still answers', () => {
    const path = join(dir, 'v4.db');
    const store = new Store(path);
    store.ingests.start({ kind: 'file', source: 'c.pcap' });
    store.close();
    const db = beside(path);
    db.exec(`ALTER TABLE ingests DROP COLUMN heartbeat_at; ALTER TABLE ingests DROP COLUMN owner; ALTER TABLE ingests DROP COLUMN reason;
      DROP INDEX ingests_fingerprint; ALTER TABLE ingests DROP COLUMN fingerprint; ALTER TABLE ingests DROP COLUMN last_packet_at;
      UPDATE ingests SET status = 'truncated'`);
    db.close();
    const ro = openDatabase(path, { readonly: true });
    expect(ingestOverview(ro)).toMatchObject({ last: { status: 'incomplete', reason: null }, counts: { incomplete: 1 } });
    ro.close();
  });
});

describe('IdSet', () => {
  it('counts its members up to a bound, across word edges', () => {
    const s = new IdSet();
    const ids = [1, 2, 31, 32, 33, 63, 64, 1000, 5000, 100_000];
    for (const id of ids) s.add(id);
    s.add(31);
    for (const max of [0, 1, 30, 31, 32, 63, 64, 65, 999, 1000, 4999, 5000, 99_999, 100_000, 1e6]) {
      expect(s.countUpTo(max), String(max)).toBe(ids.filter((i) => i <= max).length);
    }
    expect(s.has(64)).toBe(true);
    expect(s.has(65)).toBe(false);
    expect(s.has(1e9)).toBe(false);
  });
});
