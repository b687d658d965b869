import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../store/device-json.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import type { ExportContext } from './context.js';
import { writeDevices, writeEvents } from './writer.js';

const context: ExportContext = { sensor: { hostname: 'sensor-1', id: 'sensor-1' }, productVersion: '0.1.0' };

let devices: Device[];
beforeAll(async () => {
  devices = withHostileNames(await realDevices());
});

async function collect(write: (out: Writable) => Promise<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  await write(out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('JSON and NDJSON exports', () => {
  it('JSON is one array of the device objects, hostile names back exactly', async () => {
    const text = await collect((out) => writeDevices('json', devices, out, { context }));
    const back = JSON.parse(text) as Device[];
    expect(back).toEqual(devices);
    const names = new Set(back.flatMap((d) => d.hostnames.map((h) => h.name)));
    for (const h of HOSTILE_NAMES) expect(names.has(h), h).toBe(true);
  });

  it('an empty JSON export is an empty array', async () => {
    expect(JSON.parse(await collect((out) => writeDevices('json', [], out, { context })))).toEqual([]);
  });

  it('NDJSON is one object per line, events included', async () => {
    const events = devices.slice(0, 3).flatMap((d, i) => sampleEvents(d, i * 100));
    const text = await collect((out) => writeEvents('ndjson', events, out, { context }));
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });

  it('the detail-only peers of a device do not go into the export', async () => {
    const withPeers = { ...devices[0], peers: [] };
    const text = await collect((out) => writeDevices('ndjson', [withPeers], out, { context }));
    expect(JSON.parse(text)).not.toHaveProperty('peers');
  });
});
