/**
 * The reader's side of the change feed (the writer's is change-log.ts): the devices and tombstones
 * whose sequence value is above a client's `since`, in sequence order. A device appears once, at its
 * latest value, with its current state: a client that applies the items in order holds the inventory
 * as of the page's last value. Read in one snapshot so the page and `highWater` agree.
 */
import type { Device } from './device-json.js';
import type { DeviceQuery } from './device-query.js';
import type { Statements } from './statements.js';

export type ChangeItem =
  | { seq: number; type: 'device'; id: number; deleted: false; device: Device }
  | { seq: number; type: 'device'; id: number; deleted: true; merged_into: number | null };

export type ChangePage =
  | { ok: true; items: ChangeItem[]; nextSince: number; highWater: number }
  /** `since` is behind the tombstones kept, or ahead of this database's sequence: list again. */
  | { ok: false; reason: string; prunedThrough: number; highWater: number };

export class ChangeQuery {
  constructor(private readonly statements: Statements, private readonly devices: DeviceQuery) {}

  /** The sequence's last value handed out and the highest tombstone value pruned. */
  sequence(): { highWater: number; prunedThrough: number } {
    const row = this.statements.get('SELECT value, pruned_through FROM change_sequence WHERE id = 1').get() as
      { value: number; pruned_through: number } | undefined;
    return { highWater: row?.value ?? 0, prunedThrough: row?.pruned_through ?? 0 };
  }

  /** Call inside a read snapshot (StoreReader.changes does). */
  page(since: number, limit: number): ChangePage {
    const { highWater, prunedThrough } = this.sequence();
    if (since > highWater) {
      return { ok: false, reason: `since ${since} is ahead of this database's sequence (${highWater}): it is not the database the client followed`, prunedThrough, highWater };
    }
    // 0 is a client with nothing yet: it needs no tombstone of a device it never saw.
    if (since !== 0 && since < prunedThrough) {
      return { ok: false, reason: `since ${since} is older than the tombstones kept (pruned through ${prunedThrough})`, prunedThrough, highWater };
    }
    // Two index walks, each at most `limit` long, merged: a UNION ordered by seq would sort every row after
    // `since`. The devices are read a page at a time (their child tables in one query each).
    const live = this.devices.changedAfter(since, limit);
    const dead = this.statements
      .get('SELECT seq, device_id AS id, merged_into FROM device_tombstones WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(since, limit) as { seq: number; id: number; merged_into: number | null }[];
    const items: ChangeItem[] = [];
    let i = 0;
    let j = 0;
    while (items.length < limit && (i < live.length || j < dead.length)) {
      if (j >= dead.length || (i < live.length && live[i].seq < dead[j].seq)) {
        const { seq, device } = live[i++];
        items.push({ seq, type: 'device', id: device.id, deleted: false, device });
      } else {
        const { seq, id, merged_into } = dead[j++];
        items.push({ seq, type: 'device', id, deleted: true, merged_into });
      }
    }
    return { ok: true, items, nextSince: items.length > 0 ? items[items.length - 1].seq : since, highWater };
  }
}
