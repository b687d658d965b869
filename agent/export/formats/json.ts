/**
 * JSON and NDJSON: the device object exactly as the API returns it (without peers) and the event
 * object, so every string, control characters included, comes back intact from any JSON parser.
 */
import type { Device } from '../../store/device-json.js';
import type { AuscultEvent } from '../event.js';
import { LINES, type ExportFormat, type Framing } from './types.js';

/** The device without its detail-only `peers`, in the key order of the list endpoint. */
function deviceRecord(d: Device): string {
  if ('peers' in d) {
    const { peers: _peers, ...rest } = d as Device & { peers: unknown };
    return JSON.stringify(rest);
  }
  return JSON.stringify(d);
}

const eventRecord = (e: AuscultEvent): string => JSON.stringify(e);

const ARRAY: Framing = { begin: '[\n', separator: ',\n', end: '\n]\n', empty: '[]\n' };

/** One JSON array of records, one record per line inside it. */
export const json: ExportFormat = {
  name: 'json',
  contentType: 'application/json; charset=utf-8',
  extension: 'json',
  oneLine: true,
  framing: () => ARRAY,
  device: deviceRecord,
  event: eventRecord,
};

/** Newline-delimited JSON: one object per line. */
export const ndjson: ExportFormat = {
  name: 'ndjson',
  contentType: 'application/x-ndjson',
  extension: 'ndjson',
  oneLine: true,
  framing: () => LINES,
  device: deviceRecord,
  event: eventRecord,
};
