/**
 * `npm run fixtures:update`: regenerate every `<capture>.expected.json` in test-fixtures/ from the
 * current behaviour. Review the diff before committing: it is the behaviour change.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fixtureDir, goldenCaptures, goldenFor } from './golden.js';

const dir = fixtureDir();
for (const name of goldenCaptures(dir)) {
  const out = await goldenFor(join(dir, name));
  const file = join(dir, `${name}.expected.json`);
  // The order of evidence keys can follow the captures read before in this process; the golden test
  // ignores it (toEqual), so a file whose content is unchanged is left as it is, not reordered.
  const same = existsSync(file) && isDeepStrictEqual(JSON.parse(readFileSync(file, 'utf8')), out);
  if (!same) writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`${name}: ${out.devices.length} devices${same ? '' : ' (written)'}\n`);
}
