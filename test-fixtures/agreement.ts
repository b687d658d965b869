/**
 * Agreement with an independent implementation: for every capture of the public corpus, the identity
 * values tshark 4.0.17 extracted (../shared/corpus/identities.tsv) against those auscult's dissectors
 * stored as observations. Compared per capture as sets of distinct values.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { Pipeline } from '../agent/pipeline.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';


/** Where each tshark field's values are found among our observations: source and field names. */
export interface FieldMapping {
  tshark: string;
  /** Protocol the agreement is reported under. */
  protocol: string;
  /** [observation source, field] pairs whose values answer the tshark field. */
  ours: [string, string][];
  /** Put our value of `field` in tshark's text form (e.g. an option list as "1,3,6"). */
  normalise?: (value: unknown, field: string) => string[];
}

export interface FileAgreement {
  file: string;
  tshark: string;
  protocol: string;
  expected: string[];
  found: string[];
  missing: string[];
}

/** Longest value identities.tsv holds: longer ones were cut there. */
const ORACLE_VALUE_CAP = 200;

export function corpusDir(): string {
  // From dist/test-fixtures or test-fixtures: ../shared sits beside the checkout.
  for (const up of [join(import.meta.dirname, '..', '..', 'shared', 'corpus'), join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus')]) {
    if (existsSync(join(up, 'identities.tsv'))) return up;
  }
  return join(import.meta.dirname, '..', '..', 'shared', 'corpus');
}

/** identities.tsv: file → tshark field → distinct values. */
export function tsharkIdentities(corpus: string): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const line of readFileSync(join(corpus, 'identities.tsv'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.startsWith('file\t') || line.trim() === '') continue;
    const [file, field, value] = line.split('\t');
    const byField = out.get(file) ?? new Map<string, Set<string>>();
    out.set(file, byField);
    const set = byField.get(field) ?? new Set<string>();
    byField.set(field, set);
    set.add(value);
  }
  return out;
}

function flatten(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (value === null || value === undefined) return [];
  return [String(value)];
}

/** Ingest one capture and return every observation as [source, fields]. */
export async function observationsOf(path: string): Promise<[string, Record<string, unknown>][]> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-agree-'));
  try {
    const dbPath = join(dir, 'a.db');
    const store = new Store(dbPath);
    const pipeline = new Pipeline(store);
    await readCaptureFile(path, pipeline);
    pipeline.finish();
    store.close();
    const reader = StoreReader.open(dbPath);
    try {
      return [...reader.allDevices()].flatMap((d) => (reader.observations(d.id) ?? []).map((o): [string, Record<string, unknown>] => [o.source, o.fields]));
    } finally {
      reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compare one capture on every mapped field tshark reported for it. */
export function compare(
  file: string, tshark: Map<string, Set<string>>, observations: [string, Record<string, unknown>][], mappings: readonly FieldMapping[],
): FileAgreement[] {
  const out: FileAgreement[] = [];
  for (const m of mappings) {
    const expected = tshark.get(m.tshark);
    if (!expected) continue;
    const found = new Set<string>();
    for (const [source, fields] of observations) {
      for (const [s, f] of m.ours) {
        if (s !== source || !(f in fields)) continue;
        for (const v of m.normalise ? m.normalise(fields[f], f) : flatten(fields[f])) found.add(v);
      }
    }
    const exp = [...expected].sort();
    // identities.tsv cuts values at 200 characters: such a value matches the full one it begins.
    const has = (v: string) => found.has(v) || (v.length === ORACLE_VALUE_CAP && [...found].some((f) => f.startsWith(v)));
    out.push({ file, tshark: m.tshark, protocol: m.protocol, expected: exp, found: [...found].sort(), missing: exp.filter((v) => !has(v)) });
  }
  return out;
}
