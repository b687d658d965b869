/**
 * Reading library files: YAML lists whose items keep their line number, and schema validation with
 * short messages that name the offending key.
 */
import { createHash, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { isSeq, LineCounter, parseDocument } from 'yaml';
import type { LibraryError } from './library.js';

export interface YamlItem {
  value: unknown;
  line?: number;
}

/**
 * Parsed built-in files, by SHA-1 of their text: `npm run build` writes it (build-yaml-cache.ts) because
 * parsing 500 signatures of YAML costs a quarter of a second at every start. A file whose text changed
 * since the build, and every user file, is parsed as usual.
 */
export const YAML_CACHE_FILE = join(dirname(fileURLToPath(import.meta.url)), 'yaml-cache.json');
let cache: Map<string, YamlItem[]> | null = null;
function cached(sha1: string): YamlItem[] | undefined {
  if (cache === null) {
    cache = new Map();
    try {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(YAML_CACHE_FILE, 'utf8')) as Record<string, YamlItem[]>)) cache.set(k, v);
    } catch {
      // no cache (running from sources, or not built): parse everything
    }
  }
  return cache.get(sha1);
}

export const textKey = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Parse a YAML file whose top level is a list; items keep their line for error messages. */
export function readYamlList(file: string, hash: Hash, errors: LibraryError[], useCache = true): YamlItem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    errors.push({ file, message: `cannot read: ${(err as Error).message}` });
    return [];
  }
  hash.update(file.replace(/^.*[\\/]/, '') + '\0' + text + '\0');
  const hit = useCache ? cached(textKey(text)) : undefined;
  if (hit !== undefined) return structuredClone(hit);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    for (const e of doc.errors) errors.push({ file, line: lineCounter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` });
    return [];
  }
  if (doc.contents === null) return [];
  if (!isSeq(doc.contents)) {
    errors.push({ file, message: 'the top level must be a list' });
    return [];
  }
  const values = doc.toJS() as unknown[];
  return doc.contents.items.map((node, i) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return { value: values[i], line: range ? lineCounter.linePos(range[0]).line : undefined };
  });
}

/** Validators compiled once, on first use (compiling is what makes checking fast). */
const validators = new Map<TSchema, Validator>();
function validator(schema: TSchema): Validator {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = Compile(schema) as unknown as Validator));
  return v;
}
export const valid = (schema: TSchema, value: unknown): boolean => validator(schema).Check(value);

/** Schema errors, most specific first, as one short sentence. */
export function schemaMessage(schema: TSchema, value: unknown, at = ''): string {
  const errors = [...validator(schema).Errors(value)].filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf');
  errors.sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const e of errors) {
    const where = at + (e.instancePath || (at ? '' : '/'));
    if (seen.has(where)) continue;
    seen.add(where);
    const params = e.params as { additionalProperties?: string[]; requiredProperties?: string[] };
    const what =
      e.keyword === 'additionalProperties' && params.additionalProperties
        ? `unknown key(s) ${params.additionalProperties.map((k) => `"${k}"`).join(', ')}`
        : e.keyword === 'required' && params.requiredProperties
          ? `missing ${params.requiredProperties.map((k) => `"${k}"`).join(', ')}`
          : e.message;
    parts.push(`${where}: ${what}`);
    if (parts.length === 3) break;
  }
  return parts.join('; ') || 'does not match the schema';
}

