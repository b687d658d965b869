/**
 * The `clinical` block of the device object: what clinical protocols revealed about the device, from
 * its observations (never patient data: the dissectors drop it before anything is stored). One entry
 * per protocol with the roles seen and whether it was clear text, then per protocol the identity
 * fields a clinical engineer asks for first. Which sources are clinical, under which protocol name and
 * with which fields shown, each clinical dissector declares (its `clinical` view, dissectors/types.ts);
 * beyond those, only the convention fields `role` and `encrypted` are read here.
 */
import { CLINICAL_VIEWS } from '../dissectors/index.js';
import type { ClinicalView, ConventionFields, FieldsBySource, Source } from '../dissectors/types.js';
/** One protocol of the block (the API schema is `ClinicalSchema` in device-json.ts). */
export interface ClinicalProtocol {
  protocol: string;
  roles: string[];
  cleartext: boolean;
  encrypted: boolean;
  first_seen: string | null;
  last_seen: string | null;
}

/** The `clinical` block of the device object; null when the device speaks no clinical protocol. */
export type Clinical = {
  protocols: ClinicalProtocol[];
  cleartext: boolean;
  facts: Record<string, Record<string, unknown[]>>;
} | null;

interface Row {
  source: string;
  fields: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
}

/** The clinical protocols spoken over TLS on a port of their own: source, protocol name and port. */
export const CLINICAL_TLS_PORTS: readonly { source: Source; protocol: string; port: number }[] = [...CLINICAL_VIEWS].flatMap(
  ([source, view]) => (view.tlsPort !== undefined ? [{ source, protocol: view.protocol, port: view.tlsPort }] : []),
);

/** A time range of encrypted conversations of one clinical protocol. */
export interface EncryptedRange {
  first_seen: string;
  last_seen: string;
}

/**
 * Fold a device's observations (any order) into its clinical block; `encrypted`: by protocol name, the
 * device's conversations of that protocol inside TLS (see CLINICAL_TLS_PORTS).
 */
export function clinicalBlock(rows: readonly Row[], encrypted: ReadonlyMap<string, EncryptedRange>): Clinical {
  const protocols = new Map<string, ClinicalProtocol>();
  const facts: Record<string, Record<string, unknown[]>> = {};
  const seen = new Set<string>();
  for (const r of rows) {
    const view = CLINICAL_VIEWS.get(r.source as Source) as ClinicalView<Source> | undefined;
    if (view === undefined) continue;
    // As stored by the dissector that declared the view: its own fields.
    const fields = r.fields as FieldsBySource[Source] & ConventionFields;
    if (view.applies !== undefined && !view.applies(fields)) continue;
    let p = protocols.get(view.protocol);
    if (!p) {
      p = { protocol: view.protocol, roles: [], cleartext: false, encrypted: false, first_seen: r.first_seen, last_seen: r.last_seen };
      protocols.set(view.protocol, p);
    }
    if (fields.encrypted === true) p.encrypted = true;
    else p.cleartext = true;
    const role = fields.role;
    if (typeof role === 'string' && !p.roles.includes(role)) p.roles.push(role);
    if (p.first_seen === null || r.first_seen < p.first_seen) p.first_seen = r.first_seen;
    if (p.last_seen === null || r.last_seen > p.last_seen) p.last_seen = r.last_seen;
    const out = (facts[view.protocol] ??= {});
    for (const k of view.shown) {
      const v = r.fields[k];
      if (v === undefined || v === null || v === '') continue;
      const key = `${view.protocol}.${k}.${JSON.stringify(v)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      (out[k] ??= []).push(v);
    }
  }
  for (const [protocol, range] of encrypted) {
    const p = protocols.get(protocol);
    if (p) {
      p.encrypted = true;
      if (range.first_seen < (p.first_seen ?? range.first_seen)) p.first_seen = range.first_seen;
      if (range.last_seen > (p.last_seen ?? range.last_seen)) p.last_seen = range.last_seen;
    } else {
      protocols.set(protocol, { protocol, roles: [], cleartext: false, encrypted: true, first_seen: range.first_seen, last_seen: range.last_seen });
    }
  }
  if (protocols.size === 0) return null;
  const list = [...protocols.values()].sort((a, b) => (a.protocol < b.protocol ? -1 : 1));
  for (const p of list) p.roles.sort();
  return { protocols: list, cleartext: list.some((p) => p.cleartext), facts };
}

/** Whether a dissector's observations feed the clinical block (the others need not be kept parsed). */
export function isClinicalSource(source: string): boolean {
  return CLINICAL_VIEWS.has(source as Source);
}

/** Encrypted conversations of a page's devices: by clinical protocol, then device id (DeviceQuery reads them). */
export type PageEncrypted = ReadonlyMap<string, ReadonlyMap<number, { onPort: EncryptedRange | null; any: EncryptedRange | null }>>;

/** Device `id`'s clinical block from its folded observations (`evidence`, `parsed`) and its page's encrypted conversations. */
export function deviceClinical(id: number, evidence: Readonly<Record<string, unknown>>, parsed: readonly Row[], encrypted: PageEncrypted): Clinical {
  let ranges: Map<string, EncryptedRange> | null = null;
  for (const { source, protocol } of CLINICAL_TLS_PORTS) {
    const e = encrypted.get(protocol)?.get(id);
    // Without the protocol in clear, only its own TLS port counts (no known peers to go by).
    const range = e === undefined ? null : source in evidence ? e.any : e.onPort;
    if (range !== null) (ranges ??= new Map()).set(protocol, range);
  }
  // Neither a clinical observation nor an encrypted conversation (most devices): no block, nothing to fold.
  if (parsed.length === 0 && ranges === null) return null;
  return clinicalBlock(parsed, ranges ?? new Map());
}
