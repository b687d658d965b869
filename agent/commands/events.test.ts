import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { eventId } from '../events/event-id.js';
import type { AuscultEvent } from '../export/event.js';
import { Store } from '../store/store.js';
import { formatEvents, printEvents } from './events.js';

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
    const newest = formatEvents([{ ...hostile, seq: 9 }, hostile], 'table', 'desc');
    expect(newest).toMatch(/^9\s.*\n7\s/m);
    expect(newest).toMatch(/^2 event\(s\); older ones with --newest --before 7$/m);
  });

  it('json: the API objects, control characters as \\u escapes that read back as the same value', () => {
    const text = formatEvents([hostile], 'json');
    expect(raw(text)).toBe(false);
    expect(JSON.parse(text)).toEqual([hostile]);
  });

  it('--newest: the latest events of a database first, --before pages back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-events-cli-'));
    try {
      const db = join(dir, 'a.db');
      const store = new Store(db);
      store.transaction(() => {
        for (let i = 0; i < 5; i++) {
          store.events.append({ ...hostile, id: eventId('device.new', `n${i}`), type: 'device.new', summary: `event ${i}`, time: new Date(Date.UTC(2024, 4, 1, 8, i)).toISOString() });
        }
      });
      store.close();
      const print = async (filter: Parameters<typeof printEvents>[1]): Promise<string[]> => {
        const out = new PassThrough();
        const chunks: Buffer[] = [];
        out.on('data', (c: Buffer) => chunks.push(c));
        await printEvents(db, filter, 'json', out);
        return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as AuscultEvent[]).map((e) => e.summary);
      };
      expect(await print({ afterSeq: 0, limit: 2, order: 'desc' })).toEqual(['event 4', 'event 3']);
      expect(await print({ afterSeq: 0, limit: 2, order: 'desc', beforeSeq: 4 })).toEqual(['event 2', 'event 1']);
      expect(await print({ afterSeq: 0, limit: 2 })).toEqual(['event 0', 'event 1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
