/**
 * The WS-Discovery scopes auscult keeps: an allow-list of scope forms that a standard defines and whose
 * content describes a device, never a person. OASIS WS-Discovery 1.1 (2009) makes `d:Scopes` an open
 * set of URIs (section 4.1, Hello; section 5.1 says only how they match a Probe): what a scope means is
 * up to the profile that defines it. Kept:
 *
 * - `sdc.cdc.type:/<coding system>/<coding system version>/<code>`: IEEE 11073-20701-2018 section 9.2,
 *   complex device component-based discovery: the type of the device's MDS (`sdc.cdc.type:///130536`,
 *   an ISO/IEEE 11073-10101 MDC code when the coding system is left empty).
 * - `sdc.mds.pkp:<OID>`: section 9.3, participant key purpose (`1.2.840.10004.20701.1.1`: an SDC
 *   service provider).
 * - `sdc.ctxt.loc:/<root>/<extension>?fac=&bldng=&flr=&poc=&rm=&bed=`: section 9.4, context-based
 *   discovery, for the location context only; the query parameters are the LocationDetail of
 *   IEEE 11073-10207 (BICEPS pm:LocationDetail: Facility, Building, Floor, PoC, Room, Bed), section
 *   9.4.1.2. Every other context scheme of 9.4 names a person or their care: `sdc.ctxt.pat` (patient),
 *   `sdc.ctxt.ens` (ensemble), `sdc.ctxt.wfl` (workflow: orders), `sdc.ctxt.opr` (operator),
 *   `sdc.ctxt.mns` (means).
 * - `onvif://www.onvif.org/{type,hardware,Profile}/<value>`: the ONVIF Core Specification's discovery
 *   scopes for the device type, its hardware (model) and the profiles it implements. ONVIF's `name`
 *   and `location` scopes are free text a user types in: dropped.
 *
 * Everything else is dropped and counted: vendor scopes (`urn:x-acme:bedside-context:detail/...`), any
 * scope whose scheme or syntax is not exactly one of the above (a fuzz-mangled `sdc.ctxtpat:`), a
 * location with an unknown query parameter. Every part is percent-decoded before its shape is checked,
 * so a name cannot pass as `DOE%5EJANE`. The URI grammar followed is the one the open-source SDC
 * stacks implement for 9.2-9.4 (SDCri's GlueConstants, sdc11073's mk_scopes).
 */
import { isLabel, isOid } from './allow-list.js';

/** The LocationDetail query parameters (IEEE 11073-20701 9.4.1.2) and the field each goes to. */
export const LOCATION_PARAMETERS = {
  fac: 'location_facility', bldng: 'location_building', flr: 'location_floor', poc: 'location_point_of_care',
  rm: 'location_room', bed: 'location_bed',
} as const;
export type LocationField = (typeof LOCATION_PARAMETERS)[keyof typeof LOCATION_PARAMETERS];

/** Longest scope kept, and longest location value (BICEPS gives no bound; rooms and beds are short). */
const MAX_SCOPE = 512;
const MAX_LOCATION_VALUE = 64;
/** Characters a URI may hold (RFC 3986 section 2): anything else in a scope makes it malformed. */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
/** A URI or URN as a root or coding system (decoded): scheme, then URI characters without `%`. */
const URI_ID = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]{1,200}$/;
/** A code or a version: MDC codes are numbers, private ones names (`DN_VMD`). */
const CODE = /^[A-Za-z0-9._-]{1,64}$/;
const VERSION = /^[A-Za-z0-9._-]{0,32}$/;
const ONVIF = /^onvif:\/\/www\.onvif\.org\/(type|hardware|Profile)\/([A-Za-z0-9\-._~%]{1,64})$/;

export interface KeptScopes {
  /** The scopes of an allowed form, as sent. */
  kept: string[];
  /** Scopes dropped: not of an allowed form, or a part of the wrong shape. */
  dropped: number;
  /** The LocationDetail of the first location scope kept. */
  location: Partial<Record<LocationField, string>>;
}

/** Percent-decoded text; null when the encoding is broken. */
function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** `sdc.cdc.type:/` then coding system, version and code, each percent-encoded (9.2). */
function isComponentType(rest: string): boolean {
  const parts = rest.split('/');
  if (parts.length !== 3) return false;
  const [system, version, code] = parts.map(decode);
  return system !== null && version !== null && code !== null && (system === '' || URI_ID.test(system) || isOid(system))
    && VERSION.test(version) && CODE.test(code);
}

/** A location value (decoded): a short label. */
const isLocationValue = (v: string | null): v is string => v !== null && v !== '' && isLabel(v, MAX_LOCATION_VALUE);

/**
 * `sdc.ctxt.loc:/` then the instance identifier's root and extension, each percent-encoded, then the
 * LocationDetail query (9.4, 9.4.1.2). The LocationDetail read, or null when the scope is malformed.
 */
function locationOf(rest: string): Partial<Record<LocationField, string>> | null {
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const parts = path.split('/');
  if (parts.length !== 2) return null;
  const root = decode(parts[0]);
  const extension = decode(parts[1]);
  // The root names the assigning authority (`sdc.ctxt.loc.detail` when the extension is made of the
  // LocationDetail, 9.4.1.1; `biceps.uri.unk` when unknown); the extension is a location id.
  if (root === null || extension === null || !(URI_ID.test(root) || isOid(root) || /^[a-z]+(\.[a-z]+)+$/.test(root))) return null;
  if (extension.length > 256 || !extension.split('/').every((p) => p === '' || isLocationValue(p))) return null;
  const location: Partial<Record<LocationField, string>> = {};
  if (q < 0 || q === rest.length - 1) return location;
  for (const item of rest.slice(q + 1).split('&')) {
    const eq = item.indexOf('=');
    const field = eq > 0 ? (LOCATION_PARAMETERS as Record<string, LocationField>)[item.slice(0, eq)] : undefined;
    const value = decode(item.slice(eq + 1));
    if (field === undefined || !isLocationValue(value)) return null;
    location[field] ??= value;
  }
  return location;
}

/** The allowed form `scope` has (with its location), or null: it is dropped. */
function classify(scope: string): { location?: Partial<Record<LocationField, string>> } | null {
  if (scope.length > MAX_SCOPE || !URI_CHARS.test(scope)) return null;
  const colon = scope.indexOf(':');
  const scheme = scope.slice(0, colon).toLowerCase();
  const rest = scope.slice(colon + 1);
  switch (scheme) {
    case 'sdc.mds.pkp':
      return isOid(rest) ? {} : null;
    case 'sdc.cdc.type':
      return rest.startsWith('/') && isComponentType(rest.slice(1)) ? {} : null;
    case 'sdc.ctxt.loc': {
      const location = rest.startsWith('/') ? locationOf(rest.slice(1)) : null;
      return location === null ? null : { location };
    }
    case 'onvif': {
      const m = ONVIF.exec(scope);
      return m !== null && isLocationValue(decode(m[2])) ? {} : null;
    }
    default:
      return null;
  }
}

/** Scopes split into the allowed ones (with the location read) and a count of the dropped ones. */
export function keepScopes(scopes: readonly string[]): KeptScopes {
  const out: KeptScopes = { kept: [], dropped: 0, location: {} };
  let located = false;
  for (const s of scopes) {
    const form = classify(s);
    if (form === null) {
      out.dropped++;
      continue;
    }
    if (!out.kept.includes(s)) out.kept.push(s);
    if (form.location !== undefined && !located) {
      out.location = form.location;
      located = Object.keys(form.location).length > 0;
    }
  }
  return out;
}
