/**
 * Streaming export: records from an (async) iterable of devices or events, written to a Writable
 * with back-pressure in constant memory. Records are gathered into ~64 KiB pieces (one write per
 * piece, not per record); when the stream's buffer is full the writer waits for 'drain'.
 *
 * Wiring an export route or command is a few lines:
 *   reply.type(formatByName(fmt).contentType);
 *   await writeDevices(fmt, query.all(filter), reply.raw, { context });
 */
import type { Writable } from 'node:stream';
import type { Device } from '../store/device-json.js';
import { exportContext, type ExportContext } from './context.js';
import type { AuscultEvent } from './event.js';
import { formatByName, type FormatName } from './formats.js';
import type { ExportFormat, RecordKind } from './formats/types.js';

export interface WriteOptions {
  /** Sensor and product identity; default: this host (exportContext()). */
  context?: ExportContext;
  /** End the stream after the last record (default false: the caller may write more or close it). */
  end?: boolean;
  /** Characters gathered before one write (default 64 KiB). */
  pieceChars?: number;
}

/** What was written. */
export interface WriteResult {
  records: number;
}

const PIECE_CHARS = 64 * 1024;

/** Devices, one record each, framed as the format wants (JSON array, CSV header...). */
export function writeDevices(format: FormatName | ExportFormat, devices: Iterable<Device> | AsyncIterable<Device>, out: Writable, options: WriteOptions = {}): Promise<WriteResult> {
  const f = typeof format === 'string' ? formatByName(format) : format;
  const ctx = options.context ?? exportContext();
  return writeRecords(f, 'devices', devices, (d) => f.device(d, ctx), out, options);
}

/** Events, one record each. */
export function writeEvents(format: FormatName | ExportFormat, events: Iterable<AuscultEvent> | AsyncIterable<AuscultEvent>, out: Writable, options: WriteOptions = {}): Promise<WriteResult> {
  const f = typeof format === 'string' ? formatByName(format) : format;
  const ctx = options.context ?? exportContext();
  return writeRecords(f, 'events', events, (e) => f.event(e, ctx), out, options);
}

/** Waits for room in a Writable and reports its failure (a closed socket, EPIPE) as a rejection. */
class Sink {
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onError = (err: Error): void => {
    this.failure = err;
    this.wake?.();
  };
  private readonly onRoom = (): void => this.wake?.();

  constructor(private readonly out: Writable) {
    out.on('error', this.onError);
    out.on('drain', this.onRoom);
    out.on('close', this.onRoom);
  }

  async write(text: string): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.out.destroyed) throw new Error('export output closed before the end');
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      if (this.failure !== null) throw this.failure;
      if (this.out.destroyed) throw new Error('export output closed before the end');
    }
  }

  /** Resolves once everything written so far was handed on (or the stream ended). */
  async finish(end: boolean): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (end) this.out.end(done);
      else this.out.write('', done);
    });
    if (this.failure !== null) throw this.failure;
  }

  release(): void {
    this.out.off('error', this.onError);
    this.out.off('drain', this.onRoom);
    this.out.off('close', this.onRoom);
  }
}

async function writeRecords<T>(
  f: ExportFormat,
  kind: RecordKind,
  items: Iterable<T> | AsyncIterable<T>,
  toRecord: (item: T) => string,
  out: Writable,
  options: WriteOptions,
): Promise<WriteResult> {
  const framing = f.framing(kind);
  const pieceChars = options.pieceChars ?? PIECE_CHARS;
  const sink = new Sink(out);
  let piece = '';
  let records = 0;
  /** Adds one record; returns a full piece to write, else null. */
  const take = (item: T): string | null => {
    piece += (records === 0 ? framing.begin : framing.separator) + toRecord(item);
    records++;
    if (piece.length < pieceChars) return null;
    const full = piece;
    piece = '';
    return full;
  };
  try {
    if (Symbol.asyncIterator in items) {
      for await (const item of items as AsyncIterable<T>) {
        const full = take(item);
        if (full !== null) await sink.write(full);
      }
    } else {
      // A sync iterable (a database cursor) is read without an await per record.
      for (const item of items as Iterable<T>) {
        const full = take(item);
        if (full !== null) await sink.write(full);
      }
    }
    piece += records === 0 ? framing.empty : framing.end;
    if (piece !== '') await sink.write(piece);
    await sink.finish(options.end ?? false);
    return { records };
  } finally {
    sink.release();
  }
}
