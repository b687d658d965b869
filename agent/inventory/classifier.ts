/**
 * Runs the identification engine (agent/identify) over devices whose evidence changed and stores
 * the result. The previous stored classification is given back to the engine, so one contradicting
 * observation does not flip a field (see engine.ts: stability). The result is stored as JSON in
 * ASCII only (agent/output/escape.ts jsonAscii): the device texts splice it into API answers as it is,
 * and an answer all in ASCII needs no escaping pass and decodes fast in a client.
 */
import {
  capConfidence, classify, DERIVED_MAX_CONFIDENCE, factsFromDevice, sharedFactsKey, type Classification, type Library,
} from '../identify/index.js';
import { jsonAscii } from '../output/escape.js';
import type { DeviceFactsRow } from '../store/facts-query.js';
import type { StoreReader } from '../store/reader.js';
import type { Store } from '../store/store.js';

/**
 * A device known only from another device's message (kind `derived`) gets its confidence capped
 * (engine.ts DERIVED_MAX_CONFIDENCE); any other keeps the engine's result.
 */
export function capDerived(device: Pick<DeviceFactsRow, 'derived'>, c: Classification): Classification {
  const d = device.derived;
  if (d === null) return c;
  const from = d.fromDevice !== null ? ` of device ${d.fromDevice}` : '';
  return capConfidence(c, DERIVED_MAX_CONFIDENCE, `known only from ${d.protocol} ${d.field}${from}, never seen on the wire`);
}

/** Devices classified per batch (one transaction, one batch's facts in memory): see `DeviceClassifier`. */
export const DEFAULT_IDENTIFY_BATCH = 4096;
/** Results kept for bare devices and for alike devices (see `run`); cleared when full. */
const SHARED_RESULTS_MAX = 10_000;

export class DeviceClassifier {
  /** The writer's reader: what the last flush wrote. */
  private readonly reader: StoreReader;

  /**
   * The devices the last run classified (the findings engine runs after it on the same ones): packed,
   * 4 bytes per device, so a run over a million new devices keeps 4 MB for it.
   */
  lastIds: ArrayLike<number> = [];

  /**
   * @param bulkFrom from this many devices in a batch on, and when the batch's ids are dense enough,
   *   a batch reads its devices' facts and stored classifications in a few range scans instead of a few
   *   lookups per device (a scan of a sparse range reads rows nobody asked for).
   * @param batchDevices devices classified per batch: what identification holds in memory at once,
   *   whatever the number of devices to classify (a million new MACs are a few hundred batches).
   */
  constructor(
    private readonly store: Store, readonly library: Library, private readonly bulkFrom = 256,
    private readonly batchDevices = DEFAULT_IDENTIFY_BATCH,
  ) {
    this.reader = store.reader;
    // Devices classified with another version of the library: classified again at the first run.
    for (const id of this.reader.classifiedWithOtherLibrary(library.version)) store.markChanged(id);
  }

  // Devices that show nothing but a MAC (most of a large network) are classified by vendor once, and
  // alike devices (same evidence but their addresses, e.g. one vendor's hosts with the same services)
  // once per kind: the engine would give each the same result. Shared across the batches of a run.
  private bareResults = new Map<string, Classification | null>();
  private alike = new Map<string, { c: Classification; json: string }>();

  /**
   * Classify these devices, in ascending id order (default: those whose evidence changed since the last
   * run, and those classified with another version of the library), batch by batch; returns how many.
   */
  run(ids: ArrayLike<number> = this.store.takeChanged(), fresh = false): number {
    this.lastIds = ids;
    this.bareResults = new Map();
    this.alike = new Map();
    for (let at = 0; at < ids.length; at += this.batchDevices) {
      const batch = Array.prototype.slice.call(ids, at, Math.min(ids.length, at + this.batchDevices)) as number[];
      this.runBatch(batch, fresh);
    }
    this.bareResults = new Map();
    this.alike = new Map();
    return ids.length;
  }

  private runBatch(ids: readonly number[], fresh: boolean): void {
    const now = Date.now();
    const shareable = this.library.overrides.length === 0;
    const bareResults = this.bareResults;
    const alike = this.alike;
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    for (const id of ids) {
      if (id < lo) lo = id;
      if (id > hi) hi = id;
    }
    this.store.transaction(() => {
      // Many devices of a dense id range are read in a few range scans; a handful one by one.
      const bulk = ids.length >= this.bulkFrom && ids.length * 4 >= hi - lo + 1;
      const wanted = bulk ? new Set(ids) : null;
      const many = wanted !== null ? this.reader.deviceFactsRange(lo, hi, (id) => wanted.has(id)) : null;
      const stored = bulk ? this.reader.classificationJsons(lo, hi) : null;
      for (const id of ids) {
        const device = many !== null ? (many.get(id) ?? null) : this.reader.deviceFacts(id);
        if (device === null) continue;
        const storedJson = stored !== null ? (stored.get(id) ?? null) : this.reader.classificationJson(id);
        const previous = storedJson === null || fresh ? null : (JSON.parse(storedJson) as Classification);
        let c: Classification | null;
        let json: string | null = null;
        if (device.bare && storedJson === null && shareable) {
          const key = `${device.mac_vendor ?? ''}|${device.mac?.slice(0, 13) ?? ''}`;
          c = bareResults.get(key) ?? null;
          if (!bareResults.has(key)) {
            c = classify(factsFromDevice(device), this.library, null);
            if (c.category.value === 'unknown' && c.vendor.value === null && !c.medical) c = null; // as good as no row
            if (bareResults.size >= SHARED_RESULTS_MAX) bareResults.clear();
            bareResults.set(key, c);
          }
          if (c === null) continue;
        } else {
          const facts = factsFromDevice(device);
          const key = previous === null && shareable ? sharedFactsKey(facts, this.library) : null;
          const known = key !== null ? alike.get(key) : undefined;
          if (known !== undefined) {
            c = known.c;
            json = known.json;
          } else {
            c = classify(facts, this.library, previous);
            if (key !== null) {
              json = jsonAscii(c);
              if (alike.size >= SHARED_RESULTS_MAX) alike.clear();
              alike.set(key, { c, json });
            }
          }
        }
        if (device.derived !== null) {
          c = capDerived(device, c);
          json = null;
        }
        // What the device was identified as before (an event when it changes; none at the first classification).
        const was = storedJson === null ? null : (previous ?? (JSON.parse(storedJson) as Classification));
        const before = was === null ? null : {
          vendor: was.vendor.value, model: was.model.value, category: was.category.value ?? 'unknown',
          os: was.os.value, firmware: was.firmware.value,
        };
        this.store.upsertClassification({
          deviceId: id, vendor: c.vendor.value, model: c.model.value, category: c.category.value ?? 'unknown',
          criticality: c.criticality, os: c.os.value, firmware: c.firmware.value, medical: c.medical,
          confidence: c.confidence, result: json ?? jsonAscii(c), libraryVersion: this.library.version, classifiedAt: now,
        }, before);
      }
    });
  }

  /** Every device, e.g. after the library changed (`auscult reclassify`): a page of ids at a time. */
  runAll(fresh: boolean): number {
    this.store.takeChanged();
    let n = 0;
    for (let after = 0; ;) {
      const page = this.reader.deviceIdsAfter(after, this.batchDevices * 16);
      if (page.length === 0) return n;
      n += this.run(page, fresh);
      after = page[page.length - 1];
    }
  }
}
