/**
 * The findings routes and the risk sort of the device list, over a database written by the real
 * ingest of real captures (test-fixtures/), and the acknowledgement through the narrow write the
 * server gives the app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import { acknowledgeFinding } from '../agent/risk/findings-run.js';
import { loadFindingData } from '../agent/risk/finding-types.js';
import { openFindingsStore, type FindingsStore } from '../agent/store/findings.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { testApp, type TestApp } from './testing/test-app.js';

const cli = join(import.meta.dirname, '..', 'dist', 'agent', 'cli.js');
let app: TestApp;
let reader: StoreReader;
let writer: FindingsStore;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'auscult-api-findings-')), 'inventory.db');
  const store = new Store(path);
  const pipeline = new Pipeline(store, { library: loadLibrary({ builtinDir: builtinFingerprintsDir() }), classifyEveryFlush: false });
  for (const c of ['dicom-store.pcap', 'evidence-snmp.pcap', 'lan-dhcp.pcap']) await readCaptureFile(join('test-fixtures', c), pipeline);
  pipeline.finish();
  pipeline.close();
  store.close();
  reader = StoreReader.open(path);
  writer = await openFindingsStore(path);
  const data = loadFindingData();
  // A token with every scope; the scope tests below make their own.
  app = await testApp(reader, { acknowledge: async (id, reason) => acknowledgeFinding(writer, data, id, reason) });
});

/** The devices the change feed has after `since`: id, risk score and the status of their one finding. */
async function changesSince(since: number): Promise<{ id: number; score: number; status: string }[]> {
  const page = (await app.inject(`/api/v1/changes?since=${since}&limit=100`)).json() as {
    items: { id: number; seq: number; device: { risk: { score: number }; findings: { status: string }[] } }[];
  };
  for (const item of page.items) expect(item.seq).toBeGreaterThan(since);
  return page.items.map((i) => ({ id: i.id, score: i.device.risk.score, status: i.device.findings.map((x) => x.status).join() }));
}

afterAll(async () => {
  await app.close();
  reader.close();
  writer.close();
});

describe('GET /api/v1/findings', () => {
  it('lists findings with their evidence, filtered by type, severity, device and medical', async () => {
    const all = (await app.inject('/api/v1/findings')).json();
    expect(all.items.map((f: { type: string }) => f.type).sort()).toEqual(['cleartext-dicom', 'cleartext-dicom', 'snmp-v1-v2c', 'snmp-v1-v2c']);
    const dicom = (await app.inject('/api/v1/findings?type=cleartext-dicom&severity=high&medical=true')).json().items;
    expect(dicom).toHaveLength(2);
    expect(dicom[0]).toMatchObject({ status: 'open', remediation: expect.stringContaining('TLS'), references: expect.any(Array) });
    expect((await app.inject('/api/v1/findings?medical=false')).json().items.every((f: { type: string }) => f.type === 'snmp-v1-v2c')).toBe(true);
    const one = (await app.inject(`/api/v1/findings?device=${dicom[0].device_id}`)).json().items;
    expect(one.map((f: { id: number }) => f.id)).toEqual([dicom[0].id]);
    const page = (await app.inject('/api/v1/findings?limit=1')).json();
    expect((await app.inject(`/api/v1/findings?limit=10&cursor=${page.next_cursor}`)).json().items).toHaveLength(3);
  });

  it('rejects what it does not know', async () => {
    expect((await app.inject('/api/v1/findings?severity=huge')).statusCode).toBe(400);
    expect((await app.inject('/api/v1/findings?cursor=nope')).statusCode).toBe(400);
    expect((await app.inject('/api/v1/findings/999999')).statusCode).toBe(404);
  });
});

describe('POST /api/v1/findings/{id}/ack', () => {
  it('needs a token with the admin scope: a read-only token reads findings but cannot acknowledge one', async () => {
    const f = (await app.inject('/api/v1/findings?type=snmp-v1-v2c')).json().items[0];
    const readOnly = await testApp(reader, { scopes: ['read'], acknowledge: async (id, reason) => acknowledgeFinding(writer, loadFindingData(), id, reason) });
    try {
      expect((await readOnly.inject('/api/v1/findings')).statusCode).toBe(200);
      expect((await readOnly.inject(`/api/v1/findings/${f.id}`)).statusCode).toBe(200);
      const refused = await readOnly.inject({ method: 'POST', url: `/api/v1/findings/${f.id}/ack`, payload: { reason: 'not mine to accept' } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().message).toContain('admin');
      const anonymous = await readOnly.inject({ method: 'POST', url: `/api/v1/findings/${f.id}/ack`, headers: {}, payload: { reason: 'x' } });
      expect(anonymous.statusCode).toBe(401);
      expect((await readOnly.inject({ url: '/api/v1/findings', headers: {} })).statusCode).toBe(401);
      // Refused means unchanged.
      expect((await app.inject(`/api/v1/findings/${f.id}`)).json()).toMatchObject({ status: 'open', ack_reason: null });
    } finally {
      await readOnly.close();
    }
  });

  it('marks the finding, keeps it listed, and the device\'s score drops', async () => {
    const f = (await app.inject('/api/v1/findings?type=cleartext-dicom')).json().items[0];
    const before = (await app.inject(`/api/v1/devices/${f.device_id}`)).json().risk;
    expect(before.score).toBeGreaterThan(0);
    const highWater = (await app.inject('/api/v1/changes?since=0&limit=1')).json().high_water as number;
    const r = await app.inject({ method: 'POST', url: `/api/v1/findings/${f.id}/ack`, payload: { reason: 'accepted until the PACS upgrade' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: f.id, status: 'acknowledged', ack_reason: 'accepted until the PACS upgrade' });
    const device = (await app.inject(`/api/v1/devices/${f.device_id}`)).json();
    expect(device.findings.find((x: { id: number }) => x.id === f.id).status).toBe('acknowledged');
    expect(device.risk.score).toBe(0);
    // A follower of the change feed sees the device again, with its new risk.
    expect(await changesSince(highWater)).toEqual([{ id: f.device_id, score: 0, status: 'acknowledged' }]);
    expect((await app.inject({ method: 'POST', url: `/api/v1/findings/${f.id}/ack`, payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/findings/999999/ack', payload: { reason: 'x' } })).statusCode).toBe(404);
  });
});

describe('auscult findings ack (another process)', () => {
  it.skipIf(!existsSync(cli))('stamps the device in the change feed: a follower sees its risk change', async () => {
    const f = (await app.inject('/api/v1/findings?type=snmp-v1-v2c&status=open')).json().items[0];
    expect((await app.inject(`/api/v1/devices/${f.device_id}`)).json().risk.score).toBeGreaterThan(0);
    const highWater = (await app.inject('/api/v1/changes?since=0&limit=1')).json().high_water as number;
    const r = spawnSync(process.execPath, [cli, 'findings', 'ack', String(f.id), '--reason', 'SNMP v3 next quarter', '--db', reader.path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(await changesSince(highWater)).toEqual([{ id: f.device_id, score: 0, status: 'acknowledged' }]);
  });
});

describe('GET /api/v1/devices?sort=risk', () => {
  it('highest risk first, min_risk filters, the cursor keeps the order', async () => {
    const all = (await app.inject('/api/v1/devices?sort=risk&limit=1000')).json().items as { id: number; risk: { score: number } }[];
    const scores = all.map((d) => d.risk.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores[0]).toBeGreaterThan(0);
    const risky = (await app.inject('/api/v1/devices?min_risk=1')).json().items as { risk: { score: number } }[];
    expect(risky.length).toBe(scores.filter((s) => s >= 1).length);
    const ids: number[] = [];
    let cursor = '';
    for (;;) {
      const page = (await app.inject(`/api/v1/devices?sort=risk&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      ids.push(...page.items.map((d: { id: number }) => d.id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(ids).toEqual(all.map((d) => d.id));
  });
});
