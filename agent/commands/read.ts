/**
 * `auscult read <file...>`: ingest capture files into the database, with a progress bar on a terminal
 * and a summary at the end.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { SingleBar } from 'cli-progress';
import { readCaptureFile, type FileReadResult } from '../capture/file-source.js';
import type { Logger } from '../log.js';
import { Pipeline, type PipelineOptions, type PipelineSummary } from '../pipeline.js';
import { Store } from '../store/store.js';
import { thousands } from '../config.js';

export interface ReadOptions extends PipelineOptions {
  db: string;
  /** Show a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  log: Logger;
  signal?: AbortSignal;
}

export interface ReadSummary extends PipelineSummary {
  files: { path: string; format: string; compressed: boolean; frames: number; truncated: boolean; warnings: string[] }[];
  devices: number;
  elapsedMs: number;
  /**
   * Where `elapsedMs` went: `store` writing the inventory (every flush), `identification` classifying
   * devices, `packets` the rest (reading, decoding, flows, dissectors). Process start-up is not in it.
   */
  timingsMs: { packets: number; store: number; identification: number };
  packetsPerSecond: number;
  interrupted: boolean;
}

export async function readFiles(paths: string[], opts: ReadOptions): Promise<ReadSummary> {
  const store = new Store(opts.db);
  // Files: classify once, at the end (a capture classifies at every flush instead).
  const pipeline = new Pipeline(store, { classifyEveryFlush: false, ...opts });
  const started = process.hrtime.bigint();
  const files: ReadSummary['files'] = [];
  let interrupted = false;
  try {
    const totalBytes = paths.reduce((n, p) => n + safeSize(p), 0);
    const bar = opts.progress ?? process.stderr.isTTY ? await newBar(totalBytes) : null;
    let doneBytes = 0;
    for (const path of paths) {
      const before = pipeline.summary();
      const ingestId = store.startIngest({ kind: 'file', source: basename(path) });
      let result: FileReadResult | undefined;
      try {
        let lastUpdate = 0;
        result = await readCaptureFile(path, pipeline, {
          signal: opts.signal,
          onProgress: bar
            ? (read) => {
                const now = Date.now();
                if (now - lastUpdate < 100) return;
                lastUpdate = now;
                const secs = Number(process.hrtime.bigint() - started) / 1e9;
                bar.update(doneBytes + read, {
                  packets: thousands(pipeline.counters.frames),
                  rate: thousands(pipeline.counters.frames / Math.max(secs, 1e-3)),
                  mb: ((doneBytes + read) / 1e6).toFixed(1),
                });
              }
            : undefined,
        });
      } catch (err) {
        store.finishIngest(ingestId, { status: 'failed', frames: 0, bytes: 0, malformed: 0, unsupported: 0, flows: 0, details: { error: String((err as Error).message) } });
        bar?.stop();
        throw err;
      }
      doneBytes += safeSize(path);
      interrupted = opts.signal?.aborted === true;
      pipeline.flush();
      const after = pipeline.summary();
      store.finishIngest(ingestId, {
        status: interrupted ? 'interrupted' : result.truncated ? 'truncated' : 'complete',
        frames: after.frames - before.frames,
        bytes: result.bytesRead,
        malformed: after.malformed - before.malformed,
        unsupported: after.unsupported - before.unsupported,
        flows: after.flows - before.flows,
        details: { malformed_by_reason: after.malformedByReason, non_ip: after.nonIp, warnings: result.warnings, link_types: result.linkTypes },
      });
      for (const w of result.warnings) opts.log.warn({ file: path }, w);
      files.push({
        path, format: result.format, compressed: result.compressed, frames: result.frames,
        truncated: result.truncated, warnings: result.warnings,
      });
      if (interrupted) break;
    }
    pipeline.finish();
    bar?.update(totalBytes);
    bar?.stop();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const s = pipeline.summary();
    const { storeMs, identifyMs } = pipeline.timings;
    return {
      ...s,
      files,
      devices: store.deviceCount(),
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

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // readCaptureFile reports the real error with its fix
  }
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

/** The end-of-run summary as a few readable lines. */
export function formatReadSummary(s: ReadSummary): string {
  const n = thousands;
  const malformed = Object.entries(s.malformedByReason).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  const lines = [
    `${s.interrupted ? 'interrupted after' : 'read'} ${s.files.length} file(s): ${n(s.frames)} packets, ${(s.wireBytes / 1e6).toFixed(1)} MB`,
    `devices ${n(s.devices)} | flows ${n(s.flows)} | malformed ${n(s.malformed)}${malformed ? ` (${malformed})` : ''} | unsupported ${n(s.unsupported)}`,
    ...(Object.keys(s.nonIp).length ? [`not IP: ${Object.entries(s.nonIp).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`] : []),
    `elapsed ${secs(s.elapsedMs)} s | ${n(s.packetsPerSecond)} packets/s`,
    `of which packets ${secs(s.timingsMs.packets)} s | database writes ${secs(s.timingsMs.store)} s | identification ${secs(s.timingsMs.identification)} s`,
  ];
  for (const f of s.files) if (f.truncated) lines.push(`warning: ${f.path} is truncated; all complete packets before the cut were read`);
  return lines.join('\n');
}
