/**
 * Which advisories concern an identified device, and how surely. A product of an advisory concerns
 * the device when its vendor (through the vendor aliases) and its model (codes, ranges, families,
 * model aliases) both match; never on the vendor alone. Then the version decides:
 *   affected             the device's own firmware/software version is in the product's versions;
 *   potentially_affected the version is unknown, unreadable or numbered differently, or the
 *                        advisory's version is a component's (WLAN module, battery module...), or the
 *                        product is under investigation;
 *   (no match)           the device's version is outside every affected version.
 */
import type { Advisory, AdvisoryProduct, AdvisoryVulnerability } from './csaf.js';
import { VendorNames, type AdvisoryAliases, type ComponentMarker } from './advisory-aliases.js';
import { ModelNames, modelMatch, productModels, type DeviceModelName, type ProductModels } from './advisory-models.js';
import { evaluateVersion, parseVersionSpec, type VersionSpec } from './advisory-versions.js';
import type { AdvisoryMatch, AdvisoryStatus, MatchedProduct } from './advisory-json.js';

/** What matching needs to know about a device (see `matchInputOf` for building it from device JSON). */
export interface DeviceForMatching {
  /** Identified vendor (the identification engine's, already canonical per fingerprints/vendors.yaml). */
  vendor: string | null;
  /** Identified model. */
  model: string | null;
  /**
   * The device's own version strings, most trusted first: the identified firmware, then software
   * revisions the device reported about itself (see OWN_VERSION_FACTS), each with where it came from.
   */
  versions: { value: string; source: string }[];
}

/**
 * Evidence fields that carry the device's own software release. The identification's single firmware
 * value may be a component's (LLDP-MED "firmware revision" of an IntelliVue MX800 is 2.10.4 while its
 * software release is M.00.03), so these are tried when it is not comparable with an advisory.
 */
export const OWN_VERSION_FACTS = ['intellivue.software_revision', 'lldp.software_revision'] as const;

/** The matching input from a device object (agent/store/device-json.ts `Device`, or the same fields). */
export function matchInputOf(device: { vendor: string | null; model: string | null; firmware: string | null; evidence?: Record<string, Record<string, unknown[]>> }): DeviceForMatching {
  const versions: DeviceForMatching['versions'] = [];
  const add = (value: unknown, source: string) => {
    if (typeof value === 'string' && value.trim() !== '' && !versions.some((v) => v.value === value.trim())) versions.push({ value: value.trim(), source });
  };
  add(device.firmware, 'identified firmware');
  for (const path of OWN_VERSION_FACTS) {
    const [protocol, field] = path.split('.');
    for (const v of device.evidence?.[protocol]?.[field] ?? []) add(v, path);
  }
  return { vendor: device.vendor, model: device.model, versions };
}

interface PreparedProduct {
  product: AdvisoryProduct;
  models: ProductModels;
  spec: VersionSpec & { notes: string[] };
  /** The component marker the product name or version names, when its version is a module's. */
  component: ComponentMarker | null;
}

const STATUS_RANK: Record<AdvisoryStatus, number> = { affected: 2, potentially_affected: 1 };

/** Matches devices against a set of advisories; build once, call `match` per device. */
export class AdvisoryMatcher {
  private readonly vendors: VendorNames;
  private readonly models: ModelNames;
  /** Products by the canonical vendor names they may belong to: a device is compared with its vendor's only. */
  private readonly byVendor = new Map<string, { advisory: Advisory; product: PreparedProduct }[]>();
  private readonly markers: { marker: ComponentMarker; re: RegExp }[];

  constructor(advisories: readonly Advisory[], aliases: AdvisoryAliases) {
    this.vendors = new VendorNames(aliases.vendors);
    this.models = new ModelNames(aliases.models, (v) => this.vendors.of(v));
    this.markers = aliases.components.map((marker) => ({
      marker,
      re: new RegExp(`(^|[^a-z0-9])${marker.marker.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}($|[^a-z0-9])`, 'i'),
    }));
    for (const advisory of advisories) {
      for (const product of advisory.products) {
        const spec = parseVersionSpec(product.version);
        const prepared: PreparedProduct = { product, models: productModels(product.name), spec, component: this.componentOf(product, spec.notes) };
        for (const vendor of this.vendors.allOf(product.vendor)) {
          const list = this.byVendor.get(vendor) ?? [];
          list.push({ advisory, product: prepared });
          this.byVendor.set(vendor, list);
        }
      }
    }
  }

  /**
   * A version is a component's when the version text, or a note in it, names a component ("with
   * Wireless Battery Modules ..."), or when the product name does and the version names firmware
   * ("... MP20-MP90 (M8001A/...) WLAN" / "Version A, Firmware A.03.09"). "(WLAN only)" beside a
   * plain version is the device's own.
   */
  private componentOf(product: AdvisoryProduct, notes: string[]): ComponentMarker | null {
    const version = product.version ?? '';
    for (const { marker, re } of this.markers) {
      if (re.test(version) || notes.some((n) => re.test(n))) return marker;
      if (re.test(product.name) && /firmware/i.test(version)) return marker;
    }
    // A CSAF relationship says it outright: "component default_component_of product".
    const rel = product.componentOf;
    return rel ? { marker: 'component', description: `${rel.category.replace(/_/g, ' ')} ${rel.productId}`, references: ['CSAF 2.0 section 3.2.2.4'], file: '' } : null;
  }

  /** Every advisory that concerns the device, affected first, then by CVSS. */
  match(device: DeviceForMatching): AdvisoryMatch[] {
    if (!device.vendor || !device.model) return [];
    const vendor = this.vendors.of(device.vendor);
    const names = this.models.namesOf(vendor, device.model);
    const hits = new Map<Advisory, MatchedProduct[]>();
    for (const { advisory, product } of this.byVendor.get(vendor) ?? []) {
      const hit = this.matchProduct(advisory, product, device, names);
      if (hit) hits.set(advisory, [...(hits.get(advisory) ?? []), hit]);
    }
    const out = [...hits].map(([advisory, products]) => summarise(advisory, products, device.vendor!));
    return out.sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || (b.max_cvss ?? -1) - (a.max_cvss ?? -1) || a.advisory_id.localeCompare(b.advisory_id));
  }

  private matchProduct(advisory: Advisory, p: PreparedProduct, device: DeviceForMatching, names: DeviceModelName[]): MatchedProduct | null {
    const pid = p.product.productId;
    const affected = advisory.vulnerabilities.some((v) => v.affected.includes(pid));
    const investigated = advisory.vulnerabilities.some((v) => v.underInvestigation.includes(pid));
    if (!affected && !investigated) return null;
    let model: string | null = null;
    for (const name of names) {
      const how = modelMatch(name, p.models);
      if (how === null) continue;
      model = name.via === 'identified model' ? `model ${how}` : `model ${name.via}; ${how}`;
      break;
    }
    if (model === null) return null;
    const base = { product_id: pid, vendor: p.product.vendor, product: p.product.name, version: p.product.version };
    const potentially = (reason: string): MatchedProduct => ({ ...base, status: 'potentially_affected', reason: `${model}; ${reason}` });
    const component = p.component
      ? `the advisory's version "${p.product.version ?? ''}" names the ${p.component.marker} (${p.component.description}), whose version auscult does not observe`
      : null;
    if (!affected) return potentially('the vendor lists the product as under investigation');
    if (p.spec.kind === 'all') {
      const all = `every version is affected (${p.spec.text})`;
      return component ? potentially(`${all}; ${component}`) : { ...base, status: 'affected', reason: `${model}; ${all}` };
    }
    if (device.versions.length === 0) return potentially(`firmware unknown (the advisory names "${p.product.version ?? ''}")`);
    // The first version comparable with the advisory's decides: the identified firmware, then the
    // software revisions the device reported.
    const unknown: string[] = [];
    for (const v of device.versions) {
      const verdict = evaluateVersion(p.spec, v.value);
      if (verdict.result === 'unknown') {
        unknown.push(`${v.source}: ${verdict.detail}`);
        continue;
      }
      if (verdict.result === 'no-match') return null;
      const own = `${v.source} ${verdict.detail}`;
      return component ? potentially(`${own}; ${component}`) : { ...base, status: 'affected', reason: `${model}; ${own}` };
    }
    // Nothing comparable: a component's version says why better than the comparison does.
    return potentially(component ?? unknown.join('; '));
  }
}

function vulnerabilitiesOf(advisory: Advisory, productIds: Set<string>): AdvisoryVulnerability[] {
  return advisory.vulnerabilities.filter((v) => [...v.affected, ...v.underInvestigation].some((p) => productIds.has(p)));
}

/** One advisory's match: its status is the best of its products'. */
function summarise(advisory: Advisory, products: MatchedProduct[], deviceVendor: string): AdvisoryMatch {
  const ids = new Set(products.map((p) => p.product_id));
  const vulnerabilities = vulnerabilitiesOf(advisory, ids);
  const cves = vulnerabilities.map((v) => {
    const s = v.scores.find((x) => x.products.some((p) => ids.has(p))) ?? v.scores[0];
    return { cve: v.cve, title: v.title, cwe: v.cwe, cvss_base_score: s?.baseScore ?? null, cvss_severity: s?.severity ?? null, cvss_vector: s?.vector ?? null };
  });
  const scores = cves.map((c) => c.cvss_base_score).filter((s): s is number => s !== null);
  const remediations: AdvisoryMatch['remediations'] = [];
  const seen = new Set<string>();
  for (const v of vulnerabilities) {
    for (const r of v.remediations) {
      if (r.productIds.length && !r.productIds.some((p) => ids.has(p))) continue;
      const key = `${r.category}\0${r.details}\0${r.url ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      remediations.push({ category: r.category, details: r.details, url: r.url });
    }
  }
  const status: AdvisoryStatus = products.some((p) => p.status === 'affected') ? 'affected' : 'potentially_affected';
  return {
    advisory_id: advisory.id,
    title: advisory.title,
    status,
    vendor: deviceVendor,
    release_date: new Date(advisory.currentReleaseMs).toISOString(),
    revision: advisory.version,
    max_cvss: scores.length ? Math.max(...scores) : null,
    cves,
    fixed_versions: fixedVersions(advisory, vulnerabilities, ids),
    remediations,
    products: products.sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || a.product_id.localeCompare(b.product_id)),
  };
}

/** A version as remediations write it: "N.00", "C.03", "12.2.8.400", "B.06.18", "2.2", "v9.0". */
const FIXED_VERSION = /^(?:v?\d+(?:[._]\w+)+|[A-Z]\.\d+(?:\.\w+)*|\d+[A-Za-z]?\d*)$/;

/**
 * Versions the advisory names as fixed for these products: the fixed product_status entries' versions,
 * and the versions a vendor_fix remediation names after "version(s)", "release" or "firmware" ("IntelliVue
 * Patient Monitors Versions N.00 and N.01").
 */
export function fixedVersions(advisory: Advisory, vulnerabilities: readonly AdvisoryVulnerability[], productIds: Set<string>): string[] {
  const out = new Set<string>();
  const byId = new Map(advisory.products.map((p) => [p.productId, p]));
  for (const v of vulnerabilities) {
    for (const pid of v.fixed) {
      const p = byId.get(pid);
      if (p?.version && [...productIds].some((id) => byId.get(id)?.name === p.name)) out.add(p.version);
    }
    for (const r of v.remediations) {
      if (r.category !== 'vendor_fix' || (r.productIds.length && !r.productIds.some((p) => productIds.has(p)))) continue;
      for (const m of r.details.matchAll(/\b(?:versions?|releases?|firmware|software|rev(?:ision)?)\s+((?:[\w.*-]+)(?:\s*(?:,|and|or|\/)\s*[\w.*-]+)*)/gi)) {
        for (const t of m[1].split(/\s*(?:,|\band\b|\bor\b|\/)\s*/i)) {
          const token = t.replace(/[.*]+$/, '');
          if (FIXED_VERSION.test(token)) out.add(token);
        }
      }
    }
  }
  return [...out];
}
