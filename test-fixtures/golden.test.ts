import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
