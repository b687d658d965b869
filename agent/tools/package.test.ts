/**
 * Tests are not the product: the build (tsconfig.build.json) leaves them out of dist/, and the package
 * npm would publish holds no test, test support or fixture code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../config.js';

const root = packageRoot();
const dist = join(root, 'dist');
/** Test files and test support: `*.test.*`, `testing/` folders, the fixtures' own code. */
const isTestCode = (path: string): boolean => /\.test\.|(^|\/)testing\/|(^|\/)test-fixtures\//.test(path);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe.skipIf(!existsSync(join(dist, 'agent', 'cli.js')))('the built package', () => {
  it('has no compiled tests or test support in dist/', () => {
    const built = filesUnder(dist);
    expect(built.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(50);
    expect(built.filter(isTestCode)).toEqual([]);
  });

  it('ships no test code (npm pack)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('dist/agent/cli.js');
    expect(files.filter(isTestCode)).toEqual([]);
  });
});
if (!existsSync(join(dist, 'agent', 'cli.js'))) console.log('package test skipped: dist/ not built (npm test builds it first)');
