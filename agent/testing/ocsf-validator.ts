/**
 * A small OCSF validator for the tests, reading the class and object definitions of one schema
 * version kept in test-fixtures/ocsf-<version>/ (files of the ocsf-schema repository, see
 * test-fixtures/README.md). It resolves `extends`, then checks a record: every required attribute
 * present, no attribute the class or object does not define, each value of its dictionary type
 * (scalar types through dictionary.types, with their regex, range and max_len; objects recursively;
 * arrays where is_array), enum values (the dictionary's enum merged with the class's or object's),
 * and `at_least_one` constraints. An attribute whose dictionary entry the fixture lacks is typed by
 * the OCSF naming conventions (`*_time` timestamp_t, `*_id` integer_t, an object's own name) and
 * reported in `inferred`, so a test can print what was not checked against the dictionary.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

interface AttrDef {
  requirement?: 'required' | 'recommended' | 'optional';
  type?: string;
  is_array?: boolean;
  enum?: Record<string, { caption: string }>;
}
interface Definition {
  name: string;
  uid?: number;
  extends?: string;
  attributes: Record<string, AttrDef | string[]>;
  constraints?: { at_least_one?: string[] };
}
interface TypeDef {
  type?: string;
  regex?: string;
  range?: [number, number];
  max_len?: number;
}

export class OcsfSchema {
  readonly version: string;
  private readonly events = new Map<string, Definition>();
  private readonly objects = new Map<string, Definition>();
  private readonly dictionary: Record<string, AttrDef>;
  private readonly types: Record<string, TypeDef>;
  readonly inferred = new Set<string>();

  constructor(dir: string) {
    this.version = (JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8')) as { version: string }).version;
    const dict = JSON.parse(readFileSync(join(dir, 'dictionary.json'), 'utf8')) as { attributes: Record<string, AttrDef>; types: { attributes: Record<string, TypeDef> } };
    this.dictionary = dict.attributes;
    this.types = dict.types.attributes;
    for (const f of walk(join(dir, 'events'))) {
      const d = JSON.parse(readFileSync(f, 'utf8')) as Definition;
      this.events.set(d.name, d);
    }
    for (const f of walk(join(dir, 'objects'))) {
      const d = JSON.parse(readFileSync(f, 'utf8')) as Definition;
      this.objects.set(d.name, d);
    }
  }

  /** A class's definition with its `extends` chain merged (base first). */
  eventClass(name: string): { uid: number; attributes: Map<string, AttrDef>; constraints: string[][] } {
    const def = this.events.get(name);
    if (def === undefined) throw new Error(`no class ${name} in the fixture`);
    return { uid: def.uid ?? 0, ...this.resolve(def, this.events) };
  }

  /**
   * Errors of `record` against class `name` of category `categoryUid` (empty: valid). As the OCSF
   * compiler does, the class's own ids replace base_event's placeholder enums: category_uid is the
   * category's uid, class_uid is category × 1000 + the class's uid (categories.json is not in the
   * fixture, so the test names the category).
   */
  validateEvent(name: string, categoryUid: number, record: unknown): string[] {
    const errors: string[] = [];
    const c = this.eventClass(name);
    const attributes = new Map(c.attributes);
    const only = (k: string, uid: number): void => {
      attributes.set(k, { ...attributes.get(k), enum: { [String(uid)]: { caption: name } } });
    };
    only('category_uid', categoryUid);
    only('class_uid', categoryUid * 1000 + c.uid);
    this.checkObject(record, attributes, c.constraints, name, errors);
    return errors;
  }

  private resolve(def: Definition, from: Map<string, Definition>): { attributes: Map<string, AttrDef>; constraints: string[][] } {
    const chain: Definition[] = [];
    for (let d: Definition | undefined = def; d !== undefined; d = d.extends ? from.get(d.extends) : undefined) chain.unshift(d);
    const attributes = new Map<string, AttrDef>();
    const constraints: string[][] = [];
    for (const d of chain) {
      for (const [k, v] of Object.entries(d.attributes)) {
        if (k === '$include') continue;
        const prev = attributes.get(k) ?? {};
        const cur = v as AttrDef;
        attributes.set(k, { ...prev, ...cur, enum: prev.enum || cur.enum ? { ...prev.enum, ...cur.enum } : undefined });
      }
      if (d.constraints?.at_least_one) constraints.push(d.constraints.at_least_one);
    }
    return { attributes, constraints };
  }

  private typeOf(name: string, local: AttrDef, path: string): AttrDef {
    const dict = this.dictionary[name];
    if (dict !== undefined) {
      const en = dict.enum || local.enum ? { ...dict.enum, ...local.enum } : undefined;
      return { ...dict, ...local, type: local.type ?? dict.type, enum: en };
    }
    this.inferred.add(`${path} (${name})`);
    if (name.endsWith('_time')) return { ...local, type: 'timestamp_t' };
    if (name.endsWith('_id')) return { ...local, type: 'integer_t' };
    if (this.objects.has(name)) return { ...local, type: name };
    return { ...local, type: undefined };
  }

  private checkObject(value: unknown, attrs: Map<string, AttrDef>, constraints: string[][], path: string, errors: string[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${path}: not an object`);
      return;
    }
    const v = value as Record<string, unknown>;
    for (const [k, def] of attrs) if (def.requirement === 'required' && !(k in v)) errors.push(`${path}.${k}: required, missing`);
    for (const group of constraints) if (!group.some((k) => k in v)) errors.push(`${path}: needs at least one of ${group.join(', ')}`);
    for (const [k, x] of Object.entries(v)) {
      const local = attrs.get(k);
      if (local === undefined) {
        errors.push(`${path}.${k}: not an attribute of this class or object`);
        continue;
      }
      const def = this.typeOf(k, local, path);
      if (def.type === undefined) {
        errors.push(`${path}.${k}: no type in the fixture's dictionary`);
        continue;
      }
      if (def.is_array) {
        if (!Array.isArray(x)) errors.push(`${path}.${k}: not an array`);
        else x.forEach((item, i) => this.checkValue(item, def, `${path}.${k}[${i}]`, errors));
      } else this.checkValue(x, def, `${path}.${k}`, errors);
    }
  }

  private checkValue(x: unknown, def: AttrDef, path: string, errors: string[]): void {
    const type = def.type!;
    const obj = this.objects.get(type);
    if (obj !== undefined) {
      const r = this.resolve(obj, this.objects);
      this.checkObject(x, r.attributes, r.constraints, path, errors);
      return;
    }
    if (type === 'object') {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) errors.push(`${path}: not an object`);
      return;
    }
    if (!this.checkScalar(x, type, path, errors)) return;
    if (def.enum !== undefined && !(String(x) in def.enum)) errors.push(`${path}: ${String(x)} not in its enum (${Object.keys(def.enum).join(', ')})`);
  }

  private checkScalar(x: unknown, type: string, path: string, errors: string[]): boolean {
    const t = this.types[type];
    if (t === undefined) {
      errors.push(`${path}: unknown type ${type}`);
      return false;
    }
    if (t.type !== undefined && !this.checkScalar(x, t.type, path, errors)) return false;
    const fail = (why: string): boolean => (errors.push(`${path}: ${why}`), false);
    switch (type) {
      case 'string_t': if (typeof x !== 'string') return fail('not a string'); break;
      case 'integer_t': if (!Number.isInteger(x) || Math.abs(x as number) > 2 ** 31) return fail('not a 32-bit integer'); break;
      case 'long_t': if (!Number.isSafeInteger(x)) return fail('not a long integer'); break;
      case 'float_t': if (typeof x !== 'number') return fail('not a number'); break;
      case 'boolean_t': if (typeof x !== 'boolean') return fail('not a boolean'); break;
      case 'ip_t': if (isIP(x as string) === 0) return fail(`${String(x)} is not an IP address`); break;
    }
    if (t.regex !== undefined && !new RegExp(t.regex).test(x as string)) return fail(`${String(x)} does not match ${type}`);
    if (t.max_len !== undefined && (x as string).length > t.max_len) return fail(`longer than ${t.max_len}`);
    if (t.range !== undefined && ((x as number) < t.range[0] || (x as number) > t.range[1])) return fail(`outside ${t.range.join('-')}`);
    return true;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : f.endsWith('.json') ? [p] : [];
  });
}
