/**
 * `auscult events`: the events after a seq (or the newest first, before a seq), filtered, as a table
 * or JSON (the objects the API returns). Summaries carry names from the wire: escaped for the
 * terminal before they are cut.
 */
import type { Writable } from 'node:stream';
import type { AuscultEvent } from '../export/event.js';
import type { EventFilter } from '../store/events.js';
import { StoreReader } from '../store/reader.js';
import { forTerminal, jsonForTerminal } from '../output/escape.js';
import { writeAll } from '../output/write.js';

export type EventFormat = 'table' | 'json';

export async function printEvents(db: string, filter: EventFilter, format: EventFormat, out: Writable = process.stdout): Promise<void> {
  const reader = StoreReader.open(db);
  try {
    await writeAll(out, [formatEvents(reader.events(filter), format, filter.order)]);
  } finally {
    reader.close();
  }
}

export function formatEvents(events: AuscultEvent[], format: EventFormat, order: EventFilter['order'] = 'asc'): string {
  if (format === 'json') return jsonForTerminal(events, 2) + '\n';
  const header = ['SEQ', 'TIME', 'SEVERITY', 'TYPE', 'DEVICE', 'SUMMARY'];
  const cut = (s: string, n: number) => {
    const e = forTerminal(s);
    return e.length > n ? `${e.slice(0, n - 1)}…` : e;
  };
  const rows = events.map((e) => [
    String(e.seq), e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.severity, e.type, e.device_id === null ? '-' : String(e.device_id), cut(e.summary, 120),
  ]);
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) if (r[i].length > widths[i]) widths[i] = r[i].length;
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const last = events.length === 0 ? null : events[events.length - 1].seq;
  const more = last === null ? '' : order === 'desc' ? `; older ones with --newest --before ${last}` : `; continue with --since ${last}`;
  return [line(header), ...rows.map(line), `${events.length} event(s)${more}`].join('\n') + '\n';
}
