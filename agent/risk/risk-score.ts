/**
 * The risk score (README: Risk score): likelihood (0..10, the open findings' points, capped) times
 * impact (0..10, the device's criticality base plus bonuses from fingerprints/findings/risk.yaml),
 * rounded to 0..100, with every factor and its points. Acknowledged and resolved findings do not count.
 */
import { evaluateMatch } from '../identify/conditions.js';
import type { FindingPoints } from '../store/findings.js';
import type { Risk, RiskFactor } from '../store/finding-json.js';
import type { RiskRule } from './finding-types.js';

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** What the impact reads of a device. */
export interface ImpactInput {
  medical: boolean;
  category: string;
  criticality: string | null;
  /** Protocols the device produced evidence in. */
  protocols: readonly string[];
}

/** The impact factors of a device: the highest base that holds, and every bonus that holds. */
export function impactFactors(d: ImpactInput, rules: readonly RiskRule[]): RiskFactor[] {
  const facts = new Map<string, unknown[]>([['device.medical', [d.medical]], ['device.category', [d.category]]]);
  if (d.criticality !== null) facts.set('device.criticality', [d.criticality]);
  if (d.protocols.length) facts.set('protocol', [...d.protocols]);
  let base: RiskRule | null = null;
  const out: RiskFactor[] = [];
  for (const r of rules) {
    if (r.kind === 'level' || r.when === null || evaluateMatch(r.when, facts) === null) continue;
    if (r.kind === 'impact-base') {
      if (base === null || r.points > base.points) base = r;
    } else out.push({ kind: 'impact', factor: r.id, points: r.points, detail: r.description });
  }
  if (base !== null) out.unshift({ kind: 'impact', factor: base.id, points: base.points, detail: base.description });
  return out;
}

/** The risk block from the device's stored findings and its impact factors. */
export function riskOf(findings: readonly FindingPoints[], impact: readonly RiskFactor[], rules: readonly RiskRule[]): Risk {
  const likelihoodFactors: RiskFactor[] = findings
    .filter((f) => f.status === 'open')
    .map((f) => ({ kind: 'likelihood' as const, factor: f.type, points: f.points, detail: f.title, finding_id: f.id }))
    .sort((a, b) => b.points - a.points || a.factor.localeCompare(b.factor));
  const likelihood = round1(Math.min(10, likelihoodFactors.reduce((n, f) => n + f.points, 0)));
  const impactValue = round1(Math.min(10, impact.reduce((n, f) => n + f.points, 0)));
  const score = Math.round(likelihood * impactValue);
  let level = 'none';
  let levelMin = -1;
  for (const r of rules) if (r.kind === 'level' && score >= r.minScore && r.minScore > levelMin && score > 0) [level, levelMin] = [r.id, r.minScore];
  return { score, level, likelihood, impact: impactValue, factors: [...likelihoodFactors, ...impact] };
}

/** The impact factors of a stored risk block (an acknowledgement changes the likelihood only). */
export const storedImpact = (r: Risk): RiskFactor[] => r.factors.filter((f) => f.kind === 'impact');
