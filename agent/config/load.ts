/**
 * Reading the configuration file: YAML parsed with line numbers, validated against `ConfigFile`, and
 * every problem reported as `file:line: key ...` with what was expected, so an admin fixes a typo from
 * the message alone. Relative paths in the file are relative to the file's directory, so a service's
 * meaning does not depend on its working directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { UserFacingError } from '../errors.js';
import { ConfigFile, type Config } from './schema.js';

export interface LoadedConfig {
  file: string;
  config: Config;
}

const validator = Compile(ConfigFile);

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable (check its permissions)' : (err as Error).message;
    throw new UserFacingError(`config file ${file}: ${why} (--config or $AUSCULT_CONFIG)`);
  }
  const problems = configProblems(text, file);
  if (problems.errors.length > 0) throw new UserFacingError(problems.errors.join('\n'));
  const config = problems.value as Config;
  const base = dirname(resolve(file));
  if (config.store?.path !== undefined) config.store.path = resolve(base, config.store.path);
  if (config.fingerprints !== undefined) config.fingerprints = resolve(base, config.fingerprints);
  if (config.api?.tls_cert !== undefined) config.api.tls_cert = resolve(base, config.api.tls_cert);
  if (config.api?.tls_key !== undefined) config.api.tls_key = resolve(base, config.api.tls_key);
  if (config.forward?.syslog_ca !== undefined) config.forward.syslog_ca = resolve(base, config.forward.syslog_ca);
  if (config.forward?.splunk_token_file !== undefined) config.forward.splunk_token_file = resolve(base, config.forward.splunk_token_file);
  return { file, config };
}

/** The parsed value and every problem in the text, each as one line starting with `file:line:`. */
export function configProblems(text: string, file: string): { value: unknown; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? file : `${file}:${lines.linePos(offset).line}`);
  if (doc.errors.length > 0) {
    return { value: undefined, errors: doc.errors.map((e) => `${at(e.pos[0])}: not valid YAML: ${e.message.split('\n')[0]}`) };
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { value, errors: [`${at(0)}: expected a mapping of sections (store:, capture:, api: ...), found ${describeValue(value)}`] };
  }
  const errors: { line: number; text: string }[] = [];
  const seen = new Set<string>();
  for (const e of validator.Errors(value)) {
    if (e.keyword === 'boolean') continue; // the additionalProperties error says it better
    const path = e.instancePath.split('/').slice(1).map(unescapePointer);
    if (e.keyword === 'additionalProperties') {
      for (const key of (e.params as { additionalProperties: string[] }).additionalProperties) {
        const keyPath = [...path, key];
        const known = Object.keys(schemaAt(path)?.properties ?? {});
        errors.push(line(keyOffset(doc, keyPath), `unknown key "${keyPath.join('.')}"` + (known.length ? ` (known${path.length ? ` in ${path.join('.')}` : ''}: ${known.join(', ')})` : '')));
      }
      continue;
    }
    const key = path.join('.');
    if (seen.has(key)) continue; // one message per key (a union reports each member)
    seen.add(key);
    const schema = schemaAt(path);
    const expected = schema ? describeSchema(schema) : e.message;
    errors.push(line(valueOffset(doc, path), `${key || 'the file'}: expected ${expected}, found ${describeValue(valueAt(value, path))}`));
  }
  function line(offset: number | undefined, text: string) {
    return { line: offset === undefined ? 0 : lines.linePos(offset).line, text: `${at(offset)}: ${text}` };
  }
  errors.sort((a, b) => a.line - b.line);
  return { value, errors: errors.map((e) => e.text) };
}

type ObjectSchema = TSchema & { properties?: Record<string, TSchema> };

function schemaAt(path: string[]): ObjectSchema | undefined {
  let s: ObjectSchema | undefined = ConfigFile as ObjectSchema;
  for (const k of path) s = s?.properties?.[k] as ObjectSchema | undefined;
  return s;
}

function valueAt(value: unknown, path: string[]): unknown {
  let v = value;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

/** What a schema accepts, in words: "an integer from 1 to 4096", "true or false", "one of: a, b". */
export function describeSchema(s: TSchema): string {
  const x = s as { type?: string; minimum?: number; exclusiveMinimum?: number; maximum?: number; minLength?: number; enum?: unknown[] };
  if (x.enum) return `one of: ${x.enum.map(String).join(', ')}`;
  switch (x.type) {
    case 'integer':
      return x.minimum !== undefined && x.maximum !== undefined ? `an integer from ${x.minimum} to ${x.maximum}` : 'an integer';
    case 'number':
      return x.exclusiveMinimum !== undefined && x.maximum !== undefined ? `a number above ${x.exclusiveMinimum} up to ${x.maximum}` : 'a number';
    case 'string':
      return x.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping (indented key: value lines)';
    case 'array':
      return 'a list';
    default:
      return 'a valid value';
  }
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (remove the key to use the default)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function valueOffset(doc: Document, path: string[]): number | undefined {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  return (node as { range?: [number, number, number] } | undefined)?.range?.[0];
}

function keyOffset(doc: Document, path: string[]): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path[path.length - 1]);
  return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
}
