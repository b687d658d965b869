import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Device } from '../store/device-json.js';
import { NO_RISK } from '../store/finding-json.js';
import type { ExportContext } from './context.js';
import { FORMAT_NAMES, formatByName } from './formats.js';
import { writeDevices } from './writer.js';

const context: ExportContext = { sensor: { hostname: 'sensor-1', id: 'sensor-1' }, productVersion: '0.1.0' };

function device(id: number): Device {
  return {
    id, mac: '02:00:00:00:00:01', mac_vendor: null, mac_locally_administered: true, kind: 'layer2', is_router: false,
    ips: [{ ip: '10.0.0.1', version: 4, sources: ['arp'], dhcp_lease_seconds: null, first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:00.000Z' }],
    vlans: [], first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:01.000Z', packets: 1, bytes: 60, packets_sent: 1,
    bytes_sent: 60, packets_received: 0, bytes_received: 0, services: [], hostnames: [], evidence: {}, clinical: null, vendor: null,
    model: null, category: 'unknown', criticality: null, os: null, firmware: null, confidence: 0, medical: false, classification: null,
    findings: [], risk: NO_RISK,
  };
}

describe('writeDevices', () => {
  it('pulls records only as fast as a slow reader drains them (back-pressure, bounded buffering)', async () => {
    let pulled = 0;
    function* devices(): Generator<Device> {
      for (let i = 1; i <= 20_000; i++) {
        pulled++;
        yield device(i);
      }
    }
    let written = 0;
    let maxAhead = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        written += chunk.toString().split('\n').length - 1;
        maxAhead = Math.max(maxAhead, pulled - written);
        setImmediate(cb); // a slow reader
      },
    });
    const r = await writeDevices('ndjson', devices(), out, { context, pieceChars: 8 * 1024 });
    expect(r.records).toBe(20_000);
    expect(written).toBe(20_000);
    // Never more than a few pieces' worth of records between the generator and the reader.
    expect(maxAhead).toBeLessThan(200);
  });

  it('accepts async iterables and ends the stream only when asked', async () => {
    async function* devices(): AsyncGenerator<Device> {
      for (let i = 1; i <= 3; i++) yield device(i);
    }
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c));
    await writeDevices('json', devices(), out, { context });
    expect(out.writableEnded).toBe(false);
    await writeDevices('cef', [device(4)], out, { context, end: true });
    expect(out.writableEnded).toBe(true);
    expect(text.startsWith('[\n')).toBe(true);
  });

  it('rejects when the reader goes away, instead of hanging', async () => {
    const out = new Writable({
      highWaterMark: 1024,
      write(_c, _e, cb) {
        setImmediate(() => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
      },
    });
    out.on('error', () => {});
    const many = Array.from({ length: 5000 }, (_, i) => device(i + 1));
    await expect(writeDevices('ndjson', many, out, { context, pieceChars: 1024 })).rejects.toThrow(/EPIPE|closed/);
  });

  it('every registered format has a content type and writes a device', async () => {
    for (const name of FORMAT_NAMES) {
      const f = formatByName(name);
      expect(f.contentType).toMatch(/^(text|application)\//);
      expect(f.device(device(1), context).length).toBeGreaterThan(0);
    }
  });
});
