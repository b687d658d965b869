/**
 * Loads the signature library: the built-in `fingerprints/` directory (categories.yaml, then every
 * other *.yaml as signatures, in file-name order), then an optional user directory (more categories,
 * signatures, and overrides.yaml). Anything invalid is left out and reported as a LibraryError
 * naming the file, line and signature id; the rest loads. Regexes are compiled and signatures are
 * indexed by the evidence path they require, once, here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignatureCandidates } from './candidates.js';
import { compileMatch, ConditionError, type CompiledMatch } from './conditions.js';
import { examplePath, isValidPath } from './facts.js';
import { readYamlList, schemaMessage, valid, type YamlItem } from './files.js';
import type { Category as CategoryT, Override as OverrideT, Signature as SignatureT, VendorAlias as VendorAliasT } from './schema.js';

/** A problem in the library: the signature, category or override it concerns does not load. */
export interface LibraryError {
  file: string;
  line?: number;
  id?: string;
  message: string;
}

export function formatLibraryError(e: LibraryError): string {
  return `${e.file}${e.line ? `:${e.line}` : ''}${e.id ? ` [${e.id}]` : ''}: ${e.message}`;
}

export const STRING_FIELDS = ['vendor', 'model', 'category', 'os', 'firmware', 'software'] as const;
export type StringField = (typeof STRING_FIELDS)[number];
export type YieldField = StringField | 'medical';

export interface CompiledYield {
  field: YieldField;
  /** String with `{name}` placeholders, or a boolean for `medical`. */
  template: string | boolean;
  weight: number;
  placeholders: string[];
}

export interface CompiledSignature {
  id: string;
  description: string;
  weight: number;
  file: string;
  line?: number;
  builtin: boolean;
  /** Position in the library: the deterministic order of evaluation. */
  order: number;
  match: CompiledMatch;
  yields: CompiledYield[];
  source: SignatureT;
}

export interface CategoryInfo extends CategoryT {
  /** Ancestors through `parent`, nearest first. */
  ancestors: string[];
}

export interface OverrideEntry extends OverrideT {
  file: string;
  line?: number;
  /** `mac 00:11:22:33:44:55` or `ip 10.1.2.3`. */
  key: string;
}

export interface VendorName {
  name: string;
  patterns: RegExp[];
  file: string;
  line?: number;
}

export interface Library {
  signatures: readonly CompiledSignature[];
  categories: ReadonlyMap<string, CategoryInfo>;
  /** Canonical vendor names (vendors.yaml): a yielded vendor matching an alias becomes the name. */
  vendors: readonly VendorName[];
  overrides: readonly OverrideEntry[];
  errors: readonly LibraryError[];
  /** Hash of every loaded file: a stored classification made with another version is stale. */
  version: string;
  /** Signature positions by the evidence path they require (see engine). */
  index: ReadonlyMap<string, readonly number[]>;
  /** Which signatures may match a device, with the tables that answer it (candidates.ts). */
  candidates: SignatureCandidates;
  overridesByMac: ReadonlyMap<string, OverrideEntry>;
  overridesByIp: ReadonlyMap<string, OverrideEntry>;
}

export interface LoadOptions {
  /** The built-in library (`fingerprints/`). */
  builtinDir: string;
  /** Analyst's directory: more signatures, categories.yaml, overrides.yaml. */
  userDir?: string;
}

const CATEGORIES_FILE = 'categories.yaml';

/** The built-in `fingerprints/` directory, found from this module (source tree or dist/). */
export function builtinFingerprintsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'fingerprints');
    if (existsSync(join(candidate, CATEGORIES_FILE))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('fingerprints/ directory not found next to the auscult installation');
}
const OVERRIDES_FILE = 'overrides.yaml';
const VENDORS_FILE = 'vendors.yaml';

function idOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function loadCategories(file: string, items: YamlItem[], into: Map<string, CategoryInfo>, errors: LibraryError[]): void {
  for (const { value, line } of items) {
    const id = idOf(value);
    if (!valid('Category', value)) {
      errors.push({ file, line, id, message: `category: ${schemaMessage('Category', value)}` });
      continue;
    }
    const c = value as CategoryT;
    if (into.has(c.id)) {
      errors.push({ file, line, id, message: `duplicate category "${c.id}"` });
      continue;
    }
    if (!c.medical && c.criticality !== null) {
      errors.push({ file, line, id, message: 'a non-clinical category (medical: false) has criticality: null' });
      continue;
    }
    into.set(c.id, { ...c, ancestors: [] });
  }
}

function resolveAncestors(categories: Map<string, CategoryInfo>, errors: LibraryError[], file: string): void {
  for (const c of [...categories.values()]) {
    const chain: string[] = [];
    let parent = c.parent;
    while (parent !== undefined) {
      const p = categories.get(parent);
      if (!p || chain.includes(parent) || parent === c.id) {
        errors.push({ file, id: c.id, message: p ? `category parent cycle through "${parent}"` : `unknown parent category "${parent}"` });
        categories.delete(c.id);
        break;
      }
      chain.push(parent);
      parent = p.parent;
    }
    c.ancestors = chain;
  }
}

function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_$][\w$]*)\}/g)].map((m) => m[1]);
}

/** Conditions checked one by one first: a typo in an operator gets a message naming it. */
function checkConditions(match: unknown): string | null {
  if (typeof match !== 'object' || match === null || Array.isArray(match)) return null;
  const groups: [string, unknown][] = [['match', match]];
  const m = match as Record<string, unknown>;
  if (Array.isArray(m.any)) m.any.forEach((g, i) => groups.push([`match.any[${i}]`, g]));
  if (m.not !== undefined) groups.push(['match.not', m.not]);
  for (const [where, group] of groups) {
    if (typeof group !== 'object' || group === null || Array.isArray(group)) continue;
    for (const [path, cond] of Object.entries(group)) {
      if (path === 'any' || path === 'not' || path === 'oui_vendor') continue;
      if (typeof cond === 'object' && cond !== null && !Array.isArray(cond) && !valid('ConditionObject', cond)) {
        return schemaMessage('ConditionObject', cond, `${where}.${path}`);
      }
    }
  }
  return null;
}

/** Validate one signature beyond the schema and compile it; a string is the reason it does not load. */
function compileSignature(raw: unknown, categories: ReadonlyMap<string, CategoryInfo>): Omit<CompiledSignature, 'file' | 'line' | 'builtin' | 'order'> | string {
  const r = raw as Partial<SignatureT> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'a signature must be a mapping';
  if (!Array.isArray(r.examples) || r.examples.length === 0) return 'no examples: a signature without an example does not load';
  if (!Array.isArray(r.references) || r.references.length === 0) return 'no references: a signature without a reference (standard, vendor document, registry or corpus capture) does not load';
  const conditionProblem = checkConditions(r.match);
  if (conditionProblem) return conditionProblem;
  if (!valid('Signature', raw)) return schemaMessage('Signature', raw);
  const s = raw as SignatureT;

  let match: CompiledMatch;
  try {
    match = compileMatch(s.match);
  } catch (err) {
    if (err instanceof ConditionError) return `match: ${err.message}`;
    throw err;
  }

  const yields: CompiledYield[] = [];
  for (const [field, y] of Object.entries(s.yields) as [YieldField, string | boolean | { value: string | boolean; weight: number }][]) {
    const template = typeof y === 'object' ? y.value : y;
    const weight = typeof y === 'object' ? y.weight : s.weight;
    const placeholders = typeof template === 'string' ? placeholdersOf(template) : [];
    const unknown = placeholders.filter((p) => !match.groupNames.has(p));
    if (unknown.length) return `yields.${field}: placeholder {${unknown[0]}} is not a named group of any regex in match`;
    if (field === 'category' && typeof template === 'string' && !placeholders.length && !categories.has(template)) {
      return `yields.category: unknown category "${template}" (see categories.yaml)`;
    }
    yields.push({ field, template, weight, placeholders });
  }

  for (const [i, ex] of s.examples.entries()) {
    for (const key of Object.keys(ex.evidence)) {
      if (!isValidPath(examplePath(key))) return `examples[${i}].evidence: unknown evidence path "${key}"`;
    }
    if (ex.expect.category !== undefined && !categories.has(ex.expect.category)) {
      return `examples[${i}].expect.category: unknown category "${ex.expect.category}"`;
    }
  }
  for (const [i, ex] of (s.counterexamples ?? []).entries()) {
    for (const key of Object.keys(ex.evidence)) {
      if (!isValidPath(examplePath(key))) return `counterexamples[${i}].evidence: unknown evidence path "${key}"`;
    }
  }
  return { id: s.id, description: s.description, weight: s.weight, match, yields, source: s };
}

function loadVendors(file: string, items: YamlItem[], into: VendorName[], errors: LibraryError[]): void {
  for (const { value, line } of items) {
    if (!valid('VendorAlias', value)) {
      errors.push({ file, line, message: `vendor: ${schemaMessage('VendorAlias', value)}` });
      continue;
    }
    const v = value as VendorAliasT;
    if (into.some((x) => x.name === v.name)) {
      errors.push({ file, line, id: v.name, message: `duplicate vendor "${v.name}"` });
      continue;
    }
    try {
      into.push({ name: v.name, patterns: v.aliases.map((a) => new RegExp(a, 'i')), file, line });
    } catch (err) {
      errors.push({ file, line, id: v.name, message: `vendor: bad alias regex: ${(err as Error).message}` });
    }
  }
}

/** The canonical name of a vendor string (first vendors.yaml entry whose alias matches), or itself. */
export function canonicalVendor(vendors: readonly VendorName[], value: string): string {
  for (const v of vendors) if (v.patterns.some((p) => p.test(value))) return v.name;
  return value;
}

function normaliseMac(mac: string): string {
  return mac.toLowerCase().replace(/-/g, ':');
}

function loadOverrides(file: string, items: YamlItem[], categories: ReadonlyMap<string, CategoryInfo>, errors: LibraryError[]): OverrideEntry[] {
  const out: OverrideEntry[] = [];
  const keys = new Set<string>();
  for (const { value, line } of items) {
    if (!valid('Override', value)) {
      errors.push({ file, line, message: `override: ${schemaMessage('Override', value)}` });
      continue;
    }
    const o = value as OverrideT;
    if ((o.mac === undefined) === (o.ip === undefined)) {
      errors.push({ file, line, message: 'override: give exactly one of "mac" or "ip"' });
      continue;
    }
    if (o.category !== undefined && !categories.has(o.category)) {
      errors.push({ file, line, message: `override: unknown category "${o.category}"` });
      continue;
    }
    const key = o.mac !== undefined ? `mac ${normaliseMac(o.mac)}` : `ip ${o.ip}`;
    if (keys.has(key)) {
      errors.push({ file, line, message: `override: duplicate entry for ${key}` });
      continue;
    }
    keys.add(key);
    out.push({ ...o, ...(o.mac !== undefined ? { mac: normaliseMac(o.mac) } : {}), file, line, key });
  }
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== CATEGORIES_FILE && f !== OVERRIDES_FILE && f !== VENDORS_FILE)
    .sort();
}

/**
 * Just the category ids (built-in, then the user directory's), without compiling any signature: what
 * the CLI and the API accept as a `category` filter.
 */
export function loadCategoryIds(options: LoadOptions): string[] {
  const categories = new Map<string, CategoryInfo>();
  const errors: LibraryError[] = [];
  for (const dir of [options.builtinDir, options.userDir]) {
    const file = dir === undefined ? undefined : join(dir, CATEGORIES_FILE);
    if (file !== undefined && existsSync(file)) loadCategories(file, readYamlList(file, createHash('sha256'), errors), categories, errors);
  }
  return [...categories.keys()];
}

/** Load the built-in library, then the user directory. Never throws for bad content: see `errors`. */
export function loadLibrary(options: LoadOptions): Library {
  const errors: LibraryError[] = [];
  const hash = createHash('sha256');
  const categories = new Map<string, CategoryInfo>();
  const dirs: { dir: string; builtin: boolean }[] = [{ dir: options.builtinDir, builtin: true }];
  if (options.userDir !== undefined) {
    if (existsSync(options.userDir) && statSync(options.userDir).isDirectory()) dirs.push({ dir: options.userDir, builtin: false });
    else errors.push({ file: options.userDir, message: 'user fingerprint directory not found' });
  }

  for (const { dir, builtin } of dirs) {
    const file = join(dir, CATEGORIES_FILE);
    if (existsSync(file)) loadCategories(file, readYamlList(file, hash, errors), categories, errors);
    else if (builtin) errors.push({ file, message: 'missing: the category taxonomy is required' });
  }
  resolveAncestors(categories, errors, join(options.builtinDir, CATEGORIES_FILE));

  const vendors: VendorName[] = [];
  for (const { dir } of dirs) {
    const file = join(dir, VENDORS_FILE);
    if (existsSync(file)) loadVendors(file, readYamlList(file, hash, errors), vendors, errors);
  }

  const signatures: CompiledSignature[] = [];
  const byId = new Map<string, CompiledSignature>();
  for (const { dir, builtin } of dirs) {
    for (const name of yamlFiles(dir)) {
      const file = join(dir, name);
      for (const { value, line } of readYamlList(file, hash, errors)) {
        const id = idOf(value);
        const compiled = compileSignature(value, categories);
        if (typeof compiled === 'string') {
          errors.push({ file, line, id, message: compiled });
          continue;
        }
        const sig: CompiledSignature = { ...compiled, file, line, builtin, order: 0 };
        const replaces = compiled.source.replaces;
        if (replaces !== undefined) {
          if (builtin) {
            errors.push({ file, line, id, message: '"replaces" is for user signatures only' });
            continue;
          }
          const target = byId.get(replaces);
          if (!target || !target.builtin) {
            errors.push({ file, line, id, message: `replaces "${replaces}", which is not a built-in signature` });
            continue;
          }
          byId.delete(replaces);
          signatures.splice(signatures.indexOf(target), 1);
        }
        const previous = byId.get(sig.id);
        if (previous) {
          errors.push({
            file,
            line,
            id,
            message: `duplicate id, first defined in ${previous.file}${previous.line ? `:${previous.line}` : ''}${builtin ? '' : ' (add "replaces: <id>" to replace a built-in signature on purpose)'}`,
          });
          continue;
        }
        byId.set(sig.id, sig);
        signatures.push(sig);
      }
    }
  }

  const index = new Map<string, number[]>();
  signatures.forEach((s, i) => {
    s.order = i;
    for (const path of s.match.requiredPaths) {
      const list = index.get(path) ?? [];
      list.push(i);
      index.set(path, list);
    }
  });

  let overrides: OverrideEntry[] = [];
  if (dirs.length > 1) {
    const file = join(dirs[1].dir, OVERRIDES_FILE);
    if (existsSync(file)) overrides = loadOverrides(file, readYamlList(file, hash, errors), categories, errors);
  }
  const overridesByMac = new Map<string, OverrideEntry>();
  const overridesByIp = new Map<string, OverrideEntry>();
  for (const o of overrides) {
    if (o.mac !== undefined) overridesByMac.set(o.mac, o);
    if (o.ip !== undefined) overridesByIp.set(o.ip, o);
  }

  return {
    signatures, categories, vendors, overrides, errors, version: hash.digest('hex').slice(0, 16), index,
    candidates: new SignatureCandidates(signatures, index), overridesByMac, overridesByIp,
  };
}
