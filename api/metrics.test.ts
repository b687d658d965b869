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
import { ForwardPositions } from '../agent/store/forward-positions.js';
import { syslogDestination } from '../agent/forward/destination.js';
import { forward } from '../agent/forward/forwarder.js';
import { lossyReceiver } from '../agent/testing/lossy-receiver.js';
import { sampleEvent } from '../agent/testing/memory-event-log.js';
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

describe('GET /metrics: forwarding', () => {
  let fdir: string;
  let freader: StoreReader;
  let ft: TestApp;
  let destination: string;

  beforeAll(async () => {
    fdir = mkdtempSync(join(tmpdir(), 'auscult-metrics-fwd-'));
    const db = join(fdir, 'f.db');
    const store = new Store(db, { eventsRetentionDays: 30 });
    for (let n = 1; n <= 50; n++) store.events.append(sampleEvent(n));
    // A receiver that loses 30 of the first 50 messages; the second run resends the window (50) and 10 new ones.
    const rx = await lossyReceiver(20, 50);
    const positions = ForwardPositions.open(db);
    const dest = () => syslogDestination({ url: `tcp://127.0.0.1:${rx.port}`, format: 'cef' });
    destination = dest().id;
    await forward({ source: store.reader.eventSource(), positions, destination: dest() });
    await rx.received(50);
    for (let n = 51; n <= 60; n++) store.events.append(sampleEvent(n));
    await forward({ source: store.reader.eventSource(), positions, destination: dest() });
    await rx.close();
    // A destination that never had anything, and retention passing over the first 60 events.
    positions.get('splunk-hec https://splunk.example:8088');
    store.pruneEvents(Date.now() + 31 * 86_400_000);
    positions.close();
    store.close();
    freader = StoreReader.open(db);
    ft = await testApp(freader);
  });
  afterAll(async () => {
    await ft.close();
    freader.close();
    rmSync(fdir, { recursive: true, force: true });
  });

  it('reports per destination events sent, resent, reconnects, dropped by retention, the position and the lag', async () => {
    const r = await ft.inject('/metrics');
    expect(r.statusCode).toBe(200);
    const text = r.body;
    const tcp = `{destination="${destination}"}`;
    const hec = '{destination="splunk-hec https://splunk.example:8088"}';
    expect(value(text, `auscult_forward_events_sent_total${tcp}`)).toBe(50 + 50 + 10);
    expect(value(text, `auscult_forward_events_resent_total${tcp}`)).toBe(50);
    expect(value(text, `auscult_forward_reconnects_total${tcp}`)).toBe(0);
    expect(value(text, `auscult_forward_events_dropped_total${tcp}`)).toBe(0);
    expect(value(text, `auscult_forward_position_seq${tcp}`)).toBe(60);
    // Retention's forward.dropped event (for the HEC destination) came after: the TCP destination lags by it.
    expect(value(text, `auscult_forward_lag_events${tcp}`)).toBe(1);
    expect(value(text, `auscult_forward_events_dropped_total${hec}`)).toBe(60);
    expect(value(text, `auscult_forward_position_seq${hec}`)).toBe(60);
    expect(value(text, `auscult_forward_lag_events${hec}`)).toBe(1);
    expect(value(text, 'auscult_events_total{type="forward.dropped"}')).toBe(1);
  });

  it('is valid Prometheus text (promtool check metrics)', async (ctx) => {
    const why = skipReason('promtool check', toolMissing('promtool'));
    if (why) return ctx.skip();
    const text = (await ft.inject('/metrics')).body;
    expect(text).toContain('auscult_forward_events_sent_total{');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
