/**
 * GET /api/v1/devices: sort and order with cursor paging, the vlan and hostname filters, high_water
 * (the fixture database: api/testing/fixture-db.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Device } from '../agent/store/device-json.js';
import { StoreReader } from '../agent/store/reader.js';
import { encodeCursor } from './routes/devices.js';
import type { TestApp } from './testing/test-app.js';
import { withFixtureApp } from './testing/fixture-app.js';
import { LAYER2_DEVICES, TOTAL_DEVICES } from './testing/fixture-db.js';

let reader: StoreReader;
let t: TestApp;
withFixtureApp((r, app) => ([reader, t] = [r, app]), { version: '9.9.9-test' });

interface ListBody { items: Device[]; next_cursor: string | null; limit: number; high_water: number }

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await t.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
}
/** Every page of a query, following next_cursor. */
async function all(qs: string, limit: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const r = await get(`/api/v1/devices?${qs}&limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const b = r.body as unknown as ListBody;
    ids.push(...b.items.map((d) => d.id));
    cursor = b.next_cursor;
  } while (cursor !== null);
  return ids;
}

const everyDevice = (): Device[] => reader.listDevices({ limit: 1000 }).items;
const vendorKey = (d: Device): string => (d.vendor ?? d.mac_vendor ?? '').toLowerCase();

describe('sort and order', () => {
  it('orders by each key then id, ascending and descending, and pages through it without duplicates or gaps', async () => {
    const devices = everyDevice();
    const expected: Record<string, number[]> = {
      id: devices.map((d) => d.id),
      last_seen: [...devices].sort((a, b) => a.last_seen.localeCompare(b.last_seen) || a.id - b.id).map((d) => d.id),
      first_seen: [...devices].sort((a, b) => a.first_seen.localeCompare(b.first_seen) || a.id - b.id).map((d) => d.id),
      vendor: [...devices].sort((a, b) => (vendorKey(a) < vendorKey(b) ? -1 : vendorKey(a) > vendorKey(b) ? 1 : a.id - b.id)).map((d) => d.id),
      category: [...devices].sort((a, b) => a.category.localeCompare(b.category) || a.id - b.id).map((d) => d.id),
    };
    // The fixture's vendors are not in id order: the vendor order is a real test of the key.
    expect(expected.vendor).not.toEqual(expected.id);
    for (const [sort, ids] of Object.entries(expected)) {
      for (const limit of [1, 4, 1000]) {
        expect(await all(`sort=${sort}`, limit), `${sort} limit ${limit}`).toEqual(ids);
        expect(await all(`sort=${sort}&order=desc`, limit), `${sort} desc limit ${limit}`).toEqual([...ids].reverse());
      }
    }
  });

  it('combines an order with filters', async () => {
    const medicalVendors = everyDevice().filter((d) => (d.mac_vendor ?? '').includes('Healthcare'));
    const ids = medicalVendors.sort((a, b) => b.last_seen.localeCompare(a.last_seen) || b.id - a.id).map((d) => d.id);
    expect(ids.length).toBeGreaterThan(1);
    expect(await all('vendor=healthcare&sort=last_seen&order=desc', 2)).toEqual(ids);
  });

  it('refuses a cursor of another order, and a cursor it did not issue', async () => {
    const first = (await get('/api/v1/devices?sort=vendor&limit=2')).body as unknown as ListBody;
    expect(first.next_cursor).not.toBeNull();
    for (const qs of [`cursor=${first.next_cursor}`, `sort=vendor&order=desc&cursor=${first.next_cursor}`, `sort=last_seen&cursor=${first.next_cursor}`]) {
      const r = await get(`/api/v1/devices?${qs}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.message).toMatch(/^cursor belongs to another order \(sort=vendor&order=asc\)/);
    }
    const forged = Buffer.from(JSON.stringify({ after: 3, sort: 'last_seen', order: 'asc', key: 'x' })).toString('base64url');
    expect((await get(`/api/v1/devices?sort=last_seen&cursor=${forged}`)).body.message).toMatch(/^invalid cursor/);
    // The default order keeps the cursors issued before sort existed.
    expect((await get(`/api/v1/devices?cursor=${encodeCursor(20)}`)).body).toMatchObject({ items: [{ id: 21 }, { id: 22 }, { id: 23 }, { id: 24 }] });
  });

  it('rejects an unknown sort key or order, naming the values', async () => {
    expect((await get('/api/v1/devices?sort=mac')).body.message).toMatch(/^query parameter 'sort' must be equal to one of the allowed values/);
    expect((await get('/api/v1/devices?order=up')).status).toBe(400);
  });
});

describe('vlan and hostname filters', () => {
  it('filters by VLAN', async () => {
    const ids = everyDevice().filter((d) => d.vlans.includes(101)).map((d) => d.id);
    expect(ids).toEqual(Array.from({ length: LAYER2_DEVICES }, (_, i) => i).filter((i) => i % 3 === 1).map((i) => i + 1));
    expect(await all('vlan=101', 3)).toEqual(ids);
    expect(await all('vlan=4000', 3)).toEqual([]);
    for (const qs of ['vlan=4096', 'vlan=-1', 'vlan=0x65', 'vlan=a']) expect((await get(`/api/v1/devices?${qs}`)).status, qs).toBe(400);
  });

  it('filters by a case-insensitive substring of a host name, literally', async () => {
    expect(everyDevice().filter((d) => d.hostnames.length > 0).map((d) => [d.id, d.hostnames.map((h) => h.name)])).toEqual([[1, ['pacs-01', 'pacs-01']]]);
    for (const text of ['pacs-01', 'ACS-0', 'Pa', 's', '01']) expect(await all(`hostname=${text}`, 10), text).toEqual([1]);
    for (const text of ['pacs_01', '%', 'pacs-02', 'pacs-01x']) expect(await all(`hostname=${encodeURIComponent(text)}`, 10), text).toEqual([]);
    expect((await get('/api/v1/devices?hostname=')).status).toBe(400);
  });
});

describe('high_water', () => {
  it('is the change sequence of the snapshot the page was read in', async () => {
    const b = (await get('/api/v1/devices?limit=1')).body as unknown as ListBody;
    expect(b.high_water).toBe(TOTAL_DEVICES);
    expect(b.high_water).toBe(((await get('/api/v1/changes?limit=1')).body as { high_water: number }).high_water);
  });
});
