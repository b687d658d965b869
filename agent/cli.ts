#!/usr/bin/env -S node --v8-pool-size=0
// The `auscult` executable. `--v8-pool-size=0` sizes V8's background threads (optimising compiler,
// parallel GC) to the cores less one instead of a fixed four, which on a two-core sensor take turns with
// the packet loop on its core (BENCHMARKS.md). Exit explicitly: a native capture handle or a pending
// timer must not keep a stopped agent alive; but only once stdout and stderr handed everything to the
// OS, or a pipe's unread tail is lost.
import { main } from './commands/program.js';
import { flushed } from './output/write.js';

// A reader that closed the pipe (`| head`) makes writes fail with EPIPE: stop quietly, not with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

main(process.argv)
  .then(async (code) => {
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    return code;
  })
  .then((code) => process.exit(code));
