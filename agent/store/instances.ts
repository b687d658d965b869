/**
 * Instance sightings (migration 7): which device sent an object (a DICOM SOP instance) to which, and the
 * capture time of the earliest such sending. The object's UID is never stored: the dissector hands over
 * its SHA-256, kept here as the first 16 bytes of HMAC-SHA-256 under a random salt of this database, so
 * neither the file nor a copy of it can be matched against a list of UIDs. What the sightings mean (who
 * made an image, who relays it) is identification's (agent/identify/dicom-images.ts); this keeps them.
 *
 * Bounded: past MAX_SIGHTINGS rows, the oldest tenth by capture time is dropped (a busy archive sends
 * thousands of objects a day; relays are recognised within days, not years).
 */
import { createHmac } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { InstanceInvolvement } from '../identify/dicom-images.js';
import type { Statements } from './statements.js';

export const MAX_SIGHTINGS = 200_000;
/** Bytes of the keyed hash kept: 128 bits, no collision among any number of objects a site holds. */
const KEY_BYTES = 16;

/** Objects a device is involved in, most recent first, at most this many (enough to tell its role). */
const MAX_INVOLVEMENTS = 256;

export class InstanceSightings {
  private readonly salt: Buffer;
  private rows: number;
  private readonly upsert: Database.Statement;
  private readonly sharers: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly count: Database.Statement;

  constructor(db: Database.Database, private readonly max = MAX_SIGHTINGS) {
    this.salt = db.prepare('SELECT salt FROM instance_salt').pluck().get() as Buffer;
    this.count = db.prepare('SELECT count(*) FROM instance_sightings').pluck();
    this.rows = this.count.get() as number;
    this.upsert = db.prepare(
      `INSERT INTO instance_sightings (instance_key, sender_device_id, receiver_device_id, first_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance_key, sender_device_id, receiver_device_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
    );
    this.sharers = db.prepare(
      'SELECT sender_device_id AS a, receiver_device_id AS b FROM instance_sightings WHERE instance_key = ?',
    );
    this.prune = db.prepare(
      `DELETE FROM instance_sightings WHERE (instance_key, sender_device_id, receiver_device_id) IN
         (SELECT instance_key, sender_device_id, receiver_device_id FROM instance_sightings ORDER BY first_seen LIMIT ?)`,
    );
  }

  /**
   * `sender` sent the object whose UID has SHA-256 `digest` (hex) to `receiver` at `tsMs`. Returns the
   * devices whose sightings of that object changed or may read differently now (every device that sent
   * or received it): identification looks at them again.
   */
  record(digest: string, sender: number, receiver: number, tsMs: number): number[] {
    const key = createHmac('sha256', this.salt).update(Buffer.from(digest, 'hex')).digest().subarray(0, KEY_BYTES);
    this.upsert.run(key, sender, receiver, tsMs);
    // `rows` is an upper bound (an update counts too), made exact before pruning.
    if (++this.rows > this.max) this.pruneOldest();
    const ids = new Set<number>();
    for (const s of this.sharers.all(key) as { a: number; b: number }[]) {
      ids.add(s.a);
      ids.add(s.b);
    }
    return [...ids];
  }

  private pruneOldest(): void {
    this.rows = this.count.get() as number;
    if (this.rows > this.max) this.rows -= this.prune.run(Math.ceil(this.max / 10)).changes;
  }
}

/** Read side: the objects a device sent or received, for identification. */
export class InstanceInvolvements {
  constructor(private readonly stmt: Statements) {}

  /** The objects device `id` sent or received, most recent first (empty for nearly every device). */
  of(id: number): InstanceInvolvement[] {
    const rows = this.stmt.get(
      `SELECT min(CASE WHEN s.sender_device_id = @id THEN s.first_seen END) AS sent_ms,
              max(s.receiver_device_id = @id) AS received,
              (SELECT min(o.first_seen) FROM instance_sightings o
                 WHERE o.instance_key = s.instance_key AND o.sender_device_id != @id) AS other_sent_ms
       FROM instance_sightings s
       WHERE s.instance_key IN (SELECT instance_key FROM instance_sightings WHERE sender_device_id = @id
                                UNION SELECT instance_key FROM instance_sightings WHERE receiver_device_id = @id)
         AND (s.sender_device_id = @id OR s.receiver_device_id = @id)
       GROUP BY s.instance_key ORDER BY max(s.first_seen) DESC LIMIT ${MAX_INVOLVEMENTS}`,
    ).all({ id }) as { sent_ms: number | null; received: number; other_sent_ms: number | null }[];
    return rows.map((r) => ({ sentMs: r.sent_ms, received: r.received === 1, otherSentMs: r.other_sent_ms }));
  }

  /** Devices among ids `fromId`..`toId` with any sighting (both indexed: one batch of identification reads only its range). */
  devices(fromId = 0, toId = Number.MAX_SAFE_INTEGER): Set<number> {
    return new Set(this.stmt.get(
      'SELECT sender_device_id FROM instance_sightings WHERE sender_device_id BETWEEN ? AND ? ' +
        'UNION SELECT receiver_device_id FROM instance_sightings WHERE receiver_device_id BETWEEN ? AND ?',
    ).pluck().all(fromId, toId, fromId, toId) as number[]);
  }
}
