import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../../test-fixtures/golden.js';
import type { Device } from '../store/device-json.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import { OcsfSchema } from '../testing/ocsf-validator.js';
import type { ExportContext } from './context.js';
import { primaryHostname } from './device-view.js';
import { ocsf, OCSF_VERSION } from './formats/ocsf.js';

const ctx: ExportContext = { sensor: { hostname: 'sensor-1', id: 'sensor-1' }, productVersion: '0.1.0' };
const schema = new OcsfSchema(join(fixtureDir(), `ocsf-${OCSF_VERSION}`));

let devices: Device[];
beforeAll(async () => {
  devices = withHostileNames(await realDevices());
});

interface Rec {
  class_uid: number; category_uid: number; activity_id: number; type_uid: number; severity_id: number;
  metadata: { version: string; uid?: string };
  device: { type_id: number; type: string; hostname?: string; mac?: string; uid: string; first_seen_time?: number };
  unmapped: { auscult: { hostnames?: string[] } };
}

describe(`OCSF ${OCSF_VERSION} Device Inventory Info`, () => {
  it('the fixture is the named version', () => {
    expect(schema.version).toBe(OCSF_VERSION);
    expect(OCSF_VERSION >= '1.4.0').toBe(true);
  });

  it('the validator rejects what the definitions do not allow', () => {
    const good = JSON.parse(ocsf.device(devices[0], ctx)) as Record<string, unknown>;
    expect(schema.validateEvent('inventory_info', 5, good)).toEqual([]);
    const { device: _device, ...noDevice } = good;
    expect(schema.validateEvent('inventory_info', 5, noDevice)).toContain('inventory_info.device: required, missing');
    expect(schema.validateEvent('inventory_info', 5, { ...good, device: { ...(good.device as object), type_id: 42 } }).join()).toMatch(/type_id: 42 not in its enum/);
    expect(schema.validateEvent('inventory_info', 5, { ...good, device: { ...(good.device as object), mac: 'nope' } }).join()).toMatch(/mac/);
    expect(schema.validateEvent('inventory_info', 5, { ...good, surprise: 1 }).join()).toMatch(/surprise: not an attribute/);
    expect(schema.validateEvent('inventory_info', 5, { ...good, time: '2026' }).join()).toMatch(/time: not a long integer/);
  });

  it('every real device (hostile names included) gives a valid record with the class, activity and type ids', () => {
    const c = schema.eventClass('inventory_info');
    for (const d of devices) {
      const line = ocsf.device(d, ctx);
      expect(line).not.toContain('\n');
      const rec = JSON.parse(line) as Rec;
      expect(schema.validateEvent('inventory_info', 5, rec), `device ${d.id}`).toEqual([]);
      expect(rec.category_uid).toBe(5);
      expect(rec.class_uid).toBe(5 * 1000 + c.uid);
      expect(rec.activity_id).toBe(2);
      expect(rec.type_uid).toBe(rec.class_uid * 100 + rec.activity_id);
      expect(rec.metadata.version).toBe(OCSF_VERSION);
      expect(rec.device.uid).toBe(String(d.id));
      expect(rec.device.mac).toBe(d.mac ?? undefined);
      expect(rec.device.first_seen_time).toBe(Date.parse(d.first_seen));
      // The hostile name comes back intact.
      expect(rec.device.hostname).toBe(primaryHostname(d) ?? undefined);
      if (d.medical) {
        expect(rec.device.type_id).toBe(7);
        expect(rec.device.type).toMatch(/^Medical device/);
      }
    }
    const names = new Set(devices.map((d) => (JSON.parse(ocsf.device(d, ctx)) as Rec).device.hostname));
    for (const h of HOSTILE_NAMES) expect(names.has(h), h).toBe(true);
    // Every attribute was typed from the fixture's dictionary, none by naming convention.
    expect([...schema.inferred]).toEqual([]);
  });

  it('events are Device Inventory Info records with activity Log, their id in metadata.uid and severity mapped', () => {
    const scale = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
    for (const d of devices.slice(0, HOSTILE_NAMES.length)) {
      for (const e of sampleEvents(d)) {
        const rec = JSON.parse(ocsf.event(e, ctx)) as Rec;
        expect(schema.validateEvent('inventory_info', 5, rec), `${e.type}`).toEqual([]);
        expect(rec.activity_id).toBe(1);
        expect(rec.type_uid).toBe(500101);
        expect(rec.metadata.uid).toBe(e.id);
        expect(rec.severity_id).toBe(scale[e.severity]);
      }
    }
  });
});
