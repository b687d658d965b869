/**
 * Runs the identification engine (agent/identify) over devices whose evidence changed and stores
 * the result. The previous stored classification is given back to the engine, so one contradicting
 * observation does not flip a field (see engine.ts: stability).
 */
import { classify, factsFromDevice, type Classification, type Library } from '../identify/index.js';
import { DeviceQuery } from '../store/device-query.js';
import type { Store } from '../store/store.js';

export class DeviceClassifier {
  private readonly query: DeviceQuery;

  constructor(private readonly store: Store, readonly library: Library) {
    this.query = new DeviceQuery(store.db);
  }

  /** Classify these devices (default: those whose evidence changed since the last run); returns how many. */
  run(ids: readonly number[] = this.store.takeChanged(), fresh = false): number {
    if (ids.length === 0) return 0;
    const now = Date.now();
    this.store.transaction(() => {
      for (const id of ids) {
        const device = this.query.device(id);
        if (device === null) continue;
        const previousJson = fresh ? null : this.store.classificationJson(id);
        const previous = previousJson === null ? null : (JSON.parse(previousJson) as Classification);
        const c = classify(factsFromDevice(device), this.library, previous);
        this.store.upsertClassification({
          deviceId: id, vendor: c.vendor.value, model: c.model.value, category: c.category.value ?? 'unknown',
          criticality: c.criticality, os: c.os.value, firmware: c.firmware.value, medical: c.medical,
          confidence: c.confidence, result: JSON.stringify(c), libraryVersion: this.library.version, classifiedAt: now,
        });
      }
    });
    return ids.length;
  }

  /** Every device, e.g. after the library changed (`auscult reclassify`). */
  runAll(fresh: boolean): number {
    this.store.takeChanged();
    const ids = this.store.db.prepare('SELECT id FROM devices ORDER BY id').pluck().all() as number[];
    return this.run(ids, fresh);
  }
}
