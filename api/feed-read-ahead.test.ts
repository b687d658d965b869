/**
 * The change feed's read-ahead (api/feed-read-ahead.ts): a page read ahead is the page a fresh read
 * gives, byte for byte, with the same ETag; a write between the read-ahead and the request makes it
 * unused; a client that does not follow the feed causes no read-ahead; a response cache hit reads
 * ahead as a miss does, and a page the cache holds is not read ahead. (Following the feed while
 * another process writes: changes-follow.test.ts, with read-ahead on as in `auscult serve`.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeItem } from '../agent/store/change-query.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { FeedReadAhead } from './feed-read-ahead.js';
import { testApp, type TestApp } from './testing/test-app.js';

const T0 = Date.UTC(2026, 0, 5, 8);
const DEVICES = 30;

interface Page { items: ChangeItem[]; next_since: number; high_water: number }

describe('the change feed read ahead', () => {
  let store: Store;
  let path: string;
  let reader: StoreReader;
  let ahead: FeedReadAhead;
  let withAhead: TestApp;
  let fresh: TestApp;

  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'auscult-read-ahead-')), 'inventory.db');
    store = new Store(path);
    store.transaction(() => {
      for (let i = 0; i < DEVICES; i++) {
        const id = store.macDeviceId(`02:00:5e:00:54:${i.toString(16).padStart(2, '0')}`, `Vendor \u202e ${i}`, true, T0 + i);
        store.upsertObservation(id, 'dhcp', JSON.stringify({ hostname: `host-${i}\u2028` }), T0 + i, T0 + i, 1);
      }
    });
    reader = StoreReader.open(path);
    ahead = new FeedReadAhead(() => StoreReader.open(reader.path));
    // Without the response cache: every request reaches the route.
    withAhead = await testApp(reader, { responseCacheBytes: 0, feedReadAhead: ahead });
    fresh = await testApp(reader, { responseCacheBytes: 0, feedReadAhead: null });
  });

  afterAll(async () => {
    await withAhead.close();
    await fresh.close();
    reader.close();
    store.close();
  });

  it('serves the page a fresh read gives, byte for byte and with its ETag, to a client following the feed', async () => {
    const before = { ...ahead.stats };
    let since = 0;
    let pages = 0;
    for (;;) {
      const url = `/api/v1/changes?since=${since}&limit=4`;
      const got = await withAhead.inject(url);
      const want = await fresh.inject(url);
      expect(got.statusCode).toBe(200);
      expect(got.rawPayload.equals(want.rawPayload), url).toBe(true);
      expect(got.headers.etag, url).toBe(want.headers.etag);
      expect(got.headers['content-type']).toBe(want.headers['content-type']);
      const page = got.json<Page>();
      if (page.items.length === 0) break;
      since = page.next_since;
      pages++;
    }
    expect(pages).toBe(Math.ceil(DEVICES / 4));
    // Every page but the first was read ahead (the last page is short: nothing is read after it).
    expect(ahead.stats.served - before.served).toBe(pages - 1);
    expect(ahead.stats.stale - before.stale).toBe(0);
  });

  it('drops a page read ahead when the database changed before it was asked for', async () => {
    const first = (await withAhead.inject('/api/v1/changes?since=0&limit=4')).json<Page>();
    await ahead.settled();
    const before = { ...ahead.stats };
    // A device of the page read ahead changes: it moves to the end of the feed.
    const next = (await fresh.inject(`/api/v1/changes?since=${first.next_since}&limit=4`)).json<Page>();
    const moved = next.items[0].id;
    store.transaction(() => store.upsertVlan(moved, 7, T0, T0));

    const url = `/api/v1/changes?since=${first.next_since}&limit=4`;
    const got = await withAhead.inject(url);
    expect(ahead.stats.stale - before.stale).toBe(1);
    expect(ahead.stats.served - before.served).toBe(0);
    expect(got.rawPayload.equals((await fresh.inject(url)).rawPayload)).toBe(true);
    expect(got.json<Page>().items.map((i) => i.id)).not.toContain(moved);
  });

  it('reads nothing ahead for a client that jumps to a position, or asks for the same page again', async () => {
    await ahead.settled();
    const before = ahead.stats.read;
    await withAhead.inject('/api/v1/changes?since=5&limit=4');
    await withAhead.inject('/api/v1/changes?since=5&limit=4');
    await withAhead.inject('/api/v1/changes?since=9&limit=3');
    expect(ahead.stats.read).toBe(before);
  });

  it('reads ahead after a response cache hit, and not a page the cache holds', async () => {
    const r = StoreReader.open(path);
    const own = new FeedReadAhead(() => StoreReader.open(path));
    const t = await testApp(r, { feedReadAhead: own });
    try {
      const s1 = (await fresh.inject('/api/v1/changes?since=0&limit=4')).json<Page>().next_since;
      const s2 = (await fresh.inject(`/api/v1/changes?since=${s1}&limit=4`)).json<Page>().next_since;
      // A client jumping to s1 (no read-ahead) leaves that page in the response cache.
      await t.inject(`/api/v1/changes?since=${s1}&limit=4`);
      // A client following from 0: the page after 0 is in the cache, so nothing is read ahead...
      await t.inject('/api/v1/changes?since=0&limit=4');
      await own.settled();
      expect(own.stats.read).toBe(0);
      // ...its page at s1 is a hit, which skips the route's handler but still reads the page after it ahead.
      const hit = await t.inject(`/api/v1/changes?since=${s1}&limit=4`);
      expect(hit.statusCode).toBe(200);
      expect(own.stats.read).toBe(1);
      await own.settled();
      const url = `/api/v1/changes?since=${s2}&limit=4`;
      const got = await t.inject(url);
      expect(own.stats.served).toBe(1);
      expect(got.rawPayload.equals((await fresh.inject(url)).rawPayload)).toBe(true);
    } finally {
      await t.close();
      r.close();
    }
  });

  it('closes with a read under way', async () => {
    const r = StoreReader.open(path);
    const own = new FeedReadAhead(() => StoreReader.open(path));
    const t = await testApp(r, { responseCacheBytes: 0, feedReadAhead: own });
    await t.inject('/api/v1/changes?since=0&limit=4');
    expect(own.stats.read).toBe(1);
    await t.close();
    r.close();
  });
});
