/**
 * The reader's side of the change feed (the writer's is change-log.ts): the devices and tombstones
 * whose sequence value is above a client's `since`, in sequence order. A device appears once, at its
 * latest value, with its current state: a client that applies the items in order holds the inventory
 * as of the page's last value. Read in one snapshot so the page and `highWater` agree.
 */
import type { Device } from './device-json.js';
import { TEXT_CHUNK, type DeviceQuery } from './device-query.js';
import type { Statements } from './statements.js';

export type ChangeItem =
  | { seq: number; type: 'device'; id: number; deleted: false; device: Device }
  | { seq: number; type: 'device'; id: number; deleted: true; merged_into: number | null };

export type ChangePage =
  | { ok: true; items: ChangeItem[]; nextSince: number; highWater: number }
  /** `since` is behind the tombstones kept, or ahead of this database's sequence: list again. */
  | { ok: false; reason: string; prunedThrough: number; highWater: number };

/** The same page with each item as its JSON text (the API's answer: ChangeQuery.pageJson). */
export type ChangePageJson =
  /** version: the database version the page was read at (changeVersionOf). */
  | { ok: true; itemTexts: (string | Buffer)[]; nextSince: number; highWater: number; version: string }
  | Extract<ChangePage, { ok: false }>;

/**
 * The database's version as the device routes see it: the sequence's high-water mark (every write to
 * a device, its findings or risk takes a value) and the tombstones' pruning floor (which moves
 * without one). Unchanged version, unchanged answers (the API's response cache and ETags rely on it).
 */
export function changeVersionOf(s: { highWater: number; prunedThrough: number }): string {
  return `${s.highWater}:${s.prunedThrough}`;
}

interface Tombstone { seq: number; id: number; merged_into: number | null }

/** What a page holds, in sequence order: a device's change (its seq) or a tombstone. */
type Entry = { seq: number; tombstone: Tombstone | null };

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
    const e = this.entries(since, limit);
    if (!e.ok) return e;
    const live = this.devices.changedAfter(since, e.entries.filter((x) => x.tombstone === null).length);
    let i = 0;
    const items = e.entries.map(({ seq, tombstone: t }): ChangeItem => {
      if (t !== null) return { seq, type: 'device', id: t.id, deleted: true, merged_into: t.merged_into };
      const { device } = live[i++];
      return { seq, type: 'device', id: device.id, deleted: false, device };
    });
    return { ok: true, items, nextSince: e.nextSince, highWater: e.highWater };
  }

  /**
   * The same page with each item as its JSON text: the texts of JSON.stringify of page()'s items, each
   * device's text built by DeviceQuery.changedJson (device-json-text.ts). Not joined: the API writes
   * them out as bytes once (api/json-text.ts). Devices are rendered TEXT_CHUNK at a time, so a page of
   * 1,000 keeps no row or per-device object alive beyond its run: a full catch-up of 100 k devices
   * otherwise spent a third of its CPU copying them through V8's young generation. Call inside a read
   * snapshot (StoreReader.changesJson does).
   */
  pageJson(since: number, limit: number): ChangePageJson {
    const steps = this.pageJsonSteps(since, limit);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * pageJson one run of devices (TEXT_CHUNK) per step, for a reader that spreads a page over several
   * turns of the event loop (StoreReader.changesJsonSteps: the API's read-ahead of the next page).
   */
  *pageJsonSteps(since: number, limit: number): Generator<void, ChangePageJson> {
    const e = this.entries(since, limit);
    if (!e.ok) return e;
    // A device's item is the UTF-8 stored when it was written (device-texts.ts), else its text built now.
    const texts: (string | Buffer)[] = [];
    let after = since;
    let run = 0;
    for (const { seq, tombstone: t } of e.entries) {
      if (t === null) {
        run++;
        continue;
      }
      yield* this.deviceRuns(after, run, texts);
      run = 0;
      texts.push(JSON.stringify({ seq, type: 'device', id: t.id, deleted: true, merged_into: t.merged_into }));
      after = seq;
    }
    yield* this.deviceRuns(after, run, texts);
    return { ok: true, itemTexts: texts, nextSince: e.nextSince, highWater: e.highWater, version: changeVersionOf(e) };
  }

  /** The texts of the `count` devices changed after `after` pushed onto `texts`, a step per TEXT_CHUNK. */
  private *deviceRuns(after: number, count: number, texts: (string | Buffer)[]): Generator<void> {
    for (let left = count; left > 0; left -= TEXT_CHUNK) {
      const chunk = this.devices.changedJson(after, Math.min(left, TEXT_CHUNK));
      for (const t of chunk.texts) texts.push(t);
      after = chunk.lastSeq;
      yield;
    }
  }

  /** The page's entries in sequence order: device changes (their seq alone) and tombstones. */
  private entries(since: number, limit: number): { ok: true; entries: Entry[]; nextSince: number; highWater: number; prunedThrough: number } | Extract<ChangePage, { ok: false }> {
    const { highWater, prunedThrough } = this.sequence();
    if (since > highWater) {
      return { ok: false, reason: `since ${since} is ahead of this database's sequence (${highWater}): it is not the database the client followed`, prunedThrough, highWater };
    }
    // 0 is a client with nothing yet: it needs no tombstone of a device it never saw.
    if (since !== 0 && since < prunedThrough) {
      return { ok: false, reason: `since ${since} is older than the tombstones kept (pruned through ${prunedThrough})`, prunedThrough, highWater };
    }
    // Two index walks, each at most `limit` long, merged: a UNION ordered by seq would sort every row after
    // `since`. The devices' rows are read afterwards, a page or a run at a time (their child tables in one query each).
    // `+?`: bound values the planner does not read, so binding them does not recompile the statements
    // (DeviceQuery.changedRows says why).
    const live = this.statements.get('SELECT change_seq FROM devices WHERE change_seq > +? ORDER BY change_seq LIMIT +?').pluck().all(since, limit) as number[];
    const dead = this.statements
      .get('SELECT seq, device_id AS id, merged_into FROM device_tombstones WHERE seq > +? ORDER BY seq LIMIT +?')
      .all(since, limit) as Tombstone[];
    const entries: Entry[] = [];
    let i = 0;
    let j = 0;
    while (entries.length < limit && (i < live.length || j < dead.length)) {
      if (j >= dead.length || (i < live.length && live[i] < dead[j].seq)) entries.push({ seq: live[i++], tombstone: null });
      else entries.push({ seq: dead[j].seq, tombstone: dead[j++] });
    }
    return { ok: true, entries, nextSince: entries.length > 0 ? entries[entries.length - 1].seq : since, highWater, prunedThrough };
  }
}
