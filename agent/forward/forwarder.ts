/**
 * The outbox loop for one destination: events stay in the database; the destination's position
 * (forward_positions) moves only after its receiver accepted a batch (RELP: every message's 200;
 * HEC with ack: the indexer's acknowledgement; TCP/TLS: the bytes left, so after every (re)connect
 * the last `resendWindow` events before the position are sent again; UDP: sent). A failed send
 * reconnects with backoff and resumes from the stored position: at-least-once, duplicates only
 * around a failure, recognisable by the event id (CEF externalId).
 */
import type { Device } from '../store/device-json.js';
import type { ForwardPositions } from '../store/forward-positions.js';
import { exportContext, type ExportContext } from '../export/context.js';
import type { EventSource } from '../export/event-source.js';
import type { Logger } from '../log.js';
import type { Destination } from './destination.js';
import { sleep } from './sender.js';

export interface ForwarderOptions {
  source: EventSource;
  positions: ForwardPositions;
  destination: Destination;
  /** TCP/TLS: events before the position sent again after every connect (default 1000). */
  resendWindow?: number;
  /** Events per send (default 500). */
  batchSize?: number;
  /** Keep going (poll for new events, reconnect for ever) until `signal`; otherwise stop when all is delivered. */
  follow?: boolean;
  /** Without follow: connection attempts before giving up (default 5). */
  maxAttempts?: number;
  /** Reconnect backoff, doubling from min to max (ms). */
  backoffMs?: [min: number, max: number];
  /** How often to look for new events when following (ms). */
  pollMs?: number;
  /** Full inventory snapshot every this many ms (the devices), when set. */
  snapshot?: { everyMs: number; devices: () => Iterable<Device> };
  signal?: AbortSignal;
  log?: Logger;
  context?: ExportContext;
}

export interface ForwardResult {
  destination: string;
  /** Events the receiver accepted in this run (resends included). */
  sent: number;
  /** The position at the end. */
  deliveredSeq: number;
  reconnects: number;
}

/** The receiver stayed unreachable (forward --once exits non-zero). */
export class ReceiverUnreachable extends Error {}

export async function forward(o: ForwarderOptions): Promise<ForwardResult> {
  const { source, positions, destination: dest, signal } = o;
  const sender = dest.sender;
  const ctx = o.context ?? exportContext();
  const batchSize = o.batchSize ?? 500;
  const window = sender.confirms === 'written' ? (o.resendWindow ?? 1000) : 0;
  const [minBackoff, maxBackoff] = o.backoffMs ?? [200, 30_000];
  let pos = positions.get(dest.id).deliveredSeq;
  let connected = false;
  let failures = 0;
  let sent = 0;
  let reconnects = -1;
  let snapshotAt = positions.get(dest.id).snapshotAtMs ?? 0;

  /** Sends the events after `afterSeq` up to `throughSeq` again; returns how many. */
  const resendEvents = async (afterSeq: number, throughSeq: number): Promise<number> => {
    let n = 0;
    for (let seq = afterSeq; seq < throughSeq;) {
      const batch = source.after(seq, batchSize).filter((e) => e.seq <= throughSeq);
      if (batch.length === 0) break;
      await sender.send(batch.map((e) => dest.event(e, ctx)));
      n += batch.length;
      seq = batch[batch.length - 1].seq;
    }
    sent += n;
    return n;
  };

  const giveUp = (err: Error): boolean => {
    failures++;
    o.log?.warn({ destination: dest.id, err: err.message, failures }, 'forwarding: receiver unavailable, retrying');
    return !o.follow && failures >= (o.maxAttempts ?? 5);
  };

  try {
    while (!signal?.aborted) {
      try {
        if (!connected) {
          await sender.connect();
          connected = true;
          reconnects++;
          // What sat in the receiver's buffers when the last connection broke is gone: send it again.
          const resent = window > 0 && pos > 0 ? await resendEvents(source.seqBefore(pos, window), pos) : 0;
          if (reconnects > 0 || resent > 0) positions.reconnected(dest.id, resent, reconnects > 0);
        }
        if (o.snapshot !== undefined && Date.now() - snapshotAt >= o.snapshot.everyMs) {
          await sendSnapshot(o.snapshot.devices(), (msgs) => sender.send(msgs), dest, ctx, batchSize);
          snapshotAt = Date.now();
          positions.snapshotSent(dest.id, snapshotAt);
        }
        const batch = source.after(pos, batchSize);
        if (batch.length === 0) {
          if (!o.follow) break;
          await sleep(o.pollMs ?? 1000, signal);
          continue;
        }
        await sender.send(batch.map((e) => dest.event(e, ctx)));
        sent += batch.length;
        pos = batch[batch.length - 1].seq;
        positions.delivered(dest.id, pos, batch.length);
        failures = 0;
      } catch (err) {
        connected = false;
        sender.destroy();
        if (giveUp(err as Error)) {
          throw new ReceiverUnreachable(`${dest.id}: ${(err as Error).message} (after ${failures} attempts)`);
        }
        await sleep(Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures - 1, 16)), signal);
      }
    }
  } finally {
    await sender.close().catch(() => undefined);
  }
  return { destination: dest.id, sent, deliveredSeq: pos, reconnects: Math.max(0, reconnects) };
}

async function sendSnapshot(devices: Iterable<Device>, send: (m: string[]) => Promise<void>, dest: Destination, ctx: ExportContext, batchSize: number): Promise<void> {
  let batch: string[] = [];
  for (const d of devices) {
    batch.push(dest.device(d, ctx));
    if (batch.length >= batchSize) {
      await send(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await send(batch);
}

/** Each destination's position and lag (`auscult forward --status`). */
export interface ForwardStatus {
  destination: string;
  deliveredSeq: number;
  /** Events stored after the position. */
  lag: number;
  dropped: number;
  lastSeq: number;
  snapshotAt: string | null;
  updatedAt: string;
}

export function forwardStatus(positions: ForwardPositions, source: EventSource): ForwardStatus[] {
  const last = source.lastSeq();
  return positions.all().map((p) => ({
    destination: p.destination,
    deliveredSeq: p.deliveredSeq,
    lag: source.countBetween(p.deliveredSeq, last),
    dropped: p.dropped,
    lastSeq: last,
    snapshotAt: p.snapshotAtMs === null ? null : new Date(p.snapshotAtMs).toISOString(),
    updatedAt: new Date(p.updatedAtMs).toISOString(),
  }));
}
