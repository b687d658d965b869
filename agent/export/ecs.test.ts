import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../../test-fixtures/golden.js';
import type { Device } from '../store/device-json.js';
import { EcsSchema } from '../testing/ecs-validator.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import type { ExportContext } from './context.js';
import { ipList, primaryHostname } from './device-view.js';
import { ecs, ecsMac } from './formats/ecs.js';

const ctx: ExportContext = { sensor: { hostname: 'sensor-1.ward3', id: 'sensor-1' }, productVersion: '0.1.0' };
const schema = new EcsSchema(join(fixtureDir(), 'ecs', 'ecs_flat-subset.yml'), 'auscult');

let devices: Device[];
beforeAll(async () => {
  devices = withHostileNames(await realDevices());
});

interface Doc {
  event: { kind: string; severity: number; id?: string };
  host: { id: string; hostname?: string; mac?: string[]; ip?: string[] };
  device: { id: string; manufacturer?: string };
  observer: { hostname: string; type: string };
}

describe('ECS documents', () => {
  it('the validator rejects what ECS does not define', () => {
    const good = JSON.parse(ecs.device(devices[0], ctx)) as Record<string, unknown>;
    expect(schema.validate(good)).toEqual([]);
    expect(schema.validate({ ...good, event: { ...(good.event as object), kind: 'inventory' } }).join()).toMatch(/event.kind: inventory/);
    expect(schema.validate({ ...good, host: { mac: ['00:1a:2b:3c:4d:5e'] } }).join()).toMatch(/host.mac/);
    expect(schema.validate({ ...good, hostname: 'x' }).join()).toMatch(/hostname: not an ECS field/);
    const { ecs: _ecs, ...noVersion } = good;
    expect(schema.validate(noVersion)).toContain('ecs.version: required, missing');
  });

  it('every real device is an asset document with host.*, device.* and observer.*, hostile names intact', () => {
    for (const d of devices) {
      const line = ecs.device(d, ctx);
      expect(line).not.toContain('\n');
      const doc = JSON.parse(line) as Doc;
      expect(schema.validate(doc as unknown as Record<string, unknown>), `device ${d.id}`).toEqual([]);
      expect(doc.event.kind).toBe('asset');
      expect(doc.host.id).toBe(String(d.id));
      expect(doc.device.id).toBe(String(d.id));
      expect(doc.host.hostname).toBe(primaryHostname(d) ?? undefined);
      expect(doc.host.ip ?? []).toEqual(ipList(d));
      if (d.mac !== null) expect(doc.host.mac).toEqual([ecsMac(d.mac)]);
      expect(doc.observer).toMatchObject({ hostname: 'sensor-1.ward3', type: 'sensor' });
    }
    const names = new Set(devices.map((d) => (JSON.parse(ecs.device(d, ctx)) as Doc).host.hostname));
    for (const h of HOSTILE_NAMES) expect(names.has(h), h).toBe(true);
  });

  it('events are valid ECS documents with their id, action and severity', () => {
    for (const d of devices.slice(0, 8)) {
      for (const e of sampleEvents(d)) {
        const doc = JSON.parse(ecs.event(e, ctx)) as Doc & { event: { action: string } };
        expect(schema.validate(doc as unknown as Record<string, unknown>), e.type).toEqual([]);
        expect(doc.event.id).toBe(e.id);
        expect(doc.event.action).toBe(e.type);
        expect(doc.event.severity).toBe({ info: 1, low: 2, medium: 3, high: 4, critical: 5 }[e.severity]);
      }
    }
  });
});
