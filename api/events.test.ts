/** GET /api/v1/events through inject(), on a database written by the Store's EventLog. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from '../agent/events/event-id.js';
import { SEVERITIES, type AuscultEvent, type EventType } from '../agent/export/event.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { testApp, type TestApp } from './testing/test-app.js';

const TYPES: EventType[] = ['device.new', 'service.new', 'arp.conflict', 'mac.flood', 'device.hostname_new'];
const COUNT = 25;
let dir: string;
let reader: StoreReader;
let app: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-api-ev-'));
  const store = new Store(join(dir, 'a.db'));
  store.transaction(() => {
    for (let i = 0; i < COUNT; i++) {
      const type = TYPES[i % TYPES.length];
      store.events.append({
        id: eventId(type, `s${i}`), time: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString(), type,
        severity: SEVERITIES[i % SEVERITIES.length], device_id: type === 'mac.flood' ? null : (i % 3) + 1,
        // A name from the wire with an escape sequence in it: the JSON must not carry it raw.
        summary: i === 4 ? 'pc\x1b[2Jname is named evil\u009b' : `event ${i}`, details: { mac: null, n: i } as never,
      });
    }
  });
  store.close();
  reader = StoreReader.open(join(dir, 'a.db'));
  app = await testApp(reader);
});
afterAll(async () => {
  await app.close();
  reader.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Page { items: AuscultEvent[]; next_since: number; next_before?: number | null }
async function page(qs: string): Promise<Page> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/events${qs}` });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

describe('GET /api/v1/events', () => {
  it('follows the sequence with since=next_since to exhaustion: every event once, in order', async () => {
    for (const limit of [1, 7, COUNT, 1000]) {
      const seqs: number[] = [];
      let since = 0;
      for (;;) {
        const p = await page(`?since=${since}&limit=${limit}`);
        if (p.items.length === 0) {
          expect(p.next_since).toBe(since);
          break;
        }
        seqs.push(...p.items.map((e) => e.seq));
        since = p.next_since;
      }
      expect(seqs).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    }
  });

  it('order=desc: the newest first, paging backwards with before=next_before to exhaustion, every event once', async () => {
    const newest = await page('?order=desc&limit=10');
    expect(newest.items.map((e) => e.seq)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(newest.next_before).toBe(16);
    expect(newest.next_since).toBe(25);
    for (const limit of [1, 7, COUNT, 1000]) {
      const seqs: number[] = [];
      let before: number | null | undefined;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(COUNT + 2);
        const p = await page(`?order=desc&limit=${limit}${before === undefined ? '' : `&before=${before}`}`);
        seqs.push(...p.items.map((e) => e.seq));
        if (p.next_before === null) break;
        expect(p.next_before).toBe(p.items[p.items.length - 1].seq);
        before = p.next_before;
      }
      expect(seqs, `limit ${limit}`).toEqual(Array.from({ length: COUNT }, (_, i) => COUNT - i));
    }
  });

  it('order=desc with filters and since: the newest matching events above since', async () => {
    expect((await page('?order=desc&type=arp.conflict')).items.map((e) => e.seq)).toEqual([23, 18, 13, 8, 3]);
    const p = await page('?order=desc&type=arp.conflict&limit=2&before=18');
    expect(p.items.map((e) => e.seq)).toEqual([13, 8]);
    expect(p.next_before).toBe(8);
    expect((await page('?order=desc&since=20')).items.map((e) => e.seq)).toEqual([25, 24, 23, 22, 21]);
    expect((await page('?order=desc&device_id=2&limit=3')).items.every((e) => e.device_id === 2)).toBe(true);
    // Following the feed after a newest-first page: nothing newer yet.
    const followed = await page(`?since=${(await page('?order=desc&limit=3')).next_since}`);
    expect(followed.items).toEqual([]);
    // order=asc is the default and says so explicitly too.
    expect(await page('?order=asc&limit=3')).toEqual(await page('?limit=3'));
  });

  it('returns the events exactly as the reader gives them', async () => {
    const p = await page('?limit=1000');
    expect(p.items).toEqual(reader.events({ afterSeq: 0, limit: 1000 }));
    expect(p.items[0]).toMatchObject({ seq: 1, type: 'device.new', severity: 'info', device_id: 1, time: '2024-05-01T00:00:00.000Z', details: { n: 0 } });
    expect(p.items.find((e) => e.type === 'mac.flood')!.device_id).toBeNull();
  });

  it('filters by type, device and minimum severity', async () => {
    expect((await page('?type=arp.conflict')).items.map((e) => e.seq)).toEqual([3, 8, 13, 18, 23]);
    expect((await page('?device_id=2')).items.every((e) => e.device_id === 2)).toBe(true);
    const high = (await page('?min_severity=high')).items;
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((e) => e.severity === 'high' || e.severity === 'critical')).toBe(true);
    const filtered = await page('?type=service.new&since=2&limit=2');
    expect(filtered.items.map((e) => e.seq)).toEqual([7, 12]);
    expect(filtered.next_since).toBe(12);
  });

  it('escapes control characters from the wire in the JSON text', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/events?since=4&limit=1' });
    expect(r.body.includes('\x1b') || r.body.includes('\u009b')).toBe(false);
    expect(r.json().items[0].summary).toBe('pc\x1b[2Jname is named evil\u009b');
  });

  it('rejects malformed requests with a 400 naming the parameter', async () => {
    for (const [qs, message] of [
      ['?since=abc', /since/], ['?since=-1', /since/], ['?since=0x10', /since.*decimal/], ['?limit=0', /limit/], ['?limit=1001', /limit/],
      ['?type=device.gone', /type/], ['?min_severity=urgent', /min_severity/], ['?device_id=0', /device_id/], ['?sinse=3', /sinse/],
      ['?since=1&since=2', /since.*twice|2 times/], ['?type=%1b', /control/],
      ['?order=newest', /order/], ['?order=desc&before=0', /before/], ['?order=desc&before=x', /before/], ['?before=5', /before.*order=desc/],
      ['?order=asc&before=5', /before.*order=desc/],
    ] as const) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/events${qs}` });
      expect(r.statusCode, qs).toBe(400);
      expect(r.json().message, qs).toMatch(message);
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const op = doc.paths['/api/v1/events'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['before', 'device_id', 'limit', 'min_severity', 'order', 'since', 'type']);
    expect(op.responses['200']).toBeDefined();
  });
});
