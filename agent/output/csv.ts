/**
 * CSV as every auscult export writes it: RFC 4180 quoting, and cells that a spreadsheet cannot run.
 *
 * Spreadsheet formula injection (OWASP "CSV Injection"): a cell that starts with `=`, `+`, `-` or
 * `@` (or TAB or CR before one) is a formula in Excel, LibreOffice and Google Sheets, and a host name
 * such as `=HYPERLINK(...)` or `+cmd|' /C calc'!A0` would run when the file is opened. Text cells are
 * written with control characters removed and, when they start with one of those characters (or
 * their full-width forms, or an apostrophe), with a single quote before them, inside double quotes.
 * A reader that drops one leading apostrophe gets the text back exactly (an apostrophe of the text
 * itself is doubled, so nothing else changes).
 *
 * Numbers and booleans that auscult computes (ids, counters, confidence) are written as they are,
 * even negative: they never come from the wire, and a spreadsheet must read them as numbers. Any
 * *text* cell that looks like a negative number ("-5" as a host name) is prefixed like any other.
 */

import { withoutControls } from './escape.js';

export type CsvValue = string | number | boolean | null | undefined;

/** First characters that make a spreadsheet cell a formula (and U+FF1D/FF0B/FF0D/FF20, their full-width forms), and the apostrophe. */
const FORMULA_START = /^[=+\-@\uff1d\uff0b\uff0d\uff20']/;

/** Characters that need the cell quoted: the separators ("," and ";", which some locales use), quotes. */
const NEEDS_QUOTES = /[",;]/;

/** One cell, neutralised and quoted as needed. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  // Removed: C0 (TAB, CR, LF included), DEL, C1, and the bidi and line-separator format characters.
  const text = withoutControls(value);
  if (FORMULA_START.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, without its line ending. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',');
}

/** CSV lines (header first), each ending in a newline. */
export function* csvLines(header: readonly string[], rows: Iterable<readonly CsvValue[]>): Generator<string> {
  yield csvRow(header) + '\n';
  for (const r of rows) yield csvRow(r) + '\n';
}
