/**
 * The evidence stage on a worker thread. The pipeline thread decodes, keeps flows and the inventory;
 * the frames some dissector may want are copied into batches (batch.ts) and dissected on the worker,
 * which aggregates the observations and hands them over at each flush (a synchronous round trip: the
 * flush waits until the worker has read every frame given before it).
 *
 * TCP directions the worker has decided are marked in a shared array, tagged with the flow slot's
 * generation so a mark for a flow that has since left its slot is ignored. The worker runs behind, so
 * this side also applies the cheap decisions itself (no stream probe accepts the first bytes; the
 * segment bound), as StreamCollector would.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { PacketView } from '../decode/packet-view.js';
import { DissectorSet } from '../dissectors/index.js';
import type { FlowTable } from '../flows/flow-table.js';
import { MAX_STREAM_SEGMENTS } from './streams.js';
import type { EvidenceBatch } from './aggregator.js';
import { type Batch, CONTROL_WORDS, Ctl, HEADER_BYTES, Kind, recordBytes } from './batch.js';
import type { Dissection } from './stage.js';

/** Bytes per batch: large enough to make a transfer cheap, small enough to keep the worker close. */
const BATCH_BYTES = 128 * 1024;
/** Batches in flight before this side waits for the worker. */
const MAX_IN_FLIGHT = 64;
/** Give up on a worker that finishes nothing for this long. */
const STALL_MS = 30_000;

export interface WorkerInit {
  control: SharedArrayBuffer;
  done: SharedArrayBuffer;
  /** Batches in. */
  batches: MessagePort;
  /** Flush answers and errors out. */
  answers: MessagePort;
  /** Emptied batch buffers out, for reuse. */
  recycle: MessagePort;
}

/** The compiled worker entry beside this module; null when running from TypeScript sources. */
export function workerEntry(): URL | null {
  const url = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

export class RemoteDissection implements Dissection {
  private readonly ctl: Int32Array;
  private readonly worker: Worker;
  private readonly batches: MessagePort;
  private readonly answers: MessagePort;
  private readonly recycle: MessagePort;
  private readonly doneGen: Int32Array;
  readonly streamDone: Uint8Array;
  /** Flow slots that have TCP records sent: their end must be told. */
  private readonly sent: Uint8Array;
  /** Tables and probes only: which UDP ports and EtherTypes some dissector wants, which streams. */
  private readonly wanted = new DissectorSet();
  /** Per TCP direction: generation of the flow whose segments `sentSegments` counts. */
  private readonly sentGen: Int32Array;
  private readonly sentSegments: Uint8Array;
  private buf!: ArrayBuffer;
  private words!: Int32Array;
  private floats!: Float64Array;
  private bytes!: Buffer;
  private pos = 0;
  private posted = 0;
  private seq = 0;
  private closed = false;
  private exited: string | null = null;

  constructor(private readonly flows: FlowTable, entry: URL) {
    const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
    this.ctl = new Int32Array(control);
    const directions = flows.maxFlows * 2;
    this.streamDone = new Uint8Array(directions);
    const done = new SharedArrayBuffer(directions * 4);
    this.doneGen = new Int32Array(done);
    this.sent = new Uint8Array(flows.maxFlows);
    this.sentGen = new Int32Array(directions);
    this.sentSegments = new Uint8Array(directions);
    const b = new MessageChannel();
    const a = new MessageChannel();
    const r = new MessageChannel();
    this.batches = b.port1;
    this.answers = a.port1;
    this.recycle = r.port1;
    const init: WorkerInit = { control, done, batches: b.port2, answers: a.port2, recycle: r.port2 };
    this.worker = new Worker(entry, { workerData: init, transferList: [b.port2, a.port2, r.port2] });
    this.worker.unref();
    this.worker.on('error', (e) => {
      this.exited = e.message;
    });
    this.worker.on('exit', (code) => {
      this.exited ??= `exited with code ${code}`;
    });
    this.newBatch(BATCH_BYTES);
  }

  udp(v: PacketView): void {
    if (this.wanted.wantsUdp(v)) this.frame(Kind.UDP, v, 0, 0, 0);
  }

  layer2(v: PacketView): void {
    if (this.wanted.wantsFrame(v)) this.frame(Kind.LAYER2, v, 0, 0, 0);
  }

  tcp(v: PacketView, f: number, dir: number): void {
    const slot = 2 * f + dir;
    const gen = this.flows.generation[f];
    if (this.doneGen[slot] === gen) {
      this.streamDone[slot] = 1; // decided by the worker: stop copying this direction
      return;
    }
    if (this.sentGen[slot] !== gen) {
      if (!this.wanted.probeStream(v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen))) {
        this.streamDone[slot] = 1;
        return;
      }
      this.sentGen[slot] = gen;
      this.sentSegments[slot] = 0;
    }
    if (++this.sentSegments[slot] >= MAX_STREAM_SEGMENTS) this.streamDone[slot] = 1; // the last one it reads
    this.sent[f] = 1;
    this.frame(Kind.TCP, v, f, dir, gen);
  }

  flowEnded(f: number): void {
    this.streamDone[2 * f] = this.streamDone[2 * f + 1] = 0;
    if (this.sent[f] === 0) return;
    this.sent[f] = 0;
    this.control(Kind.FLOW_END, f);
  }

  get pending(): number {
    return this.ctl[Ctl.PENDING];
  }

  drain(): EvidenceBatch {
    const seq = ++this.seq;
    this.control(Kind.FLUSH, seq);
    this.send();
    const ctl = this.ctl;
    this.waitFor(() => Atomics.load(ctl, Ctl.FLUSHED) === seq, Ctl.FLUSHED);
    // The answer was posted before FLUSHED was stored, so it is already queued on the port.
    const m = receiveMessageOnPort(this.answers);
    if (m === undefined) throw new Error('dissection worker: flush answer missing');
    return m.message as EvidenceBatch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.exited === null && Atomics.load(this.ctl, Ctl.FAILED) === 0) {
      this.control(Kind.STOP, 0);
      this.send();
    }
    this.batches.close();
    this.answers.close();
    this.recycle.close();
  }

  private control(kind: number, slot: number): void {
    const at = this.reserve(HEADER_BYTES);
    const i = at >> 2;
    this.words[i] = HEADER_BYTES;
    this.words[i + 1] = kind;
    this.words[i + 2] = slot;
    this.pos = at + HEADER_BYTES;
  }

  private frame(kind: number, v: PacketView, slot: number, dir: number, gen: number): void {
    const caplen = v.caplen;
    const n = recordBytes(caplen);
    const at = this.reserve(n);
    const words = this.words;
    const i = at >> 2;
    words[i] = n;
    words[i + 1] = kind | (dir << 8) | (v.linkType << 16);
    words[i + 2] = slot;
    words[i + 3] = gen;
    words[i + 4] = v.wireLen;
    words[i + 5] = caplen;
    this.floats[(at + 24) >> 3] = v.tsMicros;
    v.buf.copy(this.bytes, at + HEADER_BYTES, v.end - caplen, v.end);
    this.pos = at + n;
  }

  /** Offset in the current batch where `n` bytes may be written (sending the batch when full). */
  private reserve(n: number): number {
    if (this.pos + n <= this.buf.byteLength) return this.pos;
    this.send();
    if (n > this.buf.byteLength) this.newBatch(n); // a frame larger than a batch gets its own
    return 0;
  }

  /** Post the current batch (if it holds anything) and start the next one. */
  private send(): void {
    if (this.pos === 0) return;
    const ctl = this.ctl;
    if (this.posted - Atomics.load(ctl, Ctl.CONSUMED) >= MAX_IN_FLIGHT) {
      const limit = this.posted - MAX_IN_FLIGHT;
      this.waitFor(() => Atomics.load(ctl, Ctl.CONSUMED) > limit, Ctl.CONSUMED);
    }
    const batch: Batch = { buf: this.buf, len: this.pos };
    this.batches.postMessage(batch, [this.buf]);
    this.posted++;
    Atomics.store(ctl, Ctl.POSTED, this.posted);
    if (Atomics.load(ctl, Ctl.CONSUMER_WAITING) !== 0) Atomics.notify(ctl, Ctl.POSTED);
    const back = receiveMessageOnPort(this.recycle);
    const reuse = back?.message as ArrayBuffer | undefined;
    this.newBatch(BATCH_BYTES, reuse !== undefined && reuse.byteLength === BATCH_BYTES ? reuse : undefined);
  }

  private newBatch(bytes: number, reuse?: ArrayBuffer): void {
    this.buf = reuse ?? new ArrayBuffer((bytes + 7) & ~7);
    this.words = new Int32Array(this.buf);
    this.floats = new Float64Array(this.buf);
    this.bytes = Buffer.from(this.buf);
    this.pos = 0;
  }

  /** Block until `ok()`, sleeping on control word `word`; fail if the worker died or stalled. */
  private waitFor(ok: () => boolean, word: number): void {
    const ctl = this.ctl;
    let lastConsumed = Atomics.load(ctl, Ctl.CONSUMED);
    let stalledSince = Date.now();
    Atomics.store(ctl, Ctl.PRODUCER_WAITING, 1);
    try {
      while (!ok()) {
        if (Atomics.load(ctl, Ctl.FAILED) !== 0) {
          const m = receiveMessageOnPort(this.answers);
          const why = (m?.message as { error?: string } | undefined)?.error ?? 'unknown error';
          throw new Error(`dissection worker failed: ${why}`);
        }
        if (this.exited !== null) throw new Error(`dissection worker ${this.exited}`);
        Atomics.wait(ctl, word, Atomics.load(ctl, word), 50);
        const consumed = Atomics.load(ctl, Ctl.CONSUMED);
        if (consumed !== lastConsumed) {
          lastConsumed = consumed;
          stalledSince = Date.now();
        } else if (Date.now() - stalledSince > STALL_MS) {
          throw new Error('dissection worker stopped answering');
        }
      }
    } finally {
      Atomics.store(ctl, Ctl.PRODUCER_WAITING, 0);
    }
  }
}
