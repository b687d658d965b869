/**
 * The API over databases written by the real ingest (capture file → pipeline → store), and while a
 * writer is still open: readers must see committed data and never need the writer to stop (WAL).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { hasControls } from '../agent/output/escape.js';
import { Pipeline } from '../agent/pipeline.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';
import { testApp } from './testing/test-app.js';

// hostile-names.pcap: names with escape sequences, C1 and bidi characters from lldpd and avahi-daemon.
const CAPTURES = ['test-fixtures/lan-dhcp.pcap', 'test-fixtures/formats/lo-eth.pcap', 'test-fixtures/formats/any-sll2.pcap', 'test-fixtures/hostile-names.pcap'];

async function ingest(capture: string): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'auscult-api-')), 'inventory.db');
  const store = new Store(path);
  const pipeline = new Pipeline(store);
  await readCaptureFile(capture, pipeline);
  pipeline.finish();
  store.close();
  return path;
}

describe('API over a real ingest', () => {
  it.each(CAPTURES.filter((c) => existsSync(c)))('%s: list and detail equal the StoreReader\'s', async (capture) => {
    const reader = StoreReader.open(await ingest(capture));
    const app = await testApp(reader);
    const expected = [...reader.allDevices()];
    expect(expected.length).toBeGreaterThan(0);

    const r = await app.inject('/api/v1/devices?limit=1000');
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toStrictEqual(expected);
    // Exact values, and a body that prints safely: what a terminal acts on is \u-escaped.
    expect(hasControls(r.body)).toBe(false);
    for (const d of expected) {
      expect((await app.inject(`/api/v1/devices/${d.id}`)).json()).toStrictEqual(reader.deviceDetail(d.id));
      if (d.mac !== null) expect(r.json().items.filter((x: { mac: string }) => x.mac === d.mac)).toHaveLength(1);
    }
    await app.close();
    reader.close();
  });
});

describe('API beside a running writer', () => {
  it('sees what the writer commits, without blocking it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-api-')), 'inventory.db');
    const store = new Store(path);
    store.macDeviceId('00:1b:21:00:00:01', 'GE Healthcare', false, Date.UTC(2024, 4, 1));
    const reader = StoreReader.open(path);
    const app = await testApp(reader);
    expect((await app.inject('/health')).json()).toMatchObject({ devices: 1 });

    // A read transaction in progress on the API side must not stop the writer, nor see its write.
    reader.snapshot(() => {
      expect(reader.deviceCount()).toBe(1);
      store.macDeviceId('00:1b:21:00:00:02', 'GE Healthcare', false, Date.UTC(2024, 4, 1));
      expect(reader.deviceCount()).toBe(1);
    });

    const list = (await app.inject('/api/v1/devices')).json();
    expect(list.items.map((d: { mac: string }) => d.mac)).toEqual(['00:1b:21:00:00:01', '00:1b:21:00:00:02']);
    await app.close();
    reader.close();
    store.close();
  });
});
