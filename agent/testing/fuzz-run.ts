/**
 * Test support for the fuzzer: one run. A capture (the mutated traffic, as a pcap file's bytes) goes
 * through the real pipeline (record parser, decoder, flows, dissectors, inventory, identification with
 * the built-in library) into a real SQLite database; then the database is checked (integrity, foreign
 * keys), its files (database, WAL, shared memory) searched for planted patient data, and everything a
 * person or a SIEM reads from it produced and searched too: the API's device list, details and
 * observations through `inject()` (with its logs at trace level), and the CLI's `devices` (json, csv,
 * table) and `explain` of every device.
 *
 * A per-run wall-clock watchdog: the synchronous stages (ingest, CLI output) run under a `vm` timeout,
 * which interrupts even a loop that never yields (a regular expression backtracking for ever); the
 * API's asynchronous requests race a timer.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import vm from 'node:vm';
import { pino } from 'pino';
import { testApp } from '../../api/testing/test-app.js';
import { CaptureStreamParser } from '../capture/capture-stream.js';
import { explainDevice } from '../commands/identify.js';
import { formatDevices } from '../commands/devices.js';
import { PACKET_DISSECTORS, STREAM_DISSECTORS } from '../dissectors/index.js';
import type { Library } from '../identify/index.js';
import { Pipeline, type PipelineSummary } from '../pipeline.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';
import { plantedIn } from './planted.js';

export type FindingKind = 'crash' | 'hang' | 'leak' | 'inconsistent';

/** Something wrong with one run: what, where (stage or file), and the message or the planted values. */
export interface Finding {
  kind: FindingKind;
  where: string;
  detail: string;
}

export interface RunResult {
  findings: Finding[];
  /** The pipeline's counters (null when the ingest did not finish). */
  summary: PipelineSummary | null;
  devices: number;
  /** API requests and CLI outputs checked. */
  outputs: number;
}

export interface RunOptions {
  library: Library;
  /** Directory for the run's database (removed again after the run). */
  workDir: string;
  /** Wall-clock limit of each stage (ingest, API, CLI), ms. */
  timeoutMs: number;
  /** Flush to the database after this many frames (several flushes per run exercise the updates). */
  flushEveryFrames?: number;
  /** Called at each stage and request: the campaign's watchdog thread sees progress. */
  beat?: () => void;
}

const script = new vm.Script('run()');
const sandbox = vm.createContext({ run: (): unknown => undefined });

/** `fn()`, interrupted after `ms` whatever it is doing; a timeout is thrown as a HangError. */
function withinDeadline<T>(ms: number, fn: () => T): T {
  sandbox.run = fn;
  try {
    return script.runInContext(sandbox, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new HangError(ms);
    throw err;
  } finally {
    sandbox.run = () => undefined;
  }
}

class HangError extends Error {
  constructor(ms: number) {
    super(`no result after ${ms} ms`);
  }
}

async function raceDeadline<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new HangError(ms)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An exception a dissector threw, which the registry swallows (counted as a rejection) in production. */
export interface SwallowedError {
  dissector: string;
  error: string;
}

/**
 * Wraps every registered dissector so that an exception it throws is recorded before the registry's
 * safety net counts it as a rejection: for the fuzzer, a dissector that throws is a crash.
 */
export function installTripwire(): { take(): SwallowedError[]; restore(): void } {
  let caught: SwallowedError[] = [];
  const restores: (() => void)[] = [];
  for (const d of [...PACKET_DISSECTORS, ...STREAM_DISSECTORS] as { name: string; parse: (...args: never[]) => unknown }[]) {
    const original = d.parse;
    d.parse = function (this: unknown, ...args: never[]) {
      try {
        return original.apply(this, args);
      } catch (err) {
        caught.push({ dissector: d.name, error: (err as Error).stack ?? String(err) });
        throw err;
      }
    };
    restores.push(() => (d.parse = original));
  }
  return {
    take: () => {
      const out = caught;
      caught = [];
      return out;
    },
    restore: () => restores.forEach((r) => r()),
  };
}

/** Ingest `capture` (pcap bytes) and check everything; the database is removed afterwards. */
export async function executeRun(capture: Buffer, o: RunOptions): Promise<RunResult> {
  const findings: Finding[] = [];
  const result: RunResult = { findings, summary: null, devices: 0, outputs: 0 };
  const db = join(o.workDir, 'fuzz.db');
  const files = [db, `${db}-wal`, `${db}-shm`];
  files.forEach((f) => rmSync(f, { force: true }));
  const fail = (kind: FindingKind, where: string, err: unknown) =>
    findings.push({ kind: err instanceof HangError ? 'hang' : kind, where, detail: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  try {
    const store = new Store(db);
    let ingested = false;
    try {
      const pipeline = new Pipeline(store, { library: o.library, classifyEveryFlush: false, flushEveryFrames: o.flushEveryFrames });
      try {
        const warnings = withinDeadline(o.timeoutMs, () => {
          const parser = new CaptureStreamParser('fuzz.pcap', false, pipeline);
          parser.feed(capture);
          const read = parser.finish();
          pipeline.finish();
          return read.warnings;
        });
        ingested = true;
        result.summary = pipeline.summary();
        checkJson(findings, 'read summary and warnings', JSON.stringify({ summary: result.summary, warnings }));
      } catch (err) {
        fail('crash', 'ingest', err);
      } finally {
        pipeline.close();
      }
      o.beat?.();
      // The files while the writer is open: the WAL still holds the transactions.
      for (const f of files.filter(existsSync)) checkText(findings, f.slice(o.workDir.length + 1), readFileSync(f));
      if (ingested) checkConsistency(findings, store);
    } finally {
      closeAfter(store, ingested);
    }
    if (!ingested) return result;
    // After close: a checkpointed database file, as readers see it.
    checkText(findings, 'fuzz.db (closed)', readFileSync(db));
    try {
      o.beat?.();
      await checkApi(db, o.timeoutMs, result, o.beat);
    } catch (err) {
      fail('crash', 'api', err);
    }
    o.beat?.();
    try {
      withinDeadline(o.timeoutMs, () => checkCli(db, o.library, result));
    } catch (err) {
      fail('crash', 'cli', err);
    }
  } catch (err) {
    fail('crash', 'run', err);
  } finally {
    files.forEach((f) => rmSync(f, { force: true }));
  }
  return result;
}

/**
 * Close the writer. After an interrupted ingest it may refuse (a statement left open: "database table is
 * locked" when it checkpoints): the hang is the finding, the connection is abandoned with the run's files.
 */
function closeAfter(store: Store, ingested: boolean): void {
  try {
    store.close();
  } catch (err) {
    if (ingested) throw err;
  }
}

export function checkText(findings: Finding[], where: string, text: Buffer | string, opts: { letters?: boolean } = {}): void {
  const found = plantedIn(text, opts);
  if (found.length > 0) findings.push({ kind: 'leak', where, detail: `planted patient data: ${found.map((p) => JSON.stringify(p)).join(', ')}` });
}

/**
 * A JSON output: its strings (keys and values) are searched, its numbers are not: they are auscult's own
 * counters (packets, bytes), and one of a million equals a planted six-digit id by chance.
 */
export function checkJson(findings: Finding[], where: string, text: string): void {
  const strings: string[] = [];
  try {
    JSON.parse(text, (key, value: unknown) => {
      strings.push(key);
      if (typeof value === 'string') strings.push(value);
      return value;
    });
  } catch {
    return checkText(findings, where, text);
  }
  checkText(findings, where, strings.join('\n'));
}

/** Log lines without their clock readings (`time`, `responseTime`): digits that match planted ids by chance. */
export function withoutClock(text: string): string {
  return text.replace(/"(time|responseTime)":[\d.e+-]+/g, '"$1":0');
}

function checkConsistency(findings: Finding[], store: Store): void {
  for (const problem of store.reader.integrityProblems()) findings.push({ kind: 'inconsistent', where: 'integrity_check, foreign_key_check', detail: problem });
}

/** Every device through the API (list pages, detail, observations) and /health, logging at trace level. */
async function checkApi(db: string, timeoutMs: number, result: RunResult, beat?: () => void): Promise<void> {
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) }));
  const reader = StoreReader.open(db);
  const app = await testApp(reader, { logger });
  try {
    const get = async (url: string): Promise<string> => {
      const r = await raceDeadline(timeoutMs, app.inject(url));
      beat?.();
      result.outputs++;
      if (r.statusCode !== 200) result.findings.push({ kind: 'crash', where: `GET ${url}`, detail: `status ${r.statusCode}: ${r.body.slice(0, 500)}` });
      checkJson(result.findings, `GET ${url}`, r.body);
      return r.body;
    };
    await get('/health');
    let url: string | null = '/api/v1/devices?limit=200';
    while (url !== null) {
      const page = JSON.parse(await get(url)) as { items?: { id: number }[]; next_cursor?: string | null };
      for (const d of page.items ?? []) {
        result.devices++;
        await get(`/api/v1/devices/${d.id}`);
        await get(`/api/v1/devices/${d.id}/observations`);
      }
      url = page.next_cursor ? `/api/v1/devices?limit=200&cursor=${page.next_cursor}` : null;
    }
  } finally {
    await app.close();
    reader.close();
    // inject() and close() complete through promises alone: without a turn of the event loop, the
    // immediates they queued (holding the app and its responses) never run, and a campaign kept every
    // app it built (3.4 GB after 5 million packets).
    await new Promise((resolve) => setImmediate(resolve));
    checkText(result.findings, 'API logs (trace)', withoutClock(logs.join('')));
  }
}

/** `auscult devices` in every format and `auscult explain` of every device, as the CLI prints them. */
function checkCli(db: string, library: Library, result: RunResult): void {
  const reader = StoreReader.open(db);
  let devices;
  try {
    devices = [...reader.allDevices()];
  } finally {
    reader.close();
  }
  const print = (format: 'json' | 'csv' | 'table') => [...formatDevices(devices, format)].join('');
  checkJson(result.findings, 'auscult devices --format json', print('json'));
  // Tables and explanations print counters among the text: all-digit planted values are left to the JSON.
  for (const format of ['csv', 'table'] as const) checkText(result.findings, `auscult devices --format ${format}`, print(format), { letters: true });
  for (const d of devices) checkText(result.findings, `auscult explain ${d.id}`, explainDevice(db, String(d.id), () => library).join('\n'), { letters: true });
  result.outputs += 3 + devices.length;
}
