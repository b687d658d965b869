/**
 * Build step (`npm run build`): parse the built-in signature files once and write YAML_CACHE_FILE, so a
 * start does not spend a quarter of a second parsing YAML. Only files that parse cleanly are cached.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlList, textKey, YAML_CACHE_FILE, type YamlItem } from './files.js';
import { builtinFingerprintsDir, type LibraryError } from './library.js';

const dir = builtinFingerprintsDir();
const out: Record<string, YamlItem[]> = {};
for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const file = join(dir, name);
  const errors: LibraryError[] = [];
  const items = readYamlList(file, createHash('sha1'), errors, false);
  if (errors.length === 0) out[textKey(readFileSync(file, 'utf8'))] = items;
}
writeFileSync(YAML_CACHE_FILE, JSON.stringify(out));
