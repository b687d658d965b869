/**
 * The web page's static files (built into dist/web by `npm run build`) on the API's origin. They carry
 * no data and need no token (`config: { public: true }`); every screen then reads the API with the
 * token the user signs in with. The Content-Security-Policy of every answer (api/hardening.ts) allows
 * scripts, styles and connections to this origin only.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { packageRoot } from '../../agent/config.js';

export interface WebRoutesOptions {
  /** The built page (default: dist/web of the package). */
  dir?: string;
  /** Sign the browser out after this many minutes without activity (0: never). */
  idleTimeoutMinutes: number;
}

export const DEFAULT_IDLE_TIMEOUT_MINUTES = 15;

/** The files of the page: these, and the chunks the bundler split off (chunk-*.js, loaded on demand). */
const FILES = ['index.html', 'app.js', 'app.css'] as const;
const isChunk = (name: string): boolean => /^chunk-[\w.-]+\.js$/.test(name);

export function webDir(dir?: string): string | null {
  const d = dir ?? join(packageRoot(), 'dist', 'web');
  return existsSync(join(d, 'index.html')) ? d : null;
}

const PUBLIC = { config: { public: true }, schema: { hide: true } } as const;

const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, opts) => {
  const root = webDir(opts.dir);
  if (root === null) {
    app.get('/', PUBLIC, async (_req, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send('The web page is not built here: run `npm run build`. The API is at /api/v1 (/openapi.json).\n'));
    return;
  }
  // reply.sendFile only: each file gets a route of its own, public, so no path reaches the directory.
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, lastModified: false, etag: false });
  for (const file of [...FILES, ...readdirSync(root).filter(isChunk)]) {
    const send = async (_req: unknown, reply: import('fastify').FastifyReply) => reply.header('referrer-policy', 'no-referrer').sendFile(file);
    app.get(`/${file}`, PUBLIC, send);
    if (file === 'index.html') app.get('/', PUBLIC, send);
  }
  app.get('/web-config.json', PUBLIC, async () => ({ idle_timeout_minutes: opts.idleTimeoutMinutes }));
};

export default webRoutes;
