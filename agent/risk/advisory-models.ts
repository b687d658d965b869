/**
 * Device models against advisory product names. Product names name families and ranges, not single
 * models: "IntelliVue patient monitor MP2-MP90", "MX (MX400-550)", "MP Series
 * (includingMP2/X2/MP30/MP50/MP70/NP90/MX700/800)", "MP20-MP90 (M8001A/2A/3A/4A/5A/7A/8A/10A)",
 * "MX800/700/600 ((865240/41/42)". They are read into model codes (letters and digits), numeric
 * ranges and "<prefix> Series" families; a model without a code ("Revolution CT") matches by its words.
 */
import { modelKey, vendorKey, type ModelAlias } from './advisory-aliases.js';

export interface ModelCode {
  /** Upper case, without hyphens: "MP70", "M8007A", "865240", "MMT1710". */
  key: string;
  prefix: string;
  number: number;
  /** Digits as written (leading zeros kept), for list shorthand. */
  digits: string;
  suffix: string;
  /** Three or four digits alone ("8015", "2090"): a code only together with a word beside it ("Alaris 8015"). */
  weak: boolean;
  /** For weak codes: the words before and after it. */
  neighbours: string[];
  /** The text it was read from (for explanations). */
  source: string;
}

export interface ModelRange {
  prefix: string;
  low: number;
  high: number;
  source: string;
}

export interface ProductModels {
  codes: ModelCode[];
  ranges: ModelRange[];
  /** "MP Series" → "MP": any model code with this prefix. */
  families: string[];
  /** The name's words, lower case (for word matches). */
  words: string[];
  /** What the name excludes ("LOGIQ, not including LOGIQ 100 Pro"): a model matching it is not concerned. */
  excluded: ProductModels | null;
}

const CODE = /^([A-Z]*)(\d+)([A-Z0-9]*)$/;
/** Words that say what kind of product, not which one: a model name of only these matches nothing. */
const GENERIC = new Set([
  'monitor', 'monitors', 'system', 'systems', 'software', 'server', 'pump', 'pumps', 'device', 'devices', 'station', 'unit', 'patient',
  'version', 'series', 'application', 'app', 'workstation', 'portal', 'the', 'and', 'with', 'for', 'of', 'model', 'models', 'medical',
  'products', 'product', 'family', 'module', 'including', 'only', 'all', 'based',
]);

/** Words a family name carries beside the family ("Vivid products", "MP Series"). */
const FAMILY_WORDS = new Set(['products', 'product', 'family', 'series', 'line', 'all']);

const words = (text: string): string[] => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

function code(text: string, source: string): ModelCode | null {
  const t = text.toUpperCase().replace(/[-+]/g, '');
  const m = CODE.exec(t);
  if (!m) return null;
  const [, prefix, digits, suffix] = m;
  const lettersOnlySuffix = /^[A-Z]*$/.test(suffix);
  // Two digits alone ("40", "2017" is four) name nothing; "2nd", "3rd" are ordinals.
  if (prefix === '' && suffix === '' && digits.length < 3) return null;
  if (prefix === '' && /^(st|nd|rd|th)$/i.test(suffix)) return null;
  return {
    key: t, prefix, number: Number(digits), digits, suffix, source,
    weak: prefix === '' && suffix === '' && digits.length <= 4 && lettersOnlySuffix,
    neighbours: [],
  };
}

/** "2A" after "M8001A" is "M8002A"; "800" after "MX700" is "MX800"; "41" after "865240" is "865241". */
function inherit(part: string, previous: ModelCode | null, source: string): ModelCode | null {
  const m = /^(\d+)([A-Z]*)$/i.exec(part);
  if (!m || previous === null) return code(part, source);
  const [, digits, suffix] = m;
  if (previous.prefix === '' && digits.length >= previous.digits.length) return code(part, source);
  const number = digits.length < previous.digits.length ? previous.digits.slice(0, previous.digits.length - digits.length) + digits : digits;
  return code(previous.prefix + number + suffix, source);
}

/** Read a product (or device model) name into codes, ranges, families and words. */
export function productModels(name: string): ProductModels {
  // "LOGIQ, not including LOGIQ 100 Pro" (ICSMA-20-049-02): what follows names what is NOT concerned.
  const exclusion = /,?\s*\b(?:not including|excluding|except(?: for)?)\b(.*)$/i.exec(name);
  const concerned = exclusion ? name.slice(0, exclusion.index) : name;
  const out: ProductModels = { codes: [], ranges: [], families: [], words: words(concerned), excluded: exclusion ? productModels(exclusion[1]) : null };
  // "includingMP2" (a missing space in ICSMA-18-156-01): a code glued to a lower-case word.
  const spaced = concerned.replace(/([a-z])([A-Z]{1,4}\d)/g, '$1 $2');
  const raw = spaced.split(/[\s,;:()[\]]+/).filter(Boolean);
  const tokens: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    // "EC 40", "NM 630", "AMX 700": a short upper-case prefix written apart from its number.
    if (/^[A-Z]{1,3}$/.test(raw[i]) && /^\d{1,5}$/.test(raw[i + 1] ?? '')) {
      tokens.push(raw[i] + raw[i + 1]);
      i++;
    } else tokens.push(raw[i]);
  }
  tokens.forEach((token, i) => {
    if (/^series$/i.test(token) && /^[A-Z]{1,4}$/.test(tokens[i - 1] ?? '')) out.families.push(tokens[i - 1]);
    if (!/\d/.test(token) || token.includes('.')) return;
    let previous: ModelCode | null = null;
    for (const part of token.split('/')) {
      const range = /^([A-Z]+)(\d+)-([A-Z]*)(\d+)$/i.exec(part);
      if (range && (range[3] === '' || range[3].toUpperCase() === range[1].toUpperCase())) {
        const prefix = range[1].toUpperCase();
        const low = Number(range[2]);
        const high = Number(range[4]);
        out.ranges.push({ prefix, low: Math.min(low, high), high: Math.max(low, high), source: part });
        previous = code(prefix + range[4], token);
        continue;
      }
      const c = inherit(part, previous, token);
      if (c === null) continue;
      if (c.weak) {
        const before = tokens[i - 1];
        const after = tokens[i + 1];
        c.neighbours = [before, after].filter((w): w is string => w !== undefined && /^[A-Za-z]{3,}$/.test(w) && !GENERIC.has(w.toLowerCase())).map((w) => w.toLowerCase());
      }
      out.codes.push(c);
      previous = c;
    }
  });
  return out;
}

/** A device model name with its codes, from the identification or from a model alias. */
export interface DeviceModelName {
  name: string;
  /** How auscult knows this name: "identified model", or the alias entry that maps to it. */
  via: string;
  models: ProductModels;
}

/** Whether a device model name and a product name name the same model; how, or null. */
export function modelMatch(device: DeviceModelName, product: ProductModels): string | null {
  if (product.excluded && namesModel(device, product.excluded)) return null;
  return namesModel(device, product);
}

function namesModel(device: DeviceModelName, product: ProductModels): string | null {
  for (const d of device.models.codes) {
    for (const p of product.codes) {
      if (d.key !== p.key) continue;
      if (!d.weak && !p.weak) return `${d.key} in "${p.source}"`;
      // "8015" alone is too common: the product must also carry a word the device's name has beside it.
      const shared = d.neighbours.find((w) => product.words.includes(w));
      if (shared) return `${shared} ${d.key} in "${p.source}"`;
    }
    if (d.weak || d.prefix === '') continue;
    for (const r of product.ranges) {
      if (r.prefix === d.prefix && d.number >= r.low && d.number <= r.high) return `${d.key} in the range ${r.source}`;
    }
    for (const f of product.families) if (f === d.prefix) return `${d.key} in the ${f} Series`;
  }
  const w = device.models.words;
  // A product named by its family ("SureSigns", ICSMA-20-233-01) concerns a model whose name starts
  // with all the family's words ("SureSigns VS4"); not a model that merely contains them ("Versana
  // Essential" is no Senographe "Essential"), nor one that starts with only some ("CareLink 9790
  // Programmer" is no "CareLink Monitor"). Only words meaning "all of them" are left out.
  const family = product.words.filter((x) => !FAMILY_WORDS.has(x));
  if (family.length > 0 && family.join('').length >= 5 && family.length < w.length && family.every((x, i) => w[i] === x)) {
    return `"${device.name}" is a model of the "${family.join(' ')}" family the advisory names`;
  }
  // No code: the model's words, in order, in the product name ("Revolution CT" is not "Revolution
  // Discover CT"); one word alone must be all the product name says beside generic words.
  if (device.models.codes.some((c) => !c.weak)) return null;
  const significant = w.filter((x) => !GENERIC.has(x));
  if (significant.length === 0) return null;
  if (w.length === 1) {
    const productSignificant = product.words.filter((x) => !GENERIC.has(x));
    return productSignificant.length === 1 && productSignificant[0] === w[0] ? `"${device.name}" is the product name` : null;
  }
  for (let i = 0; i + w.length <= product.words.length; i++) {
    if (w.every((x, j) => product.words[i + j] === x)) return `"${device.name}" in the product name`;
  }
  return null;
}

/** Model aliases by vendor: a device's model name, and the other names the alias data gives it. */
export class ModelNames {
  private readonly byVendor = new Map<string, ModelAlias[]>();

  constructor(aliases: readonly ModelAlias[], canonicalVendor: (name: string) => string) {
    for (const a of aliases) {
      const v = vendorKey(canonicalVendor(a.vendor));
      const entries = this.byVendor.get(v) ?? [];
      entries.push(a);
      this.byVendor.set(v, entries);
    }
  }

  /** The device's model and every alias of it for this (canonical) vendor. */
  namesOf(canonicalVendor: string, model: string): DeviceModelName[] {
    const own: DeviceModelName = { name: model, via: 'identified model', models: productModels(model) };
    const out = [own];
    const ownKeys = new Set([modelKey(model), ...own.models.codes.filter((c) => !c.weak).map((c) => modelKey(c.key))]);
    for (const a of this.byVendor.get(vendorKey(canonicalVendor)) ?? []) {
      const names = [a.model, ...a.aliases];
      const hit = names.find((n) => ownKeys.has(modelKey(n)));
      if (hit === undefined) continue;
      const where = `${a.file.replace(/^.*?(fingerprints[\\/])/, '$1')}${a.line ? `:${a.line}` : ''}`;
      for (const n of names) {
        if (modelKey(n) === modelKey(model)) continue;
        out.push({ name: n, via: `${model} = ${n} (${where}: ${a.references[0]})`, models: productModels(n) });
      }
    }
    return out;
  }
}
