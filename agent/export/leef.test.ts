import { beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../store/device-json.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import { LeefError, parseLeef } from '../testing/leef-parser.js';
import type { ExportContext } from './context.js';
import { primaryAnyIp, primaryHostname } from './device-view.js';
import { leef, leefTime, leefValue } from './formats/leef.js';

const ctx: ExportContext = { sensor: { hostname: 'sensor-1', id: 'sensor-1' }, productVersion: '0.1.0' };

/** What LEEF cannot carry: C0, DEL, C1, line and paragraph separators (a string: no-control-regex). */
const CONTROLS_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]';
const CONTROLS = new RegExp(CONTROLS_CLASS, 'g');

let devices: Device[];
beforeAll(async () => {
  devices = await realDevices();
});

/** devTime back to epoch ms through the declared pattern MMM dd yyyy HH:mm:ss.SSS z (independent of leefTime). */
function parseDevTime(text: string, format: string): number {
  expect(format).toBe('MMM dd yyyy HH:mm:ss.SSS z');
  const m = /^([A-Z][a-z]{2}) (\d{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) GMT$/.exec(text);
  expect(m, text).not.toBeNull();
  const month = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m![1]) / 3;
  return Date.UTC(+m![3], month, +m![2], +m![4], +m![5], +m![6], +m![7]);
}

describe('LEEF values', () => {
  it('replace TAB, CR, LF and other control characters by spaces, and keep everything else', () => {
    expect(leefValue('a\tb\r\nc\u0000d\u0085e\u2028f')).toBe('a b  c d e f');
    expect(leefValue('pipe|equals=Müller')).toBe('pipe|equals=Müller');
    expect(leefTime('2026-11-23T02:13:07.365Z')).toBe('Nov 23 2026 02:13:07.365 GMT');
  });

  it('the strict parser rejects a broken record', () => {
    for (const b of ['LEEF:2.0|a|b|1|e|x09|k=v\nk2=v', 'LEEF:2.0|a|b|1|e|x09|sev=11', 'LEEF:2.0|a|b|1|e|x09|novalue', 'LEEF:2.0|a|b|1|e|x09|k=1\tk=2', 'LEEF:2.0|a|b|1|e|xZZ|k=v']) {
      expect(() => parseLeef(b), b).toThrow(LeefError);
    }
  });
});

describe('devices as LEEF 2.0', () => {
  it('declares TAB as the delimiter and maps every real device field by field', () => {
    for (const d of devices) {
      const r = parseLeef(leef.device(d, ctx));
      expect(r.delimiter).toBe('\t');
      expect(r.eventId).toBe('device.inventory');
      const a = r.attributes;
      expect(a.get('srcMAC')).toBe(d.mac ?? undefined);
      const ip = primaryAnyIp(d);
      expect(a.get('src')).toBe(ip ?? undefined);
      expect(a.get('identSrc')).toBe(ip ?? undefined);
      expect(a.get('identMAC')).toBe(ip === null ? undefined : (d.mac ?? undefined));
      // Real names may hold control characters (hostile-names.pcap): LEEF carries them as spaces.
      const name = primaryHostname(d)?.replace(CONTROLS, ' ');
      expect(a.get('identHostName')).toBe(ip === null ? undefined : name);
      expect(a.get('hostName')).toBe(name);
      expect(parseDevTime(a.get('devTime')!, a.get('devTimeFormat')!)).toBe(Date.parse(d.last_seen));
      expect(a.get('sev')).toBe('1');
      expect(a.get('vendor')).toBe(d.vendor?.replace(CONTROLS, ' ') ?? undefined);
      expect(a.get('deviceCategory')).toBe(d.category);
      expect(a.get('medical')).toBe(String(d.medical));
      expect(Number(a.get('deviceId'))).toBe(d.id);
    }
  });

  it('never breaks a record on a hostile name: one line, every attribute where it belongs', () => {
    for (const d of withHostileNames(devices)) {
      const line = leef.device(d, ctx);
      expect(line.split('\n')).toHaveLength(1);
      const r = parseLeef(line);
      const name = primaryHostname(d)!;
      const expected = name.replace(CONTROLS, ' ');
      expect(r.attributes.get('hostName')).toBe(expected);
      expect(r.attributes.get('deviceCategory')).toBe(d.category);
      expect(r.attributes.get('lastSeen')).toBe(d.last_seen);
    }
    expect(HOSTILE_NAMES.some((h) => h.includes('\t'))).toBe(true);
  });
});

describe('events as LEEF 2.0', () => {
  it('carry the event id in a custom externalId attribute and severity on the 1-10 scale', () => {
    const scale = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };
    for (const d of withHostileNames(devices).slice(0, HOSTILE_NAMES.length)) {
      for (const e of sampleEvents(d)) {
        const r = parseLeef(leef.event(e, ctx));
        expect(r.eventId).toBe(e.type);
        expect(r.attributes.get('externalId')).toBe(e.id);
        expect(Number(r.attributes.get('sev'))).toBe(scale[e.severity]);
        expect(parseDevTime(r.attributes.get('devTime')!, r.attributes.get('devTimeFormat')!)).toBe(Date.parse(e.time));
        expect(r.attributes.get('cat')).toBe(e.type.split('.')[0]);
      }
    }
  });
});
