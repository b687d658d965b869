import { describe, expect, it } from 'vitest';
import type { AuscultEvent } from '../export/event.js';
import { formatEvents } from './events.js';

/** Whether text holds what must never reach a terminal raw. */
const raw = (text: string): boolean => ['\x1b', '\x07', '\u202e'].some((c) => text.includes(c));

const hostile: AuscultEvent = {
  id: 'a'.repeat(40), seq: 7, time: '2024-05-01T08:00:00.000Z', type: 'device.hostname_new', severity: 'info', device_id: 3,
  summary: '00:1b:21:0a:00:21 is named \x1b]0;owned\x07pc\u202e (dhcp)', details: { hostname: '\x1b]0;owned\x07pc\u202e', source: 'dhcp', mac: null },
};

describe('auscult events output', () => {
  it('table: one line per event, names from the wire escaped, and where to continue', () => {
    const text = formatEvents([hostile], 'table');
    expect(raw(text)).toBe(false);
    expect(text).toMatch(/^7\s+2024-05-01 08:00:00Z\s+info\s+device\.hostname_new\s+3\s+00:1b:21:0a:00:21 is named \\x1b\]0;owned\\x07pc/m);
    expect(text).toMatch(/^1 event\(s\); continue with --since 7$/m);
    expect(formatEvents([], 'table')).toMatch(/^0 event\(s\)$/m);
  });

  it('json: the API objects, control characters as \\u escapes that read back as the same value', () => {
    const text = formatEvents([hostile], 'json');
    expect(raw(text)).toBe(false);
    expect(JSON.parse(text)).toEqual([hostile]);
  });
});
