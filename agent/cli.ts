#!/usr/bin/env -S node --v8-pool-size=0
// The `auscult` executable. `--v8-pool-size=0` sizes V8's background threads (optimising compiler,
// parallel GC) to the cores less one instead of a fixed four, which on a two-core sensor take turns with
// the packet loop on its core (BENCHMARKS.md). Exit explicitly: a native capture handle or a pending
// timer must not keep a stopped agent alive.
import { main } from './commands/program.js';

main(process.argv).then((code) => process.exit(code));
