import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../config.js';
import { PCAP_PACKAGE, RSYSLOG_MODULES, TEST_TOOLS, toolMissing } from './tools.js';

const root = packageRoot();
const packages = [...new Set([...Object.values(TEST_TOOLS), ...Object.values(RSYSLOG_MODULES), PCAP_PACKAGE])];
/** The words of every `apt-get install ...` command in a text: up to a backtick or a blank line. */
function aptInstalled(text: string): Set<string> {
  const words = new Set<string>();
  for (const m of text.matchAll(/apt-get install((?:[^`\n]|\n(?!\s*\n))*)/g)) for (const w of m[1].split(/[\s\\]+/)) words.add(w);
  return words;
}

describe('external programs of the tests', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('names a missing program and its Debian package', () => {
    const empty = mkdtempSync(join(tmpdir(), 'auscult-nopath-'));
    try {
      process.env.PATH = empty;
      expect(toolMissing('ping', 'ip')).toBe('`ping`, `ip` not found on PATH (Debian: apt-get install iputils-ping iproute2)');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('finds an executable on PATH, and not a file that cannot be run', () => {
    const bin = mkdtempSync(join(tmpdir(), 'auscult-path-'));
    try {
      writeFileSync(join(bin, 'ping'), '#!/bin/sh\n', { mode: 0o755 });
      writeFileSync(join(bin, 'ip'), '', { mode: 0o644 });
      process.env.PATH = `${join(bin, 'nosuch')}:${bin}`;
      expect(toolMissing('ping')).toBeUndefined();
      expect(toolMissing('ping', 'ip')).toMatch(/^`ip` not found/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('README.md\'s Debian line and .ci/run install every package the tests use', () => {
    const readme = aptInstalled(readFileSync(join(root, 'README.md'), 'utf8'));
    const ci = aptInstalled(readFileSync(join(root, '.ci', 'run'), 'utf8'));
    expect(packages.filter((p) => !readme.has(p)), 'missing from README.md').toEqual([]);
    expect(packages.filter((p) => !ci.has(p)), 'missing from .ci/run').toEqual([]);
  });
});
