/** The benchmarks start `auscult` with the Node flags its executable's `#!` line gives node. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { skipReason } from '../testing/tools.js';
import { benchCli, benchCliArgs, benchNodeFlags, shebangNodeFlags } from './bench-db.js';

describe('bench Node flags from the #! line', () => {
  it('takes the flags after node, with env -S or a direct path; none without node or #!', () => {
    expect(shebangNodeFlags('#!/usr/bin/env -S node --v8-pool-size=0 --max-semi-space-size=32')).toEqual(['--v8-pool-size=0', '--max-semi-space-size=32']);
    expect(shebangNodeFlags('#!/usr/local/bin/node --v8-pool-size=0')).toEqual(['--v8-pool-size=0']);
    expect(shebangNodeFlags('#!/usr/bin/env node')).toEqual([]);
    expect(shebangNodeFlags('#!/bin/sh -e')).toEqual([]);
    expect(shebangNodeFlags('import { main } from "./x.js";')).toEqual([]);
  });

  it('starts the built executable with its source\'s flags (agent/cli.ts)', () => {
    const source = shebangNodeFlags(readFileSync(new URL('../cli.ts', import.meta.url), 'utf8').split('\n')[0]);
    expect(source).toContain('--v8-pool-size=0');
    if (skipReason('bench flags of the built executable', existsSync(benchCli()) ? undefined : 'dist/ not built (npm run build)') !== undefined) return;
    expect(benchNodeFlags()).toEqual(source);
    expect(benchCliArgs()).toEqual([...source, benchCli()]);
  });
});
