/**
 * `auscult capture --interface IF`: listen on a SPAN/TAP interface until stopped, flushing the
 * inventory every few seconds. Receive only: nothing is ever sent on the interface.
 */
import { interfaceTxPackets } from '../capture/interface-state.js';
import { openLiveCapture, type LiveCaptureOptions } from '../capture/live-source.js';
import type { Logger } from '../log.js';
import { Pipeline, type PipelineOptions, type PipelineSummary } from '../pipeline.js';
import type { IngestProgress } from '../store/ingests.js';
import { Store, type StoreOptions } from '../store/store.js';
import { thousands } from '../config.js';
import { forTerminal } from '../output/escape.js';

export interface CaptureOptions extends LiveCaptureOptions, PipelineOptions, StoreOptions {
  db: string;
  log: Logger;
  /** Stops the capture (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Wall-clock interval between database flushes. */
  flushIntervalMs?: number;
  /** Wall-clock interval between drop-counter log lines. */
  statsIntervalMs?: number;
}

export interface CaptureSummary extends PipelineSummary {
  interface: string;
  devices: number;
  elapsedMs: number;
  received: number;
  kernelDrops: number;
  interfaceDrops: number;
}

export async function captureLive(opts: CaptureOptions): Promise<CaptureSummary> {
  const store = new Store(opts.db, { tombstoneRetentionDays: opts.tombstoneRetentionDays, eventsRetentionDays: opts.eventsRetentionDays });
  const pipeline = new Pipeline(store, { ...opts, flushEveryFrames: opts.flushEveryFrames ?? 5_000_000 });
  const started = Date.now();
  let capture: ReturnType<typeof openLiveCapture>;
  try {
    capture = openLiveCapture(opts, pipeline);
  } catch (err) {
    pipeline.close();
    store.close();
    throw err;
  }
  // The interface's transmit counter around the run: `auscult doctor` shows it has not moved.
  const txPacketsStart = interfaceTxPackets(opts.interface) ?? null;
  const ingestId = store.ingests.start({ kind: 'live', source: opts.interface, details: { tx_packets_start: txPacketsStart } });
  // The counters so far, for /health while the capture runs (written with each flush).
  const progress = (st: ReturnType<typeof capture.stats>): IngestProgress => {
    const s = pipeline.summary();
    return {
      frames: s.frames, bytes: s.wireBytes, malformed: s.malformed, unsupported: s.unsupported, flows: s.flows,
      kernelDrops: st.kernelDrops, interfaceDrops: st.interfaceDrops, lastPacketMs: pipeline.lastPacketMs(),
    };
  };
  opts.log.info({ interface: opts.interface, filter: opts.filter ?? null, db: opts.db, linkType: capture.linkType }, 'capture started (receive only)');

  let lastStatsLog = Date.now();
  const flushTimer = setInterval(() => {
    pipeline.flush();
    const st = capture.stats();
    pipeline.events?.checkLive(Date.now(), { interface: opts.interface, kernelDrops: st.kernelDrops, received: st.received });
    store.ingests.progress(ingestId, progress(st));
    store.writeCaptureCounters(ingestId, pipeline.captureCounters(opts.interface, st));
    const now = Date.now();
    if (now - lastStatsLog >= (opts.statsIntervalMs ?? 60_000)) {
      lastStatsLog = now;
      opts.log.info({ frames: pipeline.counters.frames, ...st }, 'capture statistics');
    }
  }, opts.flushIntervalMs ?? 2_000);

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });

  clearInterval(flushTimer);
  const st = capture.stats();
  capture.close();
  pipeline.finish();
  pipeline.close();
  const s = pipeline.summary();
  store.ingests.finish(ingestId, {
    ...progress(st),
    status: 'complete',
    details: {
      malformed_by_reason: s.malformedByReason, non_ip: s.nonIp, received: st.received,
      tx_packets_start: txPacketsStart, tx_packets_end: interfaceTxPackets(opts.interface) ?? null,
    },
  });
  store.writeCaptureCounters(ingestId, pipeline.captureCounters(opts.interface, st));
  const devices = store.reader.deviceCount();
  store.close();
  opts.log.info({ frames: s.frames, ...st }, 'capture stopped, database flushed');
  return { ...s, interface: opts.interface, devices, elapsedMs: Date.now() - started, ...st };
}

/** The end-of-capture summary as lines escaped for a terminal. */
export function formatCaptureSummary(s: CaptureSummary): string[] {
  const n = thousands;
  return [
    `captured on ${s.interface}: ${n(s.frames)} packets in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `devices ${n(s.devices)} | flows ${n(s.flows)} | malformed ${n(s.malformed)} | unsupported ${n(s.unsupported)}`,
    `libpcap: received ${n(s.received)} | kernel drops ${n(s.kernelDrops)} | interface drops ${n(s.interfaceDrops)}`,
  ].map(forTerminal);
}
