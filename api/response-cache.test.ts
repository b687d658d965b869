/**
 * The response cache of the device routes (api/response-cache.ts): a repeat answers the same bytes and
 * headers as the miss that stored it; any write to the database (another connection, as a capture
 * writes) or a pruning of tombstones makes the next answer fresh; errors are never kept; the budget
 * holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { ResponseCache } from './response-cache.js';
import { buildFixtureDatabase, T0, TOTAL_DEVICES } from './testing/fixture-db.js';
import { testApp } from './testing/test-app.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-response-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Headers that differ between any two requests. */
const varying = { date: '', 'x-ratelimit-remaining': '', 'x-ratelimit-reset': '' };

const ROUTES = ['/api/v1/devices?limit=5', '/api/v1/devices/2', '/api/v1/devices/1/observations', '/api/v1/changes?since=3&limit=4'];

describe('the response cache of the device routes', () => {
  it('answers a repeat with the same bytes, ETag and headers, and 304 to If-None-Match', async () => {
    const reader = StoreReader.open(buildFixtureDatabase(mkdtempSync(join(work, 'same-'))));
    const uncached = await testApp(reader, { responseCacheBytes: 0 });
    const t = await testApp(reader);
    try {
      for (const url of ROUTES) {
        const plain = await uncached.inject(url);
        const miss = await t.inject(url);
        const hit = await t.inject(url);
        expect(plain.statusCode, url).toBe(200);
        for (const r of [miss, hit]) {
          expect(r.rawPayload.equals(plain.rawPayload), url).toBe(true);
          expect(r.headers['x-ratelimit-limit'], url).toBe('1200'); // the rate limit counts hits too
          expect({ ...r.headers, ...varying }, url).toEqual({ ...plain.headers, ...varying });
        }
        const etag = String(hit.headers.etag);
        expect(etag).toMatch(/^W\/"/);
        const notModified = await t.inject({ url, headers: { ...t.headers, 'if-none-match': etag } });
        expect(notModified.statusCode, url).toBe(304);
      }
    } finally {
      await uncached.close();
      await t.close();
      reader.close();
    }
  });

  it('answers fresh after another connection writes a device, and after tombstones are pruned', async () => {
    const path = join(work, 'writes.db');
    const store = new Store(path, { tombstoneRetentionDays: 1 });
    store.transaction(() => {
      store.macDeviceId('00:00:5e:00:53:aa', null, false, T0);
      store.ipDeviceId('198.51.100.7', T0);
    });
    store.transaction(() => store.reclaimRoutedAddress(1, '198.51.100.7'));
    const reader = StoreReader.open(path);
    const t = await testApp(reader);
    try {
      const ids = async () => (await t.inject('/api/v1/devices')).json<{ items: { id: number }[] }>().items.map((d) => d.id);
      expect(await ids()).toEqual([1]);
      expect(await ids()).toEqual([1]);
      store.transaction(() => store.macDeviceId('00:00:5e:00:53:bb', null, false, T0 + 1000));
      expect(await ids()).toEqual([1, 2]);

      // Pruning moves the feed's floor without a new sequence value: a since behind it must now resync.
      expect((await t.inject('/api/v1/changes?since=1')).statusCode).toBe(200);
      store.pruneTombstones(Date.now() + 2 * 86_400_000);
      expect((await t.inject('/api/v1/changes?since=1')).statusCode).toBe(410);
    } finally {
      await t.close();
      reader.close();
      store.close();
    }
  });

  it('keeps no error answer, and serves nothing for a request that fails authentication', async () => {
    const reader = StoreReader.open(buildFixtureDatabase(mkdtempSync(join(work, 'errors-'))));
    const t = await testApp(reader);
    try {
      expect((await t.inject('/api/v1/devices/999')).statusCode).toBe(404);
      expect((await t.inject('/api/v1/devices/999')).statusCode).toBe(404);
      expect((await t.inject('/api/v1/devices')).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/api/v1/devices' })).statusCode).toBe(401);
      expect((await t.inject(`/api/v1/changes?since=${TOTAL_DEVICES + 1}`)).statusCode).toBe(410);
    } finally {
      await t.close();
      reader.close();
    }
  });
});

describe('ResponseCache', () => {
  const entry = (bytes: number) => ({ body: Buffer.alloc(bytes), etag: undefined, contentType: 'application/json' });

  it('drops the least recently used entries beyond its budget, and everything on a new version', () => {
    const c = new ResponseCache(900);
    expect(c.get('a', 'v1')).toBeUndefined();
    c.set('a', 'v1', entry(200));
    c.set('b', 'v1', entry(200));
    c.set('c', 'v1', entry(200));
    expect(c.get('a', 'v1')).toBeDefined(); // a is now the most recent
    c.set('d', 'v1', entry(200));
    c.set('e', 'v1', entry(200));
    expect(c.size).toEqual({ entries: 4, bytes: 800 });
    expect(c.get('b', 'v1')).toBeUndefined();
    expect(c.get('a', 'v1')).toBeDefined();
    c.set('big', 'v1', entry(300)); // more than a quarter of the budget: not kept
    expect(c.get('big', 'v1')).toBeUndefined();
    expect(c.get('a', 'v2')).toBeUndefined();
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
    c.set('a', 'v1', entry(10)); // stored by a request that read the old version: not kept
    expect(c.size.entries).toBe(0);
  });
});
