/**
 * The configuration file: every problem named with its key and line; the file fills the flags, a flag
 * or the environment wins; README documents every key. End to end through the built executable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_BINDINGS, OTHER_KEYS } from './apply.js';
import { configProblems, loadConfigFile } from './load.js';
import { configKeys } from './schema.js';
import { pcapBindingMissing, skipReason } from '../testing/tools.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const fixture = join(root, 'test-fixtures', 'lan-dhcp.pcap');
let work: string;

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'warn' };
  for (const k of ['AUSCULT_CONFIG', 'AUSCULT_DB', 'AUSCULT_FINGERPRINTS']) delete base[k];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: work, env: { ...base, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(work, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Starts a serving command (its log level from the file, not the test's), returns once it listens. */
async function serveUntilReady(args: string[], env: NodeJS.ProcessEnv) {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete base.AUSCULT_LOG_LEVEL;
  const child = spawn(process.execPath, [cli, ...args], { cwd: work, env: base, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  let url: string | undefined;
  for (let i = 0; i < 400 && !url && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 50));
    url = /auscult API at (http:\/\/[^/\s]+)/.exec(err)?.[1];
  }
  return {
    url,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-config-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('config file problems', () => {
  it('names an unknown key with its line and the keys known there', () => {
    const { errors } = configProblems('capture:\n  interface: eth1\n  intreface: eth2\napi:\n  prot: 8080\n', 'a.yaml');
    expect(errors).toEqual([
      'a.yaml:3: unknown key "capture.intreface" (known in capture: interface, filter, snaplen, buffer_size_mib, promiscuous)',
      'a.yaml:5: unknown key "api.prot" (known in api: host, port, tls_cert, tls_key, allow_plain_http, allowed_hosts, rate_limit_per_minute, cors_origins, idle_timeout_seconds, header_timeout_seconds, response_cache_mib, token_file, token_name, token_scopes)',
    ]);
  });

  it('names an unknown section', () => {
    const { errors } = configProblems('store: {}\ncapure:\n  interface: eth1\n', 'a.yaml');
    expect(errors).toEqual(['a.yaml:2: unknown key "capure" (known: store, log, fingerprints, capture, flows, events, memory, forward, findings, api, web)']);
  });

  it('names the key and the expected type of a wrong value, every one of them', () => {
    const text = ['capture:', '  snaplen: big', '  promiscuous: yes', 'api:', '  port: 99999', 'log:', '  level: loud', 'flows:', '  max: 1.5', 'store:', '  path:'].join('\n');
    expect(configProblems(text, 'b.yaml').errors).toEqual([
      'b.yaml:2: capture.snaplen: expected an integer from 64 to 262144, found string "big"',
      'b.yaml:3: capture.promiscuous: expected true or false, found string "yes"',
      'b.yaml:5: api.port: expected an integer from 0 to 65535, found number 99999',
      'b.yaml:7: log.level: expected one of: fatal, error, warn, info, debug, trace, silent, found string "loud"',
      'b.yaml:9: flows.max: expected an integer from 1024 to 50000000, found number 1.5',
      'b.yaml:11: store.path: expected a non-empty string, found nothing (remove the key to use the default)',
    ]);
  });

  it('a section that is not a mapping, a file that is not one, and broken YAML', () => {
    expect(configProblems('api: 8080\n', 'c.yaml').errors).toEqual(['c.yaml:1: api: expected a mapping (indented key: value lines), found number 8080']);
    expect(configProblems('- eth1\n', 'c.yaml').errors).toEqual(['c.yaml:1: expected a mapping of sections (store:, capture:, api: ...), found a list']);
    expect(configProblems('capture:\n  interface: [eth1\n', 'c.yaml').errors[0]).toMatch(/^c\.yaml:\d: not valid YAML: /);
    expect(configProblems('api:\n  port: 1\n  port: 2\n', 'c.yaml').errors[0]).toMatch(/^c\.yaml:3: not valid YAML: .*unique/i);
  });

  it('an empty file is a valid configuration', () => {
    expect(configProblems('', 'e.yaml')).toEqual({ value: {}, errors: [] });
    expect(configProblems('# nothing yet\n', 'e.yaml')).toEqual({ value: {}, errors: [] });
  });

  it('paths in the file are relative to the file', () => {
    const path = file('etc/rel.yaml', 'store:\n  path: data/x.db\nfingerprints: ../sigs\n');
    const { config } = loadConfigFile(path);
    expect(config.store?.path).toBe(join(work, 'etc', 'data', 'x.db'));
    expect(config.fingerprints).toBe(join(work, 'sigs'));
  });

  it('the example shipped in docker/ is valid', () => {
    expect(() => loadConfigFile(join(root, 'docker', 'auscult.yaml'))).not.toThrow();
  });
});

describe('documentation and bindings', () => {
  const keys = configKeys().map((k) => k.key);

  it('every key is bound to its flag or set otherwise, and every binding names a key', () => {
    const handled = new Set<string>([...FLAG_BINDINGS.map((b) => b.key), ...OTHER_KEYS]);
    expect(keys.filter((k) => !handled.has(k))).toEqual([]);
    expect([...handled].filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('README documents every key, and no key that does not exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = /## Configuration file\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const documented = [...section.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...keys].sort());
  });
});

describe('the file on the command line', () => {
  it('fills --db; --db on the command line wins; $AUSCULT_DB wins over the file', () => {
    const cfg = file('cli/db.yaml', 'store:\n  path: from-file.db\n');
    expect(run(['read', fixture, '--config', cfg, '--no-progress']).code).toBe(0);
    expect(existsSync(join(work, 'cli', 'from-file.db'))).toBe(true);

    expect(run(['read', fixture, '--config', cfg, '--db', join(work, 'from-flag.db'), '--no-progress']).code).toBe(0);
    expect(existsSync(join(work, 'from-flag.db'))).toBe(true);

    const r = run(['read', fixture, '--no-progress'], { AUSCULT_CONFIG: cfg, AUSCULT_DB: join(work, 'from-env.db') });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(work, 'from-env.db'))).toBe(true);
  });

  const noPcap = skipReason('config test of the capture interface', pcapBindingMissing());
  it.skipIf(noPcap !== undefined)('fills the capture interface; --interface wins', () => {
    const cfg = file('cli/if.yaml', 'capture:\n  interface: nosuchif0\n');
    const fromFile = run(['capture', '--config', cfg, '--db', join(work, 'if.db')]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/^auscult: unknown interface nosuchif0; available: /);
    const fromFlag = run(['capture', '-i', 'nosuchif1', '--db', join(work, 'if.db')], { AUSCULT_CONFIG: cfg });
    expect(fromFlag.stderr).toMatch(/^auscult: unknown interface nosuchif1; /);
  });

  it('an error in the file stops any command with exit status 2 and every problem', () => {
    const cfg = file('cli/bad.yaml', 'capture:\n  interface: eth1\n  snaplen: "65535"\nlog:\n  levle: debug\n');
    const r = run(['devices'], { AUSCULT_CONFIG: cfg });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`auscult: ${cfg}:3: capture.snaplen: expected an integer from 64 to 262144, found string "65535"\n` +
      `${cfg}:5: unknown key "log.levle" (known in log: level)\n`);
    const missing = run(['devices', '--config', join(work, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`auscult: config file ${join(work, 'nope.yaml')}: not found (--config or $AUSCULT_CONFIG)\n`);
  });

  it('the demo never takes the database from the file (it recreates its own)', async () => {
    const cfg = file('cli/demo.yaml', `store:\n  path: ${join(work, 'precious.db')}\napi:\n  port: 0\n`);
    writeFileSync(join(work, 'precious.db'), 'not to be deleted');
    const { url, stop, stderr } = await serveUntilReady(['demo'], { AUSCULT_CONFIG: cfg });
    expect(url).toBeDefined();
    // Its ready line's curl carries the demo's token, which reads the inventory.
    const token = /try: curl -s -H 'Authorization: Bearer (auscult_[\w-]+)' '/.exec(stderr())?.[1];
    expect(token, stderr()).toBeDefined();
    expect((await fetch(`${url}/api/v1/devices?limit=5`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/devices?limit=5`)).status).toBe(401);
    await stop();
    expect(readFileSync(join(work, 'precious.db'), 'utf8')).toBe('not to be deleted');
    expect(existsSync(join(work, 'auscult-demo.db'))).toBe(true);
  });

  it('sets the API address and port and the log level of serve', async () => {
    const db = join(work, 'serve.db');
    expect(run(['read', fixture, '--db', db, '--no-progress']).code).toBe(0);
    const cfg = file('cli/serve.yaml', `store:\n  path: ${db}\napi:\n  host: 127.0.0.1\n  port: 0\nlog:\n  level: info\n`);
    const { url, stop, stderr } = await serveUntilReady(['serve'], { AUSCULT_CONFIG: cfg });
    expect(url, stderr()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url}/health`)).json()) as { devices: number };
    expect(health.devices).toBeGreaterThan(0);
    await stop();
    expect(stderr()).toMatch(/"level":30,.*"msg":"API listening"/);
  });
});
