/**
 * The writer's side of the change feed: one sequence per database (table change_sequence). Every
 * device a transaction writes takes the next value of it, stamped in devices.change_seq by the same
 * transaction just before it commits; a device removed (folded into another, merge.ts) leaves a
 * tombstone with its own value. SQLite has one writer at a time, so values become visible in the order
 * they were handed out: a reader that has seen value N has seen every change up to N.
 *
 * A device is stamped once per transaction however often it was written (a flush writes a device many
 * times): the feed says "this device changed", the device row says how it is now.
 */
import type Database from 'better-sqlite3';
import { DeviceTextWriter } from './device-texts.js';

const DAY_MS = 86_400_000;
/** Tombstones are pruned at most this often (a flush every few seconds need not look each time). */
const PRUNE_EVERY_MS = 60_000;

export interface ChangeLogOptions {
  /** Days a tombstone is kept; a feed client further behind than the oldest kept must resync. */
  tombstoneRetentionDays?: number;
  /**
   * false: never prune tombstones. For a writer other than the capture's (an acknowledgement), which
   * does not know the retention the capture was given and must not prune by the default.
   */
  pruneTombstones?: boolean;
}

export const DEFAULT_TOMBSTONE_RETENTION_DAYS = 30;

export class ChangeLog {
  private touched = new Set<number>();
  private readonly take: Database.Statement;
  private readonly stampDevice: Database.Statement;
  private readonly oldestExpired: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly raiseFloor: Database.Statement;
  private readonly retentionMs: number;
  private readonly pruneTombstones: boolean;
  private lastPruneMs = 0;
  /** Each device stamped gets its text stored at its new value (device-texts.ts). */
  readonly texts: DeviceTextWriter;

  constructor(private readonly db: Database.Database, opts: ChangeLogOptions = {}) {
    this.take = db.prepare('UPDATE change_sequence SET value = value + ? WHERE id = 1 RETURNING value').pluck();
    this.stampDevice = db.prepare('UPDATE devices SET change_seq = ? WHERE id = ?');
    this.oldestExpired = db.prepare('SELECT max(seq) FROM device_tombstones WHERE removed_at < ?').pluck();
    this.deleteThrough = db.prepare('DELETE FROM device_tombstones WHERE seq <= ?');
    this.raiseFloor = db.prepare('UPDATE change_sequence SET pruned_through = max(pruned_through, ?) WHERE id = 1');
    this.retentionMs = (opts.tombstoneRetentionDays ?? DEFAULT_TOMBSTONE_RETENTION_DAYS) * DAY_MS;
    this.pruneTombstones = opts.pruneTombstones ?? true;
    this.texts = new DeviceTextWriter(db);
  }

  /**
   * Run `fn` in one transaction (nested calls join the outer one); the devices it touched take their
   * sequence values just before it commits. IMMEDIATE: the write lock is taken (waiting up to the busy
   * timeout) before the first read, so another writer on the file committing meanwhile cannot fail the
   * transaction with "database is locked" when it first writes.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(() => {
      try {
        const result = fn();
        this.stamp();
        return result;
      } catch (err) {
        this.discard();
        throw err;
      }
    }).immediate();
  }

  /** `deviceId` was written (call after the write): it takes a sequence value when the transaction ends. */
  touch(deviceId: number): void {
    this.touched.add(deviceId);
    // A write outside any transaction (tests, one-off tools) is stamped at once, in its own.
    if (!this.db.inTransaction) this.db.transaction(() => this.stamp())();
  }

  /** `deviceId` no longer exists: nothing to stamp. */
  forget(deviceId: number): void {
    this.touched.delete(deviceId);
  }

  /** The next sequence value (a tombstone's), inside the caller's transaction. */
  next(): number {
    return this.take.get(1) as number;
  }

  /** Stamp every device touched since the last stamp, in id order, with consecutive values. */
  stamp(): void {
    if (this.touched.size > 0) {
      const ids = [...this.touched].sort((a, b) => a - b);
      this.touched = new Set();
      let seq = (this.take.get(ids.length) as number) - ids.length;
      for (const id of ids) this.stampDevice.run(++seq, id);
      this.texts.write(ids);
    }
    this.prune(Date.now());
  }

  /** The transaction that wrote the touched devices rolled back: they were not written. */
  discard(): void {
    this.touched = new Set();
  }

  /**
   * Drop tombstones older than the retention, and remember the highest sequence value dropped (at most
   * once a minute unless `force`).
   */
  prune(nowMs: number, force = false): void {
    if (!this.pruneTombstones || (!force && nowMs - this.lastPruneMs < PRUNE_EVERY_MS)) return;
    this.lastPruneMs = nowMs;
    const through = this.oldestExpired.get(nowMs - this.retentionMs) as number | null;
    if (through === null) return;
    this.deleteThrough.run(through);
    this.raiseFloor.run(through);
  }
}
