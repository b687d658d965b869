import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../agent/config.js';
import { fixtureDir, goldenCaptures, goldenFor } from './golden.js';

const dir = fixtureDir();
const captures = goldenCaptures(dir);

describe('golden outputs of the bundled captures', () => {
  it('has captures, each with a reviewed expected output', () => {
    expect(captures.length).toBeGreaterThan(0);
    for (const c of captures) expect(existsSync(join(dir, `${c}.expected.json`)), `${c}.expected.json`).toBe(true);
  });

  for (const capture of captures) {
    it(`${capture} gives its expected devices (npm run fixtures:update after a deliberate change)`, async () => {
      const expected = JSON.parse(readFileSync(join(dir, `${capture}.expected.json`), 'utf8'));
      expect(await goldenFor(join(dir, capture))).toEqual(expected);
    });
  }
});

// The CLI dissects on a worker thread (agent/evidence/remote.ts): it must give exactly the same output.
const workerJs = join(packageRoot(), 'dist', 'agent', 'evidence', 'worker.js');
describe.skipIf(!existsSync(workerJs))('the same outputs with the dissectors on a worker thread', () => {
  for (const capture of captures) {
    it(`${capture}`, async () => {
      const expected = JSON.parse(readFileSync(join(dir, `${capture}.expected.json`), 'utf8'));
      const got = await goldenFor(join(dir, capture), { dissectInWorker: true, dissectWorkerEntry: pathToFileURL(workerJs) });
      expect(got).toEqual(expected);
    });
  }
});
if (!existsSync(workerJs)) console.log(`worker-thread golden test skipped: ${workerJs} not built (npm test builds it first)`);
