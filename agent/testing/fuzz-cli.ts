/**
 * Test support for the fuzzer: a mutated capture through the built `auscult` executable, as a person
 * would run it: `auscult read --json` with logging at trace level, then `auscult devices` in each format
 * and `auscult explain` of a few devices, each a process of its own with a wall-clock limit. Every
 * output (stdout and stderr) is searched for planted patient data, and every command must succeed.
 * The per-run checks call the same functions in-process; this proves the executable says no more.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../config.js';
import { checkJson, checkText, withoutClock, type Finding } from './fuzz-run.js';

/** Devices explained through the executable (each a process start: the in-process runs explain them all). */
const EXPLAINED = 5;

/** The built executable, or null when `npm run build` has not made it. */
export function builtCli(): string | null {
  const cli = join(packageRoot(), 'dist', 'agent', 'cli.js');
  return existsSync(cli) ? cli : null;
}

/** Runs `capture` through the executable `cli`; returns the findings and the outputs searched. */
export function checkThroughCli(cli: string, capture: Buffer, workDir: string, timeoutMs: number): { findings: Finding[]; outputs: number } {
  const findings: Finding[] = [];
  const input = join(workDir, 'cli-input.pcap');
  const db = join(workDir, 'cli.db');
  const files = [input, db, `${db}-wal`, `${db}-shm`];
  writeFileSync(input, capture);
  let outputs = 0;
  const auscult = (args: string[], json: boolean): string | null => {
    const where = `auscult ${args.filter((a, i) => a !== db && a !== input && args[i + 1] !== db).join(' ')}`;
    const r = spawnSync(process.execPath, [cli, ...args], {
      encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, AUSCULT_LOG_LEVEL: 'trace' },
    });
    outputs++;
    if ((r.error as { code?: string } | undefined)?.code === 'ETIMEDOUT') {
      findings.push({ kind: 'hang', where, detail: `no result after ${timeoutMs} ms` });
      return null;
    }
    if (r.status !== 0) findings.push({ kind: 'crash', where, detail: `exit ${r.status ?? r.signal}: ${r.stderr.slice(0, 2000)}` });
    if (json) checkJson(findings, `${where} (stdout)`, r.stdout);
    else checkText(findings, `${where} (stdout)`, r.stdout, { letters: true });
    checkText(findings, `${where} (stderr, trace)`, withoutClock(r.stderr));
    return r.status === 0 ? r.stdout : null;
  };
  try {
    if (auscult(['read', '--json', '--no-progress', '--db', db, input], true) === null) return { findings, outputs };
    const list = auscult(['devices', '--db', db, '--format', 'json'], true);
    auscult(['devices', '--db', db, '--format', 'csv'], false);
    auscult(['devices', '--db', db, '--format', 'table'], false);
    let ids: number[] = [];
    try {
      ids = list === null ? [] : (JSON.parse(list) as { id: number }[]).map((d) => d.id);
    } catch (err) {
      // Cut short (a process that exits before a slow pipe drains) or not JSON at all.
      findings.push({ kind: 'crash', where: 'auscult devices --format json', detail: `stdout (${list?.length} characters) is not whole JSON: ${(err as Error).message}` });
    }
    for (const id of ids.slice(0, EXPLAINED)) auscult(['explain', String(id), '--db', db], false);
  } finally {
    files.forEach((f) => rmSync(f, { force: true }));
  }
  return { findings, outputs };
}
