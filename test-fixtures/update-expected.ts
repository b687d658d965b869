/**
 * `npm run fixtures:update`: regenerate every `<capture>.expected.json` in test-fixtures/ from the
 * current behaviour. Review the diff before committing: it is the behaviour change.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, goldenCaptures, goldenFor } from './golden.js';

const dir = fixtureDir();
for (const name of goldenCaptures(dir)) {
  const out = await goldenFor(join(dir, name));
  writeFileSync(join(dir, `${name}.expected.json`), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`${name}: ${out.devices.length} devices\n`);
}
