/**
 * The web page's static files (built into dist/web by `npm run build`) on the API's origin. They carry
 * no data and need no token; every screen then reads the API with the token the user signs in with.
 * A strict Content-Security-Policy: scripts, styles and connections to this origin only.
 */
import { existsSync } from 'node:fs';
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

/** The page's policy: nothing from anywhere but this origin, no inline script, no framing. */
export const WEB_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export function webDir(dir?: string): string | null {
  const d = dir ?? join(packageRoot(), 'dist', 'web');
  return existsSync(join(d, 'index.html')) ? d : null;
}

const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, opts) => {
  const root = webDir(opts.dir);
  if (root === null) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send('The web page is not built here: run `npm run build`. The API is at /api/v1 (/openapi.json).\n'));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    lastModified: false,
    serveDotFiles: false,
    setHeaders: (res) => {
      res.header('content-security-policy', WEB_CSP);
      res.header('x-content-type-options', 'nosniff');
      res.header('x-frame-options', 'DENY');
      res.header('referrer-policy', 'no-referrer');
      res.header('cache-control', 'no-cache');
    },
  });
  app.get('/web-config.json', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ idle_timeout_minutes: opts.idleTimeoutMinutes }));
};

export default webRoutes;
