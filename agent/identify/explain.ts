/**
 * `auscult explain`: the reasoning behind a classification as text lines — each field, its value and
 * confidence, where it came from, the signatures behind it with the observations they used, and the
 * values it won against.
 */
import type { MatchedFact } from './conditions.js';
import type { Classification, FieldResult } from './engine.js';

const FIELD_ORDER = ['category', 'vendor', 'model', 'os', 'firmware', 'software', 'medical_identity'] as const;
const MAX_SHOWN = 60;

function show(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN - 1) + '…"' : s;
}

function facts(matched: readonly MatchedFact[]): string {
  return matched.map((m) => `${m.path} = ${show(m.value)}`).join(', ');
}

function fieldLines(name: string, f: FieldResult): string[] {
  if (f.source === 'none') return [];
  const lines = [`${name.padEnd(16)} ${f.value}  (confidence ${f.confidence}, score ${f.score}${f.source === 'signatures' ? '' : `, ${f.source}`})`];
  if (f.source === 'override') lines.push('    set by override');
  if (f.challenger) lines.push(`    kept from the previous classification: ${show(f.challenger.value)} scored ${f.challenger.score}, not enough to replace it`);
  for (const h of f.signatures) {
    const via = h.value !== f.value ? ` [as ${h.value}]` : '';
    lines.push(`    + ${h.id} (weight ${h.weight})${via}: ${facts(h.matched)}`);
  }
  for (const a of f.alternatives) lines.push(`    - ${show(a.value)} (score ${a.score}) from ${a.signatures.join(', ') || 'inference'}`);
  return lines;
}

/** Human-readable reasoning, one line per fact; indented lines belong to the field above. */
export function explain(c: Classification): string[] {
  const lines: string[] = [];
  if (c.override) {
    const extra = [c.override.location ? `location ${show(c.override.location)}` : '', c.override.note ? `note ${show(c.override.note)}` : ''].filter(Boolean);
    lines.push(`override         ${c.override.key} (${c.override.file})${extra.length ? ': ' + extra.join(', ') : ''}`);
  }
  for (const name of FIELD_ORDER) lines.push(...fieldLines(name, c[name]));
  if (c.category.value === 'unknown' && c.category.source === 'none') lines.push('category         unknown  (no signature matched)');
  lines.push(`medical          ${c.medical ? 'yes' : 'no'}${c.medical_reason ? ` (${c.medical_reason})` : ''}`);
  if (c.criticality) lines.push(`criticality      ${c.criticality}`);
  lines.push(`confidence       ${c.confidence}`);
  if (c.confidence_cap) lines.push(`    capped at ${c.confidence_cap.max}: ${c.confidence_cap.reason}`);
  return lines;
}
