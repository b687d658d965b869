/**
 * ECS field checks for the tests, from a subset of the ECS repository's ecs_flat.yml kept in
 * test-fixtures/ecs/ (see its README): a document is flattened to dotted field names; every field
 * outside the custom namespace must be an ECS field of the subset, of its type (date: ISO 8601
 * string; keyword and text: string; long: integer; ip: an IPv4/IPv6 address), an array where ECS
 * normalises to array, matching its pattern, among its allowed or expected values; event.type
 * values must be expected for one of the event.category values; required fields must be present.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse } from 'yaml';

interface EcsField {
  type: string;
  normalize?: string[];
  required?: boolean;
  pattern?: string;
  allowed_values?: { name: string; expected_event_types?: string[] }[];
  expected_values?: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class EcsSchema {
  readonly fields: Record<string, EcsField>;

  constructor(path: string, private readonly customNamespace: string) {
    this.fields = parse(readFileSync(path, 'utf8')) as Record<string, EcsField>;
  }

  validate(doc: Record<string, unknown>): string[] {
    const errors: string[] = [];
    const flat = new Map<string, unknown>();
    const walk = (o: Record<string, unknown>, prefix: string): void => {
      for (const [k, v] of Object.entries(o)) {
        const name = prefix + k;
        if (name === this.customNamespace || name.startsWith(`${this.customNamespace}.`)) continue;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${name}.`);
        else flat.set(name, v);
      }
    };
    walk(doc, '');
    for (const [name, f] of Object.entries(this.fields)) if (f.required && !flat.has(name)) errors.push(`${name}: required, missing`);
    for (const [name, value] of flat) {
      const f = this.fields[name];
      if (f === undefined) {
        errors.push(`${name}: not an ECS field of the fixture`);
        continue;
      }
      const isArray = f.normalize?.includes('array') ?? false;
      if (Array.isArray(value) && !isArray) errors.push(`${name}: an array where ECS expects one value`);
      for (const v of Array.isArray(value) ? value : [value]) this.checkValue(name, f, v, errors);
    }
    const categories = (flat.get('event.category') as string[] | undefined) ?? [];
    const expected = new Set(categories.flatMap((c) => this.fields['event.category'].allowed_values?.find((a) => a.name === c)?.expected_event_types ?? []));
    for (const t of (flat.get('event.type') as string[] | undefined) ?? []) {
      if (categories.length > 0 && !expected.has(t)) errors.push(`event.type ${t} is not expected for event.category ${categories.join(', ')}`);
    }
    return errors;
  }

  private checkValue(name: string, f: EcsField, v: unknown, errors: string[]): void {
    const fail = (why: string): void => void errors.push(`${name}: ${why}`);
    switch (f.type) {
      case 'date': if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v))) return fail(`${String(v)} is not an ISO 8601 date`); break;
      case 'keyword': case 'match_only_text': case 'wildcard': if (typeof v !== 'string') return fail('not a string'); break;
      case 'long': if (!Number.isSafeInteger(v)) return fail('not a long'); break;
      case 'ip': if (typeof v !== 'string' || isIP(v) === 0) return fail(`${String(v)} is not an IP address`); break;
      default: return fail(`type ${f.type} not handled by the test validator`);
    }
    if (f.pattern !== undefined && !new RegExp(f.pattern).test(v as string)) fail(`${String(v)} does not match ${f.pattern}`);
    if (f.allowed_values !== undefined && !f.allowed_values.some((a) => a.name === v)) fail(`${String(v)} is not an allowed value`);
    if (f.expected_values !== undefined && !f.expected_values.includes(v as string)) fail(`${String(v)} is not an expected value`);
  }
}
