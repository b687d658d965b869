/**
 * The device read model: device lists with filters and keyset pagination, one device with its peers,
 * its observations. What the API and the CLI show (through StoreReader, reader.ts).
 */
import type { Classification } from '../identify/index.js';
import { jsonTextAscii } from '../output/escape.js';
import type { Device, DeviceDetail, DeviceObservation, Peer } from './device-json.js';
import { CLINICAL_TLS_PORTS, deviceClinical, type EncryptedRange, type PageEncrypted } from './clinical.js';
import { foldObservations, iso, type ObservationRow } from './evidence-fold.js';
import type { Statements } from './statements.js';
import type { AddressSource } from './store.js';
import {
  ADDRESS_SOURCES, CLASSIFICATION, deviceTextParts, deviceTexts, TEXT_COLUMNS, TEXT_KEY, TEXT_PART_COLUMNS,
  type DeviceTextParts, type TextPartRow, type TextRow, type TextSources,
} from './device-json-text.js';
import { vendorPattern, vendorTerm } from './vendor-filter.js';

/** What a device list can be ordered by (then by id, so the order is total and a cursor stable). */
export const DEVICE_SORT_KEYS = ['id', 'last_seen', 'first_seen', 'vendor', 'category', 'risk'] as const;
export type DeviceSortKey = (typeof DEVICE_SORT_KEYS)[number];

/**
 * The SQL of each sort key. vendor: the identified one, else the MAC vendor, '' when neither (first
 * ascending), compared case-insensitively; category: 'unknown' before classification, as shown.
 */
const SORT_SQL: Record<DeviceSortKey, string> = {
  id: 'd.id',
  last_seen: 'd.last_seen',
  first_seen: 'd.first_seen',
  vendor: "coalesce(c.vendor, d.mac_vendor, '') COLLATE NOCASE",
  category: "coalesce(c.category, 'unknown')",
  risk: 'coalesce(r.score, 0)',
};

/** Where a page ends: the last device's id and its sort key's value (the next page starts after both). */
export interface DevicePosition {
  id: number;
  key: string | number;
}
import { NO_RISK, type Finding, type Risk } from './finding-json.js';

export interface DeviceFilter {
  /** Exact MAC (any case/separator already normalised to aa:bb:cc:dd:ee:ff). */
  mac?: string;
  /** Devices that used this address. */
  ip?: string;
  /** Case-insensitive substring of the identified vendor or of the MAC vendor. */
  vendor?: string;
  /** Category id (fingerprints/categories.yaml), exact. */
  category?: string;
  /** Only devices identified as medical (true) or not (false). */
  medical?: boolean;
  /** Devices seen on this 802.1Q VLAN. */
  vlan?: number;
  /** Case-insensitive substring of one of the device's host names. */
  hostname?: string;
  /** Devices seen at or after this time (ms). */
  seenSinceMs?: number;
  /** Return devices with id greater than this (keyset pagination, id order ascending). */
  afterId?: number;
  /** Order (default id); `descending` reverses it. */
  sort?: DeviceSortKey;
  descending?: boolean;
  /** Return devices after this position in the order (keyset pagination, any order). */
  after?: DevicePosition;
  /** Devices whose risk score is at least this (0..100). */
  minRisk?: number;
  limit?: number;
}

type IpRow = { [K in `seen_${AddressSource}`]: number } & {
  device_id: number;
  ip: string;
  version: 4 | 6;
  dhcp_lease_seconds: number | null;
  first_seen: number;
  last_seen: number;
};
interface VlanRow {
  device_id: number;
  vlan: number;
}
interface ServiceRow {
  device_id: number;
  transport: string;
  port: number;
  flows: number;
  first_seen: number;
  last_seen: number;
}

/** The rows of a page of devices' child tables, by device id; encrypted ranges by clinical protocol. */
interface PageChildren {
  ips: Map<number, IpRow[]>;
  vlans: Map<number, VlanRow[]>;
  services: Map<number, ServiceRow[]>;
  observations: Map<number, ObservationRow[]>;
  encrypted: PageEncrypted;
  findings: Map<number, { findings: Finding[]; risk: Risk }>;
}

export interface DevicePage {
  items: Device[];
  /** The last device's id when there are more (id order: the next afterId), null on the last page. */
  nextAfterId: number | null;
  /** The last device's position when there are more, null on the last page. */
  next: DevicePosition | null;
}

/** A page of devices with each item as its JSON text (DeviceQuery.listJson; the API writes them out as bytes). */
export type DevicePageJson = Omit<DevicePage, 'items'> & { itemTexts: (string | Buffer)[] };

/** A change-feed item's JSON text around its device's. */
function changeItemText(seq: number, id: number, device: string): string {
  return `{"seq":${seq},"type":"device","id":${id},"deleted":false,"device":${device}}`;
}

/** Devices rendered as JSON text per run of this many: their rows die young (ChangeQuery.pageJson). */
export const TEXT_CHUNK = 200;

interface DeviceRow {
  id: number;
  mac: string | null;
  routed_ip: string | null;
  mac_vendor: string | null;
  mac_locally_administered: number;
  is_router: number;
  derived_from_device_id: number | null;
  derived_protocol: string | null;
  derived_field: string | null;
  derived_message_type: string | null;
  first_seen: number;
  last_seen: number;
  packets_sent: number;
  bytes_sent: number;
  packets_received: number;
  bytes_received: number;
  /** classifications.result (JSON) of the joined row, null when not classified. */
  classification: string | null;
  /** The value of the list's sort key. */
  sort_key: string | number;
}

/** The identification fields of the device object, from the stored classification. */
function identity(json: string | null): Pick<Device, 'vendor' | 'model' | 'category' | 'criticality' | 'os' | 'firmware' | 'confidence' | 'medical' | 'classification'> {
  if (json === null) {
    return { vendor: null, model: null, category: 'unknown', criticality: null, os: null, firmware: null, confidence: 0, medical: false, classification: null };
  }
  const c = JSON.parse(json) as Classification;
  return {
    vendor: c.vendor.value, model: c.model.value, category: c.category.value ?? 'unknown', criticality: c.criticality,
    os: c.os.value, firmware: c.firmware.value, confidence: c.confidence, medical: c.medical, classification: c as unknown as Record<string, unknown>,
  };
}

/** How the list reads the devices of a filtered page in id order (vendor: agent/store/vendor-filter.ts). */
interface PagePlan {
  /** Check each device (a window of ids, in id order) instead of reading the matching ids. */
  perDevice?: boolean;
  /** The matching ids beyond @afterId only (a page in id order). */
  idBound?: '<' | '>';
  /** Order the matching devices found through an index (not by walking in id order). */
  byIndex?: boolean;
}

/** A device row's columns with its classification's (DeviceRow), over `devices d LEFT JOIN classifications c`. */
const DEVICE_COLUMNS = 'd.*, c.result AS classification';

/** How a page reads its rows: the columns (the caller appends `sort_key`), whether as arrays, and where a row sits in the order. */
interface RowShape<R> {
  columns: string;
  raw: boolean;
  position: (row: R) => DevicePosition;
  /** A table the columns read beyond `devices d` and `classifications c`. */
  join?: string;
}
/** Rows for device objects. */
const OBJECT_ROWS: RowShape<DeviceRow> = { columns: DEVICE_COLUMNS, raw: false, position: (r) => ({ id: r.id, key: r.sort_key }) };
/** Rows for device texts (device-json-text.ts): arrays, much cheaper to read than objects. */
const TEXT_ROWS: RowShape<TextRow> = { columns: TEXT_COLUMNS, raw: true, position: (r) => ({ id: r[0], key: r[TEXT_KEY] }) };

/** A device's text as stored (device-texts.ts) while it is the current one, else NULL; over `devices d`, `device_texts t`, `classifications c`. */
const STORED_TEXT = `CASE WHEN t.seq = d.change_seq THEN CAST(t.before || ${CLASSIFICATION} || t.after AS BLOB) END`;
type StoredRow = [id: number, text: Buffer | null, key: string | number];
/** Rows for the device texts stored when each device was written. */
const STORED_ROWS: RowShape<StoredRow> = {
  columns: `d.id, ${STORED_TEXT}`, raw: true, position: (r) => ({ id: r[0], key: r[2] }), join: 'LEFT JOIN device_texts t ON t.device_id = d.id',
};

/**
 * The WHERE terms of a device filter over `devices d LEFT JOIN classifications c`, and their named
 * parameters: one definition for the device list and the communication graph.
 */
export function deviceFilterSql(
  f: Omit<DeviceFilter, 'afterId' | 'limit'>, o: PagePlan = {},
): { where: string[]; params: Record<string, unknown> } {
  const where: string[] = [];
  if (f.mac !== undefined) where.push('d.mac = @mac');
  if (f.ip !== undefined) where.push('d.id IN (SELECT device_id FROM device_ips WHERE ip = @ip)');
  // Checked per device when a filter reading few devices by an index comes with it.
  if (f.vendor !== undefined) where.push(vendorTerm(o.perDevice === true || f.mac !== undefined || f.ip !== undefined || f.hostname !== undefined, o.idBound));
  if (f.category !== undefined) where.push('c.category = @category');
  if (f.medical !== undefined) where.push(f.medical ? 'c.medical = 1' : '(c.medical IS NULL OR c.medical = 0)');
  if (f.seenSinceMs !== undefined) where.push('d.last_seen >= @seenSince');
  if (f.vlan !== undefined) where.push('d.id IN (SELECT device_id FROM device_vlans WHERE vlan = @vlan)');
  if (f.hostname !== undefined) {
    // The trigram index finds candidates (LIKE there is case-insensitive, and `%`/`_` in the text act as
    // wildcards: a superset); instr() on the lower-cased name keeps the literal substring matches.
    where.push(`d.id IN (SELECT h.device_id FROM hostname_search s JOIN device_hostnames h ON h.id = s.rowid
      WHERE s.name LIKE '%' || @hostname || '%' AND instr(lower(h.name), lower(@hostname)) > 0)`);
  }
  const params = {
    mac: f.mac, ip: f.ip, vendor: f.vendor === undefined ? undefined : vendorPattern(f.vendor), seenSince: f.seenSinceMs, category: f.category,
    vlan: f.vlan, hostname: f.hostname,
  };
  return { where, params };
}

/** Known from another device's message and never seen sending on the wire itself. */
export function isDerivedOnly(r: { derived_protocol: string | null; packets_sent: number }): boolean {
  return r.derived_protocol !== null && r.packets_sent === 0;
}

function derivation(r: DeviceRow): Pick<Device, 'derived'> {
  if (r.derived_protocol === null) return {};
  const field = r.derived_field ?? '';
  const from = r.derived_from_device_id;
  return {
    derived: {
      from_device: from, protocol: r.derived_protocol, field, message_type: r.derived_message_type,
      mac_source: `${r.derived_protocol} ${field} EUI-64${from !== null ? ` from device ${from}` : ''}`,
    },
  };
}

/**
 * Ids a vendor or seen-since filter's page in id order looks through, per row of the page, before it
 * reads the matching devices through an index instead: a filter matching 1 device in 16 or more fills
 * its page there.
 */
const ID_WINDOW_PER_ROW = 16;

/** Devices per page of all() (exports, snapshots). */
const ALL_PAGE = 250;

export class DeviceQuery {
  constructor(private readonly statements: Statements) {}

  /**
   * The findings and risk blocks of a page of devices (ids as a JSON array), absent for a device without
   * any (StoreReader sets it: findings are their own read model, findings.ts).
   */
  findingsOfPage: (idsJson: string) => Map<number, { findings: Finding[]; risk: Risk }> = () => new Map();

  private stmt(sql: string) {
    return this.statements.get(sql);
  }

  /** What the device texts read beyond their rows (device-json-text.ts). */
  private readonly textSources: TextSources = {
    findingsOfPage: (idsJson) => this.findingsOfPage(idsJson),
    encryptedOfPage: (idsJson) => this.encryptedOfPage(idsJson),
  };

  list(f: DeviceFilter): DevicePage {
    return this.page(f, OBJECT_ROWS, (rows) => this.toDevices(rows));
  }

  /** The same page with each device as its JSON text (the API's answer: device-json-text.ts). */
  listJson(f: DeviceFilter): DevicePageJson {
    if (this.hasStoredTexts()) {
      // Each device's bytes as stored when it was written; built now only where there are none yet.
      const { items, ...rest } = this.page(f, STORED_ROWS, (rows) => this.storedOrLive(rows.map((r) => [r[0], r[1]])));
      return { itemTexts: items, ...rest };
    }
    const { items, ...rest } = this.page(f, TEXT_ROWS, (rows) => deviceTexts(rows, this.textSources));
    return { itemTexts: items, ...rest };
  }

  /** The stored texts, in order, with the texts of the devices without one (null) built now. */
  private storedOrLive(rows: readonly (readonly [id: number, text: Buffer | null])[]): (string | Buffer)[] {
    const missing = rows.filter((r) => r[1] === null).map((r) => r[0]);
    const live = missing.length > 0 ? this.textsOf(missing) : null;
    return rows.map(([id, text]) => text ?? (live?.get(id) as string));
  }

  private page<R, T>(f: DeviceFilter, shape: RowShape<R>, build: (rows: R[]) => T[]): { items: T[]; nextAfterId: number | null; next: DevicePosition | null } {
    const sortSql = SORT_SQL[f.sort ?? 'id'];
    const idOrder = f.sort === undefined || f.sort === 'id';
    const dir = f.descending === true ? 'DESC' : 'ASC';
    const cmp = f.descending === true ? '<' : '>';
    const position: string[] = [];
    if (f.after !== undefined) position.push(idOrder ? `d.id ${cmp} @afterId` : `(${sortSql}, d.id) ${cmp} (@afterKey, @afterId)`);
    else if (f.afterId !== undefined) position.push('d.id > @afterId');
    // The risk block is joined by the list only (the graph's filter has no risk).
    if (f.minRisk !== undefined) position.push('coalesce(r.score, 0) >= @minRisk');
    const limit = Math.max(1, Math.min(f.limit ?? 100, 1000));
    const order = idOrder ? `d.id ${dir}` : `${sortSql} ${dir}, d.id ${dir}`;
    // The risk block's table only when the order or a filter reads it (an export reads 100 k rows).
    const riskJoin = f.sort === 'risk' || f.minRisk !== undefined ? 'LEFT JOIN device_risk r ON r.device_id = d.id' : '';
    const afterId = f.after?.id ?? f.afterId ?? 0;
    const params = { afterId, afterKey: f.after?.key, minRisk: f.minRisk, limitPlusOne: limit + 1 };
    // The page's ids first, joining only the tables the filter and the sort read, then the rows of those
    // ids: sorting whole rows would carry every device's classification JSON through the sorter (at
    // 100 k devices, sort=risk took 0.5 s of CPU a page; BENCHMARKS.md, bench:web). Two statements:
    // the planner weighs a filter's bound values by its statistics (sqlite_stat4, planner-stats.ts), so
    // binding new ones expires the statement that reads them and the next run compiles it again (a LIMIT
    // likewise): the ids' statement is small; the rows' (650 opcodes, 0.25 ms to compile) reads its ids
    // from a JSON array the planner does not weigh, so it is compiled once.
    const select = (plan: PagePlan, extra: string[] = [], extraParams: Record<string, unknown> = {}): R[] => {
      const filter = deviceFilterSql(f, plan);
      const where = [...position, ...filter.where, ...extra];
      const classificationJoin = /\bc\./.test([sortSql, ...where].join(' ')) ? 'LEFT JOIN classifications c ON c.device_id = d.id' : '';
      const ids = this
        .stmt(
          `SELECT d.id FROM devices d ${classificationJoin} ${riskJoin}
           ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${plan.byIndex === true ? `+${order}` : order} LIMIT @limitPlusOne`,
        )
        .pluck()
        .all({ ...filter.params, ...params, ...extraParams }) as number[];
      if (ids.length === 0) return [];
      return this
        .stmt(
          `SELECT ${shape.columns}, ${sortSql} AS sort_key FROM devices d
           LEFT JOIN classifications c ON c.device_id = d.id ${riskJoin} ${shape.join ?? ''}
           WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY ${order}`,
        )
        .raw(shape.raw)
        .all(JSON.stringify(ids)) as R[];
    };
    // A filter many devices match (a vendor, a category, medical, seen since) fills a page in id order
    // from a window of ids; reading every matching id and sorting them cost 15 ms a page at 100 k devices.
    const windowed = f.vendor !== undefined || f.seenSinceMs !== undefined || f.category !== undefined || f.medical !== undefined;
    if (!windowed || !idOrder) return this.toPage(select({}), limit, shape, build);
    const idBound = f.after !== undefined ? cmp : f.afterId !== undefined ? '>' : undefined;
    // A filter reading few devices by an index (MAC, IP address, host name) narrows more than a window.
    const narrow = f.mac !== undefined || f.ip !== undefined || f.hostname !== undefined;
    const window = narrow || (idBound === '>' && f.descending === true) ? null : this.idWindow(f.descending === true, idBound, afterId, limit, select);
    // Past the window: a vendor's matching ids; devices seen since a time through devices_last_seen, then
    // sorted (walking on in id order read 50,000 devices before the first match at 100 k, 15 ms); a
    // category or medical filter as the planner sees fit.
    const past: PagePlan = f.vendor !== undefined ? { idBound } : f.seenSinceMs !== undefined ? { byIndex: true } : {};
    return this.toPage(window ?? select(past), limit, shape, build);
  }

  private toPage<R, T>(rows: R[], limit: number, shape: RowShape<R>, build: (rows: R[]) => T[]): { items: T[]; nextAfterId: number | null; next: DevicePosition | null } {
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = more ? shape.position(page[page.length - 1]) : null;
    return { items: build(page), nextAfterId: last === null ? null : last.id, next: last };
  }

  /**
   * A vendor or seen-since filter's page in id order from the next ID_WINDOW_PER_ROW ids only, each device
   * checked: a filter that many devices match fills it there (reading every matching id would cost
   * 10-80 ms a page at 100 k devices, a filtered export that again each page). Null when the window
   * holds too few matches and goes on: then the matching devices are read through an index.
   */
  private idWindow<R>(
    descending: boolean, bound: '<' | '>' | undefined, afterId: number, limit: number,
    select: (plan: PagePlan, extra: string[], extraParams: Record<string, unknown>) => R[],
  ): R[] | null {
    const edge = this
      .stmt(`SELECT id FROM devices ${bound === undefined ? '' : `WHERE id ${bound} @afterId`} ORDER BY id ${descending ? 'DESC' : 'ASC'} LIMIT 1 OFFSET @offset`)
      .pluck()
      .get({ afterId, offset: ID_WINDOW_PER_ROW * (limit + 1) - 1 }) as number | undefined;
    const rows = select({ perDevice: true }, edge === undefined ? [] : [`d.id ${descending ? '>=' : '<='} @windowEdge`], { windowEdge: edge });
    return rows.length > limit || edge === undefined ? rows : null;
  }

  /**
   * Every device, in id order, for exports: pages of ALL_PAGE devices. Small pages on purpose: a page
   * with its rows and device objects stays within V8's young generation, so it dies there cheaply;
   * pages of 1,000 outgrew it, got copied to the old generation, and garbage collection took half of
   * a 100 k device export's CPU time (BENCHMARKS.md).
   */
  *all(f: Omit<DeviceFilter, 'afterId' | 'limit'> = {}): Generator<Device> {
    let afterId = 0;
    for (;;) {
      const { items, nextAfterId } = this.list({ ...f, sort: 'id', descending: false, after: undefined, afterId, limit: ALL_PAGE });
      yield* items;
      if (nextAfterId === null) return;
      afterId = nextAfterId;
    }
  }

  get(id: number): DeviceDetail | null {
    const d = this.device(id);
    return d === null ? null : { ...d, peers: this.peers(id) };
  }

  /** One device without its peers. */
  device(id: number): Device | null {
    const row = this
      .stmt(`SELECT ${DEVICE_COLUMNS} FROM devices d LEFT JOIN classifications c ON c.device_id = d.id WHERE d.id = ?`)
      .get(id) as DeviceRow | undefined;
    return row ? this.toDevices([row])[0] : null;
  }

  /** The devices whose change sequence value is above `since`, in that order, at most `limit` (the change feed). */
  changedAfter(since: number, limit: number): { seq: number; device: Device }[] {
    const rows = this.changedRows(OBJECT_ROWS, since, limit);
    const devices = this.toDevices(rows);
    return rows.map((r, i) => ({ seq: r.sort_key as number, device: devices[i] }));
  }

  /**
   * The next `count` devices whose change sequence value is above `since`, as change-feed items' JSON
   * texts (device-json-text.ts; not joined: the API writes each as bytes), and the last one's value
   * (ChangeQuery.pageJson).
   */
  changedJson(since: number, count: number): { texts: (string | Buffer)[]; lastSeq: number } {
    if (!this.hasStoredTexts()) {
      const rows = this.changedRows(TEXT_ROWS, since, count);
      const texts = deviceTexts(rows, this.textSources);
      for (let i = 0; i < rows.length; i++) texts[i] = changeItemText(rows[i][TEXT_KEY] as number, rows[i][0], texts[i]);
      return { texts, lastSeq: rows.length > 0 ? (rows[rows.length - 1][TEXT_KEY] as number) : since };
    }
    // The item's bytes as stored (device-texts.ts) when the text is the device's current one: SQLite
    // copies them, nothing is built or encoded here. NULL: no text yet, or an older one.
    const rows = this
      .stmt(
        `SELECT d.id, d.change_seq, CASE WHEN t.seq = d.change_seq THEN CAST('{"seq":' || d.change_seq || ',"type":"device","id":' || d.id
           || ',"deleted":false,"device":' || t.before || ${CLASSIFICATION} || t.after || '}' AS BLOB) END
         FROM devices d LEFT JOIN device_texts t ON t.device_id = d.id LEFT JOIN classifications c ON c.device_id = d.id
         WHERE d.change_seq > +? ORDER BY d.change_seq LIMIT +?`,
      )
      .raw()
      .all(since, count) as [id: number, seq: number, item: Buffer | null][];
    const texts = this.storedOrLive(rows.map((r) => [r[0], r[2]]));
    rows.forEach(([id, seq, item], i) => {
      if (item === null) texts[i] = changeItemText(seq, id, texts[i] as string);
    });
    return { texts, lastSeq: rows.length > 0 ? rows[rows.length - 1][1] : since };
  }

  /** Whether the database has device_texts (migration 18): a reader may open a database no writer has migrated yet. */
  private hasStoredTexts(): boolean {
    this.storedTexts ||= this.stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'device_texts'").get() !== undefined;
    return this.storedTexts;
  }
  private storedTexts = false;

  /** The JSON texts of devices `ids`, built from their rows (device-json-text.ts), by id. */
  textsOf(ids: readonly number[]): Map<number, string> {
    const rows = this
      .stmt(`SELECT ${TEXT_COLUMNS}, d.change_seq FROM devices d LEFT JOIN classifications c ON c.device_id = d.id WHERE d.id IN (SELECT value FROM json_each(?))`)
      .raw()
      .all(JSON.stringify(ids)) as TextRow[];
    const texts = deviceTexts(rows, this.textSources);
    return new Map(rows.map((r, i) => [r[0], texts[i]]));
  }

  /**
   * Devices whose stored text (device-texts.ts) is missing, stale (built at another change_seq) or not
   * byte for byte the text built live now (written in ASCII only), described one a line: none when every stored text holds.
   */
  storedTextProblems(): string[] {
    const problems: string[] = [];
    const rows = this
      .stmt(
        `SELECT d.id, d.change_seq, t.seq, CAST(t.before || ${CLASSIFICATION} || t.after AS TEXT) FROM devices d
         LEFT JOIN device_texts t ON t.device_id = d.id LEFT JOIN classifications c ON c.device_id = d.id ORDER BY d.id`,
      )
      .raw()
      .all() as [id: number, seq: number, textSeq: number | null, text: string | null][];
    for (let i = 0; i < rows.length; i += TEXT_CHUNK) {
      const chunk = rows.slice(i, i + TEXT_CHUNK);
      const live = this.textsOf(chunk.map((r) => r[0]));
      for (const [id, seq, textSeq, text] of chunk) {
        if (textSeq === null) problems.push(`device ${id}: no stored text`);
        else if (textSeq !== seq) problems.push(`device ${id}: stored text of seq ${textSeq}, device at ${seq}`);
        // Stored in ASCII only (device-texts.ts), the text built live is not: compared escaped.
        else if (text !== jsonTextAscii(live.get(id) ?? '')) problems.push(`device ${id}: stored ${text}\n  live   ${live.get(id)}`);
      }
    }
    const orphans = this.stmt('SELECT device_id FROM device_texts WHERE device_id NOT IN (SELECT id FROM devices)').pluck().all() as number[];
    for (const id of orphans) problems.push(`device ${id}: stored text of a device removed`);
    return problems;
  }

  /** The parts of devices `ids`' JSON texts around their classification explanations (device-texts.ts stores them). */
  textParts(ids: readonly number[]): DeviceTextParts[] {
    const rows = this
      .stmt(`SELECT ${TEXT_PART_COLUMNS} FROM devices d LEFT JOIN classifications c ON c.device_id = d.id WHERE d.id IN (SELECT value FROM json_each(?))`)
      .raw()
      .all(JSON.stringify(ids)) as TextPartRow[];
    return deviceTextParts(rows, this.textSources);
  }

  private changedRows<R>(shape: RowShape<R>, since: number, limit: number): R[] {
    // `+?`: values the planner cannot read. With the planner's statistics (sqlite_stat4, planner-stats.ts)
    // SQLite weighs a bound range or LIMIT by its value, so binding new ones expired the statement and
    // every run compiled its 650 opcodes again: 0.2 ms a run, 0.1 s of a 100 k-device
    // catch-up in runs of TEXT_CHUNK. The plan is the same either way (the change_seq index, in order).
    return this
      .stmt(
        `SELECT ${shape.columns}, d.change_seq AS sort_key FROM devices d LEFT JOIN classifications c ON c.device_id = d.id
         WHERE d.change_seq > +? ORDER BY d.change_seq LIMIT +?`,
      )
      .raw(shape.raw)
      .all(since, limit) as R[];
  }

  /** Device ids matching a MAC, an IP address it used, or an id (for `auscult explain`). */
  find(key: string): number[] {
    if (/^\d+$/.test(key)) return this.stmt('SELECT id FROM devices WHERE id = ?').pluck().all(Number(key)) as number[];
    const mac = key.toLowerCase().replace(/-/g, ':');
    const byMac = this.stmt('SELECT id FROM devices WHERE mac = ?').pluck().all(mac) as number[];
    if (byMac.length) return byMac;
    return this
      .stmt('SELECT id FROM devices WHERE routed_ip = ? UNION SELECT device_id FROM device_ips WHERE ip = ? ORDER BY 1')
      .pluck()
      .all(key, key) as number[];
  }

  /** Category ids that classified devices have (a user library may add categories the built-in one lacks). */
  categories(): string[] {
    return this.stmt('SELECT DISTINCT category FROM classifications ORDER BY 1').pluck().all() as string[];
  }

  /** The evidence behind a device, newest first. */
  observations(id: number): DeviceObservation[] | null {
    if (this.stmt('SELECT 1 FROM devices WHERE id = ?').get(id) === undefined) return null;
    return (this.stmt('SELECT source, fields, first_seen, last_seen, count FROM observations WHERE device_id = ? ORDER BY last_seen DESC, source, fields').all(id) as ObservationRow[]).map((o) => ({
      source: o.source, fields: JSON.parse(o.fields) as Record<string, unknown>,
      first_seen: iso(o.first_seen), last_seen: iso(o.last_seen), count: o.count,
    }));
  }


  /** Host names and per-protocol facts, folded from the observations (and the clinical block). */
  private evidence(id: number, c: PageChildren): Pick<Device, 'hostnames' | 'evidence' | 'clinical'> {
    const { hostnames, evidence, parsed } = foldObservations(c.observations.get(id) ?? [], true);
    return { hostnames, evidence, clinical: deviceClinical(id, evidence, parsed, c.encrypted) };
  }

  /**
   * What the devices `ids` need besides their own rows, one query per table for the whole page (a
   * query per device and table made exports of 100 k devices take a minute).
   */
  private children(ids: readonly number[]): PageChildren {
    const json = JSON.stringify(ids);
    // A dense page (an export in id order) reads an id range through the primary keys; a sparse one
    // (a filter, another order) its ids. Rows of devices in the range but not on the page are skipped.
    const lo = ids[0] - 1;
    const hi = ids[ids.length - 1];
    const dense = hi - lo <= 2 * ids.length && ids.every((id, i) => i === 0 || id > ids[i - 1]);
    const wanted = dense && hi - lo !== ids.length ? new Set(ids) : null;
    const IN = dense ? 'device_id > @lo AND device_id <= @hi' : 'device_id IN (SELECT value FROM json_each(@ids))';
    const params = dense ? { lo, hi } : { ids: json };
    const group = <R extends { device_id: number }>(rows: R[]): Map<number, R[]> => {
      const m = new Map<number, R[]>();
      for (const r of rows) {
        if (wanted !== null && !wanted.has(r.device_id)) continue;
        const list = m.get(r.device_id);
        if (list === undefined) m.set(r.device_id, [r]);
        else list.push(r);
      }
      return m;
    };
    const ips = group(this.stmt(
      `SELECT device_id, ip, version, seen_arp, seen_ndp, seen_dhcp, seen_dhcpv6, seen_lldp, seen_cdp, seen_traffic,
         dhcp_lease_seconds, first_seen, last_seen
       FROM device_ips WHERE ${IN} ORDER BY device_id, first_seen, ip`,
    ).all(params) as IpRow[]);
    const vlans = group(this.stmt(`SELECT device_id, vlan FROM device_vlans WHERE ${IN} ORDER BY device_id, vlan`).all(params) as VlanRow[]);
    const services = group(this.stmt(
      `SELECT device_id, transport, port, flows, first_seen, last_seen FROM services WHERE ${IN} ORDER BY device_id, transport, port`,
    ).all(params) as ServiceRow[]);
    const observations = group(this.stmt(
      `SELECT device_id, source, fields, first_seen, last_seen, count FROM observations WHERE ${IN}
       ORDER BY device_id, last_seen DESC, source, fields`,
    ).all(params) as (ObservationRow & { device_id: number })[]);
    return { ips, vlans, services, observations, encrypted: this.encryptedOfPage(json), findings: this.findingsOfPage(json) };
  }

  /** The encrypted conversations of the devices `idsJson` (a JSON array), by clinical protocol (clinical.ts). */
  private encryptedOfPage(idsJson: string): PageEncrypted {
    return new Map(CLINICAL_TLS_PORTS.map(({ source, protocol, port }) => [protocol, this.encryptedConversations(idsJson, source, port)]));
  }

  /**
   * First and last encrypted conversation of a clinical protocol (`source`) of each device, as client
   * or server: `onPort` on the protocol's own TLS port (DICOM: dicom-tls); `any` adds TLS on any port
   * with a peer that also spoke the protocol in clear elsewhere (known peers), for a device that
   * speaks it in clear itself.
   */
  private encryptedConversations(idsJson: string, source: string, port: number): Map<number, { onPort: EncryptedRange | null; any: EncryptedRange | null }> {
    const rows = this
      .stmt(
        `SELECT dev, min(CASE WHEN port = @port THEN f END) AS pf, max(CASE WHEN port = @port THEN l END) AS pl,
                min(CASE WHEN port = @port OR known THEN f END) AS af, max(CASE WHEN port = @port OR known THEN l END) AS al
         FROM (
           SELECT dev, f, l, port, (tls = 1 AND EXISTS (SELECT 1 FROM observations o WHERE o.device_id = peer AND o.source = @source)) AS known
           FROM (
             SELECT client_device_id AS dev, first_seen AS f, last_seen AS l, server_device_id AS peer, port, tls FROM edges
               WHERE client_device_id IN (SELECT value FROM json_each(@ids)) AND transport = 'tcp'
             UNION ALL
             SELECT server_device_id, first_seen, last_seen, client_device_id, port, tls FROM edges
               WHERE server_device_id IN (SELECT value FROM json_each(@ids)) AND transport = 'tcp'))
         GROUP BY dev HAVING af IS NOT NULL`,
      )
      .all({ ids: idsJson, port, source }) as { dev: number; pf: number | null; pl: number | null; af: number; al: number }[];
    const out = new Map<number, { onPort: EncryptedRange | null; any: EncryptedRange | null }>();
    for (const r of rows) {
      out.set(r.dev, {
        onPort: r.pf === null || r.pl === null ? null : { first_seen: iso(r.pf), last_seen: iso(r.pl) },
        any: { first_seen: iso(r.af), last_seen: iso(r.al) },
      });
    }
    return out;
  }

  /** Devices from their rows, their children read a page at a time. */
  private toDevices(rows: readonly DeviceRow[]): Device[] {
    if (rows.length === 0) return [];
    const c = this.children(rows.map((r) => r.id));
    return rows.map((r) => this.toDevice(r, c));
  }

  private toDevice(r: DeviceRow, c: PageChildren): Device {
    return { ...this.head(r, c), ...identity(r.classification), ...(c.findings.get(r.id) ?? { findings: [], risk: NO_RISK }) };
  }

  /** The fields of a device object before its identity: what its rows and child rows say. */
  private head(r: DeviceRow, c: PageChildren): Omit<Device, keyof ReturnType<typeof identity> | 'findings' | 'risk'> {
    const ips = c.ips.get(r.id) ?? [];
    const vlans = (c.vlans.get(r.id) ?? []).map((v) => v.vlan);
    const services = (c.services.get(r.id) ?? []).map(({ device_id: _id, ...s }) => s);
    return {
      id: r.id,
      mac: r.mac,
      mac_vendor: r.mac_vendor,
      mac_locally_administered: r.mac_locally_administered === 1,
      kind: r.mac === null ? 'routed' : isDerivedOnly(r) ? 'derived' : 'layer2',
      ...derivation(r),
      is_router: r.is_router === 1,
      ips: ips.map((a) => ({
        ip: a.ip,
        version: a.version,
        sources: ADDRESS_SOURCES.filter((src) => a[`seen_${src}`] === 1),
        dhcp_lease_seconds: a.dhcp_lease_seconds,
        first_seen: iso(a.first_seen),
        last_seen: iso(a.last_seen),
      })),
      vlans,
      first_seen: iso(r.first_seen),
      last_seen: iso(r.last_seen),
      packets: r.packets_sent + r.packets_received,
      bytes: r.bytes_sent + r.bytes_received,
      packets_sent: r.packets_sent,
      bytes_sent: r.bytes_sent,
      packets_received: r.packets_received,
      bytes_received: r.bytes_received,
      services: services.map((s) => ({ ...s, first_seen: iso(s.first_seen), last_seen: iso(s.last_seen) })),
      ...this.evidence(r.id, c),
    };
  }

  private peers(id: number): Peer[] {
    const rows = this
      .stmt(
        `SELECT 'client' AS role, client_ip AS local_ip, server_ip AS peer_ip, server_device_id AS peer_id,
                transport, port, flows, packets_to_server AS ps, bytes_to_server AS bs,
                packets_to_client AS pr, bytes_to_client AS br, first_seen, last_seen, tls
         FROM edges WHERE client_device_id = @id
         UNION ALL
         SELECT 'server', server_ip, client_ip, client_device_id, transport, port, flows,
                packets_to_client, bytes_to_client, packets_to_server, bytes_to_server, first_seen, last_seen, tls
         FROM edges WHERE server_device_id = @id
         ORDER BY first_seen, peer_ip, port`,
      )
      .all({ id }) as {
        role: 'client' | 'server'; local_ip: string; peer_ip: string; peer_id: number; transport: string; port: number;
        flows: number; ps: number; bs: number; pr: number; br: number; first_seen: number; last_seen: number; tls: number;
      }[];
    return rows.map((p) => ({
      role: p.role,
      local_ip: p.local_ip,
      peer_ip: p.peer_ip,
      peer_device_id: p.peer_id === 0 ? null : p.peer_id,
      transport: p.transport,
      port: p.port,
      flows: p.flows,
      packets_sent: p.ps,
      bytes_sent: p.bs,
      packets_received: p.pr,
      bytes_received: p.br,
      tls: p.tls === 1,
      first_seen: iso(p.first_seen),
      last_seen: iso(p.last_seen),
    }));
  }
}
