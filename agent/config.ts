import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Defaults shared by every command, overridable by flags and environment. */
export const DEFAULT_DB_PATH = './auscult.db';

/** The database path: `--db`, else `AUSCULT_DB`, else `./auscult.db`. */
export function dbPath(flag?: string): string {
  return flag ?? process.env.AUSCULT_DB ?? DEFAULT_DB_PATH;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;

/** The package root (holds package.json), whether running from `dist/` or from sources. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** 1234567 → "1,234,567" (toLocaleString costs ~10 ms of ICU start-up on first use). */
export function thousands(x: number): string {
  return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
