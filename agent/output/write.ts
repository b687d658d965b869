/**
 * Results on stdout, all of them. A pipe holds 64 KiB: what does not fit waits in the stream's buffer
 * until the reader catches up, and a process that exits first loses it (`auscult devices | jq` cut off
 * mid-document). Every command writes through here and returns only once the stream took everything.
 */
import type { Writable } from 'node:stream';

/** The reader went away (`| head`): not an error of ours; the command stops writing and exits quietly. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed by the reader');
    this.name = 'OutputClosed';
  }
}

/** Text is handed to the stream in pieces of about this many characters. */
const PIECE = 64 * 1024;

function closedOr(err: Error): Error {
  return (err as NodeJS.ErrnoException).code === 'EPIPE' ? new OutputClosed() : err;
}

/**
 * Write `chunks` to `stream` with back-pressure (waits for 'drain' when its buffer is full, so a
 * generator of rows is never all in memory) and resolve once the last byte was handed to the OS.
 * Rejects with OutputClosed when the reader closed the pipe.
 */
export async function writeAll(stream: Writable, chunks: Iterable<string> | string): Promise<void> {
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const onError = (err: Error): void => {
    failure = closedOr(err);
    wake?.();
  };
  const onDrain = (): void => wake?.();
  stream.on('error', onError);
  stream.on('drain', onDrain);
  try {
    let piece = '';
    const send = async (): Promise<void> => {
      const ok = stream.write(piece);
      piece = '';
      if (!ok && failure === null) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (failure !== null) throw failure;
    };
    for (const c of typeof chunks === 'string' ? [chunks] : chunks) {
      piece += c;
      if (piece.length >= PIECE) await send();
    }
    await new Promise<void>((resolve, reject) => {
      stream.write(piece, (err) => (err ? reject(closedOr(err)) : resolve()));
    });
    if (failure !== null) throw failure;
  } finally {
    stream.off('error', onError);
    stream.off('drain', onDrain);
  }
}

/** Lines to stdout, each followed by a newline. */
export function printLines(lines: Iterable<string>): Promise<void> {
  return writeAll(process.stdout, withNewlines(lines));
}

function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const l of lines) yield l + '\n';
}

/** Resolve once everything written to `stream` so far has been handed to the OS (before process.exit). */
export function flushed(stream: Writable): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.write('', () => resolve());
  });
}
