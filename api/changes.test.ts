/**
 * GET /api/v1/changes through `inject()` on the fixture database (written by the real Store in one
 * transaction: devices 1..24 take values 1..24). The feed's behaviour under a concurrent writer is
 * proved in changes-follow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeItem } from '../agent/store/change-query.js';
import { StoreReader } from '../agent/store/reader.js';
import { authHeaders, createTestToken, type TestApp } from './testing/test-app.js';
import { withFixtureApp } from './testing/fixture-app.js';
import { TOTAL_DEVICES } from './testing/fixture-db.js';

let reader: StoreReader;
let t: TestApp;
withFixtureApp((r, app) => ([reader, t] = [r, app]), { version: '9.9.9-test' });

interface Page { items: ChangeItem[]; next_since: number; high_water: number }

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await t.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
}

describe('GET /api/v1/changes', () => {
  it('pages through every device in sequence order, each the object of GET /devices/{id} without peers, until an empty page', async () => {
    for (const limit of [1, 5, TOTAL_DEVICES, 1000]) {
      const seen: ChangeItem[] = [];
      let since = 0;
      for (;;) {
        const r = await get(`/api/v1/changes?since=${since}&limit=${limit}`);
        expect(r.status).toBe(200);
        const page = r.body as unknown as Page;
        expect(page.high_water).toBe(TOTAL_DEVICES);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        if (page.items.length === 0) {
          expect(page.next_since).toBe(since);
          break;
        }
        expect(page.next_since).toBe(page.items[page.items.length - 1].seq);
        seen.push(...page.items);
        since = page.next_since;
      }
      expect(seen.map((i) => i.seq)).toEqual(Array.from({ length: TOTAL_DEVICES }, (_, i) => i + 1));
      expect(seen.every((i) => i.type === 'device' && !i.deleted)).toBe(true);
    }
    const one = (await get('/api/v1/changes?since=1&limit=1')).body as unknown as Page;
    const { peers, ...device } = (await get('/api/v1/devices/2')).body;
    expect(peers).toBeDefined();
    expect(one.items).toStrictEqual([{ seq: 2, type: 'device', id: 2, deleted: false, device }]);
  });

  it('starts from 0 and 100 items by default', async () => {
    const page = (await get('/api/v1/changes')).body as unknown as Page;
    expect(page.items).toHaveLength(TOTAL_DEVICES);
    expect(page.next_since).toBe(TOTAL_DEVICES);
  });

  it('answers 410 "resync" for a since ahead of the database (another database, or one restored from backup)', async () => {
    const r = await get(`/api/v1/changes?since=${TOTAL_DEVICES + 1}`);
    expect(r.status).toBe(410);
    expect(r.body).toEqual({ error: 'Gone', message: expect.stringMatching(/^resync: since 25 is ahead/), statusCode: 410 });
  });

  it('rejects malformed input with a 400 naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['since=-1', /'since' must be >= 0/],
      ['since=0x10', /'since' must be an integer in decimal digits/],
      ['since=1e2', /'since' must be an integer in decimal digits/],
      ['since=abc', /'since' must be an integer/],
      ['since=1&since=2', /'since' is given 2 times/],
      ['limit=0', /'limit' must be >= 1/],
      ['limit=1001', /'limit' must be <= 1000/],
      ['sinse=3', /unknown query parameter 'sinse' \(accepted: since, limit\)/],
      ['since=%00', /control character/],
    ];
    for (const [qs, message] of cases) {
      const r = await get(`/api/v1/changes?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.message, qs).toMatch(message);
    }
  });

  it('needs a token with scope read: 401 without one, 403 with a metrics-only token', async () => {
    expect((await t.app.inject({ url: '/api/v1/changes' })).statusCode).toBe(401);
    const metricsOnly = authHeaders(createTestToken(reader.path, ['metrics']));
    const r = await t.app.inject({ url: '/api/v1/changes', headers: metricsOnly });
    expect(r.statusCode).toBe(403);
    expect(r.json().message).toMatch(/needs a token with scope read/);
    const readOnly = authHeaders(createTestToken(reader.path, ['read']));
    expect((await t.app.inject({ url: '/api/v1/changes', headers: readOnly })).statusCode).toBe(200);
  });

  it('is in the OpenAPI document, with its 410', async () => {
    const doc = (await get('/openapi.json')).body as { paths: Record<string, { get: { responses: Record<string, unknown>; parameters: { name: string }[] } }> };
    const op = doc.paths['/api/v1/changes'].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '410']));
    expect(op.parameters.map((p) => p.name).sort()).toEqual(['limit', 'since']);
  });
});
