/**
 * The API through `inject()` (no socket) on a real database written by the Store. Every response object
 * must equal what the StoreReader returns, since the CLI's `devices --format json` prints those.
 */
import { describe, expect, it } from 'vitest';
import { Device } from '../agent/store/device-json.js';
import { SCHEMA_VERSION } from '../agent/store/migrations.js';
import { StoreReader } from '../agent/store/reader.js';
import { buildApp } from './app.js';
import { testApp, type TestApp } from './testing/test-app.js';
import { withFixtureApp } from './testing/fixture-app.js';
import { buildFixtureDatabase, ipv4Of, ipv6Of, LAYER2_DEVICES, macOf, T0, TOTAL_DEVICES, VENDORS } from './testing/fixture-db.js';
import { encodeCursor } from './routes/devices.js';

let reader: StoreReader;
let t: TestApp;
withFixtureApp((r, app) => ([reader, t] = [r, app]), { version: '9.9.9-test' });

interface ListBody { items: Device[]; next_cursor: string | null; limit: number }

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await t.inject({ method: 'GET', url });
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return { status: r.statusCode, body: r.json() };
}
async function list(qs: string): Promise<ListBody> {
  const r = await get(`/api/v1/devices${qs}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as unknown as ListBody;
}
async function expect400(url: string, message: RegExp): Promise<void> {
  const r = await get(url);
  expect(r.status, url).toBe(400);
  expect(r.body).toEqual({ error: 'Bad Request', message: expect.stringMatching(message), statusCode: 400 });
}
const ids = (b: ListBody): number[] => b.items.map((d) => d.id);

describe('GET /api/v1/devices', () => {
  it('lists devices in id order, exactly as the StoreReader gives them', async () => {
    const b = await list('');
    expect(b.limit).toBe(100);
    expect(b.next_cursor).toBeNull();
    expect(b.items).toHaveLength(TOTAL_DEVICES);
    expect(b.items).toStrictEqual(reader.listDevices({}).items);
    expect(b.items[0]).toMatchObject({ id: 1, mac: macOf(0), mac_vendor: 'GE Healthcare', kind: 'layer2', vlans: [100] });
    expect(b.items[TOTAL_DEVICES - 1]).toMatchObject({ mac: null, kind: 'routed', ips: [{ ip: '203.0.113.4' }] });
  });

  it('pages with the cursor until exhaustion, without duplicates or gaps', async () => {
    for (const limit of [1, 7, TOTAL_DEVICES - 1, TOTAL_DEVICES, 1000]) {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const b: ListBody = await list(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(b.limit).toBe(limit);
        expect(b.items.length).toBeLessThanOrEqual(limit);
        seen.push(...ids(b));
        cursor = b.next_cursor;
        pages++;
      } while (cursor !== null && pages <= TOTAL_DEVICES);
      expect(seen, `limit ${limit}`).toEqual(Array.from({ length: TOTAL_DEVICES }, (_, i) => i + 1));
      expect(pages).toBe(Math.ceil(TOTAL_DEVICES / limit));
    }
  });

  it('keeps filters across pages', async () => {
    const first = await list('?vendor=ge%20health&limit=2');
    expect(ids(first)).toEqual([1, 6]);
    const second = await list(`?vendor=ge%20health&limit=2&cursor=${first.next_cursor}`);
    expect(ids(second)).toEqual([11, 16]);
    expect(second.next_cursor).toBeNull();
  });

  it('filters by MAC in any usual notation', async () => {
    const mac = macOf(5);
    const bare = mac.replace(/:/g, '');
    for (const form of [mac, mac.toUpperCase(), mac.replace(/:/g, '-').toUpperCase(), bare, `${bare.slice(0, 4)}.${bare.slice(4, 8)}.${bare.slice(8)}`]) {
      const b = await list(`?mac=${encodeURIComponent(form)}`);
      expect(ids(b), form).toEqual([6]);
      expect(b.items).toStrictEqual(reader.listDevices({ mac }).items);
    }
    expect((await list('?mac=00:00:5e:00:53:01')).items).toEqual([]);
  });

  it('filters by IP address, IPv6 in any valid spelling', async () => {
    expect(ids(await list(`?ip=${ipv4Of(3)}`))).toEqual([4]);
    const v6 = ipv6Of(4); // fe80::21b:21ff:fe00:5
    expect(ids(await list(`?ip=${encodeURIComponent(v6)}`))).toEqual([5]);
    expect(ids(await list(`?ip=${encodeURIComponent('FE80:0:0:0:021B:21FF:FE00:0005')}`))).toEqual([5]);
    expect(ids(await list('?ip=203.0.113.2'))).toEqual([LAYER2_DEVICES + 2]);
    expect((await list('?ip=10.9.9.9')).items).toEqual([]);
  });

  it('filters by vendor substring, case-insensitively and literally', async () => {
    const b = await list('?vendor=SIEMENS');
    expect(b.items.every((d) => d.mac_vendor === 'Siemens Healthineers')).toBe(true);
    expect(ids(b)).toEqual([3, 8, 13, 18]);
    // % and _ are LIKE wildcards: they must only match themselves.
    expect(ids(await list(`?vendor=${encodeURIComponent('50%_')}`))).toEqual([5, 10, 15, 20]);
    expect((await list(`?vendor=${encodeURIComponent('%')}`)).items.map((d) => d.mac_vendor)).toEqual(Array(4).fill(VENDORS[4]));
    expect((await list('?vendor=_')).items).toHaveLength(4);
  });

  it('filters by last seen time', async () => {
    // Device i is last seen at T0 + i h + 30 min.
    const since = new Date(T0 + 10 * 3_600_000).toISOString();
    expect(ids(await list(`?seen_since=${since}`))[0]).toBe(11);
    expect(ids(await list('?seen_since=2024-05-01T19:30:00%2B01:00'))[0]).toBe(11); // 18:30Z, offset form
    expect((await list(`?seen_since=${since}`)).items).toStrictEqual(reader.listDevices({ seenSinceMs: T0 + 10 * 3_600_000 }).items);
    expect((await list('?seen_since=2030-01-01T00:00:00Z')).items).toEqual([]);
  });

  it('combines filters', async () => {
    expect(ids(await list(`?vendor=ge&ip=${ipv4Of(5)}&mac=${macOf(5)}`))).toEqual([6]);
    expect((await list(`?vendor=philips&mac=${macOf(5)}`)).items).toEqual([]);
  });

  it('rejects a bad limit, naming the parameter', async () => {
    await expect400('/api/v1/devices?limit=0', /^query parameter 'limit' must be >= 1$/);
    await expect400('/api/v1/devices?limit=1001', /^query parameter 'limit' must be <= 1000$/);
    await expect400('/api/v1/devices?limit=ten', /^query parameter 'limit' must be an integer$/);
    await expect400('/api/v1/devices?limit=2.5', /^query parameter 'limit' must be an integer$/);
  });

  it('rejects a malformed cursor', async () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    for (const c of ['not*base64', b64('after=3'), b64('{"after":-1}'), b64('{"after":"3"}'), b64('[3]'), b64('{"after":1.5}'), b64('null')]) {
      await expect400(`/api/v1/devices?cursor=${encodeURIComponent(c)}`, /^invalid cursor/);
    }
    await expect400('/api/v1/devices?cursor=', /^query parameter 'cursor' must NOT have fewer than 1 characters$/);
    // A cursor past the end is valid: an empty last page.
    expect(await list(`?cursor=${encodeCursor(10_000)}`)).toEqual({ items: [], next_cursor: null, limit: 100, high_water: TOTAL_DEVICES });
  });

  it('rejects a bad MAC, IP, vendor or time with the reason', async () => {
    for (const mac of ['zz', '00:1b:21:00:00', '00:1b:21:00:00:0g', '00:1b-21:00:00:05', '001b.2100.00:05']) {
      await expect400(`/api/v1/devices?mac=${encodeURIComponent(mac)}`, /^query parameter 'mac' is not a MAC address/);
    }
    await expect400('/api/v1/devices?mac=00:1b:21:00:00:05:07', /^query parameter 'mac' must NOT have more than 17 characters$/);
    for (const ip of ['10.0.0.256', '10.0.0', '010.0.0.1', 'fe80:::1', '1::2::3', 'printer.ward3']) {
      await expect400(`/api/v1/devices?ip=${encodeURIComponent(ip)}`, /^query parameter 'ip' is not an IPv4 or IPv6 address/);
    }
    await expect400('/api/v1/devices?vendor=', /^query parameter 'vendor' must NOT have fewer than 1 characters$/);
    await expect400(`/api/v1/devices?vendor=${'x'.repeat(201)}`, /^query parameter 'vendor' must NOT have more than 200 characters$/);
    for (const t of ['2024-05-01', 'yesterday', '2024-13-01T00:00:00Z', '2024-05-01T08:00:00', '1714550400000']) {
      await expect400(`/api/v1/devices?seen_since=${encodeURIComponent(t)}`, /^query parameter 'seen_since' must be an ISO 8601 date-time/);
    }
  });

  it('rejects unknown query parameters, naming them', async () => {
    await expect400('/api/v1/devices?limit=1e2', /^query parameter 'limit' must be an integer in decimal digits, e.g. 42 \(not '1e2'\)$/);
    await expect400('/api/v1/devices?limit=0x10', /^query parameter 'limit' must be an integer in decimal digits/);
    await expect400('/api/v1/devices?vendor=GE&vendor=Philips', /^query parameter 'vendor' is given 2 times: give it once$/);
    await expect400('/api/v1/devices?limit=5&limit=5', /^query parameter 'limit' is given 2 times: give it once$/);
    for (const bad of ['%00', 'GE%00', '%1b%5b2J', '%c2%9b', '%e2%80%ae', '%7f']) {
      await expect400(`/api/v1/devices?vendor=${bad}`, /^query parameter 'vendor' contains a control character, which no valid value has$/);
    }
    await expect400('/api/v1/devices?category=infusion_pump', /^query parameter 'category' must match pattern/);
    await expect400(
      '/api/v1/devices?category=infusion-pumps',
      /^query parameter 'category' is not a category id: 'infusion-pumps' \(valid: [a-z0-9-, ]*infusion-pump, [a-z0-9-, ]*unknown[a-z0-9-, ]*\)$/,
    );
    await expect400('/api/v1/devices?vendr=GE', /^unknown query parameter 'vendr' \(accepted: limit, cursor, mac, ip, vendor, category, medical, seen_since, vlan, hostname, min_risk, sort, order\)$/);
    await expect400('/api/v1/devices?limit=5&page=2', /^unknown query parameter 'page'/);
  });
});

describe('GET /api/v1/devices/:id', () => {
  it('returns the device with its peers, as the StoreReader does', async () => {
    const r = await get('/api/v1/devices/2');
    expect(r.status).toBe(200);
    expect(r.body).toStrictEqual(reader.deviceDetail(2));
    expect(r.body).toMatchObject({
      id: 2,
      services: [{ transport: 'tcp', port: 2575 }, { transport: 'udp', port: 161 }],
      peers: [
        { role: 'client', peer_ip: ipv4Of(0), peer_device_id: 1, port: 104, flows: 2, packets_sent: 40, packets_received: 80 },
        { role: 'client', peer_ip: '192.0.2.99', peer_device_id: null, port: 443 },
      ],
    });
    const server = await get('/api/v1/devices/1');
    expect(server.body).toMatchObject({ peers: [{ role: 'server', peer_device_id: 2, local_ip: ipv4Of(0), packets_sent: 80 }] });
  });

  it('returns every device exactly as the StoreReader does', async () => {
    for (let id = 1; id <= TOTAL_DEVICES; id++) expect((await get(`/api/v1/devices/${id}`)).body).toStrictEqual(reader.deviceDetail(id));
  });

  it('answers 404 for an unknown id', async () => {
    const r = await get('/api/v1/devices/999');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: 'Not Found', message: 'no device with id 999', statusCode: 404 });
  });

  it('rejects an id that is not a positive integer', async () => {
    for (const id of ['0x10', '1e2', '0b1', '0o7', '+5', '1.0', '%205']) {
      await expect400(`/api/v1/devices/${id}`, /^path parameter 'id' must be an integer in decimal digits, e.g. 42 \(not '.+'\)$/);
      await expect400(`/api/v1/devices/${id}/observations`, /^path parameter 'id' must be an integer in decimal digits/);
    }
    await expect400('/api/v1/devices/abc', /^path parameter 'id' must be an integer$/);
    await expect400('/api/v1/devices/1.5', /^path parameter 'id' must be an integer$/);
    await expect400('/api/v1/devices/0', /^path parameter 'id' must be >= 1$/);
    await expect400('/api/v1/devices/-3', /^path parameter 'id' must be >= 1$/);
    await expect400('/api/v1/devices/99999999999999999999', /^path parameter 'id' must be <= 9007199254740991$/);
  });
});

describe('GET /api/v1/devices/:id/observations', () => {
  it('lists the evidence (newest first, then by protocol), and folds it into hostnames and evidence on the device', async () => {
    const r = await get('/api/v1/devices/1/observations');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      { source: 'dhcp', fields: { hostname: 'pacs-01', vendor_class: 'MSFT 5.0' }, first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + 3_600_000).toISOString(), count: 3 },
      { source: 'mdns', fields: { hostname: 'pacs-01', service_types: ['_dicom._tcp'] }, first_seen: new Date(T0 + 3_600_000).toISOString(), last_seen: new Date(T0 + 3_600_000).toISOString(), count: 1 },
    ]);
    const device = (await get('/api/v1/devices/1')).body as { hostnames: { name: string; source: string }[]; evidence: Record<string, Record<string, unknown[]>> };
    expect(device.hostnames.map((h) => [h.name, h.source])).toEqual([['pacs-01', 'dhcp'], ['pacs-01', 'mdns']]);
    expect(device.evidence.dhcp.vendor_class).toEqual(['MSFT 5.0']);
    expect(device.evidence.mdns.service_types).toEqual([['_dicom._tcp']]);
  });

  it('answers 404 for an unknown device', async () => {
    expect((await get('/api/v1/devices/999999/observations')).status).toBe(404);
  });
});

describe('routing', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const r = await get('/api/v1/patients?x=1');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: 'Not Found', message: 'no route GET /api/v1/patients', statusCode: 404 });
  });

  it('ignores a trailing slash', async () => {
    expect((await get('/api/v1/devices/?limit=1')).status).toBe(200);
    expect((await get('/api/v1/devices/1/')).body).toStrictEqual(reader.deviceDetail(1));
  });

  it('has no route that writes', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const r = await t.inject({ method, url: '/api/v1/devices/1', payload: {} });
      expect(r.statusCode, method).toBe(404);
      expect(r.json()).toMatchObject({ error: 'Not Found', statusCode: 404 });
    }
  });
});

describe('GET /health', () => {
  it('reports the schema version, the device count and the last ingest', async () => {
    const r = await get('/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'ok',
      schema_version: SCHEMA_VERSION,
      devices: TOTAL_DEVICES,
      last_ingest: {
        id: 2, kind: 'live', source: 'eth1', started_at: expect.any(String), finished_at: null, status: 'running', reason: null,
        frames: 0, bytes: 0, malformed: 0, unsupported: 0, flows: 0, kernel_drops: null, interface_drops: null,
        last_packet_at: null, updated_at: expect.any(String),
      },
      ingests: { running: 1, complete: 1, incomplete: 0, interrupted: 0, failed: 0 },
      // No live capture has written its counters yet (agent/commands/capture.test.ts: with a capture).
      capture: null,
    });
  });

  it('answers 503 when the database cannot be queried, and devices 500 without internals', async () => {
    const broken = StoreReader.open(buildFixtureDatabase());
    const brokenApp = await testApp(broken);
    broken.close();
    const h = await brokenApp.inject('/health');
    expect(h.statusCode).toBe(503);
    expect(h.json()).toEqual({
      status: 'error', error: 'Service Unavailable', statusCode: 503, message: expect.stringMatching(/^the database cannot be queried/),
    });
    const d = await brokenApp.inject('/api/v1/devices');
    expect(d.statusCode).toBe(500);
    expect(d.json()).toEqual({ error: 'Internal Server Error', message: 'internal error: see the auscult server log', statusCode: 500 });
    await brokenApp.close();
  });
});

describe('OpenAPI document', () => {
  it('is served at /api/v1/openapi.json and /openapi.json', async () => {
    const a = await get('/api/v1/openapi.json');
    const b = await get('/openapi.json');
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  it('describes the routes, their parameters and the Device schema', async () => {
    const doc = (await get('/api/v1/openapi.json')).body as {
      openapi: string; info: { title: string; version: string; description: string };
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> }>>;
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'auscult API', version: '9.9.9-test', description: expect.stringContaining('passive') });
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/changes', '/api/v1/devices', '/api/v1/devices/{id}', '/api/v1/devices/{id}/observations', '/api/v1/events', '/api/v1/export/devices',
      '/api/v1/export/events', '/api/v1/findings', '/api/v1/findings/{id}', '/api/v1/findings/{id}/ack', '/api/v1/graph', '/api/v1/summary', '/health', '/metrics',
    ]);
    for (const [path, ops] of Object.entries(doc.paths)) expect(Object.keys(ops)).toEqual([path.endsWith('/ack') ? 'post' : 'get']);

    const listOp = doc.paths['/api/v1/devices'].get;
    expect(listOp.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
      ['limit', 'cursor', 'mac', 'ip', 'vendor', 'category', 'medical', 'seen_since', 'vlan', 'hostname', 'min_risk', 'sort', 'order'].map((n) => `query:${n}`),
    );
    const listSchema = listOp.responses['200'].content['application/json'].schema as {
      properties: { items: { items: { properties: Record<string, unknown>; required: string[] } } };
    };
    const deviceFields = Object.keys(Device.properties);
    expect(Object.keys(listSchema.properties.items.items.properties)).toEqual(deviceFields);
    // Every field but `derived` (present only for a device known from another device's message).
    expect(listSchema.properties.items.items.required).toEqual(deviceFields.filter((f) => f !== 'derived'));
    for (const code of ['400', '404', '500']) {
      expect(listOp.responses[code].content['application/json'].schema).toMatchObject({ required: ['error', 'message', 'statusCode'] });
    }

    const detailOp = doc.paths['/api/v1/devices/{id}'].get;
    expect(detailOp.parameters).toMatchObject([{ in: 'path', name: 'id', required: true }]);
    expect(JSON.stringify(detailOp.responses['200'])).toContain('"peers"');
    expect(doc.paths['/health'].get.responses).toHaveProperty('503');
  });
});

describe('read-only access', () => {
  it('refuses a reader on the writer\'s connection', async () => {
    const { Store } = await import('../agent/store/store.js');
    const store = new Store(`${buildFixtureDatabase()}-w`);
    await expect(buildApp({ reader: store.reader, audit: { recordUses: () => undefined } })).rejects.toThrow(/read-only connection/);
    store.close();
  });

  it('is given a reader on a read-only connection', () => {
    expect(reader.readonly).toBe(true);
  });
});
