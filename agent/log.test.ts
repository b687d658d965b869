/**
 * Log lines under systemd carry their syslog priority (`<3>` for an error), which journald strips and
 * files the line under; elsewhere stderr stays plain JSON. The real journal is checked by
 * docker/test-systemd.sh (`journalctl -p err`); here stderr is a file whose device and inode the
 * test puts in JOURNAL_STREAM, as systemd does for its socket.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeRecord, journalStreams, stderrIsJournal } from './log.js';
import { pcapBindingMissing, skipReason } from './testing/tools.js';

const root = join(import.meta.dirname, '..');
const noPcap = skipReason('the unknown-interface message (another error is checked instead)', pcapBindingMissing()) !== undefined;
const cli = join(root, 'dist', 'agent', 'cli.js');
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-log-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the executable with stderr in a file; `journal` sets JOURNAL_STREAM to that file. */
function runWithStderrFile(args: string[], journal: boolean): { code: number | null; stderr: string } {
  const path = join(work, `stderr-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(path, 'w');
  const st = fstatSync(fd);
  const env: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'info' };
  if (journal) env.JOURNAL_STREAM = `${st.dev}:${st.ino}`;
  else delete env.JOURNAL_STREAM;
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', fd], env });
  closeSync(fd);
  return { code: r.status, stderr: readFileSync(path, 'utf8') };
}

describe('syslog priorities for journald', () => {
  it('each pino level is written once, with its priority', () => {
    const path = join(work, 'levels');
    const fd = openSync(path, 'w');
    const log = pino({ level: 'trace', base: undefined, timestamp: false }, pino.multistream(journalStreams(fd), { dedupe: true }));
    log.fatal('f');
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.trace('t');
    closeSync(fd);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/\{.*"msg":"(\w)"\}$/, '$1'))).toEqual([
      '<2>f', '<3>e', '<4>w', '<6>i', '<7>d', '<7>t',
    ]);
  });

  it('JOURNAL_STREAM counts only when it names the stream stderr really is', () => {
    const st = fstatSync(2, { bigint: true });
    expect(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` })).toBe(true);
    expect(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` })).toBe(false);
    expect(stderrIsJournal({ JOURNAL_STREAM: 'nonsense' })).toBe(false);
    expect(stderrIsJournal({})).toBe(false);
  });

  it('the executable: a user error at priority err, warnings at warning; plain without the journal', () => {
    const sigs = join(work, 'sigs');
    mkdirSync(sigs, { recursive: true });
    writeFileSync(join(sigs, 'broken.yaml'), '- id: broken\n  description: no example\n');
    const fixture = join(root, 'test-fixtures', 'lan-dhcp.pcap');
    const warned = runWithStderrFile(['read', fixture, '--db', join(work, 'w.db'), '--fingerprints', sigs, '--no-progress'], true);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/^<4>\{"level":40,.*"msg":"signature not loaded"\}$/m);

    // Without the pcap binding the error is another one, at the same priority.
    const failed = runWithStderrFile(['capture', '-i', 'nosuchif9', '--db', join(work, 'e.db')], true);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(noPcap ? /^<3>auscult: live capture unavailable/ : /^<3>auscult: unknown interface nosuchif9; available: .*\n$/);
    const usage = runWithStderrFile(['capture', '--db', join(work, 'e.db')], true);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe("<3>error: required option '-i, --interface <name>' not specified");

    const plain = runWithStderrFile(['capture', '-i', 'nosuchif9', '--db', join(work, 'e.db')], false);
    expect(plain.stderr).toMatch(/^auscult: /);
  });
});

describe('log records printed for a person (pino-pretty on a terminal)', () => {
  it('have every string escaped, keys and nested values included; errors are left to pino', () => {
    const err = new Error('x');
    expect(escapeRecord({ file: 'a\x1b[2J.pcap', n: 3, list: ['\x07', { deep: '\u202e' }], err, ['k\x1b']: null })).toEqual({
      file: 'a\\x1b[2J.pcap', n: 3, list: ['\\x07', { deep: '\\u202e' }], err, ['k\\x1b']: null,
    });
  });
});
