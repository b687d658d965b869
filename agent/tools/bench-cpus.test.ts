/** bench:api's split of the cores between the server and the load (no timing: what is pinned where). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuPlan, onCpus } from './bench-cpus.js';

const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

describe('bench:api CPU plan', () => {
  it.skipIf(!hasTaskset)('puts the server on CPU 0 and the load on the others; nothing pinned on one core', () => {
    expect(cpuPlan(2)).toMatchObject({ server: '0', load: '1' });
    expect(cpuPlan(8)).toMatchObject({ server: '0', load: '1-7' });
    expect(cpuPlan(1)).toEqual({ note: expect.stringMatching(/^not pinned: one core/) });
  });

  it.skipIf(!hasTaskset)('runs a command on the CPUs given, or as it is without', () => {
    expect(onCpus('1', 'node', ['x.js'])).toEqual(['taskset', ['-c', '1', 'node', 'x.js']]);
    expect(onCpus(undefined, 'node', ['x.js'])).toEqual(['node', ['x.js']]);
    // The kernel's view of the process started that way.
    const r = spawnSync(...onCpus('0', 'grep', ['Cpus_allowed_list', '/proc/self/status']), { encoding: 'utf8' });
    expect(r.stdout).toMatch(/Cpus_allowed_list:\s+0\n/);
  });
});
