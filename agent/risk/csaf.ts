/**
 * CSAF 2.0 advisories (OASIS Common Security Advisory Framework, csaf_version "2.0") read into the
 * small normalised shape auscult matches devices against. Only what matching, listing and
 * remediation need is kept; the rest of the document is ignored. A document that lacks what we need
 * is an error value naming the field, never an exception.
 *
 * Spec: https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html (sections 3.2.1 document,
 * 3.2.2 product_tree, 3.2.3 vulnerabilities).
 */

/** Bumped when the normalised shape changes: stored advisories of an older shape are re-imported. */
export const ADVISORY_FORMAT = 1;

/** One product the advisory names: a leaf of the product tree, or a relationship (section 3.2.2.4). */
export interface AdvisoryProduct {
  /** product_id (CSAFPID-0001...). */
  productId: string;
  /** Name of the nearest `vendor` branch as the advisory spells it ("Phillips", "General Electric (GE)"). */
  vendor: string;
  /** The `product_family` and `product_name` branches, joined with " / " (e.g. "IntelliVue patient monitor MP2-MP90"). */
  name: string;
  /** Name of the `product_version` or `product_version_range` branch: free text ("Rev B-M", "<=N", "vers:all/*"); null when none. */
  version: string | null;
  /** Category of that branch. */
  versionCategory: 'product_version' | 'product_version_range' | null;
  /**
   * For relationships (`default_component_of`, `installed_on`...): the product this one is part of or
   * installed on, whose name the device matches while `version` is the component's.
   */
  componentOf?: { category: string; productId: string };
}

export interface AdvisoryScore {
  /** CVSS base score, 0..10. */
  baseScore: number;
  /** baseSeverity (CVSS v3): NONE, LOW, MEDIUM, HIGH, CRITICAL; null for CVSS v2. */
  severity: string | null;
  /** CVSS vector, e.g. CVSS:3.1/AV:N/AC:L/... */
  vector: string | null;
  /** "3.1", "3.0" or "2.0". */
  cvssVersion: string;
  /** Product ids the score is given for. */
  products: string[];
}

export interface AdvisoryRemediation {
  /** vendor_fix, mitigation, workaround, none_available, no_fix_planned. */
  category: string;
  details: string;
  url: string | null;
  /** Products it applies to (empty: the whole vulnerability). */
  productIds: string[];
}

export interface AdvisoryVulnerability {
  /** CVE id, null when the vulnerability has none. */
  cve: string | null;
  title: string | null;
  /** CWE id and name, e.g. "CWE-79 Improper Neutralization..." */
  cwe: string | null;
  /** product_status: known_affected, first_affected and last_affected. */
  affected: string[];
  /** product_status: fixed and first_fixed. */
  fixed: string[];
  /** product_status: under_investigation. */
  underInvestigation: string[];
  /** product_status: known_not_affected. */
  notAffected: string[];
  scores: AdvisoryScore[];
  remediations: AdvisoryRemediation[];
  /** Text of the vulnerability's notes (summary, details...). */
  notes: string[];
}

export interface Advisory {
  /** document.tracking.id, e.g. ICSMA-20-254-01. */
  id: string;
  /** document.tracking.version: an integer ("4") or a semantic version. */
  version: string;
  title: string;
  publisher: string | null;
  /** document.tracking.current_release_date, ms since the epoch. */
  currentReleaseMs: number;
  initialReleaseMs: number | null;
  /** Text of the document-level notes. */
  notes: string[];
  products: AdvisoryProduct[];
  vulnerabilities: AdvisoryVulnerability[];
}

export type ParseResult = { ok: true; advisory: Advisory } | { ok: false; error: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).map(str).filter((s): s is string => s !== null);

class CsafError extends Error {}
function need<T>(value: T | null | undefined, path: string, what = 'missing'): T {
  if (value === null || value === undefined) throw new CsafError(`${path}: ${what}`);
  return value;
}

function dateMs(v: unknown, path: string): number {
  const text = need(str(v), path);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CsafError(`${path}: "${text}" is not a date-time`);
  return ms;
}

/** Parse CSAF 2.0 JSON text. Errors name the field that is missing or wrong. */
export function parseCsaf(text: string): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  try {
    return { ok: true, advisory: normalise(doc) };
  } catch (err) {
    if (err instanceof CsafError) return { ok: false, error: err.message };
    throw err;
  }
}

function normalise(doc: unknown): Advisory {
  if (!isObject(doc)) throw new CsafError('the top level must be a JSON object (a CSAF document)');
  const d = need(isObject(doc.document) ? doc.document : null, 'document');
  const csafVersion = str(d.csaf_version);
  if (csafVersion !== '2.0') throw new CsafError(`document.csaf_version: ${csafVersion === null ? 'missing' : `"${csafVersion}"`} (CSAF 2.0 expected)`);
  const tracking = need(isObject(d.tracking) ? d.tracking : null, 'document.tracking');
  const id = need(str(tracking.id), 'document.tracking.id');
  const version = need(str(tracking.version), 'document.tracking.version');
  if (!/^(0|[1-9][0-9]*)$/.test(version) && !/^\d+\.\d+\.\d+([-+].*)?$/.test(version)) {
    throw new CsafError(`document.tracking.version: "${version}" is neither an integer nor a semantic version`);
  }
  const products = productTree(doc.product_tree);
  const known = new Set(products.map((p) => p.productId));
  const vulnerabilities = list(doc.vulnerabilities).map((v, i) => vulnerability(v, `vulnerabilities[${i}]`));
  for (const [i, v] of vulnerabilities.entries()) {
    for (const pid of [...v.affected, ...v.fixed, ...v.underInvestigation]) {
      if (!known.has(pid)) throw new CsafError(`vulnerabilities[${i}].product_status: product ${pid} is not in the product tree`);
    }
  }
  return {
    id,
    version,
    title: need(str(d.title), 'document.title'),
    publisher: isObject(d.publisher) ? str(d.publisher.name) : null,
    currentReleaseMs: dateMs(tracking.current_release_date, 'document.tracking.current_release_date'),
    initialReleaseMs: str(tracking.initial_release_date) ? dateMs(tracking.initial_release_date, 'document.tracking.initial_release_date') : null,
    notes: list(d.notes).map((n) => (isObject(n) ? str(n.text) : null)).filter((s): s is string => s !== null),
    products,
    vulnerabilities,
  };
}

const VERSION_CATEGORIES = new Set(['product_version', 'product_version_range']);
const NAME_CATEGORIES = new Set(['product_family', 'product_name']);

function productTree(tree: unknown): AdvisoryProduct[] {
  if (tree === undefined) return [];
  if (!isObject(tree)) throw new CsafError('product_tree: must be an object');
  const out: AdvisoryProduct[] = [];
  const walk = (branches: unknown, path: string, ctx: { vendor: string | null; names: string[]; version: string | null; versionCategory: AdvisoryProduct['versionCategory'] }) => {
    for (const [i, b] of list(branches).entries()) {
      const at = `${path}[${i}]`;
      if (!isObject(b)) throw new CsafError(`${at}: must be an object`);
      const category = need(str(b.category), `${at}.category`);
      const name = need(str(b.name), `${at}.name`);
      const next = { ...ctx, names: [...ctx.names] };
      if (category === 'vendor') next.vendor = name;
      else if (NAME_CATEGORIES.has(category)) next.names.push(name);
      else if (VERSION_CATEGORIES.has(category)) {
        next.version = name;
        next.versionCategory = category as AdvisoryProduct['versionCategory'];
      }
      if (isObject(b.product)) {
        const productId = need(str(b.product.product_id), `${at}.product.product_id`);
        out.push({
          productId,
          vendor: next.vendor ?? '',
          // A product without a product_name branch is known by its full name only.
          name: next.names.join(' / ') || (str(b.product.name) ?? ''),
          version: next.version,
          versionCategory: next.versionCategory,
        });
      }
      walk(b.branches, `${at}.branches`, next);
    }
  };
  walk(tree.branches, 'product_tree.branches', { vendor: null, names: [], version: null, versionCategory: null });
  for (const [i, p] of list(tree.full_product_names).entries()) {
    if (!isObject(p)) continue;
    const productId = need(str(p.product_id), `product_tree.full_product_names[${i}].product_id`);
    out.push({ productId, vendor: '', name: need(str(p.name), `product_tree.full_product_names[${i}].name`), version: null, versionCategory: null });
  }
  // Relationships (3.2.2.4): "<component> default_component_of <product>" gets its own product id; the
  // device is the related product, the version the component's.
  const byId = new Map(out.map((p) => [p.productId, p]));
  for (const [i, r] of list(tree.relationships).entries()) {
    const at = `product_tree.relationships[${i}]`;
    if (!isObject(r) || !isObject(r.full_product_name)) throw new CsafError(`${at}.full_product_name: missing`);
    const productId = need(str(r.full_product_name.product_id), `${at}.full_product_name.product_id`);
    const component = need(byId.get(str(r.product_reference) ?? ''), `${at}.product_reference`, 'not in the product tree');
    const parent = need(byId.get(str(r.relates_to_product_reference) ?? ''), `${at}.relates_to_product_reference`, 'not in the product tree');
    const category = need(str(r.category), `${at}.category`);
    out.push({
      productId,
      vendor: parent.vendor || component.vendor,
      name: parent.name,
      version: component.version,
      versionCategory: component.versionCategory,
      componentOf: { category, productId: parent.productId },
    });
  }
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.productId)) throw new CsafError(`product_tree: product id ${p.productId} is defined twice`);
    seen.add(p.productId);
  }
  return out;
}

function vulnerability(v: unknown, at: string): AdvisoryVulnerability {
  if (!isObject(v)) throw new CsafError(`${at}: must be an object`);
  const status = isObject(v.product_status) ? v.product_status : {};
  const cwe = isObject(v.cwe) ? [str(v.cwe.id), str(v.cwe.name)].filter(Boolean).join(' ') || null : null;
  return {
    cve: str(v.cve),
    title: str(v.title),
    cwe,
    affected: [...strings(status.known_affected), ...strings(status.first_affected), ...strings(status.last_affected)],
    fixed: [...strings(status.fixed), ...strings(status.first_fixed)],
    underInvestigation: strings(status.under_investigation),
    notAffected: strings(status.known_not_affected),
    scores: list(v.scores).flatMap((s, i) => score(s, `${at}.scores[${i}]`)),
    remediations: list(v.remediations).map((r, i) => {
      if (!isObject(r)) throw new CsafError(`${at}.remediations[${i}]: must be an object`);
      return {
        category: need(str(r.category), `${at}.remediations[${i}].category`),
        details: need(str(r.details), `${at}.remediations[${i}].details`),
        url: str(r.url),
        productIds: strings(r.product_ids),
      };
    }),
    notes: list(v.notes).map((n) => (isObject(n) ? str(n.text) : null)).filter((s): s is string => s !== null),
  };
}

function score(s: unknown, at: string): AdvisoryScore[] {
  if (!isObject(s)) return [];
  const products = strings(s.products);
  const cvss = isObject(s.cvss_v3) ? s.cvss_v3 : isObject(s.cvss_v2) ? s.cvss_v2 : null;
  if (cvss === null) return [];
  const base = cvss.baseScore;
  if (typeof base !== 'number' || !(base >= 0 && base <= 10)) throw new CsafError(`${at}: baseScore must be a number from 0 to 10`);
  return [{
    baseScore: base,
    severity: str(cvss.baseSeverity),
    vector: str(cvss.vectorString),
    cvssVersion: str(cvss.version) ?? (isObject(s.cvss_v3) ? '3.x' : '2.0'),
    products,
  }];
}

/**
 * Whether revision `a` of an advisory is newer than `b`: by tracking version (integers numerically,
 * semantic versions by their numbers), then by current_release_date.
 */
export function compareRevisions(a: Pick<Advisory, 'version' | 'currentReleaseMs'>, b: Pick<Advisory, 'version' | 'currentReleaseMs'>): number {
  const va = revisionNumbers(a.version);
  const vb = revisionNumbers(b.version);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.currentReleaseMs - b.currentReleaseMs);
}

function revisionNumbers(version: string): number[] {
  const core = version.split(/[-+]/)[0];
  return core.split('.').map((n) => Number(n));
}
