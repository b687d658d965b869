/**
 * Reading library files: YAML lists whose items keep their line number, and schema validation with
 * short messages that name the offending key.
 */
import { createHash, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { TSchema } from 'typebox';
import { packageRoot } from '../config.js';
import { schemas, type SchemaName } from './schema.js';
import type { Validator } from 'typebox/compile';

// Loaded on first use: a start with an unchanged built-in library needs neither (0.2 s of module loading).
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | null = null;
const yaml = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));
let compileModule: typeof import('typebox/compile') | null = null;
const compile = (): typeof import('typebox/compile') => (compileModule ??= require('typebox/compile') as typeof import('typebox/compile'));
import type { LibraryError } from './library.js';

export interface YamlItem {
  value: unknown;
  line?: number;
}

/**
 * Parsed built-in files, by SHA-1 of their text: `npm run build` writes it (build-yaml-cache.ts) because
 * parsing 500 signatures of YAML costs a quarter of a second at every start. A file whose text changed
 * since the build, and every user file, is parsed as usual. Found from the package root, not from this
 * module, because the executable is a bundle (agent/tools/bundle.ts) that lives elsewhere in dist/.
 */
export const YAML_CACHE_FILE = join(packageRoot(), 'dist', 'agent', 'identify', 'yaml-cache.json');
/** A cached file: its items, and whether they all passed schema validation when the cache was built. */
export interface CachedFile {
  items: YamlItem[];
  validated: boolean;
}
let cache: Map<string, CachedFile> | null = null;
function cached(sha1: string): CachedFile | undefined {
  if (cache === null) {
    cache = new Map();
    try {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(YAML_CACHE_FILE, 'utf8')) as Record<string, CachedFile>)) cache.set(k, v);
    } catch {
      // no cache (running from sources, or not built): parse everything
    }
  }
  return cache.get(sha1);
}

/** Objects of cached files validated at build time: `valid()` trusts them (and everything inside). */
const trusted = new WeakSet<object>();
function trust(v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  trusted.add(v);
  for (const x of Object.values(v)) trust(x);
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
  if (hit !== undefined) {
    const items = structuredClone(hit.items);
    if (hit.validated) for (const item of items) trust(item.value);
    return items;
  }
  const { isSeq, LineCounter, parseDocument } = yaml();
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
  if (!v) validators.set(schema, (v = compile().Compile(schema) as unknown as Validator));
  return v;
}
/** Whether `value` matches the named schema (values from files validated at build time are trusted). */
export const valid = (schema: SchemaName, value: unknown): boolean =>
  (typeof value === 'object' && value !== null && trusted.has(value)) || validator(schemas()[schema]).Check(value);

/** Schema errors, most specific first, as one short sentence. */
export function schemaMessage(schema: SchemaName, value: unknown, at = ''): string {
  const errors = [...validator(schemas()[schema]).Errors(value)].filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf');
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

