/**
 * One export format: how a device and an event become one record, and how records are framed in a
 * file or response (JSON arrays need brackets and commas, CSV a header, line formats a newline).
 */
import type { Device } from '../../store/device-json.js';
import type { ExportContext } from '../context.js';
import type { AuscultEvent } from '../event.js';

export type RecordKind = 'devices' | 'events';

/** Text around and between records. */
export interface Framing {
  /** Before the first record. */
  begin: string;
  /** Between two records. */
  separator: string;
  /** After the last record. */
  end: string;
  /** The whole output when there is no record. */
  empty: string;
}

/** Framing of the formats with one record per line (CEF, LEEF, NDJSON, OCSF, ECS). */
export const LINES: Framing = { begin: '', separator: '\n', end: '\n', empty: '' };

export interface ExportFormat {
  readonly name: string;
  /** HTTP Content-Type of a whole export. */
  readonly contentType: string;
  /** File extension for `--output` defaults. */
  readonly extension: string;
  /** One record is one line with no newline inside: it can be a syslog message body. */
  readonly oneLine: boolean;
  framing(kind: RecordKind): Framing;
  /** One device as one record, without framing. */
  device(d: Device, ctx: ExportContext): string;
  /** One event as one record, without framing. */
  event(e: AuscultEvent, ctx: ExportContext): string;
}
