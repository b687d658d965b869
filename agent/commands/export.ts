/**
 * `auscult export devices|events --format F`: every device (with the filters of `auscult devices`) or
 * every event after `--since`, streamed from the database to stdout or `--output FILE` in constant
 * memory. A file is written beside its final name and renamed at the end: an interrupted export leaves
 * no half file under the name a SIEM collector watches.
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { eventsAfter, type EventSource } from '../export/event-source.js';
import type { FormatName } from '../export/formats.js';
import { writeDevices, writeEvents, type WriteResult } from '../export/writer.js';
import { exportContext } from '../export/context.js';
import { StoreReader } from '../store/reader.js';
import type { DeviceListFilter } from './devices.js';
import { OutputClosed } from '../output/write.js';

export type ExportKind = 'devices' | 'events';

export interface ExportOptions {
  db: string;
  kind: ExportKind;
  format: FormatName;
  /** Devices: the list's filters. */
  filter?: DeviceListFilter;
  /** Events: only those with a greater sequence number. */
  sinceSeq?: number;
  /** A file to write (replaced atomically at the end); default `out`. */
  output?: string;
  out?: Writable;
  /** Where events come from (default: the database's events table). */
  events?: (reader: StoreReader) => EventSource;
}

export async function exportRecords(o: ExportOptions): Promise<WriteResult> {
  const reader = StoreReader.open(o.db);
  const partial = o.output === undefined ? null : `${o.output}.partial`;
  const out = partial === null ? (o.out ?? process.stdout) : createWriteStream(partial, { mode: 0o640 });
  try {
    const context = exportContext();
    const result =
      o.kind === 'devices'
        ? await writeDevices(o.format, reader.allDevices(o.filter ?? {}), out, { context, end: partial !== null })
        : await writeEvents(o.format, eventsAfter(o.events?.(reader) ?? reader.eventSource(), o.sinceSeq ?? 0), out, { context, end: partial !== null });
    if (partial !== null && o.output !== undefined) renameSync(partial, o.output);
    return result;
  } catch (err) {
    if (partial !== null) {
      out.destroy();
      rmSync(partial, { force: true });
    }
    throw (err as NodeJS.ErrnoException).code === 'EPIPE' ? new OutputClosed() : err;
  } finally {
    reader.close();
  }
}
