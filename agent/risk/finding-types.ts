/**
 * The analyst-editable data behind findings and the risk score (fingerprints/findings/*.yaml): the
 * finding types with their texts, points and conditions, the end-of-support dates of operating
 * systems, and the impact and level tables of the score. Loaded and checked at start like the
 * signature library: an invalid entry is an error naming its file, line and entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileMatch, ConditionError, type CompiledMatch } from '../identify/conditions.js';
import { readYamlList } from '../identify/files.js';
import { builtinFingerprintsDir, formatLibraryError, type LibraryError } from '../identify/index.js';
import type { Match } from '../identify/schema.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SCOPES = ['observation', 'device', 'public-peers', 'legacy-os', 'advisory', 'advisory-ioc'] as const;
export type Scope = (typeof SCOPES)[number];

export interface FindingType {
  id: string;
  title: string;
  severity: Severity;
  /** Likelihood points an open finding adds. */
  points: number;
  scope: Scope;
  match: CompiledMatch | null;
  /** Conversations on these ports (`tcp/23`) are the finding's peers. */
  ports: string[];
  /** Scope advisory: points per CVSS point of the worst CVE. */
  cvssFactor: number;
  description: string;
  remediation: string;
  references: string[];
  file: string;
  line?: number;
}

export interface LegacyOs {
  name: string;
  pattern: RegExp;
  /** End of support, ms since the epoch (00:00 UTC of the day after the date: the date itself is supported). */
  endOfSupportMs: number;
  endOfSupport: string;
  references: string[];
}

export interface RiskRule {
  id: string;
  kind: 'impact-base' | 'impact-bonus' | 'level';
  when: CompiledMatch | null;
  points: number;
  minScore: number;
  description: string;
}

export interface FindingData {
  types: FindingType[];
  legacyOs: LegacyOs[];
  risk: RiskRule[];
  files: string[];
}

export class FindingDataError extends Error {
  constructor(readonly errors: readonly LibraryError[]) {
    super(`finding data is invalid:\n${errors.map((e) => `  ${formatLibraryError(e)}`).join('\n')}`);
  }
}

export const builtinFindingsDir = (): string => join(builtinFingerprintsDir(), 'findings');

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const textList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(isText);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Allowed keys of each file's entries: required (true) or optional. */
const KEYS: Record<string, Record<string, boolean>> = {
  'types.yaml': {
    id: true, title: true, severity: true, points: true, scope: true, match: false, ports: false, cvss_factor: false,
    description: true, remediation: true, references: true,
  },
  'legacy-os.yaml': { name: true, pattern: true, end_of_support: true, references: true },
  'risk.yaml': { id: true, kind: true, when: false, points: false, min_score: false, description: true },
};

function compile(match: unknown, what: string): CompiledMatch {
  if (!isObject(match)) throw new ConditionError(`"${what}" must be a mapping of conditions`);
  return compileMatch(match as Match);
}

function checkKeys(file: string, o: Record<string, unknown>): string | null {
  const spec = KEYS[file];
  const unknown = Object.keys(o).filter((k) => !(k in spec));
  if (unknown.length) return `unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${Object.keys(spec).join(', ')})`;
  const missing = Object.entries(spec).filter(([k, req]) => req && o[k] === undefined).map(([k]) => k);
  return missing.length ? `missing key(s) ${missing.join(', ')}` : null;
}

function findingType(o: Record<string, unknown>, file: string, line: number | undefined): FindingType {
  if (!isText(o.id) || !/^[a-z0-9-]+$/.test(o.id)) throw new ConditionError('"id" must be kebab-case');
  for (const k of ['title', 'description', 'remediation'] as const) if (!isText(o[k])) throw new ConditionError(`"${k}" must be a non-empty string`);
  if (!SEVERITIES.includes(o.severity as Severity)) throw new ConditionError(`"severity" must be one of ${SEVERITIES.join(', ')}`);
  if (!SCOPES.includes(o.scope as Scope)) throw new ConditionError(`"scope" must be one of ${SCOPES.join(', ')}`);
  if (typeof o.points !== 'number' || o.points < 0 || o.points > 10) throw new ConditionError('"points" must be a number 0..10');
  if (!textList(o.references)) throw new ConditionError('"references" must be a list of at least one non-empty string');
  const needsMatch = o.scope === 'observation' || o.scope === 'device' || o.scope === 'public-peers';
  if (needsMatch && o.match === undefined) throw new ConditionError(`scope ${String(o.scope)} needs "match"`);
  if (!needsMatch && o.match !== undefined) throw new ConditionError(`scope ${String(o.scope)} takes no "match"`);
  const ports = o.ports ?? [];
  if (!Array.isArray(ports) || !ports.every((p) => typeof p === 'string' && /^(tcp|udp)\/\d{1,5}$/.test(p))) {
    throw new ConditionError('"ports" must be a list like [tcp/23, udp/69]');
  }
  const cvss = o.cvss_factor ?? 0;
  if (typeof cvss !== 'number' || cvss < 0 || cvss > 1) throw new ConditionError('"cvss_factor" must be a number 0..1');
  return {
    id: o.id, title: o.title as string, severity: o.severity as Severity, points: o.points, scope: o.scope as Scope,
    match: o.match === undefined ? null : compile(o.match, 'match'), ports: ports as string[], cvssFactor: cvss,
    description: o.description as string, remediation: o.remediation as string, references: o.references, file, line,
  };
}

function legacyOs(o: Record<string, unknown>): LegacyOs {
  if (!isText(o.name)) throw new ConditionError('"name" must be a non-empty string');
  if (!isText(o.pattern)) throw new ConditionError('"pattern" must be a regular expression');
  let pattern: RegExp;
  try {
    pattern = new RegExp(o.pattern, 'i');
  } catch (err) {
    throw new ConditionError(`bad pattern: ${(err as Error).message}`);
  }
  // YAML reads an unquoted 2014-04-08 as a date.
  const date = o.end_of_support instanceof Date ? o.end_of_support.toISOString().slice(0, 10) : o.end_of_support;
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
    throw new ConditionError('"end_of_support" must be a date YYYY-MM-DD');
  }
  if (!textList(o.references)) throw new ConditionError('"references" must be a list of at least one non-empty string');
  return { name: o.name, pattern, endOfSupport: date, endOfSupportMs: Date.parse(date) + 86_400_000, references: o.references };
}

function riskRule(o: Record<string, unknown>): RiskRule {
  if (!isText(o.id)) throw new ConditionError('"id" must be a non-empty string');
  if (!isText(o.description)) throw new ConditionError('"description" must be a non-empty string');
  const kind = o.kind;
  if (kind !== 'impact-base' && kind !== 'impact-bonus' && kind !== 'level') throw new ConditionError('"kind" must be impact-base, impact-bonus or level');
  if (kind === 'level') {
    if (typeof o.min_score !== 'number' || o.min_score < 0 || o.min_score > 100) throw new ConditionError('a level needs "min_score" 0..100');
    return { id: o.id, kind, when: null, points: 0, minScore: o.min_score, description: o.description };
  }
  if (typeof o.points !== 'number' || o.points < 0 || o.points > 10) throw new ConditionError('an impact entry needs "points" 0..10');
  if (o.when === undefined) throw new ConditionError('an impact entry needs "when"');
  return { id: o.id, kind, when: compile(o.when, 'when'), points: o.points, minScore: 0, description: o.description };
}

/**
 * Load the built-in finding data, then `<userDir>/findings/*.yaml` when given (the directory of
 * `--fingerprints`): user types are added (an id may not repeat), user OS dates and risk entries too.
 * Throws FindingDataError listing every invalid entry.
 */
export function loadFindingData(options: { builtinDir?: string; userDir?: string } = {}): FindingData {
  const dirs = [options.builtinDir ?? builtinFindingsDir()];
  if (options.userDir !== undefined) {
    const user = join(options.userDir, 'findings');
    if (existsSync(user) && statSync(user).isDirectory()) dirs.push(user);
  }
  const errors: LibraryError[] = [];
  const out: FindingData = { types: [], legacyOs: [], risk: [], files: [] };
  const seen = new Map<string, FindingType>();
  for (const dir of dirs) {
    for (const name of Object.keys(KEYS)) {
      const file = join(dir, name);
      if (!existsSync(file)) {
        if (dir === dirs[0]) errors.push({ file, message: 'finding data file not found' });
        continue;
      }
      out.files.push(file);
      for (const { value, line } of readYamlList(file, createHash('sha1'), errors, false)) {
        const id = isObject(value) && isText(value.id ?? value.name) ? String(value.id ?? value.name) : undefined;
        try {
          if (!isObject(value)) throw new ConditionError('an entry must be a mapping');
          const problem = checkKeys(name, value);
          if (problem !== null) throw new ConditionError(problem);
          if (name === 'types.yaml') {
            const t = findingType(value, file, line);
            const other = seen.get(t.id);
            if (other) throw new ConditionError(`id already defined at ${other.file}:${other.line ?? '?'}`);
            seen.set(t.id, t);
            out.types.push(t);
          } else if (name === 'legacy-os.yaml') out.legacyOs.push(legacyOs(value));
          else out.risk.push(riskRule(value));
        } catch (err) {
          if (!(err instanceof ConditionError)) throw err;
          errors.push({ file, line, id, message: err.message });
        }
      }
    }
  }
  if (errors.length) throw new FindingDataError(errors);
  return out;
}
