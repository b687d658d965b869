/**
 * `node dist/agent/tools/warmup.js FILE [ROUNDS]`: read the same capture ROUNDS times (default 3) in one
 * process, each time into a new database, exactly as `auscult read` does, and print each round's split
 * (packets, database writes, identification) as one JSON line. The first round runs on a cold JIT; the
 * later ones on code V8 has already optimised, with the same work to do: the difference is what JIT
 * warm-up costs a run. `npm run bench` uses it; see BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFingerprints } from '../commands/identify.js';
import { readFiles } from '../commands/read.js';
import { createLogger } from '../log.js';

async function main(): Promise<void> {
  const [file, roundsArg] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node dist/agent/tools/warmup.js FILE [ROUNDS]\n');
    process.exitCode = 2;
    return;
  }
  const rounds = Number(roundsArg ?? 3);
  const log = createLogger({ level: 'error' });
  const library = loadFingerprints(undefined, log);
  const work = mkdtempSync(join(tmpdir(), 'auscult-warmup-'));
  try {
    for (let round = 1; round <= rounds; round++) {
      const s = await readFiles([file], { db: join(work, `round-${round}.db`), progress: false, log, library });
      process.stdout.write(JSON.stringify({ round, frames: s.frames, elapsedMs: s.elapsedMs, timingsMs: s.timingsMs }) + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
