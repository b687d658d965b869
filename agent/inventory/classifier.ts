/**
 * Runs the identification engine (agent/identify) over devices whose evidence changed and stores
 * the result. The previous stored classification is given back to the engine, so one contradicting
 * observation does not flip a field (see engine.ts: stability).
 */
import {
  capConfidence, classify, DERIVED_MAX_CONFIDENCE, factsFromDevice, sharedFactsKey, type Classification, type Library,
} from '../identify/index.js';
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

export class DeviceClassifier {
  /** The writer's reader: what the last flush wrote. */
  private readonly reader: StoreReader;

  /** The devices the last run classified (the findings engine runs after it on the same ones). */
  lastIds: readonly number[] = [];

  /** Devices classified with another version of the library: classified again at the first run. */
  private stale: number[];

  /**
   * @param bulkFrom from this many devices on, and when they are at least a quarter of the database's,
   *   `run` reads their facts and stored classifications in a few table scans instead of a few lookups
   *   per device (a scan reads every device's rows: not worth it for a few of many).
   */
  constructor(private readonly store: Store, readonly library: Library, private readonly bulkFrom = 256) {
    this.reader = store.reader;
    this.stale = this.reader.classifiedWithOtherLibrary(library.version);
  }

  /**
   * Classify these devices (default: those whose evidence changed since the last run, and those
   * classified with another version of the library); returns how many.
   */
  run(ids: readonly number[] = this.pending(), fresh = false): number {
    this.lastIds = ids;
    if (ids.length === 0) return 0;
    const now = Date.now();
    // Devices that show nothing but a MAC (most of a large network) are classified by vendor once, and
    // alike devices (same evidence but their addresses, e.g. one vendor's hosts with the same services)
    // once per kind: the engine would give each the same result.
    const bareResults = new Map<string, Classification | null>();
    const alike = new Map<string, { c: Classification; json: string }>();
    const shareable = this.library.overrides.length === 0;
    this.store.transaction(() => {
      // A whole capture's devices are read in a few table scans; a flush's handful one by one.
      const bulk = ids.length >= this.bulkFrom && ids.length * 4 >= this.reader.maxDeviceId();
      const many = bulk ? this.reader.deviceFactsMany(ids) : null;
      const stored = bulk ? this.reader.classificationJsons() : null;
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
              json = JSON.stringify(c);
              if (alike.size >= 10_000) alike.clear();
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
          confidence: c.confidence, result: json ?? JSON.stringify(c), libraryVersion: this.library.version, classifiedAt: now,
        }, before);
      }
    });
    return ids.length;
  }

  private pending(): number[] {
    const changed = this.store.takeChanged();
    if (this.stale.length === 0) return changed;
    const ids = [...new Set([...this.stale, ...changed])].sort((a, b) => a - b);
    this.stale = [];
    return ids;
  }

  /** Every device, e.g. after the library changed (`auscult reclassify`). */
  runAll(fresh: boolean): number {
    this.stale = [];
    this.store.takeChanged();
    return this.run(this.reader.deviceIds(), fresh);
  }
}
