/**
 * Build step (`npm run build`): the web page into `dist/web/` (index.html, app.js, app.css), bundled
 * with rolldown, the bundler the executable already uses: app.js, and Cytoscape.js in a chunk the map
 * loads. No CDN, nothing fetched at run time but the auscult API.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';
import { packageRoot } from '../config.js';

const source = join(packageRoot(), 'api', 'web');
const out = join(packageRoot(), 'dist', 'web');

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const bundle = await rolldown({
    input: { app: join(source, 'src', 'main.ts') },
    platform: 'browser',
    tsconfig: join(source, 'tsconfig.json'),
    logLevel: 'warn',
  });
  // Cytoscape.js goes in a chunk of its own, loaded by the map screen only: the inventory's first page
  // does not wait for half a megabyte of graph code (bench:web).
  await bundle.write({ dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[name].js', minify: true });
  await bundle.close();
  for (const f of ['index.html', 'app.css']) copyFileSync(join(source, f), join(out, f));
}

await main();
