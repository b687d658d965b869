/**
 * Build step (`npm run build`, after tsc): bundle the `auscult` executable and the dissection worker
 * from tsc's output into `dist/agent/cli.js` and `dist/agent/worker.js` (with shared chunks beside
 * them), so that a start loads a handful of files instead of ~75 ES modules: `auscult read` of a small
 * capture starts ~25 ms sooner (BENCHMARKS.md). Packages stay external (resolved from node_modules as
 * before). Everything lands in `dist/agent/`, so `import.meta.url`-relative paths that the bundled code
 * computes (`./worker.js`) resolve there. The unbundled modules stay in dist/ for the tests and tools.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { rolldown } from 'rolldown';
import { packageRoot } from '../config.js';

const agentDir = join(packageRoot(), 'dist', 'agent');
const staging = join(packageRoot(), 'dist', '.bundle');

async function main(): Promise<void> {
  rmSync(staging, { recursive: true, force: true });
  for (const f of readdirSync(agentDir)) if (f.startsWith('chunk-')) rmSync(join(agentDir, f));
  const bundle = await rolldown({
    input: { cli: join(agentDir, 'cli.js'), worker: join(agentDir, 'evidence', 'worker.js') },
    platform: 'node',
    // Our modules are bundled; packages and Node's own modules are imported at run time as before.
    external: (id) => !id.startsWith('.') && !isAbsolute(id),
    logLevel: 'warn',
  });
  await bundle.write({ dir: staging, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js' });
  await bundle.close();
  for (const f of readdirSync(staging)) renameSync(join(staging, f), join(agentDir, f));
  rmSync(staging, { recursive: true, force: true });
  // tsc's map describes the unbundled entry.
  if (existsSync(join(agentDir, 'cli.js.map'))) rmSync(join(agentDir, 'cli.js.map'));
}

await main();
