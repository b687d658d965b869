/**
 * `auscult fingerprints check`: the library's load errors, then every example run twice — against
 * its own signature (it must match and yield what it expects) and through the whole library (the
 * classification must be what it expects: evidence in, result out) — and every counterexample
 * (its signature must not match).
 */
import { evaluateMatch, whyNoMatch } from './conditions.js';
import { classify, type Classification } from './engine.js';
import { factsFromExample } from './facts.js';
import { canonicalVendor, type CompiledSignature, type Library, type LibraryError, type StringField } from './library.js';
import type { Expectation } from './schema.js';

export interface CheckReport {
  signatures: number;
  examples: number;
  /** Load errors first, then failed examples; empty when the library is sound. */
  failures: LibraryError[];
}

function signatureYields(sig: CompiledSignature, groups: Record<string, string>, library: Library): Map<string, string> {
  const out = new Map<string, string>();
  for (const y of sig.yields) {
    if (typeof y.template === 'boolean') {
      out.set('medical', String(y.template));
      continue;
    }
    const v = y.template.replace(/\{([A-Za-z_$][\w$]*)\}/g, (_, n: string) => groups[n] ?? `{${n}}`);
    const text = v.replace(/\s+/g, ' ').trim();
    out.set(y.field, y.field === 'vendor' ? canonicalVendor(library.vendors, text) : text);
  }
  return out;
}

function actual(c: Classification, key: keyof Expectation): string {
  if (key === 'medical') return String(c.medical);
  if (key === 'criticality') return String(c.criticality);
  const f = c[key as StringField];
  return `${f.value}`;
}

function supporters(c: Classification, key: keyof Expectation): string {
  if (key === 'medical' || key === 'criticality') return c.medical_reason ?? c.category.signatures.map((h) => h.id).join(', ');
  return c[key as StringField].signatures.map((h) => h.id).join(', ');
}

/** Run every example and counterexample of the library. */
export function checkLibrary(library: Library): CheckReport {
  const failures: LibraryError[] = [...library.errors];
  let examples = 0;
  for (const sig of library.signatures) {
    const at = { file: sig.file, line: sig.line, id: sig.id };
    for (const [i, ex] of sig.source.examples.entries()) {
      examples++;
      const facts = factsFromExample(ex.evidence);
      const m = evaluateMatch(sig.match, facts);
      if (!m) {
        failures.push({ ...at, message: `examples[${i}]: the signature does not match its example (${whyNoMatch(sig.match, facts)})` });
        continue;
      }
      const own = signatureYields(sig, m.groups, library);
      for (const [key, want] of Object.entries(ex.expect) as [keyof Expectation, unknown][]) {
        const got = own.get(key);
        if (got !== undefined && got !== String(want)) {
          failures.push({ ...at, message: `examples[${i}]: the signature yields ${key} ${JSON.stringify(got)}, the example expects ${JSON.stringify(want)}` });
        }
      }
      const c = classify(facts, library, null, { overrides: false });
      for (const [key, want] of Object.entries(ex.expect) as [keyof Expectation, unknown][]) {
        const got = actual(c, key);
        if (got !== String(want)) {
          failures.push({
            ...at,
            message: `examples[${i}]: the library classifies ${key} as ${JSON.stringify(got)} (${supporters(c, key) || 'no signature'}), the example expects ${JSON.stringify(want)}`,
          });
        }
      }
    }
    for (const [i, ex] of (sig.source.counterexamples ?? []).entries()) {
      examples++;
      if (evaluateMatch(sig.match, factsFromExample(ex.evidence))) {
        failures.push({ ...at, message: `counterexamples[${i}]: the signature matches evidence it must not match` });
      }
    }
  }
  return { signatures: library.signatures.length, examples, failures };
}
