/**
 * The writer's side of the stored device texts (table device_texts, migration 18): each device's JSON
 * text, built by the same code the readers use (device-json-text.ts) in the transaction that stamps
 * the device with its new change sequence value (change-log.ts), and stored as UTF-8 with that value.
 * A reader sends the stored bytes while the value is the device's current one (DeviceQuery.changedJson):
 * a full catch-up of the change feed at 100 k devices built every text again, 1-2 s of the server's
 * CPU, and encoded it to UTF-8.
 *
 * Why at the stamp: every write to a device, or to anything its text shows, touches the device in the
 * transaction (a path that changes a text without touching its device is a change-feed bug as well;
 * device-texts.test.ts checks every stored text against the text built live after real ingests).
 * The classification explanation is not copied (before / after: it is classifications.result as it is).
 */
import type Database from 'better-sqlite3';
import { jsonAsciiBytesOfText } from '../output/escape.js';
import { registerTextFunctions } from './device-json-text.js';
import { DeviceQuery, TEXT_CHUNK } from './device-query.js';
import { FindingsQuery } from './findings.js';
import { Statements } from './statements.js';

/** Devices backfilled per transaction (a database migrated from 17 has no texts yet). */
const BACKFILL_CHUNK = 1000;

export class DeviceTextWriter {
  private readonly query: DeviceQuery;
  private readonly upsert: Database.Statement;
  private readonly missing: Database.Statement;
  private readonly counts: Database.Statement;

  constructor(private readonly db: Database.Database) {
    registerTextFunctions(db);
    const statements = new Statements(db);
    this.query = new DeviceQuery(statements);
    const findings = new FindingsQuery(statements);
    this.query.findingsOfPage = (idsJson) => findings.ofDevices(idsJson);
    // The value is the device's change_seq as the stamp just wrote it.
    this.upsert = db.prepare(
      `INSERT INTO device_texts (device_id, seq, before, after) SELECT @id, change_seq, @before, @after FROM devices WHERE id = @id
       ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, before = excluded.before, after = excluded.after`,
    );
    this.missing = db.prepare(
      `SELECT d.id FROM devices d LEFT JOIN device_texts t ON t.device_id = d.id
       WHERE d.id > ? AND (t.seq IS NULL OR t.seq != d.change_seq) ORDER BY d.id LIMIT ?`,
    ).pluck();
    this.counts = db.prepare('SELECT (SELECT count(*) FROM devices) - (SELECT count(*) FROM device_texts)').pluck();
  }

  /** Store the texts of devices `ids` as they are now (call inside the transaction that wrote them, after the stamp). */
  write(ids: readonly number[]): void {
    for (let i = 0; i < ids.length; i += TEXT_CHUNK) {
      for (const p of this.query.textParts(ids.slice(i, i + TEXT_CHUNK))) {
        // Stored as the API sends them (ASCII only, agent/output/escape.ts): a page of them needs no escaping pass.
        this.upsert.run({ id: p.id, before: jsonAsciiBytesOfText(p.before), after: jsonAsciiBytesOfText(p.after) });
      }
    }
  }

  /**
   * Store the texts of devices that have none at their current value (a database migrated from 17), a
   * transaction per BACKFILL_CHUNK devices; returns how many. Cheap when none is missing (two counts).
   */
  backfill(): number {
    if ((this.counts.get() as number) <= 0) return 0;
    let done = 0;
    for (let after = 0; ;) {
      const ids = this.missing.all(after, BACKFILL_CHUNK) as number[];
      if (ids.length === 0) return done;
      this.db.transaction(() => this.write(ids)).immediate();
      done += ids.length;
      after = ids[ids.length - 1];
    }
  }
}
