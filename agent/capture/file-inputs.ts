/**
 * The capture files of one `auscult read`, checked before any is read: a missing, unreadable, empty
 * or non-capture file among several is reported with all the others' problems, and nothing is read
 * (half an ingest is harder to undo than none). `-` is standard input.
 *
 * Regular files get a fingerprint (size and SHA-256 of the first MiB) by which a file already
 * ingested is recognised under any name; pipes, FIFOs and stdin have none (they are never skipped).
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync, type Stats } from 'node:fs';
import { hash } from 'node:crypto';
import { isatty } from 'node:tty';
import { captureHeadProblem } from './capture-stream.js';
import { emptyFile, notAFile, readError } from './file-source.js';
import { UserFacingError } from '../errors.js';

export interface CaptureInput {
  /** As the user gave it (`-` for standard input). */
  name: string;
  /** As messages name it ("standard input" for `-`). */
  label: string;
  /** What to open; `-` for standard input. */
  path: string;
  /** Regular files: `<size>:<sha256 of the first MiB>`; null for pipes, FIFOs, devices and stdin. */
  fingerprint: string | null;
  /** Bytes, for regular files (progress); 0 otherwise. */
  size: number;
}

/** Bytes hashed for the fingerprint: enough to tell captures apart (their first packets differ), cheap on a large file. */
const FINGERPRINT_BYTES = 1024 * 1024;

/** Check every path; throws one UserFacingError naming every problem when any has one. */
export function checkCaptureInputs(paths: readonly string[], stdinIsTerminal = isatty(0)): CaptureInput[] {
  const inputs: CaptureInput[] = [];
  const problems: string[] = [];
  if (paths.filter((p) => p === '-').length > 1) throw new UserFacingError('`-` (standard input) is given more than once: give it once');
  for (const name of paths) {
    if (name === '-' && stdinIsTerminal) {
      problems.push('`-` reads a capture from standard input, which is a terminal: pipe one in, e.g. `tcpdump -i eth1 -w - | auscult read -`');
      continue;
    }
    // Standard input is read as the stream it is (a pipe, or a socket that /dev/stdin cannot open).
    const r = name === '-' ? { name, label: 'standard input', path: '-', fingerprint: null, size: 0 } : inspect(name, name);
    if (typeof r === 'string') problems.push(r);
    else inputs.push(r);
  }
  if (problems.length === 1 && paths.length === 1) throw new UserFacingError(problems[0]);
  if (problems.length > 0) {
    throw new UserFacingError(
      `${problems.length} of the ${paths.length} files cannot be read; none was read:\n  ${problems.join('\n  ')}`,
    );
  }
  return inputs;
}

/** The input, or the one-line problem with it. */
function inspect(name: string, path: string, label = name): CaptureInput | string {
  let st: Stats;
  try {
    // stat, not open: opening a FIFO would wait for its writer (and close it on them afterwards).
    st = statSync(path);
    if (st.isDirectory()) return notAFile(label).message;
    accessSync(path, constants.R_OK);
  } catch (err) {
    return readError(label, err).message;
  }
  if (!st.isFile()) return { name, label, path, fingerprint: null, size: 0 };
  if (st.size === 0) return emptyFile(label).message;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.allocUnsafe(Math.min(FINGERPRINT_BYTES, st.size));
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const problem = captureHeadProblem(label, head.subarray(0, got));
    if (problem !== null) return problem.message;
    return { name, label, path, fingerprint: `${st.size}:${hash('sha256', head.subarray(0, got), 'hex')}`, size: st.size };
  } catch (err) {
    return readError(label, err).message;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
