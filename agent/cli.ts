#!/usr/bin/env node
// The `auscult` executable. Exit explicitly: a native capture handle or a pending timer must not keep
// a stopped agent alive.
import { main } from './commands/program.js';

main(process.argv).then((code) => process.exit(code));
