/**
 * Conditions compiled once at load time (regexes built, sets filled) into predicates over Facts.
 * A condition holds when ANY observed value of its path satisfies it (an array value: any element),
 * except `ports` and `exists`, which look at the whole set of values.
 */
import type { Facts } from './facts.js';
import { isValidPath } from './facts.js';
import type { Condition, ConditionGroup, ConditionObject, Match } from './schema.js';

/** One piece of evidence a signature used, as shown in explanations. */
export interface MatchedFact {
  path: string;
  value: unknown;
}

/** What a successful match returns: the facts used and the regex captures. */
export interface MatchResult {
  matched: MatchedFact[];
  groups: Record<string, string>;
}

type ValueTest = (value: unknown) => Record<string, string> | boolean;

interface CompiledCondition {
  path: string;
  /** Needs the path to be present (false only for `exists: false`). */
  positive: boolean;
  test(values: readonly unknown[] | undefined): { value: unknown; groups: Record<string, string> } | null;
}

export interface CompiledGroup {
  conditions: CompiledCondition[];
}

export interface CompiledMatch {
  all: CompiledGroup;
  any: CompiledGroup[];
  not: CompiledGroup | null;
  /** Paths whose presence is required: the signature is indexed under one of them. */
  requiredPaths: string[];
  /** Named regex groups declared anywhere in the match (for placeholder checks). */
  groupNames: Set<string>;
}

/** Thrown at load time with a message naming the path; the loader turns it into a LibraryError. */
export class ConditionError extends Error {}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** `1,3,6` from "1, 3,6" or [1, 3, 6]. */
export function orderKey(v: unknown): string | null {
  if (typeof v === 'string') return v.replace(/\s+/g, '');
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string')) return v.join(',');
  return null;
}

function compileValueTests(path: string, c: ConditionObject): ValueTest[] {
  const tests: ValueTest[] = [];
  if (c.flags !== undefined && c.regex === undefined) throw new ConditionError(`${path}: "flags" needs "regex"`);
  if (c.equals !== undefined) {
    const want = c.equals;
    tests.push((v) => (typeof want === 'string' ? text(v) === want : v === want || text(v) === String(want)));
  }
  if (c.iequals !== undefined) {
    const want = c.iequals.toLowerCase();
    tests.push((v) => text(v)?.toLowerCase() === want);
  }
  if (c.prefix !== undefined) {
    const p = c.prefix;
    tests.push((v) => text(v)?.startsWith(p) === true);
  }
  if (c.oid_prefix !== undefined) {
    const root = c.oid_prefix.replace(/\.$/, '');
    const dotted = root + '.';
    tests.push((v) => {
      const s = text(v)?.replace(/^\./, '');
      return s === root || s?.startsWith(dotted) === true;
    });
  }
  if (c.contains !== undefined) {
    const needle = c.contains;
    tests.push((v) => text(v)?.includes(needle) === true);
  }
  if (c.regex !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(c.regex, c.flags ?? '');
    } catch (err) {
      throw new ConditionError(`${path}: bad regex /${c.regex}/${c.flags ?? ''}: ${(err as Error).message}`);
    }
    tests.push((v) => {
      const s = text(v);
      if (s === null) return false;
      const m = re.exec(s);
      if (!m) return false;
      const groups: Record<string, string> = {};
      for (const [k, g] of Object.entries(m.groups ?? {})) if (g !== undefined) groups[k] = g;
      return groups;
    });
  }
  if (c.range !== undefined) {
    const { min = -Infinity, max = Infinity } = c.range;
    if (min > max) throw new ConditionError(`${path}: range min ${min} is above max ${max}`);
    tests.push((v) => {
      const s = text(v);
      const n = typeof v === 'number' ? v : s !== null && s.trim() !== '' ? Number(s) : NaN;
      return Number.isFinite(n) && n >= min && n <= max;
    });
  }
  if (c.in !== undefined) {
    const set = new Set(c.in.map(String));
    tests.push((v) => {
      const s = text(v);
      return s !== null && set.has(s);
    });
  }
  return tests;
}

function parsePortSpec(spec: number | string): (service: string) => boolean {
  if (typeof spec === 'number') {
    const suffix = `/${spec}`;
    return (s) => s.endsWith(suffix) && s.indexOf('/') === s.length - suffix.length;
  }
  return (s) => s === spec;
}

function compileCondition(path: string, raw: Condition): CompiledCondition {
  if (!isValidPath(path)) {
    throw new ConditionError(`unknown evidence path "${path}" (use protocol.field, or mac, mac_vendor, ip, hostname, service, protocol)`);
  }
  const c: ConditionObject = typeof raw === 'object' && raw !== null ? raw : { equals: raw };
  const valueTests = compileValueTests(path, c);

  if (c.ports !== undefined) {
    if (path !== 'service') throw new ConditionError(`${path}: "ports" applies to the "service" path only`);
    if (valueTests.length || c.order !== undefined) throw new ConditionError(`${path}: "ports" cannot be combined with value conditions`);
    const any = (c.ports.any ?? []).map(parsePortSpec);
    const all = (c.ports.all ?? []).map(parsePortSpec);
    return {
      path,
      positive: true,
      test(values) {
        const services = (values ?? []).map(text).filter((s): s is string => s !== null);
        const hit = new Set<string>();
        for (const spec of all) {
          const found = services.filter(spec);
          if (!found.length) return null;
          found.forEach((s) => hit.add(s));
        }
        if (any.length) {
          const found = services.filter((s) => any.some((spec) => spec(s)));
          if (!found.length) return null;
          found.forEach((s) => hit.add(s));
        }
        return { value: [...hit], groups: {} };
      },
    };
  }

  if (c.exists !== undefined && (valueTests.length || c.order !== undefined)) {
    throw new ConditionError(`${path}: "exists" cannot be combined with value conditions`);
  }
  if (c.exists === false) {
    return { path, positive: false, test: (values) => (values?.length ? null : { value: null, groups: {} }) };
  }
  if (c.exists === true) {
    return { path, positive: true, test: (values) => (values?.length ? { value: values[0], groups: {} } : null) };
  }

  const wantOrder = c.order !== undefined ? orderKey(c.order) : null;
  if (wantOrder !== null && valueTests.length) throw new ConditionError(`${path}: "order" cannot be combined with other value conditions`);

  const testScalar = (v: unknown): Record<string, string> | null => {
    let groups: Record<string, string> | null = {};
    for (const t of valueTests) {
      const r = t(v);
      if (r === false) return null;
      if (r !== true) groups = { ...groups, ...r };
    }
    return groups;
  };

  return {
    path,
    positive: true,
    test(values) {
      if (!values) return null;
      for (const v of values) {
        if (wantOrder !== null) {
          if (orderKey(v) === wantOrder) return { value: v, groups: {} };
          continue;
        }
        if (Array.isArray(v)) {
          for (const element of v as unknown[]) {
            const g = testScalar(element);
            if (g) return { value: element, groups: g };
          }
        } else {
          const g = testScalar(v);
          if (g) return { value: v, groups: g };
        }
      }
      return null;
    },
  };
}

function regexGroupNames(c: Condition, into: Set<string>): void {
  if (typeof c !== 'object' || c === null || c.regex === undefined) return;
  for (const m of c.regex.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)) into.add(m[1]);
}

function compileGroup(group: ConditionGroup, names: Set<string>, allowNested: boolean): CompiledGroup {
  const conditions: CompiledCondition[] = [];
  for (const [key, value] of Object.entries(group)) {
    if (key === 'any' || key === 'not') {
      if (!allowNested) throw new ConditionError(`"${key}" cannot be nested inside "any" or "not"`);
      continue;
    }
    if (key === 'oui_vendor') {
      const cond: Condition = { regex: value as string, flags: 'i' };
      conditions.push(compileCondition('mac_vendor', cond));
      regexGroupNames(cond, names);
      continue;
    }
    conditions.push(compileCondition(key, value as Condition));
    regexGroupNames(value as Condition, names);
  }
  return { conditions };
}

/** Compile a signature's `match`; throws ConditionError with a message naming the path. */
export function compileMatch(match: Match): CompiledMatch {
  const groupNames = new Set<string>();
  const all = compileGroup(match as ConditionGroup, groupNames, true);
  const any = (match.any ?? []).map((g) => compileGroup(g, groupNames, false));
  const not = match.not ? compileGroup(match.not, new Set(), false) : null;
  const positives = (g: CompiledGroup) => g.conditions.filter((c) => c.positive).map((c) => c.path);
  const top = positives(all);
  if (!top.length && (!any.length || any.some((g) => !positives(g).length))) {
    throw new ConditionError('match has no positive condition: it would fire on every device');
  }
  // Prefer a protocol path (rarer) over device-level ones (mac_vendor, service) as the index key.
  const sorted = [...top].sort((a, b) => Number(b.includes('.')) - Number(a.includes('.')));
  const requiredPaths = sorted.length ? [sorted[0]] : [...new Set(any.map((g) => positives(g).sort((a, b) => Number(b.includes('.')) - Number(a.includes('.')))[0]))];
  return { all, any, not, requiredPaths, groupNames };
}

function evalGroup(group: CompiledGroup, facts: Facts, out: MatchResult): boolean {
  for (const c of group.conditions) {
    const r = c.test(facts.get(c.path));
    if (!r) return false;
    if (c.positive) out.matched.push({ path: c.path, value: r.value });
    Object.assign(out.groups, r.groups);
  }
  return true;
}

/** Evaluate a compiled match; null when it does not hold. */
export function evaluateMatch(m: CompiledMatch, facts: Facts): MatchResult | null {
  const out: MatchResult = { matched: [], groups: {} };
  if (!evalGroup(m.all, facts, out)) return null;
  if (m.any.length) {
    let ok = false;
    for (const g of m.any) {
      const trial: MatchResult = { matched: [], groups: {} };
      if (evalGroup(g, facts, trial)) {
        out.matched.push(...trial.matched);
        Object.assign(out.groups, trial.groups);
        ok = true;
        break;
      }
    }
    if (!ok) return null;
  }
  if (m.not && evalGroup(m.not, facts, { matched: [], groups: {} })) return null;
  return out;
}

/** The first reason a match fails on these facts (for `fingerprints check` messages). */
export function whyNoMatch(m: CompiledMatch, facts: Facts): string {
  for (const c of m.all.conditions) {
    if (!c.test(facts.get(c.path))) return facts.has(c.path) ? `condition on ${c.path} does not hold` : `no ${c.path} in the evidence`;
  }
  if (m.any.length && !m.any.some((g) => evalGroup(g, facts, { matched: [], groups: {} }))) return 'none of the "any" groups holds';
  if (m.not && evalGroup(m.not, facts, { matched: [], groups: {} })) return 'the "not" group holds';
  return 'it matches';
}
