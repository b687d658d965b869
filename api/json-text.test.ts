/**
 * The device list and the change feed answer with JSON text the store builds (agent/store/
 * device-json-text.ts, api/json-text.ts) instead of objects serialised by the routes' schemas. The
 * bytes must be what the schema serialiser made of the reference objects (StoreReader.listDevices,
 * StoreReader.changes), after the app's escaping hook (ASCII only): same keys, same order, same escaping. Checked on real ingests (clinical
 * blocks, derived devices, findings, hostile names from real software) and on devices made here with
 * strings that need JSON escaping, unclassified devices (null classification) and a tombstone.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { jsonAsciiBytesOfText, jsonTextAscii } from '../agent/output/escape.js';
import { builtinFingerprintsDir, loadLibrary } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import { openDatabase } from '../agent/store/database.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import type { DeviceFilter } from '../agent/store/device-query.js';
import { ChangePage } from './routes/changes.js';
import { DeviceList, encodeCursor } from './routes/devices.js';
import { asciiJson, jsonObjectBytes } from './json-text.js';
import { testApp, type TestApp } from './testing/test-app.js';

const CAPTURES = [
  'lan-dhcp.pcap', 'hostile-names.pcap', 'hostile-html.pcap', 'dicom-tls.pcap', 'dicom-store.pcap', 'hl7-pcd01.pcap',
  'findings-telnet.pcap', 'findings-internet.pcap', 'routed.pcap', 'vlan.pcap', 'ipv6.pcap',
].map((f) => join('test-fixtures', f)).filter((f) => existsSync(f));

const T0 = Date.UTC(2026, 0, 5, 8);
/** Strings that need escaping in JSON, or that the terminal escaping rewrites: quotes, backslashes, controls, C1, bidi, U+2028, a lone surrogate. */
const HOSTILE = ['say "hi"\\ \u0000\u0007\n\t', '\u009b31m red \u202e evil \u2066', 'line\u2028sep \ud800 lone', '<script>alert(1)</script> é 中文 😀'];

async function database(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'auscult-json-text-')), 'inventory.db');
  const store = new Store(path);
  // With the built-in library: classifications (spliced as stored) and findings.
  const pipeline = new Pipeline(store, { library: loadLibrary({ builtinDir: builtinFingerprintsDir() }), classifyEveryFlush: false });
  for (const c of CAPTURES) await readCaptureFile(c, pipeline);
  pipeline.finish();
  // Devices made here: hostile MAC vendors and host names (never classified: classification null),
  // and a routed address reclaimed by its router (a tombstone in the feed).
  store.transaction(() => {
    HOSTILE.forEach((text, i) => {
      const id = store.macDeviceId(`02:00:5e:00:53:0${i}`, text, true, T0 + i);
      store.upsertObservation(id, 'dhcp', JSON.stringify({ hostname: text, vendor_class: text }), T0 + i, T0 + i, 1);
    });
    const router = store.macDeviceId('00:00:5e:00:53:aa', null, false, T0);
    store.ipDeviceId('198.51.100.7', T0);
    store.reclaimRoutedAddress(router, '198.51.100.7');
    // What SQLite writes of the text (agent/store/device-json-text.ts): times it formats and times it leaves to
    // JavaScript (a fraction of a millisecond, before 1970; past year 9999 is not a date-time the feed's
    // schema accepts), several addresses, VLANs and services in their order, repeated evidence values, a
    // hostile service transport, and a device with conversations but no observation.
    for (const [i, ms] of [T0 + 0.25, -86_400_001, 0, 253_402_300_799_999].entries()) {
      const id = store.macDeviceId(`02:00:5e:00:54:0${i}`, null, false, ms);
      store.upsertObservation(id, 'mdns', JSON.stringify({ hostname: `t${i}`, services: ['_ipp._tcp'] }), ms, ms, 1);
    }
    const busy = store.macDeviceId('02:00:5e:00:55:01', 'Busy', false, T0);
    const t = (first: number, last: number) => ({ packetsSent: 1, bytesSent: 60, packetsReceived: 2, bytesReceived: 120, firstSeenMs: first, lastSeenMs: last });
    store.upsertAddress(busy, '192.0.2.9', 4, { arp: true, traffic: true }, t(T0 + 5, T0 + 9));
    store.upsertAddress(busy, '192.0.2.10', 4, { dhcp: true, leaseSeconds: 3600 }, t(T0 + 5, T0 + 7));
    store.upsertAddress(busy, '2001:db8::9', 6, { ndp: true, lldp: true, cdp: true, dhcpv6: true }, t(T0 + 1, T0 + 2));
    for (const vlan of [300, 7, 42]) store.upsertVlan(busy, vlan, T0, T0 + vlan);
    store.upsertService(busy, 'udp', 161, 2, T0, T0 + 1);
    store.upsertService(busy, 'tcp', 443, 3, T0 + 2, T0 + 3);
    store.upsertService(busy, 'tcp', 22, 1, T0 + 4, T0 + 5);
    store.upsertService(busy, HOSTILE[0], 1, 1, T0, T0);
    for (let i = 0; i < 25; i++) {
      store.upsertObservation(busy, 'dhcp', JSON.stringify({ hostname: i % 2 === 0 ? 'busy' : HOSTILE[i % 4], vendor_class: `v${i}`, n: i % 3, list: [i % 2] }), T0 + i, T0 + 100 - i, 1);
    }
    const talker = store.macDeviceId('02:00:5e:00:55:02', null, false, T0);
    store.upsertEdge({ ...t(T0, T0 + 1), clientDeviceId: talker, serverDeviceId: busy, clientIp: '192.0.2.11', serverIp: '192.0.2.9', transport: 'tcp', port: 2762, flows: 1 });
  });
  store.close();
  return path;
}

/**
 * The JSON text before the ASCII escaping (jsonTextAscii's inverse on JSON.stringify's output): each
 * \u escape of a non-ASCII character or DEL back to the character, a surrogate pair to its character;
 * lone surrogates and controls stay escaped, as JSON.stringify wrote them.
 */
function unescapeAscii(ascii: string): string {
  const escape = (code: string): RegExp => new RegExp(`(?<!\\\\)((?:\\\\\\\\)*)${code}`, 'g');
  const char = (...hex: string[]): string => String.fromCharCode(...hex.map((h) => parseInt(h, 16)));
  return ascii
    .replace(escape('\\\\u(d[89ab][0-9a-f]{2})\\\\u(d[c-f][0-9a-f]{2})'), (_, bs: string, hi: string, lo: string) => bs + char(hi, lo))
    .replace(escape('\\\\u(007f|00[89a-f][0-9a-f]|0[1-9a-f][0-9a-f]{2}|[1-9a-c][0-9a-f]{3}|d[0-7][0-9a-f]{2}|[ef][0-9a-f]{3})'), (_, bs: string, h: string) => bs + char(h));
}

/**
 * A copy of `path` as a database written before the API answered in ASCII only: classification
 * results and stored device texts unescaped (UTF-8, as JSON.stringify wrote them).
 */
function legacyCopy(path: string): string {
  const legacy = `${path}.legacy.db`;
  copyFileSync(path, legacy);
  const db = openDatabase(legacy);
  try {
    const results = db.prepare('SELECT device_id, result FROM classifications').all() as { device_id: number; result: string }[];
    const setResult = db.prepare('UPDATE classifications SET result = ? WHERE device_id = ?');
    for (const r of results) setResult.run(JSON.stringify(JSON.parse(r.result)), r.device_id);
    const texts = db.prepare('SELECT device_id, before, after FROM device_texts').all() as { device_id: number; before: Buffer; after: Buffer }[];
    const setText = db.prepare('UPDATE device_texts SET before = ?, after = ? WHERE device_id = ?');
    for (const t of texts) {
      const [before, after] = [unescapeAscii(t.before.toString('latin1')), unescapeAscii(t.after.toString('latin1'))];
      // The inverse is exact: escaping it again gives the stored bytes.
      expect(jsonAsciiBytesOfText(before).equals(t.before) && jsonAsciiBytesOfText(after).equals(t.after)).toBe(true);
      setText.run(Buffer.from(before), Buffer.from(after), t.device_id);
    }
  } finally {
    db.close();
  }
  return legacy;
}

const lists: { url: string; filter: DeviceFilter; sort: 'id' | 'vendor' | 'last_seen'; order: 'asc' | 'desc'; limit: number }[] = [
  { url: '/api/v1/devices?limit=1000', filter: {}, sort: 'id', order: 'asc', limit: 1000 },
  { url: '/api/v1/devices?limit=3', filter: {}, sort: 'id', order: 'asc', limit: 3 },
  { url: '/api/v1/devices?limit=5&sort=vendor&order=desc', filter: {}, sort: 'vendor', order: 'desc', limit: 5 },
  { url: '/api/v1/devices?limit=1000&medical=true', filter: { medical: true }, sort: 'id', order: 'asc', limit: 1000 },
  { url: '/api/v1/devices?limit=1000&hostname=say', filter: { hostname: 'say' }, sort: 'id', order: 'asc', limit: 1000 },
  // No device matches: the store's page reads no rows at all (its ids' statement comes back empty).
  { url: '/api/v1/devices?limit=10&vlan=4095', filter: { vlan: 4095 }, sort: 'id', order: 'asc', limit: 10 },
];
const feeds = [{ since: 0, limit: 1000 }, { since: 0, limit: 2 }, { since: 3, limit: 7 }, { since: 0, limit: 300 }];

/** Equal texts, or a failure showing where they part (whole pages are too long to read in a diff). */
function expectSameText(got: string, want: string): void {
  if (got === want) return;
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  expect({ at: i, got: got.slice(Math.max(0, i - 120), i + 80), want: want.slice(Math.max(0, i - 120), i + 400) }).toBeNull();
}

describe('device JSON text', () => {
  let reader: StoreReader;
  let app: TestApp;
  // The reference: Fastify's serialiser of each route's response schema over the reader's objects (what
  // the routes answered before they sent text).
  const reference = Fastify();

  beforeAll(async () => {
    reader = StoreReader.open(await database());
    app = await testApp(reader);
    lists.forEach((c, i) => reference.get(`/list${i}`, { schema: { response: { 200: DeviceList } } }, async () => {
      const page = reader.listDevices({ ...c.filter, limit: c.limit, sort: c.sort, descending: c.order === 'desc' });
      const next = page.next === null ? null : encodeCursor(page.next.id, c.sort, c.order, c.sort === 'id' ? undefined : page.next.key);
      return { items: page.items, next_cursor: next, limit: c.limit, high_water: reader.changeHighWater() };
    }));
    feeds.forEach((c, i) => reference.get(`/feed${i}`, { schema: { response: { 200: ChangePage } } }, async () => {
      const page = reader.changes(c.since, c.limit);
      if (!page.ok) throw new Error(page.reason);
      return { items: page.items, next_since: page.nextSince, high_water: page.highWater };
    }));
  }, 60_000);

  afterAll(async () => {
    await app.close();
    await reference.close();
    reader.close();
  });

  it('the fixture database has what the text must handle', () => {
    const devices = [...reader.allDevices()];
    expect(devices.some((d) => d.clinical !== null)).toBe(true);
    expect(devices.some((d) => d.derived !== undefined)).toBe(true);
    expect(devices.some((d) => d.findings.length > 0)).toBe(true);
    expect(devices.some((d) => d.classification === null)).toBe(true);
    expect(devices.some((d) => d.services.length > 0 && d.vlans.length > 0)).toBe(true);
    const feed = reader.changes(0, 1000);
    expect(feed.ok && feed.items.some((i) => i.deleted)).toBe(true);
  });

  it('the feed and the list send the texts stored when each device was written (agent/store/device-texts.ts), each the text built live', () => {
    expect(reader.storedTextProblems()).toEqual([]);
    const page = reader.changesJson(0, 1000);
    if (!page.ok) throw new Error(page.reason);
    const stored = page.itemTexts.filter((t) => Buffer.isBuffer(t));
    expect(stored.length).toBe(page.itemTexts.length - 1); // all but the tombstone
    expect(reader.listDevicesJson({ limit: 1000 }).itemTexts.every((t) => Buffer.isBuffer(t))).toBe(true);
  });

  it.each(lists.map((c, i) => [c.url, i] as const))('%s: the bytes the schema serialiser made of the objects', async (url, i) => {
    const [got, want] = [await app.inject(url), await reference.inject(`/list${i}`)];
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe(want.headers['content-type']);
    expectSameText(got.body, jsonTextAscii(want.body));
  });

  it.each(feeds.map((c, i) => [c.since, c.limit, i] as const))('changes since=%i limit=%i: the bytes the schema serialiser made of the objects', async (since, limit, i) => {
    const [got, want] = [await app.inject(`/api/v1/changes?since=${since}&limit=${limit}`), await reference.inject(`/feed${i}`)];
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe(want.headers['content-type']);
    expectSameText(got.body, jsonTextAscii(want.body));
  });

  it('hostile strings leave as escapes, every answer in ASCII only, from a fresh answer and from the response cache alike', async () => {
    for (const url of ['/api/v1/devices?limit=999', '/api/v1/changes?since=0&limit=999']) {
      const [miss, hit] = [await app.inject(url), await app.inject(url)];
      expect(hit.rawPayload.equals(miss.rawPayload), url).toBe(true);
      expect(hit.headers.etag, url).toBe(miss.headers.etag);
      expect(miss.headers['content-type'], url).toBe('application/json; charset=utf-8');
      const body = miss.rawPayload.toString('latin1');
      expect(body, url).toContain('\\u009b31m red \\u202e evil \\u2066');
      expect(body, url).toContain('line\\u2028sep');
      expect(body, url).toContain('<script>alert(1)</script> \\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00');
      expect(body, url).not.toMatch(/[^\x20-\x7e]/);
      expect(JSON.parse(body)).toEqual(JSON.parse(miss.rawPayload.toString('utf8')));
    }
  });

  it('the escaping hook escapes a JSON Buffer it has not seen, and passes one it marked', () => {
    const raw = Buffer.from(JSON.stringify({ name: HOSTILE[1], other: HOSTILE[3] }));
    const safe = asciiJson(raw);
    expect(safe.toString('latin1')).toBe(jsonTextAscii(raw.toString('utf8')));
    expect(asciiJson(safe)).toBe(safe);
    const body = jsonObjectBytes([['items', [JSON.stringify(HOSTILE[2]), '1']], ['next', 'null']]);
    expect(body.toString('latin1')).toBe(jsonTextAscii(`{"items":[${JSON.stringify(HOSTILE[2])},1],"next":null}`));
  });

  it('the stored texts and classification results are ASCII already, so a page of them needs no escaping pass', () => {
    const page = reader.changesJson(0, 1000);
    if (!page.ok) throw new Error(page.reason);
    const stored = page.itemTexts.filter((t): t is Buffer => Buffer.isBuffer(t));
    expect(stored.length).toBeGreaterThan(0);
    for (const t of stored) expect(t.toString('latin1')).not.toMatch(/[^\x20-\x7e]/);
    const text = Buffer.from(`{"items":[${page.itemTexts.join(',')}]}`);
    expect(asciiJson(text)).toBe(text);
  });

  it('a database written before (texts and results unescaped) answers the same bytes through the escaping pass', async () => {
    const legacy = StoreReader.open(legacyCopy(reader.path));
    const old = await testApp(legacy);
    try {
      const page = legacy.changesJson(0, 1000);
      if (!page.ok) throw new Error(page.reason);
      expect(page.itemTexts.some((t) => Buffer.isBuffer(t) && !/^[\x20-\x7e]*$/.test(t.toString('latin1')))).toBe(true);
      for (const url of [...lists.map((c) => c.url), ...feeds.map((c) => `/api/v1/changes?since=${c.since}&limit=${c.limit}`), '/api/v1/devices/1']) {
        const [got, want] = [await old.inject(url), await app.inject(url)];
        expect(got.statusCode, url).toBe(200);
        expectSameText(got.body, want.body);
      }
    } finally {
      await old.close();
      legacy.close();
    }
  });

  it('the store\'s texts say what its objects say, hostile strings included', () => {
    for (const f of [{ limit: 1000 }, { limit: 4, afterId: 2 }, { limit: 1000, sort: 'last_seen' as const, descending: true }]) {
      const page = reader.listDevices(f);
      const text = reader.listDevicesJson(f);
      expect(JSON.parse(`[${text.itemTexts.join(',')}]`)).toStrictEqual(JSON.parse(JSON.stringify(page.items)));
      expect(text.next).toStrictEqual(page.next);
    }
    const hostile = reader.listDevices({ limit: 1000, hostname: 'say' }).items;
    expect(hostile.map((d) => d.mac_vendor)).toEqual([HOSTILE[0]]);
    for (let since = 0; since < 40; since += 3) {
      const page = reader.changes(since, 5);
      const text = reader.changesJson(since, 5);
      if (!page.ok || !text.ok) throw new Error('feed refused');
      expect(JSON.parse(`[${text.itemTexts.join(',')}]`)).toStrictEqual(JSON.parse(JSON.stringify(page.items)));
      expect([text.itemTexts.length, text.nextSince, text.highWater]).toEqual([page.items.length, page.nextSince, page.highWater]);
    }
  });
});

describe('the ETag of a text answer', () => {
  it('is the database version it was read at: the same while nothing is written, another after any write; 304 only for the current one', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-json-etag-')), 'inventory.db');
    const store = new Store(path, { tombstoneRetentionDays: 1 });
    store.transaction(() => store.macDeviceId('00:00:5e:00:53:01', 'Example', false, T0));
    const reader = StoreReader.open(path);
    // Without the response cache: every answer is read and tagged afresh.
    const t = await testApp(reader, { responseCacheBytes: 0 });
    try {
      for (const url of ['/api/v1/devices?limit=5', '/api/v1/changes?since=0&limit=5']) {
        const first = await t.inject(url);
        const again = await t.inject(url);
        expect(again.headers.etag, url).toBe(first.headers.etag);
        expect(String(first.headers.etag)).toMatch(/^W\/"[\w-]+\.\d+:\d+"$/);
        expect((await t.inject({ url, headers: { ...t.headers, 'if-none-match': String(first.headers.etag) } })).statusCode).toBe(304);

        store.transaction(() => store.upsertVlan(1, 7, T0, T0));
        const after = await t.inject(url);
        expect(after.headers.etag, url).not.toBe(first.headers.etag);
        expect(after.body, url).not.toBe(first.body);
        const stale = await t.inject({ url, headers: { ...t.headers, 'if-none-match': String(first.headers.etag) } });
        expect(stale.statusCode, url).toBe(200);
        expect(stale.body, url).toBe(after.body);
      }
      // Pruning tombstones changes the version without a new sequence value: the tag follows.
      store.transaction(() => {
        const router = store.macDeviceId('00:00:5e:00:53:aa', null, false, T0);
        store.ipDeviceId('198.51.100.7', T0);
        store.reclaimRoutedAddress(router, '198.51.100.7');
      });
      const before = await t.inject('/api/v1/changes?since=0&limit=5');
      store.pruneTombstones(Date.now() + 2 * 86_400_000);
      const pruned = await t.inject('/api/v1/changes?since=0&limit=5');
      expect(pruned.headers.etag).not.toBe(before.headers.etag);
    } finally {
      await t.close();
      reader.close();
      store.close();
    }
  });
});
