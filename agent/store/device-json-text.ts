/**
 * The device object as JSON text, for the API's answers, mostly built by SQLite: the bytes the routes'
 * schema serialiser (fast-json-stringify) made of the device object of device-query.ts, in the
 * schema's order, except `derived` (an optional union there), which that serialiser wrote last, after
 * `risk`, and so does this. api/json-text.test.ts compares the two on real ingests, hostile strings
 * included.
 *
 * Why SQLite writes it: reading a device's 30 columns and its child rows as JavaScript objects, then
 * serialising them again, cost ~40 µs of CPU per device (a catch-up of the change feed at 100 k devices
 * spent 4-5 s there). SQLite's json_quote() escapes a string exactly as JSON.stringify does (quote,
 * backslash, \b \t \n \f \r, other controls as lower-case \u00xx, everything else as it is; stored text
 * is valid UTF-8, so no lone surrogate reaches it), integers print the same, and datetime(..., 'subsec')
 * formats a whole number of milliseconds in 0000-9999 as toISOString() does (auscult_iso, the
 * JavaScript formatter, takes anything else). What needs JavaScript stays there: folding the
 * observations (host names, evidence, the clinical block), findings and risk.
 *
 * The `classification` explanation (half the bytes of a device) is the stored `classifications.result`
 * spliced in as it is: the classifier stores `JSON.stringify(classification)` in ASCII only (every
 * non-ASCII character as a \u escape, agent/output/escape.ts jsonAscii; a database written before
 * holds it unescaped), and that is its own re-serialisation after the API's escaping (JSON.parse keeps
 * key order and every value; numbers print back the same shortest form; lone surrogates stay \u
 * escapes).
 */
import type Database from 'better-sqlite3';
import { BINDING_PROTOCOLS } from '../dissectors/types.js';
import { deviceClinical, isClinicalSource, type PageEncrypted } from './clinical.js';
import { EvidenceFold, iso } from './evidence-fold.js';
import { NO_RISK, type Finding, type Risk } from './finding-json.js';
import type { AddressSource } from './store.js';

/** The last millisecond datetime() formats with a four-digit year (9999-12-31T23:59:59.999Z). */
const LAST_ISO_MS = 253_402_300_799_999;

/** Register the SQL functions the text's SQL calls (on every connection that reads devices: StoreReader does). */
export function registerTextFunctions(db: Database.Database): void {
  db.function('auscult_iso', { deterministic: true }, (ms: unknown) => iso(Number(ms)));
}

/** SQL: the ISO text of a time in ms, as iso() (evidence-fold.ts) writes it. */
function isoSql(x: string): string {
  return `CASE WHEN typeof(${x}) = 'integer' AND ${x} BETWEEN 0 AND ${LAST_ISO_MS}
    THEN replace(datetime(${x} / 1000.0, 'unixepoch', 'subsec'), ' ', 'T') || 'Z' ELSE auscult_iso(${x}) END`;
}

const bool = (x: string) => `CASE WHEN ${x} = 1 THEN 'true' ELSE 'false' END`;

/** An address's sources in the order the device object lists them. */
export const ADDRESS_SOURCES: readonly AddressSource[] = ['arp', 'ndp', ...BINDING_PROTOCOLS, 'traffic'];

const IP_TEXT = `'{"ip":' || json_quote(ip) || ',"version":' || version || ',"sources":['
  || substr(${ADDRESS_SOURCES.map((s) => `CASE WHEN seen_${s} = 1 THEN ',"${s}"' ELSE '' END`).join(' || ')}, 2)
  || '],"dhcp_lease_seconds":' || coalesce(dhcp_lease_seconds, 'null')
  || ',"first_seen":"' || ${isoSql('first_seen')} || '","last_seen":"' || ${isoSql('last_seen')} || '"}'`;

const SERVICE_TEXT = `'{"transport":' || json_quote(transport) || ',"port":' || port || ',"flows":' || flows
  || ',"first_seen":"' || ${isoSql('first_seen')} || '","last_seen":"' || ${isoSql('last_seen')} || '"}'`;

/**
 * The object from `{"id"` through `services` (no closing brace), over `devices d`. VLANs and services
 * are concatenated from a subquery already in their order (their primary key's): an aggregate's own
 * ORDER BY sorted each device's rows in a temporary b-tree of their own. The subquery is not merged
 * into the aggregate (SQLite does not flatten an ordered subquery under one), so its rows arrive in
 * order; api/json-text.test.ts holds VLANs and services inserted out of order to it.
 */
const HEAD = `'{"id":' || d.id || ',"mac":' || json_quote(d.mac) || ',"mac_vendor":' || json_quote(d.mac_vendor)
  || ',"mac_locally_administered":' || ${bool('d.mac_locally_administered')}
  || ',"kind":' || CASE WHEN d.mac IS NULL THEN '"routed"' WHEN d.derived_protocol IS NOT NULL AND d.packets_sent = 0 THEN '"derived"' ELSE '"layer2"' END
  || ',"is_router":' || ${bool('d.is_router')}
  || ',"ips":[' || coalesce((SELECT group_concat(${IP_TEXT}, ',' ORDER BY first_seen, ip) FROM device_ips WHERE device_id = d.id), '')
  || '],"vlans":[' || coalesce((SELECT group_concat(vlan, ',') FROM (SELECT vlan FROM device_vlans WHERE device_id = d.id ORDER BY vlan)), '')
  || '],"first_seen":"' || ${isoSql('d.first_seen')} || '","last_seen":"' || ${isoSql('d.last_seen')}
  || '","packets":' || (d.packets_sent + d.packets_received) || ',"bytes":' || (d.bytes_sent + d.bytes_received)
  || ',"packets_sent":' || d.packets_sent || ',"bytes_sent":' || d.bytes_sent
  || ',"packets_received":' || d.packets_received || ',"bytes_received":' || d.bytes_received
  || ',"services":[' || coalesce((SELECT group_concat(t, ',') FROM (SELECT ${SERVICE_TEXT} AS t FROM services WHERE device_id = d.id ORDER BY transport, port)), '') || ']'`;

/**
 * The observations, newest first, as one JSON array (its brackets written here: no concatenation in
 * JavaScript before the parse) of [source, fields, first_seen, last_seen] (times as ISO text): one
 * JSON.parse for all of a device's rows. NULL without any.
 */
const OBSERVATIONS = `('[' || (SELECT group_concat('[' || json_quote(source) || ',' || fields || ',"' || ${isoSql('first_seen')} || '","' || ${isoSql('last_seen')} || '"]',
  ',' ORDER BY last_seen DESC, source, fields) FROM observations WHERE device_id = d.id) || ']')`;

/**
 * `,"vendor":` through `"classification":` (the identity from the classification's columns), over
 * `classifications c`; the explanation itself is CLASSIFICATION, spliced after it.
 */
const IDENTITY = `CASE WHEN c.result IS NULL
  THEN ',"vendor":null,"model":null,"category":"unknown","criticality":null,"os":null,"firmware":null,"confidence":0,"medical":false,"classification":'
  ELSE ',"vendor":' || json_quote(c.vendor) || ',"model":' || json_quote(c.model) || ',"category":' || json_quote(coalesce(c.category, 'unknown'))
    || ',"criticality":' || json_quote(c.criticality) || ',"os":' || json_quote(c.os) || ',"firmware":' || json_quote(c.firmware)
    || ',"confidence":' || coalesce(c.confidence, 0) || ',"medical":' || ${bool('c.medical')} || ',"classification":' END`;

/** The classification explanation's JSON text, over `classifications c`: stored as it is shown. */
export const CLASSIFICATION = "coalesce(c.result, 'null')";

/** `,"derived":{...}` for a device known from another device's message (device-query.ts derivation()), else NULL. */
const DERIVED = `CASE WHEN d.derived_protocol IS NOT NULL THEN ',"derived":{"from_device":' || coalesce(d.derived_from_device_id, 'null')
  || ',"protocol":' || json_quote(d.derived_protocol) || ',"field":' || json_quote(coalesce(d.derived_field, ''))
  || ',"message_type":' || json_quote(d.derived_message_type)
  || ',"mac_source":' || json_quote(d.derived_protocol || ' ' || coalesce(d.derived_field, '') || ' EUI-64'
    || CASE WHEN d.derived_from_device_id IS NULL THEN '' ELSE ' from device ' || d.derived_from_device_id END) || '}' END`;

/** What else a device needs read: 1, findings or a risk block; 2, conversations (the clinical block's encrypted ones). */
const NEEDS = `(CASE WHEN EXISTS (SELECT 1 FROM device_risk WHERE device_id = d.id) OR EXISTS (SELECT 1 FROM findings WHERE device_id = d.id) THEN 1 ELSE 0 END)
  + (CASE WHEN EXISTS (SELECT 1 FROM edges WHERE client_device_id = d.id) OR EXISTS (SELECT 1 FROM edges WHERE server_device_id = d.id) THEN 2 ELSE 0 END)`;

/**
 * The columns of a text row (TextRow, read raw: an array per row) over `devices d LEFT JOIN
 * classifications c`; the caller appends its key column (the list's sort key, the feed's seq).
 */
export const TEXT_COLUMNS = `d.id, ${HEAD}, ${OBSERVATIONS}, ${IDENTITY}, ${DERIVED}, ${NEEDS}, ${CLASSIFICATION}`;
/** TEXT_COLUMNS without the classification explanation (what device_texts stores: device-texts.ts). */
export const TEXT_PART_COLUMNS = `d.id, ${HEAD}, ${OBSERVATIONS}, ${IDENTITY}, ${DERIVED}, ${NEEDS}`;

/** A row of TEXT_PART_COLUMNS, as better-sqlite3 returns it in raw mode. */
type TextPart = [id: number, head: string, observations: string | null, identity: string, derived: string | null, needs: number];
/** A row of TEXT_PART_COLUMNS or of TEXT_COLUMNS (its columns beyond TEXT_PART_COLUMNS' not read). */
export type TextPartRow = [...TextPart, ...unknown[]];
/** A row of TEXT_COLUMNS and the caller's key. */
export type TextRow = [...TextPart, classification: string, key: string | number];
const TEXT_CLASSIFICATION = 6;
export const TEXT_KEY = 7;

/** The tail of a device without findings (most devices). */
const NO_FINDINGS = `,"findings":[],"risk":${JSON.stringify(NO_RISK)}`;
/** The middle of a device without observations nor conversations. */
const NO_EVIDENCE = ',"hostnames":[],"evidence":{},"clinical":null';
const NONE: PageEncrypted = new Map();

/** What the text reads beyond its row: the findings and risk blocks, the encrypted conversations (ids as a JSON array). */
export interface TextSources {
  findingsOfPage: (idsJson: string) => Map<number, { findings: Finding[]; risk: Risk }>;
  encryptedOfPage: (idsJson: string) => PageEncrypted;
}

/** The devices of `rows` as JSON texts, in order. */
export function deviceTexts(rows: readonly TextRow[], read: TextSources): string[] {
  return deviceTextParts(rows, read).map((p, i) => `${p.before}${rows[i][TEXT_CLASSIFICATION]}${p.after}`);
}

/** A device's JSON text around its classification explanation: before + explanation + after. */
export interface DeviceTextParts {
  id: number;
  /** `{"id":...` through `"classification":`. */
  before: string;
  /** `,"findings":...` through the closing brace. */
  after: string;
}

/** The devices of `rows` as the parts of their JSON texts, in order. */
export function deviceTextParts(rows: readonly TextPartRow[], read: TextSources): DeviceTextParts[] {
  const withFindings: number[] = [];
  const withEdges: number[] = [];
  for (const r of rows) {
    if ((r[5] & 1) !== 0) withFindings.push(r[0]);
    if ((r[5] & 2) !== 0) withEdges.push(r[0]);
  }
  const findings = withFindings.length > 0 ? read.findingsOfPage(JSON.stringify(withFindings)) : null;
  const encrypted = withEdges.length > 0 ? read.encryptedOfPage(JSON.stringify(withEdges)) : NONE;
  return rows.map(([id, head, observations, identity, derived, needs]) => {
    const f = findings?.get(id);
    const tail = f === undefined ? NO_FINDINGS : `,"findings":${JSON.stringify(f.findings)},"risk":${JSON.stringify(f.risk)}`;
    const before = `${head}${observations === null && (needs & 2) === 0 ? NO_EVIDENCE : evidenceText(id, observations, encrypted)}${identity}`;
    return { id, before, after: `${tail}${derived ?? ''}}` };
  });
}

/** `,"hostnames":...,"evidence":...,"clinical":...` of device `id`. */
function evidenceText(id: number, observations: string | null, encrypted: PageEncrypted): string {
  const fold = new EvidenceFold(isClinicalSource);
  if (observations !== null) {
    for (const [source, fields, first, last] of JSON.parse(observations) as [string, Record<string, unknown>, string, string][]) {
      fold.add(source, fields, first, last);
    }
  }
  const clinical = deviceClinical(id, fold.evidence, fold.parsed, encrypted);
  return `,"hostnames":${JSON.stringify(fold.hostnames())},"evidence":${JSON.stringify(fold.evidence)},"clinical":${JSON.stringify(clinical)}`;
}
