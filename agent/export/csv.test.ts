import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../store/device-json.js';
import { HOSTILE_NAMES, realDevices, sampleEvents, withHostileNames } from '../testing/export-samples.js';
import type { ExportContext } from './context.js';
import { primaryHostname } from './device-view.js';
import { CSV_DEVICE_COLUMNS } from './formats/csv.js';
import { writeDevices, writeEvents } from './writer.js';

const context: ExportContext = { sensor: { hostname: 'sensor-1', id: 'sensor-1' }, productVersion: '0.1.0' };

/** RFC 4180 records (quoted fields may hold commas, quotes as "", and line breaks). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\n') {
      endCell();
      rows.push(row);
      row = [];
    } else if (c === '\r') throw new Error('bare CR outside quotes');
    else cell += c;
  }
  if (cell !== '' || row.length > 0) throw new Error('last record without its line ending');
  return rows;
}

/** What a spreadsheet shows: a leading apostrophe marks text and is not part of the value. */
const shown = (cell: string): string => (cell.startsWith("'") ? cell.slice(1) : cell);
/** Would a spreadsheet evaluate this cell? */
const isFormula = (cell: string): boolean => /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(cell);

const CONTROLS_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const CONTROLS = new RegExp(CONTROLS_CLASS, 'g');

let devices: Device[];
beforeAll(async () => {
  devices = withHostileNames(await realDevices());
});

async function collect(write: (out: Writable) => Promise<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  await write(out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('CSV export', () => {
  it('one header and one row per device; no cell is a formula; the names come back without their control characters', async () => {
    const rows = readCsv(await collect((out) => writeDevices('csv', devices, out, { context })));
    expect(rows[0]).toEqual([...CSV_DEVICE_COLUMNS]);
    expect(rows).toHaveLength(devices.length + 1);
    for (const r of rows.slice(1)) for (const cell of r) expect(isFormula(cell), cell).toBe(false);
    const col = CSV_DEVICE_COLUMNS.indexOf('hostname');
    devices.forEach((d, i) => expect(shown(rows[i + 1][col])).toBe((primaryHostname(d) ?? '').replace(CONTROLS, '')));
    const back = new Set(rows.slice(1).map((r) => shown(r[col])));
    for (const h of HOSTILE_NAMES) expect(back.has(h.replace(CONTROLS, '')), JSON.stringify(h)).toBe(true);
  });

  it('a host name that starts a formula is shown as text', async () => {
    const d = { ...devices[0], vendor: '=HYPERLINK("http://evil.example/","x")', model: '-2+3' };
    const rows = readCsv(await collect((out) => writeDevices('csv', [d], out, { context })));
    const r = rows[1];
    expect(r[CSV_DEVICE_COLUMNS.indexOf('vendor')]).toBe(`'${d.vendor}`);
    expect(shown(r[CSV_DEVICE_COLUMNS.indexOf('model')])).toBe('-2+3');
    expect(r[CSV_DEVICE_COLUMNS.indexOf('confidence')]).toBe(String(d.confidence));
  });

  it('events too', async () => {
    const events = devices.slice(0, HOSTILE_NAMES.length).flatMap((d) => sampleEvents(d));
    const rows = readCsv(await collect((out) => writeEvents('csv', events, out, { context })));
    expect(rows).toHaveLength(events.length + 1);
    for (const r of rows.slice(1)) for (const cell of r) expect(isFormula(cell), cell).toBe(false);
  });
});
