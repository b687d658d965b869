/**
 * Read-only access to the inventory: everything the API routes, the CLI and identification read, and
 * nothing that writes. `StoreReader.open(path)` opens its own read-only connection (the API, `auscult
 * devices`, `explain`: WAL, so it never blocks a capture writing the same file); the writer's Store
 * has one over its own connection (`store.reader`: identification reads what the flush just wrote).
 */
import type Database from 'better-sqlite3';
import { ChangeQuery, changeVersionOf, type ChangePage, type ChangePageJson } from './change-query.js';
import type { Device, DeviceDetail, DeviceObservation } from './device-json.js';
import { registerTextFunctions } from './device-json-text.js';
import { DeviceQuery, type DeviceFilter, type DevicePage, type DevicePageJson } from './device-query.js';
import { FactsQuery, type DeviceFactsRow } from './facts-query.js';
import { GraphQuery, type Graph, type GraphOptions } from './graph-query.js';
import { lastLiveIngest, type LiveIngest } from './ingest-query.js';
import { ingestOverview, ingestRows, type IngestRow, type IngestStatus } from './ingests.js';
import { Statements } from './statements.js';
import { EventQuery, type EventFilter } from './events.js';
import { latestCaptureCounters, type StoredCaptureCounters } from './capture-counters.js';
import type { AuscultEvent, EventType } from '../export/event.js';
import { TOKEN_COLUMNS, tokenRow, type ApiTokenRow } from './api-tokens.js';
import type { EventSource } from '../export/event-source.js';
import { FindingsQuery, type FindingFilter, type FindingInput, type FindingPoints } from './findings.js';
import type { Finding, Risk } from './finding-json.js';
import { AdvisoryStore } from './advisories.js';
import type { Advisory } from '../risk/csaf.js';
import type { NetworkIndicator } from '../risk/advisory-ioc.js';
import { openDatabase } from './database.js';
import { readForwardPositions, type ForwardPosition } from './forward-positions.js';

/** What `/health` reports of the database. */
export interface StoreHealth {
  /** PRAGMA user_version: the migrations applied. */
  schemaVersion: number;
  devices: number;
  /** The most recent capture run, null before the first. */
  lastIngest: IngestRow | null;
  /** Capture runs by status as readers show them (a running one whose writer is gone is interrupted). */
  ingests: Record<IngestStatus, number>;
  /** The counters a live capture wrote at its last flush (this process's or another's), null before any. */
  capture: StoredCaptureCounters | null;
}

/** How much of the database file a reader's connection maps (SQLite's own cap is 2 GB here). */
const READER_MMAP_BYTES = 1 << 30;

export class StoreReader {
  private readonly stmt: Statements;
  private readonly query: DeviceQuery;
  private readonly facts: FactsQuery;
  private readonly eventQuery: EventQuery;
  private readonly graphQuery: GraphQuery;
  private readonly feed: ChangeQuery;
  private readonly findingsQuery: FindingsQuery;
  /** changeVersion() as of dataVersion() `versionAt` (read-only connections only; -1: none yet). */
  private versionAt = -1;
  private version = '';

  /** A read-only connection of its own to the database at `path` (UserFacingError when there is none). */
  static open(path: string): StoreReader {
    const db = openDatabase(path, { readonly: true });
    // Pages read through a memory map instead of a read() each into SQLite's 2 MB cache: a catch-up of
    // the change feed at 100 k devices read 57,000 pages that way (a third of its SQL's CPU). The pages
    // are the OS's file cache, shared and reclaimable (they show in this process's RSS once touched).
    // Only the reader's connection: a writer's maps would see the file grow under them. The map is
    // safe in WAL mode; nothing here shrinks the file (no VACUUM, no auto_vacuum).
    db.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
    return new StoreReader(db, true);
  }

  /**
   * Over an open connection (the Store passes its own). `owned`: close() closes the connection; the
   * Store's reader leaves it to the Store.
   */
  constructor(private readonly db: Database.Database, private readonly owned = false) {
    registerTextFunctions(db);
    this.stmt = new Statements(db);
    this.query = new DeviceQuery(this.stmt);
    this.facts = new FactsQuery(this.stmt);
    this.eventQuery = new EventQuery(this.stmt);
    this.graphQuery = new GraphQuery(this.stmt);
    this.feed = new ChangeQuery(this.stmt, this.query);
    this.findingsQuery = new FindingsQuery(this.stmt);
    this.query.findingsOfPage = (idsJson) => this.findingsQuery.ofDevices(idsJson);
  }

  /** The database file (tests open a writer beside the reader on it). */
  get path(): string {
    return this.db.name;
  }

  /** Whether the connection itself refuses writes (one opened by StoreReader.open). */
  get readonly(): boolean {
    return this.db.readonly;
  }

  /** Run `read` in one read transaction: every read in it sees the same committed state. */
  snapshot<T>(read: () => T): T {
    return this.db.transaction(read)();
  }

  // The device read model (API, CLI).

  /** One page of devices, filtered, in id order or another (keyset pagination: `afterId`, `after`). */
  listDevices(f: DeviceFilter): DevicePage {
    return this.query.list(f);
  }

  /** The same page, each device as its JSON text: the bytes JSON.stringify makes of listDevices' objects (the API's answer). */
  listDevicesJson(f: DeviceFilter): DevicePageJson {
    return this.query.listJson(f);
  }

  /**
   * The change feed: devices changed and tombstones of devices removed after sequence value `since`,
   * in sequence order, at most `limit`, with the sequence's high-water mark, in one snapshot.
   */
  changes(since: number, limit: number): ChangePage {
    return this.snapshot(() => this.feed.page(since, limit));
  }

  /** Devices whose stored text differs from the text built live (none: every one holds; device-texts.ts), in one snapshot. */
  storedTextProblems(): string[] {
    return this.snapshot(() => this.query.storedTextProblems());
  }

  /** The same page of the change feed, each item as its JSON text (the API's answer). */
  changesJson(since: number, limit: number): ChangePageJson {
    return this.snapshot(() => this.feed.pageJson(since, limit));
  }

  /**
   * The same page read one run of devices per step (a generator): the API reads the next page of a
   * catch-up ahead this way, a few ms at a time between other requests (api/feed-read-ahead.ts). The
   * steps share one read transaction, open until the last step or return(): use it only on a
   * connection of its own (StoreReader.open), never on one that answers requests.
   */
  *changesJsonSteps(since: number, limit: number): Generator<void, ChangePageJson> {
    this.db.exec('BEGIN');
    try {
      return yield* this.feed.pageJsonSteps(since, limit);
    } finally {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    }
  }

  /** The sequence's last value and its tombstones' pruning floor, read now (changeVersionOf makes a version of them). */
  changeSequence(): { highWater: number; prunedThrough: number } {
    return this.feed.sequence();
  }

  /** The change sequence's last value: a client that lists devices then follows the feed from here misses nothing. */
  changeHighWater(): number {
    return this.feed.sequence().highWater;
  }

  /**
   * The database's version as the device routes see it: the sequence's high-water mark (every write to
   * a device, its findings or risk takes a value) and the tombstones' pruning floor (which moves
   * without one). Unchanged version, unchanged answers: the API's response cache keys on it.
   */
  changeVersion(dataVersion?: number): string {
    // Asked on every API request: on a read-only connection, read again only after another commit.
    // `dataVersion`: one the caller read just before (the API reads it once per request).
    const at = this.db.readonly ? dataVersion ?? this.dataVersion() : -1;
    if (at === -1 || at !== this.versionAt) {
      this.version = changeVersionOf(this.feed.sequence());
      this.versionAt = at;
    }
    return this.version;
  }

  /**
   * SQLite's `PRAGMA data_version`: a number that changes whenever another connection commits (any
   * table). Unchanged, every read gives what it gave before; on a read-only connection, which commits
   * nothing itself, that holds for every write. It costs what any statement's start of a read costs
   * (the WAL index's check, ~4-12 µs here), so the API reads it once per request and its caches
   * (changeVersion, verified tokens in api/auth.ts) check it instead of each reading their table.
   */
  dataVersion(): number {
    return this.stmt.get('PRAGMA data_version').pluck().get() as number;
  }

  /** Every device matching the filter, in id order, a page at a time. */
  allDevices(f: Omit<DeviceFilter, 'afterId' | 'limit'> = {}): Generator<Device> {
    return this.query.all(f);
  }

  /** How many devices match a filter (the web page's total), and how many of them are medical. */
  countDevices(f: Omit<DeviceFilter, 'afterId' | 'limit'>): { devices: number; medical: number } {
    return this.graphQuery.count(f);
  }

  /** Devices and their conversations aggregated for a map (in one read transaction). */
  graph(o: GraphOptions): Graph {
    return this.snapshot(() => this.graphQuery.graph(o));
  }

  /** One device without its peers. */
  device(id: number): Device | null {
    return this.query.device(id);
  }

  /** One device with its peers. */
  deviceDetail(id: number): DeviceDetail | null {
    return this.query.get(id);
  }

  /** Device ids matching a device id, a MAC or an IP address the device used. */
  findDevices(key: string): number[] {
    return this.query.find(key);
  }

  /** Category ids that classified devices have (a user library may add categories the built-in one lacks). */
  categories(): string[] {
    return this.query.categories();
  }

  /** The evidence behind a device, newest first; null when there is no such device. */
  observations(id: number): DeviceObservation[] | null {
    return this.query.observations(id);
  }

  // Events.

  /** One page of events in seq order after `f.afterSeq`, filtered (`since=`). */
  events(f: EventFilter): AuscultEvent[] {
    return this.eventQuery.list(f);
  }

  /** The events as exports and forwarders read them (agent/export/event-source.ts). */
  eventSource(): EventSource {
    const q = this.eventQuery;
    return {
      after: (afterSeq, limit) => q.list({ afterSeq, limit }),
      lastSeq: () => q.lastSeq(),
      countBetween: (a, b) => q.countBetween(a, b),
      seqBefore: (through, count) => q.seqBefore(through, count),
    };
  }

  /** Recorded events by type. */
  eventCounts(): Record<EventType, number> {
    return this.eventQuery.countsByType();
  }

  /** Each forwarding destination's position, lag and counters (/metrics), with the last event seq. */
  forwarding(): { lastSeq: number; destinations: (ForwardPosition & { lag: number })[] } {
    const lastSeq = this.eventQuery.lastSeq();
    return {
      lastSeq,
      destinations: readForwardPositions(this.db).map((p) => ({ ...p, lag: this.eventQuery.countBetween(p.deliveredSeq, lastSeq) })),
    };
  }

  /** The highest event seq recorded, 0 when none. */
  lastEventSeq(): number {
    return this.eventQuery.lastSeq();
  }

  /** The counters a capture wrote at its last flush, null before any. */
  captureCounters(): StoredCaptureCounters | null {
    return latestCaptureCounters(this.db);
  }

  // Identification.

  deviceFacts(id: number): DeviceFactsRow | null {
    return this.facts.facts(id);
  }

  /** deviceFacts of the wanted devices among ids `fromId`..`toId`, in a few range scans (a batch of many). */
  deviceFactsRange(fromId: number, toId: number, wanted: (id: number) => boolean = () => true): Map<number, DeviceFactsRow> {
    return this.facts.factsRange(fromId, toId, wanted);
  }

  deviceIds(): number[] {
    return this.facts.deviceIds();
  }

  /** Up to `limit` device ids above `afterId`, in order: every device a page at a time. */
  deviceIdsAfter(afterId: number, limit: number): number[] {
    return this.facts.deviceIdsAfter(afterId, limit);
  }

  /** The highest device id (about the number of devices: ids are never reused), 0 when none. */
  maxDeviceId(): number {
    return this.facts.maxDeviceId();
  }

  /** Devices classified with another version of the signature library. */
  classifiedWithOtherLibrary(libraryVersion: string): number[] {
    return this.facts.classifiedWithOtherLibrary(libraryVersion);
  }

  classificationJson(deviceId: number): string | null {
    return this.facts.classificationJson(deviceId);
  }

  /** Stored classification results of devices `fromId`..`toId` (default: all), by device id. */
  classificationJsons(fromId = 0, toId = Number.MAX_SAFE_INTEGER): Map<number, string> {
    return this.facts.classificationJsonsRange(fromId, toId);
  }

  /** Classified devices by category (most first), and how many are medical. */
  classificationSummary(): { byCategory: Record<string, number>; medical: number } {
    const byCategory: Record<string, number> = {};
    const rows = this.stmt.get('SELECT category, count(*) AS n FROM classifications GROUP BY category ORDER BY n DESC, category').all() as
      { category: string; n: number }[];
    for (const r of rows) byCategory[r.category] = r.n;
    const medical = this.stmt.get('SELECT count(*) FROM classifications WHERE medical = 1').pluck().get() as number;
    return { byCategory, medical };
  }

  // API tokens (agent/store/api-tokens.ts writes them).

  /** The token with this hash (tokenHash), whatever its expiry; null when none (never created or revoked). */
  apiToken(sha256Hex: string): ApiTokenRow | null {
    const r = this.stmt.get(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_sha256 = ?`).get(sha256Hex) as Parameters<typeof tokenRow>[0] | undefined;
    return r === undefined ? null : tokenRow(r);
  }

  /** Every token (never a value: the database has none), by name. */
  apiTokens(): ApiTokenRow[] {
    return (this.stmt.get(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY name`).all() as Parameters<typeof tokenRow>[0][]).map(tokenRow);
  }

  // Findings and risk.

  /** What the findings engine reads about a device; null when there is no such device. */
  findingInput(id: number, sources: readonly string[]): FindingInput | null {
    return this.findingsQuery.input(id, sources);
  }

  /** Whether the device has a stored risk block (it has, or had, findings). */
  hasRisk(id: number): boolean {
    return this.findingsQuery.hasRisk(id);
  }

  /** Devices with an unresolved finding whose evidence is older than `beforeMs` (capture time). */
  staleFindingDevices(beforeMs: number): number[] {
    return this.findingsQuery.staleDevices(beforeMs);
  }

  /** Devices with a resolved finding seen after `afterMs` (capture time). */
  resolvedFindingDevicesSeenAfter(afterMs: number): number[] {
    return this.findingsQuery.resolvedSeenAfter(afterMs);
  }

  /** The latest capture time in the store (the devices' last packet); null when empty. */
  latestSeenMs(): number | null {
    return this.findingsQuery.latestSeenMs();
  }

  /** One page of findings in id order, filtered. */
  findings(f: FindingFilter): { items: Finding[]; nextAfterId: number | null } {
    return this.findingsQuery.list(f);
  }

  finding(id: number): Finding | null {
    return this.findingsQuery.one(id);
  }

  deviceRisk(id: number): Risk {
    return this.findingsQuery.risk(id);
  }

  findingPoints(deviceId: number): FindingPoints[] {
    return this.findingsQuery.points(deviceId);
  }

  /** Stored advisories (auscult advisories import), normalised, and the indicators they name. */
  advisories(): Advisory[] {
    return AdvisoryStore.over(this.db).advisories();
  }

  indicators(): NetworkIndicator[] {
    return AdvisoryStore.over(this.db).indicators();
  }

  /** Changes whenever an advisory is imported or replaced. */
  advisoriesVersion(): string {
    return AdvisoryStore.over(this.db).version();
  }

  // The database and its capture runs.

  /** Each device in id order by what identifies it: its MAC, or the IP of a routed device; and the packets it sent. */
  deviceKeys(): { key: string; packetsSent: number }[] {
    return this.stmt.get('SELECT coalesce(mac, routed_ip) AS key, packets_sent AS packetsSent FROM devices ORDER BY id').all() as
      { key: string; packetsSent: number }[];
  }

  deviceCount(): number {
    return this.stmt.get('SELECT count(*) FROM devices').pluck().get() as number;
  }

  /** Distinct observations stored (each counted once however often it was seen). */
  observationCount(): number {
    return this.stmt.get('SELECT count(*) FROM observations').pluck().get() as number;
  }

  /** Every capture run, oldest first, as readers show it (a running one whose writer is gone is interrupted). */
  ingests(): IngestRow[] {
    return ingestRows(this.db);
  }

  /** The most recent live capture on `iface` (its drops, the interface's transmit counter around it), if any. */
  lastLiveIngest(iface: string): LiveIngest | undefined {
    return lastLiveIngest(this.db, iface);
  }

  /** PRAGMA user_version: the migrations applied to this database. */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Schema version, devices, the last capture run and runs by status; throws when the database cannot be read. */
  health(): StoreHealth {
    return this.snapshot(() => {
      const { last, counts } = ingestOverview(this.db);
      return { schemaVersion: this.schemaVersion(), devices: this.deviceCount(), lastIngest: last, ingests: counts, capture: this.captureCounters() };
    });
  }

  /** SQLite's integrity and foreign-key checks: the problems found, none when the file is sound. */
  integrityProblems(): string[] {
    const integrity = this.db.pragma('integrity_check', { simple: true }) as string;
    const foreignKeys = this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    return [
      ...(integrity === 'ok' ? [] : [integrity]),
      ...foreignKeys.map((f) => `${f.table} row ${f.rowid}: no ${f.parent} row`),
    ];
  }

  /** Close the connection when it is the reader's own (StoreReader.open). */
  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}
