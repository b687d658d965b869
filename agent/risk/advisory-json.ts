/**
 * An advisory matched to a device, as users see it (CLI `auscult advisories match --format json`, and
 * later the `advisory` finding). One TypeBox schema types the code and can validate and serialise API
 * responses. Keys are snake_case like the device object.
 */
import { Type, type Static } from 'typebox';

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
const NullableNumber = (description: string) => Type.Union([Type.Number({ minimum: 0, maximum: 10 }), Type.Null()], { description });

export const AdvisoryStatus = Type.Union([Type.Literal('affected'), Type.Literal('potentially_affected')], {
  description: 'affected: vendor, model and the device\'s own version all match; potentially_affected: vendor and model match, the version is unknown, unreadable, numbered differently or a component\'s',
});
export type AdvisoryStatus = Static<typeof AdvisoryStatus>;

export const MatchedProduct = Type.Object({
  product_id: Type.String({ description: 'CSAF product id (CSAFPID-0001...)' }),
  vendor: Type.String({ description: 'vendor as the advisory spells it' }),
  product: Type.String({ description: 'product name as the advisory writes it' }),
  version: NullableString('the advisory\'s version text for this product'),
  status: AdvisoryStatus,
  reason: Type.String({ description: 'why: how the model matched (and through which alias, with its source) and what the version comparison found' }),
});
export type MatchedProduct = Static<typeof MatchedProduct>;

export const AdvisoryCve = Type.Object({
  cve: NullableString('CVE id'),
  title: NullableString('vulnerability title'),
  cwe: NullableString('CWE id and name'),
  cvss_base_score: NullableNumber('CVSS base score (v3 when given, else v2)'),
  cvss_severity: NullableString('CVSS v3 base severity'),
  cvss_vector: NullableString('CVSS vector string'),
});

export const AdvisoryMatch = Type.Object({
  advisory_id: Type.String({ description: 'document.tracking.id, e.g. ICSMA-20-254-01' }),
  title: Type.String(),
  status: AdvisoryStatus,
  vendor: Type.String({ description: 'the device\'s identified vendor' }),
  release_date: Type.String({ format: 'date-time', description: 'current release date of the stored revision' }),
  revision: Type.String({ description: 'document.tracking.version of the stored revision' }),
  max_cvss: NullableNumber('highest CVSS base score of the CVEs below'),
  cves: Type.Array(AdvisoryCve, { description: 'vulnerabilities of the matched products' }),
  fixed_versions: Type.Array(Type.String(), { description: 'versions the advisory names as fixed for these products (vendor_fix remediations, fixed product status)' }),
  remediations: Type.Array(Type.Object({
    category: Type.String({ description: 'vendor_fix, mitigation, workaround, none_available, no_fix_planned' }),
    details: Type.String(),
    url: NullableString('link given with it'),
  }), { description: 'remediations for the matched products, each once' }),
  products: Type.Array(MatchedProduct, { description: 'the advisory\'s products that match the device, best status first' }),
});
export type AdvisoryMatch = Static<typeof AdvisoryMatch>;
