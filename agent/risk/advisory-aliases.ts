/**
 * The analyst-editable data behind advisory matching (fingerprints/advisories/*.yaml): vendor aliases
 * (the spellings advisories use for one manufacturer), model aliases (product numbers and the names
 * advisories use, from vendor documents) and component markers (words that say an advisory's version
 * is a module's, not the device's). Every entry carries references. Loaded and checked at start: an
 * invalid entry is an error naming its file, line and entry; nothing is silently dropped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlList } from '../identify/files.js';
import { builtinFingerprintsDir, formatLibraryError, type LibraryError } from '../identify/index.js';

export interface VendorAlias {
  /** The name auscult reports. */
  name: string;
  /** Other spellings of the same manufacturer (compared after normalisation: case, accents, punctuation, Inc./Ltd./AG...). */
  aliases: string[];
  references: string[];
  file: string;
  line?: number;
}

export interface ModelAlias {
  /** Vendor (any spelling the vendor aliases know). */
  vendor: string;
  /** A name of the model, as advisories write it ("IntelliVue MP70"). */
  model: string;
  /** Other names and product numbers of the same model ("M8007A"). */
  aliases: string[];
  references: string[];
  file: string;
  line?: number;
}

export interface ComponentMarker {
  /** A word or phrase (case-insensitive, whole words) naming a module inside a device: "WLAN". */
  marker: string;
  description: string;
  references: string[];
  file: string;
  line?: number;
}

export interface AdvisoryAliases {
  vendors: VendorAlias[];
  models: ModelAlias[];
  components: ComponentMarker[];
  /** Files read, in order. */
  files: string[];
}

export class AliasDataError extends Error {
  constructor(readonly errors: readonly LibraryError[]) {
    super(`advisory alias data is invalid:\n${errors.map((e) => `  ${formatLibraryError(e)}`).join('\n')}`);
  }
}

/** The built-in alias directory: fingerprints/advisories/. */
export const builtinAliasDir = (): string => join(builtinFingerprintsDir(), 'advisories');

/** Words that say what kind of company, not which one. */
const CORPORATE = new Set(['inc', 'incorporated', 'ltd', 'limited', 'llc', 'co', 'corp', 'corporation', 'company', 'ag', 'gmbh', 'sa', 'oy', 'plc', 'bv', 'nv', 'kg', 'se', 'the']);

/** A vendor name for comparison: "Becton, Dickinson and Company (BD)" → "becton dickinson and (bd)" → "becton dickinson and bd". */
export function vendorKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '' && !CORPORATE.has(w))
    .join(' ');
}

/** A model name for comparison: case, spaces and hyphens ignored ("MMT-1710" = "mmt 1710"). */
export const modelKey = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '');

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const textList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(isText);

/** The files, their keys (all required) and the key that names an entry in error messages. */
const FILES: Record<string, { keys: Record<string, 'text' | 'list'>; id: string }> = {
  'vendors.yaml': { keys: { name: 'text', aliases: 'list', references: 'list' }, id: 'name' },
  'models.yaml': { keys: { vendor: 'text', model: 'text', aliases: 'list', references: 'list' }, id: 'model' },
  'components.yaml': { keys: { marker: 'text', description: 'text', references: 'list' }, id: 'marker' },
};

function checkEntry(kind: string, value: unknown): { ok: true; entry: Record<string, unknown> } | { ok: false; message: string; id?: string } {
  const spec = FILES[kind];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'an entry must be a mapping' };
  const o = value as Record<string, unknown>;
  const id = isText(o[spec.id]) ? (o[spec.id] as string) : undefined;
  const unknown = Object.keys(o).filter((k) => !(k in spec.keys));
  if (unknown.length) return { ok: false, id, message: `unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${Object.keys(spec.keys).join(', ')})` };
  for (const [key, type] of Object.entries(spec.keys)) {
    const v = o[key];
    if (type === 'text' && !isText(v)) return { ok: false, id, message: `"${key}" must be a non-empty string` };
    if (type === 'list' && !textList(v)) return { ok: false, id, message: `"${key}" must be a list of at least one non-empty string` };
  }
  return { ok: true, entry: o };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f in FILES).sort((a, b) => Object.keys(FILES).indexOf(a) - Object.keys(FILES).indexOf(b));
}

/**
 * Load the built-in alias files, then `<userDir>/advisories/*.yaml` when given (the directory of
 * `--fingerprints`). Throws AliasDataError listing every invalid entry.
 */
export function loadAdvisoryAliases(options: { builtinDir?: string; userDir?: string } = {}): AdvisoryAliases {
  const dirs = [options.builtinDir ?? builtinAliasDir()];
  if (options.userDir !== undefined) {
    const user = join(options.userDir, 'advisories');
    if (existsSync(user) && statSync(user).isDirectory()) dirs.push(user);
  }
  const errors: LibraryError[] = [];
  const out: AdvisoryAliases = { vendors: [], models: [], components: [], files: [] };
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      errors.push({ file: dir, message: 'advisory alias directory not found' });
      continue;
    }
    for (const name of yamlFiles(dir)) {
      const file = join(dir, name);
      out.files.push(file);
      for (const { value, line } of readYamlList(file, createHash('sha1'), errors, false)) {
        const r = checkEntry(name, value);
        if (!r.ok) {
          errors.push({ file, line, id: r.id, message: r.message });
          continue;
        }
        const e = r.entry;
        const refs = e.references as string[];
        if (name === 'vendors.yaml') out.vendors.push({ name: e.name as string, aliases: e.aliases as string[], references: refs, file, line });
        else if (name === 'models.yaml') out.models.push({ vendor: e.vendor as string, model: e.model as string, aliases: e.aliases as string[], references: refs, file, line });
        else out.components.push({ marker: e.marker as string, description: e.description as string, references: refs, file, line });
      }
    }
  }
  errors.push(...crossChecks(out));
  if (errors.length) throw new AliasDataError(errors);
  return out;
}

/** A spelling that names two vendors, or a model alias that means two models, is an error. */
function crossChecks(a: AdvisoryAliases): LibraryError[] {
  const errors: LibraryError[] = [];
  const vendorOf = new Map<string, VendorAlias>();
  for (const v of a.vendors) {
    for (const spelling of [v.name, ...v.aliases]) {
      const key = vendorKey(spelling);
      const other = vendorOf.get(key);
      if (key === '') errors.push({ file: v.file, line: v.line, id: v.name, message: `"${spelling}" has no letters or digits` });
      else if (other && other !== v) errors.push({ file: v.file, line: v.line, id: v.name, message: `"${spelling}" already names vendor ${other.name} (${other.file}:${other.line})` });
      else vendorOf.set(key, v);
    }
  }
  const modelOf = new Map<string, ModelAlias>();
  for (const m of a.models) {
    const vendor = vendorOf.get(vendorKey(m.vendor))?.name ?? m.vendor;
    for (const name of [m.model, ...m.aliases]) {
      const key = `${vendorKey(vendor)}\0${modelKey(name)}`;
      const other = modelOf.get(key);
      if (modelKey(name) === '') errors.push({ file: m.file, line: m.line, id: m.model, message: `"${name}" has no letters or digits` });
      else if (other && other !== m) errors.push({ file: m.file, line: m.line, id: m.model, message: `"${name}" already names ${other.model} (${other.file}:${other.line})` });
      else modelOf.set(key, m);
    }
  }
  return errors;
}

/** Vendor names normalised through the alias table. */
export class VendorNames {
  private readonly canonical = new Map<string, string>();

  constructor(vendors: readonly VendorAlias[]) {
    for (const v of vendors) for (const s of [v.name, ...v.aliases]) this.canonical.set(vendorKey(s), v.name);
  }

  /** The canonical name of one spelling, or the normalised spelling itself when no alias knows it. */
  of(name: string): string {
    const key = vendorKey(name);
    return this.canonical.get(key) ?? key;
  }

  /**
   * Every vendor a product-tree vendor string may name: the whole string, and each part of lists like
   * "Silex Technology and GE Healthcare" or "BMC Medical, 3B Medical" (the whole first, because
   * "Becton, Dickinson and Company (BD)" is one company).
   */
  allOf(name: string): Set<string> {
    const out = new Set<string>([this.of(name)]);
    const parenthesised = /\(([^)]+)\)/.exec(name);
    if (parenthesised) out.add(this.of(parenthesised[1]));
    for (const part of name.split(/,\s*(?:and\s+)?|\s+and\s+|\s+&\s+/)) if (vendorKey(part) !== '') out.add(this.of(part));
    return out;
  }
}
