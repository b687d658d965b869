/**
 * Build step (`npm run build`): parse the built-in signature files once and write YAML_CACHE_FILE, so a
 * start does not spend a quarter of a second parsing YAML and compiling validators. A file is marked
 * validated when the whole built-in library loads without an error naming it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlList, textKey, YAML_CACHE_FILE, type CachedFile } from './files.js';
import { builtinFingerprintsDir, loadLibrary, type LibraryError } from './library.js';

// Validate from the YAML itself, never from the previous cache (the schema may have changed since).
rmSync(YAML_CACHE_FILE, { force: true });
const dir = builtinFingerprintsDir();
const library = loadLibrary({ builtinDir: dir });
const out: Record<string, CachedFile> = {};
for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const file = join(dir, name);
  const errors: LibraryError[] = [];
  const items = readYamlList(file, createHash('sha1'), errors, false);
  if (errors.length > 0) continue;
  const validated = !library.errors.some((e) => e.file === file);
  out[textKey(readFileSync(file, 'utf8'))] = { items, validated };
}
writeFileSync(YAML_CACHE_FILE, JSON.stringify(out));
