/**
 * The identification engine: every signature whose conditions hold on a device's facts votes for
 * the values it yields, and the votes are combined per field.
 *
 * - Score of a candidate value: noisy-OR of the weights behind it, 100 × (1 − Π(1 − wᵢ/100)): two
 *   independent signatures of weight 60 give 84, and no number of weak ones reaches 100. For
 *   categories, a value also counts the weights of its ancestors (`parent` in categories.yaml): a
 *   generic `medical-device` vote supports `infusion-pump` instead of competing with it.
 * - Winner: highest score; ties go to the more specific category, then to the value whose first
 *   signature id sorts first (deterministic, whatever the evidence order).
 * - Confidence: winner score × (1 − strongest contradicting score / 100), rounded. A contradicting
 *   candidate is any other value (for categories: not an ancestor or descendant of the winner, and
 *   only its votes that do not also support the winner through a shared ancestor count against it).
 * - Stability: given the previous classification, a different value replaces the previous one only
 *   when its score beats the previous value's current score by STABILITY_MARGIN points; a previous
 *   value that no signature supports any more (library changed) is dropped.
 * - Medical: true only when the winning category is clinical, or signatures yielding `medical: true`
 *   win that field with confidence ≥ MEDICAL_IDENTITY_MIN_CONFIDENCE. Generic IT evidence yields
 *   neither, so it cannot make a device medical.
 * - Vendor names are made canonical first (vendors.yaml aliases): "Philips Medical Systems" from
 *   LLDP-MED and "Philips" from the MAC registry are one vendor, not two contradicting ones.
 * - Overrides (user directory, by MAC or IP) replace inferred fields with confidence 100.
 */
import { evaluateMatch, type MatchedFact } from './conditions.js';
import { attributeDatasets, type ImageAttribution } from './dicom-images.js';
import type { Facts } from './facts.js';
import { canonicalVendor, STRING_FIELDS, type Library, type OverrideEntry, type StringField } from './library.js';
import type { Criticality } from './schema.js';

export const STABILITY_MARGIN = 10;
export const MEDICAL_IDENTITY_MIN_CONFIDENCE = 50;

/** A signature that fired, with the value it yielded and the evidence it used. */
export interface SignatureHit {
  id: string;
  weight: number;
  /** The value this signature yielded (for categories, possibly an ancestor of the field's value). */
  value: string;
  matched: MatchedFact[];
}

export interface Alternative {
  value: string;
  score: number;
  signatures: string[];
}

export interface FieldResult {
  value: string | null;
  /** 0..100: score scaled down by the strongest contradiction (see module comment). */
  confidence: number;
  /** 0..100: combined weight behind the value. */
  score: number;
  source: 'signatures' | 'previous' | 'override' | 'none';
  signatures: SignatureHit[];
  /** Other candidate values, best first. */
  alternatives: Alternative[];
  /** Set when stability kept the previous value against a challenger that did not clear the margin. */
  challenger?: { value: string; score: number };
}

export interface OverrideInfo {
  key: string;
  file: string;
  location: string | null;
  note: string | null;
}

export interface Classification {
  vendor: FieldResult;
  model: FieldResult;
  /** Category id from categories.yaml; `unknown` when nothing matched. */
  category: FieldResult;
  os: FieldResult;
  firmware: FieldResult;
  /** Software stack seen (toolkit, server, client), e.g. `OFFIS DCMTK 3.6.7`, `OpenSSH 8.9p1`. */
  software: FieldResult;
  /** The `medical: true/false` votes of medical-manufacturer and clinical-protocol signatures. */
  medical_identity: FieldResult;
  medical: boolean;
  /** Why `medical` is true (null when false). */
  medical_reason: string | null;
  criticality: Criticality;
  /** Confidence of the category, else of the vendor, else of the OS; 0 when nothing is known. */
  confidence: number;
  override: OverrideInfo | null;
  /** Present when the confidences were capped (a device never seen on the wire: capConfidence). */
  confidence_cap?: { max: number; reason: string };
  /** Library version the classification was made with. */
  library_version: string;
  /**
   * Set when the DICOM data sets the device sent were not taken as its identity (it relays or archives
   * other devices' images, or their Manufacturer contradicts its MAC's maker): why, and whose images.
   */
  images?: ImageAttribution;
}

/**
 * Highest confidence of a device known only from another device's message (device kind `derived`):
 * what a relayed report says of a device is weaker than what a device seen on the wire says of
 * itself, and the device it came from may have misread or misnamed it. Below
 * MEDICAL_IDENTITY_MIN_CONFIDENCE on purpose: `medical` is decided before the cap, from the evidence.
 */
export const DERIVED_MAX_CONFIDENCE = 40;

/**
 * The classification with every field's confidence (and the device's) at most `max`; overridden
 * fields keep theirs. Values, scores and `medical` are unchanged: only how sure we are.
 */
export function capConfidence(c: Classification, max: number, reason: string): Classification {
  const cap = (f: FieldResult): FieldResult => (f.source === 'override' || f.confidence <= max ? f : { ...f, confidence: max });
  return {
    ...c,
    vendor: cap(c.vendor), model: cap(c.model), category: cap(c.category), os: cap(c.os), firmware: cap(c.firmware),
    software: cap(c.software), medical_identity: cap(c.medical_identity),
    confidence: c.override !== null ? c.confidence : Math.min(c.confidence, max),
    confidence_cap: { max, reason },
  };
}

/** What the engine needs from the last stored classification (a stored Classification fits). */
export type PreviousClassification = Partial<Record<StringField | 'medical_identity', { value: string | null } | null | undefined>>;

export interface ClassifyOptions {
  /** Apply overrides.yaml (default true; examples are checked without). */
  overrides?: boolean;
}

type Field = StringField | 'medical_identity';
const FIELDS: readonly Field[] = [...STRING_FIELDS, 'medical_identity'];

interface Candidate {
  value: string;
  key: string;
  weights: number[];
  hits: SignatureHit[];
  firstId: string;
  score: number;
  depth: number;
}

const noisyOr = (weights: readonly number[]): number => 100 * (1 - weights.reduce((p, w) => p * (1 - w / 100), 1));
const round = (n: number): number => Math.round(n * 10) / 10;

function interpolate(template: string, groups: Record<string, string>): string | null {
  let missing = false;
  const s = template.replace(/\{([A-Za-z_$][\w$]*)\}/g, (_, name: string) => {
    const g = groups[name];
    if (g === undefined) missing = true;
    return g ?? '';
  });
  if (missing) return null;
  const trimmed = s.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * A key shared by devices whose classification (without a previous one, without overrides) must be
 * equal: their facts other than `mac` and `ip` are equal, and so is the outcome of every signature that
 * reads `mac` or `ip`. Null when such a signature names this device's address in its evidence: its
 * result is its own. Lets a capture's many alike devices (same vendor, same services) be classified once.
 */
export function sharedFactsKey(facts: Facts, library: Library): string | null {
  let key = '';
  for (const sig of library.candidates.addressReaders()) {
    const m = evaluateMatch(sig.match, facts);
    if (m !== null && m.matched.some((x) => x.path === 'mac' || x.path === 'ip')) return null;
    key += m === null ? '0' : '1';
  }
  const rest: [string, readonly unknown[]][] = [];
  for (const entry of facts) if (entry[0] !== 'mac' && entry[0] !== 'ip') rest.push(entry);
  return key + JSON.stringify(rest); // one call: this runs for every device of a capture
}

/** Evaluate the library on facts: fired signatures with their yields, per field. */
function vote(facts: Facts, library: Library): Map<Field, Map<string, Candidate>> {
  const votes = new Map<Field, Map<string, Candidate>>(FIELDS.map((f) => [f, new Map()]));
  const fired = [...library.candidates.vendorHits(facts)];
  for (const sig of library.candidates.others(facts)) {
    const m = evaluateMatch(sig.match, facts);
    if (m) fired.push({ sig, m });
  }
  fired.sort((a, b) => a.sig.order - b.sig.order);
  for (const { sig, m } of fired) {
    for (const y of sig.yields) {
      const field: Field = y.field === 'medical' ? 'medical_identity' : y.field;
      const raw = typeof y.template === 'boolean' ? String(y.template) : interpolate(y.template, m.groups);
      if (raw === null) continue;
      const value = field === 'vendor' ? canonicalVendor(library.vendors, raw) : raw;
      if (field === 'category' && !library.categories.has(value)) continue;
      const key = value.toLowerCase();
      const byValue = votes.get(field)!;
      let c = byValue.get(key);
      if (!c) {
        c = { value, key, weights: [], hits: [], firstId: sig.id, score: 0, depth: library.categories.get(value)?.ancestors.length ?? 0 };
        byValue.set(key, c);
      }
      c.weights.push(y.weight);
      c.hits.push({ id: sig.id, weight: y.weight, value, matched: m.matched });
      if (sig.id < c.firstId) c.firstId = sig.id;
    }
  }
  return votes;
}

function emptyField(field: Field): FieldResult {
  return { value: field === 'category' ? 'unknown' : null, confidence: 0, score: 0, source: 'none', signatures: [], alternatives: [] };
}

function decide(field: Field, byValue: Map<string, Candidate>, library: Library, previous: string | null | undefined): FieldResult {
  const candidates = [...byValue.values()];
  if (!candidates.length) return emptyField(field);
  const related = (a: Candidate, b: Candidate): boolean => {
    if (field !== 'category') return false;
    const ca = library.categories.get(a.value);
    const cb = library.categories.get(b.value);
    return (ca?.ancestors.includes(b.value) ?? false) || (cb?.ancestors.includes(a.value) ?? false);
  };
  // A category value also counts the votes of its ancestors (their own votes, taken before merging).
  const own = new Map(candidates.map((c) => [c.key, c.hits]));
  for (const c of candidates) {
    if (field === 'category') {
      const ancestors = library.categories.get(c.value)?.ancestors ?? [];
      const inherited = ancestors.flatMap((a) => own.get(a.toLowerCase()) ?? []);
      c.hits = [...c.hits, ...inherited];
      c.weights = [...c.weights, ...inherited.map((h) => h.weight)];
    }
    c.score = noisyOr(c.weights);
  }
  candidates.sort((a, b) => b.score - a.score || b.depth - a.depth || (a.firstId < b.firstId ? -1 : a.firstId > b.firstId ? 1 : 0) || (a.key < b.key ? -1 : 1));

  let winner = candidates[0];
  let source: FieldResult['source'] = 'signatures';
  let challenger: FieldResult['challenger'];
  const prevKey = previous && !(field === 'category' && previous === 'unknown') ? previous.toLowerCase() : null;
  if (prevKey !== null && winner.key !== prevKey) {
    const held = byValue.get(prevKey);
    if (held && winner.score < held.score + STABILITY_MARGIN && !related(winner, held)) {
      challenger = { value: winner.value, score: round(winner.score) };
      winner = held;
      source = 'previous';
    }
  }
  const contradicting = candidates.filter((c) => c !== winner && !related(c, winner));
  // A rival's support that also supports the winner (a shared ancestor category) contradicts nothing.
  const winnerLine = new Set([winner.key, ...(library.categories.get(winner.value)?.ancestors ?? []).map((a) => a.toLowerCase())]);
  const rivalScore = (c: Candidate): number =>
    field === 'category' ? noisyOr(c.hits.filter((h) => !winnerLine.has(h.value.toLowerCase())).map((h) => h.weight)) : c.score;
  const against = contradicting.length ? Math.max(...contradicting.map(rivalScore)) : 0;
  const sortHits = (hits: SignatureHit[]) => [...hits].sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : 1));
  return {
    value: winner.value,
    confidence: Math.round(winner.score * (1 - against / 100)),
    score: round(winner.score),
    source,
    signatures: sortHits(winner.hits),
    alternatives: candidates
      .filter((c) => c !== winner)
      .slice(0, 5)
      .map((c) => ({ value: c.value, score: round(c.score), signatures: sortHits(c.hits).map((h) => h.id) })),
    ...(challenger ? { challenger } : {}),
  };
}

function findOverride(facts: Facts, library: Library): OverrideEntry | null {
  for (const mac of facts.get('mac') ?? []) {
    const o = library.overridesByMac.get(String(mac).toLowerCase());
    if (o) return o;
  }
  for (const ip of facts.get('ip') ?? []) {
    const o = library.overridesByIp.get(String(ip));
    if (o) return o;
  }
  return null;
}

function overridden(value: string): FieldResult {
  return { value, confidence: 100, score: 100, source: 'override', signatures: [], alternatives: [] };
}

/**
 * Classify one device. `previous` is its last stored classification (for stability); pure and
 * deterministic: the same facts, library and previous always give the same result.
 */
export function classify(deviceFacts: Facts, library: Library, previous?: PreviousClassification | null, options: ClassifyOptions = {}): Classification {
  // Image data sets count as the sender's identity only when nothing says they are another device's.
  const { facts, images } = attributeDatasets(deviceFacts, library);
  const votes = vote(facts, library);
  const result = {} as Record<Field, FieldResult>;
  for (const field of FIELDS) result[field] = decide(field, votes.get(field)!, library, previous?.[field]?.value);

  const override = options.overrides === false ? null : findOverride(facts, library);
  if (override) {
    for (const field of STRING_FIELDS) {
      const v = override[field];
      if (v !== undefined) result[field] = { ...overridden(v), alternatives: result[field].value !== null && result[field].value !== v ? [{ value: result[field].value!, score: result[field].score, signatures: result[field].signatures.map((h) => h.id) }] : [] };
    }
    if (override.medical !== undefined) result.medical_identity = overridden(String(override.medical));
  }

  const category = library.categories.get(result.category.value ?? 'unknown');
  let medical = false;
  let reason: string | null = null;
  if (override?.medical !== undefined) {
    medical = override.medical;
    reason = medical ? `override (${override.key})` : null;
  } else if (category?.medical) {
    medical = true;
    reason = `category ${category.id} is clinical`;
  } else if (result.medical_identity.value === 'true' && result.medical_identity.confidence >= MEDICAL_IDENTITY_MIN_CONFIDENCE) {
    medical = true;
    reason = `medical identity: ${result.medical_identity.signatures.map((h) => h.id).join(', ')}`;
  }

  const known = (f: FieldResult) => f.value !== null && f.value !== 'unknown';
  const confidence = known(result.category) ? result.category.confidence : known(result.vendor) ? result.vendor.confidence : known(result.os) ? result.os.confidence : 0;

  return {
    vendor: result.vendor,
    model: result.model,
    category: result.category,
    os: result.os,
    firmware: result.firmware,
    software: result.software,
    medical_identity: result.medical_identity,
    medical,
    medical_reason: reason,
    criticality: category?.criticality ?? null,
    confidence,
    override: override ? { key: override.key, file: override.file, location: override.location ?? null, note: override.note ?? null } : null,
    library_version: library.version,
    ...(images !== null ? { images } : {}),
  };
}
