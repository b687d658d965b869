/**
 * A deployment's API token from a file (a compose secret): registered by its hash at start, idempotent,
 * replaced when the file changes, never logged or stored in clear; through startServer, the built
 * executable (`serve` with $AUSCULT_TOKEN_FILE, the configuration file) and `auscult token import`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens, tokenHash } from '../agent/store/api-tokens.js';
import { StoreReader } from '../agent/store/reader.js';
import { startServer } from './server.js';
import { buildFixtureDatabase } from './testing/fixture-db.js';
import { readTokenFile, registerTokenFile } from './token-file.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const TOKEN_A = `auscult_${'a1'.repeat(32)}`;
const TOKEN_B = `auscult_${'b2'.repeat(32)}`;
let work: string;

/** Every file of the database (main, WAL, shared memory), for a clear-text search. */
function databaseBytes(db: string): string {
  return ['', '-wal', '-shm'].map((s) => (existsSync(db + s) ? readFileSync(db + s).toString('latin1') : '')).join('');
}

function secret(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-token-file-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('readTokenFile', () => {
  it('takes the token without its trailing newline, and refuses what is not one without quoting it', () => {
    expect(readTokenFile(secret('ok', `${TOKEN_A}\n`))).toBe(TOKEN_A);
    expect(() => readTokenFile(join(work, 'absent'))).toThrow(/cannot read the API token file .*absent: ENOENT/);
    expect(() => readTokenFile(secret('empty', '\n'))).toThrow(/must hold one token of 32 to 512 visible ASCII characters.*it holds nothing/);
    for (const bad of ['short-token', `${TOKEN_A} ${TOKEN_B}`, `${TOKEN_A}\n${TOKEN_B}`, `${TOKEN_A}\x1b`]) {
      let message = '';
      try {
        readTokenFile(secret('bad', bad));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/it holds something else/);
      expect(message).not.toContain('short-token');
      expect(message).not.toContain(TOKEN_A.slice(8, 24));
    }
  });
});

describe('registerTokenFile', () => {
  it('registers the hash once, replaces it when the file changes, and refuses a token held by another name', () => {
    const db = join(mkdtempSync(join(work, 'db-')), 'a.db');
    const tokens = ApiTokens.open(db);
    const reader = StoreReader.open(db);
    try {
      const file = secret('deploy', `${TOKEN_A}\n`);
      expect(registerTokenFile(tokens, { path: file }, 1000)).toBe(`API token deployment from ${file} registered, scopes read`);
      expect(registerTokenFile(tokens, { path: file }, 2000)).toMatch(/already registered/);
      expect(reader.apiToken(tokenHash(TOKEN_A))).toMatchObject({ name: 'deployment', scopes: ['read'], createdAtMs: 1000, expiresAtMs: null });

      // Other scopes: replaced in place.
      expect(registerTokenFile(tokens, { path: file, scopes: ['read', 'export'] }, 3000)).toMatch(/replaced/);
      expect(reader.apiToken(tokenHash(TOKEN_A))?.scopes).toEqual(['read', 'export']);
      // A rotated secret: the old token no longer counts.
      writeFileSync(file, TOKEN_B);
      expect(registerTokenFile(tokens, { path: file, scopes: 'read,export' }, 4000)).toMatch(/replaced \(the file changed\)/);
      expect(reader.apiToken(tokenHash(TOKEN_A))).toBeNull();
      expect(reader.apiToken(tokenHash(TOKEN_B))?.name).toBe('deployment');
      expect(tokens.list().map((t) => t.name)).toEqual(['deployment']);

      expect(() => registerTokenFile(tokens, { path: file, name: 'siem' })).toThrow(/registered already as token deployment: revoke that one/);
      expect(() => registerTokenFile(tokens, { path: file, name: 'a b' })).toThrow(/--token-name \(api\.token_name\) "a b"/);
      expect(() => registerTokenFile(tokens, { path: file, scopes: ['write'] })).toThrow(/--token-scopes \(api\.token_scopes\) "write": unknown scope/);
      expect(databaseBytes(db)).not.toContain(TOKEN_A);
      expect(databaseBytes(db)).not.toContain(TOKEN_B);
    } finally {
      reader.close();
      tokens.close();
    }
  });
});

describe('startServer with a token file', () => {
  it('answers the file\'s token at once, logs its name and never the token', async () => {
    const db = buildFixtureDatabase(mkdtempSync(join(work, 'srv-')));
    const file = secret('srv-token', `${TOKEN_A}\n`);
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
    const server = await startServer({ dbPath: db, host: '127.0.0.1', port: 0, logger, tokenFile: { path: file, name: 'compose', scopes: ['read'] } });
    try {
      const ok = await fetch(`${server.url}/api/v1/devices?limit=1`, { headers: { authorization: `Bearer ${TOKEN_A}` } });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${server.url}/api/v1/devices?limit=1`, { headers: { authorization: `Bearer ${TOKEN_B}` } });
      expect(wrong.status).toBe(401);
      // Scope read only: the export needs scope export.
      expect((await fetch(`${server.url}/api/v1/export/devices?format=csv`, { headers: { authorization: `Bearer ${TOKEN_A}` } })).status).toBe(403);
    } finally {
      await server.close();
    }
    expect(lines.join('')).toMatch(/API token compose from .*srv-token registered, scopes read/);
    expect(lines.join('')).not.toContain(TOKEN_A);
    expect(databaseBytes(db)).not.toContain(TOKEN_A);
  });

  it('refuses to start on an unreadable file, naming it', async () => {
    const db = buildFixtureDatabase(mkdtempSync(join(work, 'srv-')));
    await expect(startServer({ dbPath: db, host: '127.0.0.1', port: 0, tokenFile: { path: join(work, 'missing-token') } })).rejects.toThrow(/cannot read the API token file .*missing-token/);
  });
});

describe.skipIf(!existsSync(cli))('the built executable', () => {
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'info', ...extra };
    for (const k of ['AUSCULT_CONFIG', 'AUSCULT_DB', 'AUSCULT_TOKEN_FILE']) if (!(k in extra)) delete e[k];
    return e;
  };

  /** `auscult serve` until it says where it listens; its stderr, and a fetch through it. */
  async function serveWith(args: string[], extraEnv: NodeJS.ProcessEnv, probe: (url: string) => Promise<void>): Promise<string> {
    const child = spawn(process.execPath, [cli, ...args, 'serve', '--port', '0'], { cwd: work, env: env(extraEnv), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          const m = /auscult API at (http:\/\/[^/\s]+)/.exec(stderr);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      await probe(url);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
    return stderr;
  }

  it('serve registers $AUSCULT_TOKEN_FILE, or api.token_file of the configuration file, under its name and scopes', async () => {
    const db = buildFixtureDatabase(mkdtempSync(join(work, 'cli-')));
    const file = secret('env-token', `${TOKEN_A}\n`);
    const viaEnv = await serveWith(['--config', secret('c1.yaml', 'api:\n  token_name: sensor\n')], { AUSCULT_DB: db, AUSCULT_TOKEN_FILE: file }, async (url) => {
      expect((await fetch(`${url}/api/v1/summary`, { headers: { authorization: `Bearer ${TOKEN_A}` } })).status).toBe(200);
    });
    expect(viaEnv).toMatch(/API token sensor from .*env-token registered, scopes read/);
    expect(viaEnv).not.toContain(TOKEN_A);

    const config = secret('c2.yaml', `store:\n  path: ${db}\napi:\n  token_file: ${secret('cfg-token', TOKEN_B)}\n  token_name: dashboards\n  token_scopes: [read, export]\n`);
    const viaFile = await serveWith(['--config', config], {}, async (url) => {
      expect((await fetch(`${url}/api/v1/export/devices?format=csv`, { headers: { authorization: `Bearer ${TOKEN_B}` } })).status).toBe(200);
    });
    expect(viaFile).toMatch(/API token dashboards from .*cfg-token registered, scopes read, export/);
    expect(viaFile).not.toContain(TOKEN_B);
  }, 60_000);

  it('token import registers a file\'s token by its hash, idempotently', () => {
    const db = join(mkdtempSync(join(work, 'imp-')), 'a.db');
    const file = secret('imp-token', `${TOKEN_A}\n`);
    const run = (args: string[]) => spawnSync(process.execPath, [cli, 'token', 'import', ...args, '--db', db], { encoding: 'utf8', env: env() });
    const first = run(['--name', 'splunk', '--scopes', 'read,export', '--from-file', file]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/API token splunk from .*imp-token registered, scopes read, export/);
    expect(first.stdout + first.stderr).not.toContain(TOKEN_A);
    expect(run(['--name', 'splunk', '--scopes', 'read,export', '--from-file', file]).stderr).toMatch(/already registered/);
    const bad = run(['--name', 'x', '--scopes', 'write', '--from-file', file]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--scopes "write": unknown scope/);
    expect(databaseBytes(db)).not.toContain(TOKEN_A);
  });
});
