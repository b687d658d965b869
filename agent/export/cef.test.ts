import { beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../store/device-json.js';
import { cefCustom, CefError, parseCef } from '../testing/cef-parser.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import type { ExportContext } from './context.js';
import { ipList, primaryHostname, primaryIp } from './device-view.js';
import { cef, cefHeader, cefValue } from './formats/cef.js';

const ctx: ExportContext = { sensor: { hostname: 'sensor-1.ward3', id: 'sensor-1' }, productVersion: '0.1.0' };

let devices: Device[];
beforeAll(async () => {
  devices = await realDevices();
});

describe('CEF escaping (Implementing ArcSight CEF, "Character Encoding")', () => {
  it('escapes \\ and | in the header, and nothing else there', () => {
    expect(cefHeader('a|b\\c=d')).toBe('a\\|b\\\\c=d');
  });
  it('escapes \\, =, newline and CR in extension values, and leaves | alone', () => {
    expect(cefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
    expect(cefValue('plain name')).toBe('plain name');
  });
});

describe('the strict parser itself', () => {
  it('rejects what the standard does not allow', () => {
    const bad = [
      'CEF:0|a|b|1|c|d|5|k=v=w', // unescaped = inside a value
      'CEF:0|a|b|1|c|d|5|k=v\\x', // unknown escape
      'CEF:0|a|b|1|c|d|11|k=v', // severity
      'CEF:0|a|b|1|c|d|5', // 6 header fields
      'CEF:0|a|b|1|c|d|5|k=1 k=2', // duplicate key
      'CEF:0|a|b|1|c|d|5|cs1=x', // custom field without label
      'CEF:0|a|b|1|c|d|5|src=fe80::1', // src is IPv4
      'CEF:0|a|b|1|c|d|5|k=line\nbreak',
    ];
    for (const b of bad) expect(() => parseCef(b), b).toThrow(CefError);
    expect(parseCef('CEF:0|a|b|1|c|d|Very-High|msg=x  y=1').extension.get('msg')).toBe('x ');
  });
});

describe('devices as CEF', () => {
  it('gives every real device one line that the strict parser reads back field by field', () => {
    for (const d of devices) {
      const line = cef.device(d, ctx);
      const r = parseCef(line);
      expect(r.classId).toBe('device.inventory');
      expect(r.vendor).toBe('auscult');
      expect(r.severity).toBe(1);
      const x = r.extension;
      expect(x.get('smac')).toBe(d.mac ?? undefined);
      expect(x.get('src')).toBe(primaryIp(d, 4) ?? undefined);
      expect(cefCustom(r, 'Source IPv6 Address')).toBe(primaryIp(d, 6) ?? undefined);
      expect(x.get('shost')).toBe(primaryHostname(d) ?? undefined);
      expect(x.get('dvchost')).toBe('sensor-1.ward3');
      expect(x.get('deviceExternalId')).toBe('sensor-1');
      expect(Number(x.get('rt'))).toBe(Date.parse(d.last_seen));
      expect(Number(x.get('start'))).toBe(Date.parse(d.first_seen));
      expect(cefCustom(r, 'Vendor')).toBe(d.vendor ?? undefined);
      expect(cefCustom(r, 'Model')).toBe(d.model ?? undefined);
      expect(cefCustom(r, 'Category')).toBe(d.category);
      expect(cefCustom(r, 'Firmware')).toBe(d.firmware ?? undefined);
      expect(Number(cefCustom(r, 'Confidence'))).toBe(d.confidence);
      expect(Number(cefCustom(r, 'Device ID'))).toBe(d.id);
      expect(cefCustom(r, 'Medical')).toBe(d.medical ? '1' : '0');
      if (d.ips.length > 0) expect(x.get('auscultIpAddresses')!.split(' ')).toEqual(ipList(d));
    }
    expect(devices.some((d) => d.medical)).toBe(true);
    // hostile-names.pcap: names sent by real lldpd and avahi-daemon with ESC sequences, BEL, C1, RLO.
    expect(devices.some((d) => primaryHostname(d)?.includes('\u001b]0;owned'))).toBe(true);
    expect(devices.some((d) => primaryIp(d, 4) === null && primaryIp(d, 6) !== null)).toBe(true);
  });

  it('brings every hostile host name back intact, in shost and in the list of names', () => {
    const hostile = withHostileNames(devices);
    const seen = new Set<string>();
    for (const d of hostile) {
      const line = cef.device(d, ctx);
      expect(line).not.toMatch(/[\r\n]/);
      const r = parseCef(line);
      const name = primaryHostname(d)!;
      seen.add(name);
      // The final pair loses trailing spaces (the standard); shost is never last.
      expect(r.extension.get('shost')).toBe(name);
      expect(JSON.parse(r.extension.get('auscultHostnames')!)).toContain(name);
      // Nothing a name holds can add or change a field.
      expect(r.extension.get('cs1')).toBe(d.vendor ?? undefined);
      expect(r.extension.has('forged')).toBe(false);
    }
    for (const h of HOSTILE_NAMES) expect(seen.has(h), h).toBe(true);
  });
});

describe('events as CEF', () => {
  it('carries the event id as externalId, its severity on CEF\'s scale, and its subject', () => {
    const scale = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };
    for (const d of withHostileNames(devices).slice(0, HOSTILE_NAMES.length)) {
      for (const e of sampleEvents(d)) {
        const r = parseCef(cef.event(e, ctx));
        expect(r.classId).toBe(e.type);
        expect(r.extension.get('externalId')).toBe(e.id);
        expect(r.severity).toBe(scale[e.severity]);
        expect(Number(r.extension.get('rt'))).toBe(Date.parse(e.time));
        expect(r.extension.get('msg')).toBe(e.summary);
        expect(JSON.parse(cefCustom(r, 'Details')!)).toEqual(e.details);
        const det = e.details as { mac?: string | null; hostname?: string };
        if (det.mac) expect(r.extension.get('smac')).toBe(det.mac);
        if (det.hostname !== undefined) expect(r.extension.get('shost')).toBe(det.hostname);
        if (e.device_id !== null) expect(Number(cefCustom(r, 'Device ID'))).toBe(e.device_id);
      }
    }
  });
});
