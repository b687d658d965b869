/**
 * The export formats, one module each in formats/ (the Vite habit), listed once here.
 */
import { cef } from './formats/cef.js';
import { csv } from './formats/csv.js';
import { ecs } from './formats/ecs.js';
import { json, ndjson } from './formats/json.js';
import { leef } from './formats/leef.js';
import { ocsf } from './formats/ocsf.js';
import type { ExportFormat } from './formats/types.js';

export const FORMATS = { json, ndjson, csv, cef, leef, ocsf, ecs } as const satisfies Record<string, ExportFormat>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(FORMATS, name);
}

/** The format of that name; throws for an unknown name (validate user input with isFormatName first). */
export function formatByName(name: FormatName): ExportFormat {
  const f = FORMATS[name];
  if (f === undefined) throw new Error(`unknown export format ${String(name)}: ${FORMAT_NAMES.join(', ')}`);
  return f;
}

export type { ExportFormat, Framing, RecordKind } from './formats/types.js';
