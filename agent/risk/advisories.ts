/**
 * The advisory layer's public API: CSAF 2.0 documents normalised (csaf.ts), the analyst's alias data
 * (advisory-aliases.ts), matching identified devices (advisory-match.ts) and the network indicators
 * advisories name (advisory-ioc.ts). Pure: no database (agent/store/advisories.ts stores them).
 */
export { parseCsaf, compareRevisions, ADVISORY_FORMAT } from './csaf.js';
export type { Advisory, AdvisoryProduct, AdvisoryVulnerability, AdvisoryRemediation, AdvisoryScore, ParseResult } from './csaf.js';
export { loadAdvisoryAliases, builtinAliasDir, vendorKey, AliasDataError } from './advisory-aliases.js';
export type { AdvisoryAliases, VendorAlias, ModelAlias, ComponentMarker } from './advisory-aliases.js';
export { AdvisoryMatcher, matchInputOf, OWN_VERSION_FACTS } from './advisory-match.js';
export type { DeviceForMatching } from './advisory-match.js';
export type { AdvisoryMatch, AdvisoryStatus, MatchedProduct } from './advisory-json.js';
export { extractNetworkIndicators, IndicatorIndex } from './advisory-ioc.js';
export type { NetworkIndicator } from './advisory-ioc.js';
