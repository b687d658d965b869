/**
 * The export routes through `inject()` on a real database: each format streamed with its content type,
 * the list's filters, events after `since`, and every bad parameter a 400 before the first byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_NAMES, FORMATS } from '../agent/export/formats.js';
import { exportContext } from '../agent/export/context.js';
import { StoreReader } from '../agent/store/reader.js';
import { parseCef } from '../agent/testing/cef-parser.js';
import { parseLeef } from '../agent/testing/leef-parser.js';
import { MemoryEventLog, sampleEvent } from '../agent/testing/memory-event-log.js';
import { buildFixtureDatabase, TOTAL_DEVICES } from './testing/fixture-db.js';
import { authHeaders, createTestToken, testApp, type TestApp } from './testing/test-app.js';

let reader: StoreReader;
/** The app with an `export`-scoped token: what a SIEM pulling exports is given. */
let app: TestApp;
/** A read-only token's header: the device list the filters are compared with, and the 403s. */
let readOnly: { authorization: string };
const events = new MemoryEventLog();

beforeAll(async () => {
  reader = StoreReader.open(buildFixtureDatabase());
  events.append(Array.from({ length: 2500 }, (_, i) => sampleEvent(i + 1)));
  app = await testApp(reader, { version: '9.9.9-test', events, scopes: ['export'] });
  readOnly = authHeaders(createTestToken(reader.path, ['read']));
});
afterAll(async () => {
  await app.close();
  reader.close();
});

/** Records of an export body: a JSON array's elements, CSV rows after the header, else lines. */
function records(format: string, body: string): string[] {
  if (format === 'json') return (JSON.parse(body) as unknown[]).map((r) => JSON.stringify(r));
  const lines = body.split('\n').filter((l) => l !== '');
  return format === 'csv' ? lines.slice(1) : lines;
}

describe('export scope', () => {
  it('refuses a read-only token with 403 on both export routes, and the export token on the device list', async () => {
    for (const url of ['/api/v1/export/devices?format=ndjson', '/api/v1/export/events?format=ndjson']) {
      const r = await app.inject({ method: 'GET', url, headers: readOnly });
      expect(r.statusCode, url).toBe(403);
      expect(r.headers['www-authenticate'], url).toContain('error="insufficient_scope", scope="export"');
      expect(r.json().message, url).toMatch(/needs a token with scope export/);
      expect((await app.inject(url)).statusCode, url).toBe(200);
    }
    expect((await app.inject('/api/v1/devices')).statusCode).toBe(403);
  });
});

describe('GET /api/v1/export/devices', () => {
  it('streams every device in each format with its content type, one record each', async () => {
    const ctx = exportContext();
    const expected = [...reader.allDevices()];
    for (const format of FORMAT_NAMES) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/export/devices?format=${format}` });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['content-type']).toBe(FORMATS[format].contentType);
      expect(r.headers['transfer-encoding']).toBe('chunked');
      if (format === 'csv') expect(records(format, r.body)).toHaveLength(TOTAL_DEVICES);
      else expect(records(format, r.body)).toEqual(expected.map((d) => FORMATS[format].device(d, ctx)).map((x) => (format === 'json' ? JSON.stringify(JSON.parse(x)) : x)));
    }
  });

  it('records parse back with the independent CEF and LEEF parsers', async () => {
    const cef = await app.inject({ method: 'GET', url: '/api/v1/export/devices?format=cef' });
    for (const line of records('cef', cef.body)) expect(parseCef(line).classId).toBe('device.inventory');
    const leef = await app.inject({ method: 'GET', url: '/api/v1/export/devices?format=leef' });
    for (const line of records('leef', leef.body)) expect(parseLeef(line).eventId).toBe('device.inventory');
  });

  it('applies the filters of GET /devices', async () => {
    for (const qs of ['vendor=philips', 'medical=true', 'medical=false', 'category=unknown', 'ip=10.0.1.11', 'seen_since=2024-05-01T08:00:10Z']) {
      const list = await app.inject({ method: 'GET', url: `/api/v1/devices?limit=1000&${qs}`, headers: readOnly });
      expect(list.statusCode).toBe(200);
      const exp = await app.inject({ method: 'GET', url: `/api/v1/export/devices?format=ndjson&${qs}` });
      expect(exp.statusCode).toBe(200);
      const ids = records('ndjson', exp.body).map((l) => (JSON.parse(l) as { id: number }).id);
      expect(ids, qs).toEqual((list.json() as { items: { id: number }[] }).items.map((d) => d.id));
    }
  });

  it('rejects a bad parameter with 400 and the reason, before streaming anything', async () => {
    const cases: [string, RegExp][] = [
      ['', /format/],
      ['format=xml', /format/],
      ['format=cef&format=leef', /given 2 times/],
      ['format=cef&vendr=x', /vendr/],
      ['format=cef&mac=zz', /not a MAC address/],
      ['format=cef&ip=300.1.1.1', /not an IPv4 or IPv6 address/],
      ['format=cef&category=no-such', /not a category id/],
      ['format=cef&vendor=%1b', /control character/],
      ['format=cef&since=3', /since/],
    ];
    for (const [qs, message] of cases) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/export/devices?${qs}` });
      expect(r.statusCode, qs).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect((r.json() as { message: string }).message, qs).toMatch(message);
    }
  });
});

describe('GET /api/v1/export/events', () => {
  it('streams the events after since, in sequence order, across pages', async () => {
    const all = await app.inject({ method: 'GET', url: '/api/v1/export/events?format=ndjson' });
    expect(all.statusCode).toBe(200);
    const seqs = records('ndjson', all.body).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    const after = await app.inject({ method: 'GET', url: '/api/v1/export/events?format=cef&since=2400' });
    const ids = records('cef', after.body).map((l) => parseCef(l).extension.get('externalId'));
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `evt-test-${2401 + i}`));
    const none = await app.inject({ method: 'GET', url: '/api/v1/export/events?format=json&since=2500' });
    expect(none.body).toBe('[]\n');
  });

  it('rejects a bad since or a device filter', async () => {
    for (const qs of ['format=cef&since=-1', 'format=cef&since=1.5', 'format=cef&since=0x10', 'format=cef&since=', 'format=cef&vendor=x']) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/export/events?${qs}` });
      expect(r.statusCode, qs).toBe(400);
    }
  });
});

describe('OpenAPI', () => {
  it('documents both routes, the format values and the content types', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, { get: { parameters: { name: string; schema: { anyOf?: { const?: string; enum?: string[] }[]; enum?: string[] } }[]; responses: Record<string, { content: Record<string, unknown> }> } }>;
    };
    for (const path of ['/api/v1/export/devices', '/api/v1/export/events']) {
      const op = doc.paths[path].get;
      const format = op.parameters.find((p) => p.name === 'format');
      expect(JSON.stringify(format?.schema)).toContain('"leef"');
      expect(Object.keys(op.responses['200'].content)).toEqual(expect.arrayContaining(['text/csv; charset=utf-8', 'application/x-ndjson', 'text/plain; charset=utf-8']));
    }
    expect(doc.paths['/api/v1/export/devices'].get.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['mac', 'ip', 'vendor', 'category', 'medical', 'seen_since']));
  });
});
