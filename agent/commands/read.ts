/**
 * `auscult read <file...>`: ingest capture files into the database, with a progress bar on a terminal
 * and a summary at the end. Every path is checked before the first is read; a regular file already
 * read to its end before (same size and first MiB) is skipped unless `force`.
 */
import { basename } from 'node:path';
import type { SingleBar } from 'cli-progress';
import { checkCaptureInputs, type CaptureInput } from '../capture/file-inputs.js';
import { readCaptureFile, readCaptureStdin, type FileReadOptions, type FileReadResult } from '../capture/file-source.js';
import type { Logger } from '../log.js';
import { Pipeline, type PipelineOptions, type PipelineSummary } from '../pipeline.js';
import type { IngestProgress } from '../store/ingests.js';
import { Store, type StoreOptions } from '../store/store.js';
import { thousands } from '../config.js';
import { forTerminal } from '../output/escape.js';

export interface ReadOptions extends PipelineOptions, StoreOptions {
  db: string;
  /** Show a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  log: Logger;
  signal?: AbortSignal;
  /** Read files already ingested again (counting their packets twice). Default: skip them. */
  force?: boolean;
}

export interface FileSummary {
  /** As given (`-` for standard input). */
  path: string;
  /** read: read now (complete or not); skipped: ingested before (see `skippedBecause`). */
  outcome: 'read' | 'skipped';
  format: 'pcap' | 'pcapng' | null;
  compressed: boolean;
  frames: number;
  /** Read to its end now (false also when skipped: it was not read now). */
  complete: boolean;
  /** Why it is not complete: truncated, a corrupt record, interrupted, or why it was skipped. */
  reason: string | null;
  truncated: boolean;
  interrupted: boolean;
  warnings: string[];
}

export interface ReadSummary extends PipelineSummary {
  files: FileSummary[];
  /** new: created by this run; known: already in the database and seen again; total: in the database now. */
  devices: { new: number; known: number; total: number };
  /** False when a file read was not read to its end (see files[].reason). */
  complete: boolean;
  /** Files not reached because the run was interrupted before them. */
  notRead: string[];
  elapsedMs: number;
  /**
   * Where `elapsedMs` went: `store` writing the inventory (every flush), `identification` classifying
   * devices, `packets` the rest (reading, decoding, flows, dissectors). Process start-up is not in it.
   */
  timingsMs: { packets: number; store: number; identification: number };
  packetsPerSecond: number;
  interrupted: boolean;
}

/** Wall-clock interval of the progress (and heartbeat) written to the ingest row while a file is read. */
const PROGRESS_INTERVAL_MS = 1_000;

export async function readFiles(paths: string[], opts: ReadOptions): Promise<ReadSummary> {
  const inputs = checkCaptureInputs(paths);
  const store = new Store(opts.db, { tombstoneRetentionDays: opts.tombstoneRetentionDays, eventsRetentionDays: opts.eventsRetentionDays });
  // Files: classify once, at the end (a capture classifies at every flush instead).
  const pipeline = new Pipeline(store, { classifyEveryFlush: false, ...opts });
  const started = process.hrtime.bigint();
  const files: FileSummary[] = [];
  const devicesBefore = store.reader.maxDeviceId();
  let interrupted = false;
  try {
    const totalBytes = inputs.reduce((n, i) => n + i.size, 0);
    const bar = opts.progress ?? process.stderr.isTTY ? await newBar(totalBytes) : null;
    let doneBytes = 0;
    for (const input of inputs) {
      const earlier = input.fingerprint !== null && opts.force !== true ? store.ingests.completedWithFingerprint(input.fingerprint) : null;
      if (earlier !== null) {
        files.push({
          path: input.name, outcome: 'skipped', format: null, compressed: false, frames: 0, complete: false,
          reason: `already ingested completely by ingest ${earlier.id} (${earlier.source}, ${earlier.started_at}); --force reads it again`,
          truncated: false, interrupted: false, warnings: [],
        });
        doneBytes += input.size;
        continue;
      }
      const result = await readOne(input, store, pipeline, opts, (read) => {
        if (bar === null) return;
        const secs = Number(process.hrtime.bigint() - started) / 1e9;
        bar.update(doneBytes + read, {
          packets: thousands(pipeline.counters.frames),
          rate: thousands(pipeline.counters.frames / Math.max(secs, 1e-3)),
          mb: ((doneBytes + read) / 1e6).toFixed(1),
        });
      }).catch((err: unknown) => {
        bar?.stop();
        throw err;
      });
      doneBytes += input.size;
      files.push(result);
      interrupted = result.interrupted;
      if (interrupted) break;
    }
    const notRead = inputs.slice(files.length).map((i) => i.name);
    pipeline.finish();
    bar?.update(totalBytes);
    bar?.stop();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const s = pipeline.summary();
    const { storeMs, identifyMs } = pipeline.timings;
    return {
      ...s,
      files,
      devices: { new: store.devicesAbove(devicesBefore), known: store.seenUpTo(devicesBefore), total: store.reader.deviceCount() },
      complete: notRead.length === 0 && files.every((f) => f.complete || f.outcome === 'skipped'),
      notRead,
      elapsedMs,
      timingsMs: { packets: Math.max(0, elapsedMs - storeMs - identifyMs), store: storeMs, identification: identifyMs },
      packetsPerSecond: s.frames / Math.max(elapsedMs / 1000, 1e-9),
      interrupted,
    };
  } finally {
    pipeline.close();
    store.close();
  }
}

/** One file into the pipeline, recorded as an ingest (progress while it runs, how it ended). */
async function readOne(input: CaptureInput, store: Store, pipeline: Pipeline, opts: ReadOptions, onProgress: (bytesRead: number) => void): Promise<FileSummary> {
  const before = pipeline.summary();
  // The file's name, not its path (as before schema 5); stdin as such.
  const source = input.path === '-' ? 'stdin' : basename(input.name);
  const ingestId = store.ingests.start({ kind: 'file', source, fingerprint: input.fingerprint });
  const counters = (bytes: number): IngestProgress => {
    const now = pipeline.summary();
    return {
      frames: now.frames - before.frames, bytes, malformed: now.malformed - before.malformed,
      unsupported: now.unsupported - before.unsupported, flows: now.flows - before.flows, lastPacketMs: pipeline.lastPacketMs(),
    };
  };
  let bytesSoFar = 0;
  // Progress and heartbeat: a reader of the database sees the run advance, and sees it end if killed.
  const heartbeat = setInterval(() => store.ingests.progress(ingestId, counters(bytesSoFar)), PROGRESS_INTERVAL_MS);
  heartbeat.unref();
  let lastBar = 0;
  let result: FileReadResult;
  try {
    const readOpts: FileReadOptions = {
      signal: opts.signal,
      name: input.label,
      onProgress: (read) => {
        bytesSoFar = read;
        const now = Date.now();
        if (now - lastBar < 100) return;
        lastBar = now;
        onProgress(read);
      },
    };
    result = await (input.path === '-' ? readCaptureStdin(pipeline, readOpts) : readCaptureFile(input.path, pipeline, readOpts));
  } catch (err) {
    store.ingests.finish(ingestId, { ...counters(bytesSoFar), status: 'failed', reason: (err as Error).message, details: { error: (err as Error).message } });
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
  // The signal may have come after the last byte: the file was still read to its end.
  const interrupted = result.interrupted;
  pipeline.flush();
  const after = pipeline.summary();
  store.ingests.finish(ingestId, {
    ...counters(result.bytesRead),
    status: interrupted ? 'interrupted' : result.complete ? 'complete' : 'incomplete',
    reason: result.incompleteReason,
    details: { malformed_by_reason: after.malformedByReason, non_ip: after.nonIp, warnings: result.warnings, link_types: result.linkTypes },
  });
  for (const w of result.warnings) opts.log.warn({ file: input.name }, w);
  return {
    path: input.name, outcome: 'read', format: result.format, compressed: result.compressed, frames: result.frames,
    complete: result.complete, reason: result.incompleteReason, truncated: result.truncated, interrupted, warnings: result.warnings,
  };
}

/** A progress bar on stderr; its module loads only when one is shown (it costs start-up time). */
async function newBar(total: number): Promise<SingleBar> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: 'reading {bar} {percentage}% | {mb} MB | {packets} packets | {rate} pkt/s',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0, { packets: '0', rate: '0', mb: '0.0' });
  return bar;
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}

const byCount = (counts: Record<string, number>): string =>
  Object.entries(counts).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k} ${thousands(v)}`).join(', ');

/** The end-of-run summary as a few readable lines (escaped for a terminal: file names come from anywhere). */
export function formatReadSummary(s: ReadSummary): string[] {
  const n = thousands;
  const read = s.files.filter((f) => f.outcome === 'read');
  const skipped = s.files.length - read.length;
  const malformed = byCount(s.malformedByReason);
  const rejected = byCount(s.dissectors.rejected);
  const lines = [
    `${s.interrupted ? 'interrupted after' : 'read'} ${read.length} file(s)${skipped ? `, skipped ${skipped} already ingested` : ''}: ${n(s.frames)} packets, ${(s.wireBytes / 1e6).toFixed(1)} MB`,
    `devices: ${n(s.devices.new)} new, ${n(s.devices.known)} known seen again | ${n(s.devices.total)} in the database`,
    `flows ${n(s.flows)} | malformed ${n(s.malformed)}${malformed ? ` (${malformed})` : ''} | unsupported ${n(s.unsupported)}`,
    ...(Object.keys(s.nonIp).length ? [`not IP: ${Object.entries(s.nonIp).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`] : []),
    `rejected by dissectors (malformed messages, counted and skipped): ${rejected || 'none'}`,
    `elapsed ${secs(s.elapsedMs)} s | ${n(s.packetsPerSecond)} packets/s`,
    `of which packets ${secs(s.timingsMs.packets)} s | database writes ${secs(s.timingsMs.store)} s | identification ${secs(s.timingsMs.identification)} s`,
  ];
  for (const f of s.files) {
    if (f.outcome === 'skipped') lines.push(`skipped: ${f.path}: ${f.reason}`);
    else if (f.interrupted) lines.push(`interrupted: ${f.path}: ${f.reason}; the ${n(f.frames)} packets before were read and kept`);
    else if (!f.complete) lines.push(`incomplete: ${f.path}: ${f.reason}; the ${n(f.frames)} complete packets before it were read`);
  }
  if (s.notRead.length > 0) lines.push(`not read (interrupted before them): ${s.notRead.join(' ')}`);
  if (!s.complete && !s.interrupted) lines.push('the ingest is incomplete: some packets of the files above were not read');
  return lines.map(forTerminal);
}
