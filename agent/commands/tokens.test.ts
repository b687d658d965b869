/**
 * `auscult token create|list|revoke` through the built executable, and the lifetimes `--expires` takes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../store/api-tokens.js';
import { StoreReader } from '../store/reader.js';
import { parseExpiry, parseScopes } from './tokens.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
let work: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-token-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('auscult token', () => {
  it('creates a token shown once, alone on the last line of stdout, and stores only its hash', () => {
    const db = join(work, 'create.db');
    const r = run(['token', 'create', '--name', 'splunk', '--scopes', 'read,export', '--expires', '90d', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const token = lines[lines.length - 1];
    expect(token).toMatch(/^auscult_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/token splunk created \(scopes read, export; expires 20\d\d-/);
    const reader = StoreReader.open(db);
    const row = reader.apiToken(tokenHash(token));
    reader.close();
    expect(row).toMatchObject({ name: 'splunk', scopes: ['read', 'export'], lastUsedAtMs: null });
    expect(row!.expiresAtMs! - row!.createdAtMs).toBe(90 * 86_400_000);

    const again = run(['token', 'create', '--name', 'splunk', '--scopes', 'read', '--db', db]);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/a token named splunk exists already/);
  });

  it('rejects an unknown scope, a bad name or lifetime with the valid values', () => {
    const db = join(work, 'bad.db');
    expect(run(['token', 'create', '--name', 'x', '--scopes', 'read,write', '--db', db]).stderr).toMatch(/unknown scope "write" \(valid: read, export, metrics, admin/);
    expect(run(['token', 'create', '--name', 'a b', '--scopes', 'read', '--db', db]).stderr).toMatch(/--name "a b": use 1 to 64 letters/);
    expect(run(['token', 'create', '--name', 'x', '--scopes', 'read', '--expires', '90 days', '--db', db]).stderr).toMatch(/--expires "90 days": give a lifetime such as 90d/);
    expect(run(['token', 'create', '--name', 'x', '--db', db]).code).toBe(2);
  });

  it('lists tokens (never their values) and revokes one by name', () => {
    const db = join(work, 'list.db');
    const token = run(['token', 'create', '--name', 'dash', '--scopes', 'read', '--db', db]).stdout.trim();
    expect(run(['token', 'create', '--name', 'prom', '--scopes', 'metrics', '--expires', '12h', '--db', db]).code).toBe(0);
    const table = run(['token', 'list', '--db', db]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED$/);
    expect(lines[1]).toMatch(/^dash\s+read\s+20\S+Z\s+never\s+never$/);
    expect(lines[2]).toMatch(/^prom\s+metrics\s+20\S+Z\s+20\S+Z\s+never$/);
    expect(table.stdout).not.toContain(token);
    const json = JSON.parse(run(['token', 'list', '--db', db, '--format', 'json']).stdout) as { name: string; scopes: string[]; expired: boolean }[];
    expect(json.map((t) => [t.name, t.scopes, t.expired])).toEqual([['dash', ['read'], false], ['prom', ['metrics'], false]]);

    const revoked = run(['token', 'revoke', 'dash', '--db', db]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(run(['token', 'list', '--db', db]).stdout).not.toMatch(/^dash/m);
    const missing = run(['token', 'revoke', 'dash', '--db', db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no token named dash/);
  });
});

describe('token options', () => {
  it('reads lifetimes in hours, days and weeks, or never', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseExpiry('12h', now)).toBe(now + 12 * 3_600_000);
    expect(parseExpiry('90d', now)).toBe(now + 90 * 86_400_000);
    expect(parseExpiry('2w', now)).toBe(now + 14 * 86_400_000);
    expect(parseExpiry('never', now)).toBeNull();
    for (const bad of ['0d', '3651d', '1y', '-1d', '1.5d', '']) expect(() => parseExpiry(bad, now), bad).toThrow(/--expires/);
  });

  it('deduplicates scopes', () => {
    expect(parseScopes('read, read,admin')).toEqual(['read', 'admin']);
    expect(() => parseScopes(',')).toThrow(/no scope given/);
  });
});

describe('two processes creating tokens at once', () => {
  // What a second writer does to create(): both loop on it with no pause, against the same database.
  const creator = `import { ApiTokens } from ${JSON.stringify(join(root, 'dist', 'agent', 'store', 'api-tokens.js'))};
const [db, tag, startAt] = process.argv.slice(2);
const tokens = ApiTokens.open(db);
while (Date.now() < Number(startAt));
const created = [], taken = [], errors = [];
for (let i = 0; i < 300; i++) {
  // Every third name is one both processes try: exactly one of them gets it.
  const name = i % 3 === 0 ? 'shared-' + i : tag + '-' + i;
  try {
    (tokens.create(name, ['read'], null) === null ? taken : created).push(name);
  } catch (err) {
    errors.push(err.code + ': ' + err.message);
  }
}
tokens.close();
process.stdout.write(JSON.stringify({ created, taken, errors }));`;

  it('neither fails with SQLITE_BUSY; a name both want goes to one, the other is told it is taken', async () => {
    const db = join(work, 'race.db');
    run(['token', 'create', '--name', 'first', '--scopes', 'read', '--db', db]); // the database exists before the race
    const script = join(work, 'creator.mjs');
    writeFileSync(script, creator);
    const startAt = Date.now() + 1500;
    const results = await Promise.all(['a', 'b'].map((tag) => new Promise<{ created: string[]; taken: string[]; errors: string[] }>((resolve, reject) => {
      const child = spawn(process.execPath, [script, db, tag, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`creator ${tag} exited ${code}`))));
    })));
    const [a, b] = results;
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.created.length + a.taken.length).toBe(300);
    expect(b.created.length + b.taken.length).toBe(300);
    // Each shared name created exactly once, and refused to the other.
    const shared = [...a.created, ...b.created].filter((n) => n.startsWith('shared-'));
    expect(shared.length).toBe(100);
    expect(new Set(shared).size).toBe(100);
    expect([...a.taken, ...b.taken].sort()).toEqual([...shared].sort());
    const listed = run(['token', 'list', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n').filter((l) => /^(a|b|shared)-\d+\s/.test(l))).toHaveLength(500);
  });
});
