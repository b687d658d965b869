/**
 * GET /metrics: the series a capture wrote to the database at its flush (a serve in another process
 * reports them with their age), the inventory's, the events', the API's own; valid Prometheus text as
 * promtool (Debian: prometheus) checks it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { loadFingerprints } from '../agent/commands/identify.js';
import { readFiles } from '../agent/commands/read.js';
import { createLogger } from '../agent/log.js';
import { Pipeline } from '../agent/pipeline.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { skipReason, toolMissing } from '../agent/testing/tools.js';
import { authHeaders, createTestToken, testApp, type TestApp } from './testing/test-app.js';

const fixtures = join(import.meta.dirname, '..', 'test-fixtures');
let dir: string;
let reader: StoreReader;
let t: TestApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auscult-metrics-'));
  const db = join(dir, 'a.db');
  await readFiles(['lan-dhcp.pcap', 'events-arpspoof.pcap', 'events-macof.pcap', 'dicom-store.pcap'].map((f) => join(fixtures, f)), {
    db, log: createLogger({ level: 'silent', pretty: false }), progress: false, library: loadFingerprints(undefined, null),
  });
  // What a live capture writes at its flush, from a pipeline that read a capture (the drops as libpcap would give them).
  const store = new Store(db);
  const pipeline = new Pipeline(store, { events: false });
  const id = store.ingests.start({ kind: 'live', source: 'eth1' });
  await readCaptureFile(join(fixtures, 'events-macof.pcap'), pipeline);
  pipeline.flush();
  store.writeCaptureCounters(id, pipeline.captureCounters('eth1', { kernelDrops: 7, interfaceDrops: 2 }));
  pipeline.close();
  store.close();
  reader = StoreReader.open(db);
  t = await testApp(reader);
});
afterAll(async () => {
  await t.close();
  reader.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const r = await t.inject('/metrics');
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body;
}
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
};

describe('GET /metrics', () => {
  it('needs a token with scope metrics: 401 without one, 403 with a read-only one', async () => {
    const none = await t.app.inject({ url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.body).not.toContain('auscult_');
    const readOnly = await t.app.inject({ url: '/metrics', headers: authHeaders(createTestToken(reader.path, ['read'])) });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.headers['www-authenticate']).toContain('scope="metrics"');
    const metricsOnly = await t.app.inject({ url: '/metrics', headers: authHeaders(createTestToken(reader.path, ['metrics'])) });
    expect(metricsOnly.statusCode).toBe(200);
    expect(metricsOnly.body).toContain('auscult_devices ');
  });

  it('reports the capture counters written at its last flush, with their age', async () => {
    const text = await scrape();
    expect(value(text, 'auscult_frames_received_total')).toBe(201);
    expect(value(text, 'auscult_kernel_drops_total')).toBe(7);
    expect(value(text, 'auscult_interface_drops_total')).toBe(2);
    expect(value(text, 'auscult_malformed_frames_total{reason="truncated_tcp"}')).toBe(201);
    expect(value(text, 'auscult_flushes_total')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'auscult_flush_duration_seconds_total')).toBeGreaterThan(0);
    expect(value(text, 'auscult_flows_active')).toBe(0);
    expect(value(text, 'auscult_flows_evicted_total')).toBe(0);
    const age = value(text, 'auscult_capture_counters_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    expect(text).toMatch(/^auscult_capture_info\{source="eth1",ingest_id="\d+"\} 1$/m);
  });

  it('reports the inventory and the events from the database', async () => {
    const text = await scrape();
    expect(value(text, 'auscult_devices')).toBe(reader.deviceCount());
    const summary = reader.classificationSummary();
    expect(value(text, 'auscult_medical_devices')).toBe(summary.medical);
    for (const [category, n] of Object.entries(summary.byCategory)) expect(value(text, `auscult_devices_by_category{category="${category}"}`)).toBe(n);
    expect(value(text, 'auscult_events_total{type="arp.conflict"}')).toBe(reader.eventCounts()['arp.conflict']);
    expect(value(text, 'auscult_events_total{type="device.new"}')).toBe(reader.eventCounts()['device.new']);
    expect(value(text, 'auscult_events_total{type="device.silent"}')).toBe(0);
  });

  it('times API requests by route pattern, never by URL', async () => {
    await t.inject('/api/v1/devices/1');
    await t.inject('/api/v1/devices?vendor=secret-filter');
    const text = await scrape();
    expect(text).toMatch(/^auscult_api_request_duration_seconds_count\{method="GET",route="\/api\/v1\/devices\/:id",status_code="200"\} 1$/m);
    expect(text).not.toContain('secret-filter');
  });

  it('is valid Prometheus text (promtool check metrics)', async (ctx) => {
    const why = skipReason('promtool check', toolMissing('promtool'));
    if (why) return ctx.skip();
    const text = await scrape();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
