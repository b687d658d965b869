/**
 * `auscult doctor`: the database side, and what the last live capture recorded in it: the database
 * writable with room to grow and to back up, its schema, kernel drops against the buffer size, and
 * the monitored interface's transmit counter since auscult started capturing.
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { thousands } from '../config.js';
import type { LiveIngest } from '../store/ingest-query.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { StoreReader } from '../store/reader.js';
import { fail, ok, skip, warn, type CheckResult } from './types.js';

const GIB = 1024 ** 3;
/** Below this much free space a busy network's database, or its backup, may not fit. */
export const MIN_FREE_BYTES = GIB;

export function databaseWritableCheck(path: string): CheckResult {
  const file = resolve(path);
  const dir = dirname(file);
  if (!existsSync(dir)) return fail('database', `${dir} does not exist`, `mkdir -p ${dir}, writable by the user auscult runs as (or choose store.path / --db)`);
  try {
    accessSync(existsSync(file) ? file : dir, constants.W_OK);
    if (existsSync(file)) accessSync(dir, constants.W_OK); // SQLite writes its -wal and -shm beside the file
  } catch {
    return fail('database', `${file} is not writable by uid ${process.getuid?.() ?? '?'}`, `chown the directory ${dir} to the user auscult runs as, or choose store.path / --db`);
  }
  return ok('database', existsSync(file) ? `${file} is writable` : `${file} will be created (its directory is writable)`);
}

export function diskSpaceCheck(path: string): CheckResult {
  const file = resolve(path);
  const dir = dirname(file);
  if (!existsSync(dir)) return skip('disk space', `${dir} does not exist`);
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const dbBytes = existsSync(file) ? statSync(file).size : 0;
  const found = `${(free / GIB).toFixed(1)} GiB free on ${dir} (database ${(dbBytes / 2 ** 20).toFixed(1)} MiB)`;
  if (free < MIN_FREE_BYTES || free < dbBytes) {
    return warn('disk space', found, 'free space or move store.path: a backup (VACUUM INTO) needs as much room as the database');
  }
  return ok('disk space', found);
}

/** Opens the database read-only when it exists; the checks that need it are skipped otherwise. */
export function openForChecks(path: string): { reader?: StoreReader; result: CheckResult } {
  if (!existsSync(path)) return { result: skip('schema', `no database at ${path} yet: the first capture creates it`) };
  try {
    const reader = StoreReader.open(path);
    const version = reader.schemaVersion();
    if (version < SCHEMA_VERSION) {
      return { reader, result: ok('schema', `version ${version}: migrated forward to ${SCHEMA_VERSION} when a capture next opens it (back it up first)`) };
    }
    return { reader, result: ok('schema', `version ${version}, as this auscult expects`) };
  } catch (err) {
    return { result: fail('schema', (err as Error).message.split(': ')[0], 'upgrade auscult, or point store.path at a database this version made') };
  }
}

export function lastCapture(reader: StoreReader | undefined, iface: string): LiveIngest | undefined {
  return reader?.lastLiveIngest(iface);
}

export function captureBufferCheck(run: LiveIngest | undefined, bufferSizeMiB: number): CheckResult {
  if (run === undefined) return skip('capture buffer', `${bufferSizeMiB} MiB; no live capture on this interface in the database yet`);
  if (run.kernelDrops === null) return skip('capture buffer', `${bufferSizeMiB} MiB; the capture started ${run.startedAt} has not written its drops yet (it does at each flush)`);
  if (run.kernelDrops === 0) return ok('capture buffer', `${bufferSizeMiB} MiB: no kernel drops in the capture of ${run.startedAt}`);
  const share = run.received ? ` (${((100 * run.kernelDrops) / (run.received + run.kernelDrops)).toFixed(2)} %)` : '';
  return warn('capture buffer', `${thousands(run.kernelDrops)} frames dropped by the kernel${share} in the capture of ${run.startedAt} with ${bufferSizeMiB} MiB`,
    `raise capture.buffer_size_mib (try ${Math.min(4096, bufferSizeMiB * 4)}) or leave bulk traffic out with capture.filter`);
}

/** auscult never transmits: the counter moving during a capture means the kernel or another program did. */
export function transmitCheck(iface: string, run: LiveIngest | undefined, txNow: number | undefined): CheckResult {
  const name = 'transmitted';
  if (run === undefined || run.txPacketsStart === null) {
    return skip(name, `no live capture on ${iface} recorded its transmit counter yet${txNow === undefined ? '' : ` (now ${thousands(txNow)} packets since the interface came up)`}`);
  }
  const running = run.status === 'running';
  const end = running ? txNow : run.txPacketsEnd;
  if (end === undefined || end === null) return skip(name, `the transmit counter of ${iface} cannot be read`);
  const since = running ? `since auscult started capturing (${run.startedAt})` : `during the last capture (${run.startedAt} to ${run.finishedAt})`;
  if (end < run.txPacketsStart) return skip(name, `${iface} was recreated ${since}: its counter restarted`);
  const sent = end - run.txPacketsStart;
  if (sent === 0) return ok(name, `${iface} sent 0 packets ${since}`);
  return fail(name, `${iface} sent ${thousands(sent)} packets ${since}; auscult never transmits, so the kernel or another program did`,
    `remove its addresses, disable IPv6 and any DHCP client or service bound to ${iface} (see the checks above)`);
}
