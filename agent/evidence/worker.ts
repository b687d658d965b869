/**
 * Worker-thread entry of the evidence stage (see remote.ts): takes frame batches (batch.ts), decodes
 * each frame again (cheap next to dissection) and runs the DissectStage on it.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DecodeStatus, PacketView } from '../decode/packet-view.js';
import { type Batch, Ctl, HEADER_BYTES, Kind } from './batch.js';
import type { WorkerInit } from './remote.js';
import { DissectStage } from './stage.js';

function run(init: WorkerInit): void {
  const ctl = new Int32Array(init.control);
  const doneGen = new Int32Array(init.done);
  /** Generation of the flow each slot holds, from the newest TCP record about it. */
  const gens = new Int32Array(doneGen.length >> 1);
  const stage = new DissectStage((slot) => {
    doneGen[slot] = gens[slot >> 1];
  });
  const view = new PacketView();
  let consumed = 0;
  for (;;) {
    const m = receiveMessageOnPort(init.batches);
    if (m === undefined) {
      Atomics.store(ctl, Ctl.CONSUMER_WAITING, 1);
      if (Atomics.load(ctl, Ctl.POSTED) === consumed) Atomics.wait(ctl, Ctl.POSTED, consumed);
      Atomics.store(ctl, Ctl.CONSUMER_WAITING, 0);
      continue;
    }
    const { buf, len } = m.message as Batch;
    const words = new Int32Array(buf);
    const floats = new Float64Array(buf);
    const bytes = Buffer.from(buf);
    let stop = false;
    for (let at = 0; at < len; at += words[at >> 2]) {
      const i = at >> 2;
      const head = words[i + 1];
      const kind = head & 0xff;
      if (kind === Kind.TCP || kind === Kind.UDP || kind === Kind.LAYER2) {
        const caplen = words[i + 5];
        if (view.decode(bytes, at + HEADER_BYTES, caplen, words[i + 4], floats[(at + 24) >> 3], head >>> 16) !== DecodeStatus.OK) continue;
        if (kind === Kind.TCP) {
          const f = words[i + 2];
          const dir = (head >> 8) & 0xff;
          gens[f] = words[i + 3];
          // Segments the pipeline sent before it saw the direction decided are not a new stream.
          if (doneGen[2 * f + dir] !== gens[f]) stage.tcp(view, f, dir);
        } else if (kind === Kind.UDP) {
          stage.udp(view);
        } else {
          stage.layer2(view);
        }
      } else if (kind === Kind.FLOW_END) {
        stage.flowEnded(words[i + 2]);
      } else if (kind === Kind.FLUSH) {
        init.answers.postMessage(stage.drain());
        Atomics.store(ctl, Ctl.FLUSHED, words[i + 2]);
        Atomics.notify(ctl, Ctl.FLUSHED);
      } else if (kind === Kind.STOP) {
        stop = true;
        break;
      }
    }
    ctl[Ctl.PENDING] = stage.aggregator.pending;
    init.recycle.postMessage(buf, [buf]);
    Atomics.store(ctl, Ctl.CONSUMED, ++consumed);
    if (Atomics.load(ctl, Ctl.PRODUCER_WAITING) !== 0) Atomics.notify(ctl, Ctl.CONSUMED);
    if (stop) {
      init.batches.close();
      init.answers.close();
      init.recycle.close();
      return;
    }
  }
}

const init = workerData as WorkerInit;
try {
  run(init);
} catch (e) {
  const ctl = new Int32Array(init.control);
  init.answers.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  Atomics.store(ctl, Ctl.FAILED, 1);
  Atomics.notify(ctl, Ctl.FLUSHED);
  Atomics.notify(ctl, Ctl.CONSUMED);
}
