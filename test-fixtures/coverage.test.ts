/**
 * Every registered dissector shows in some golden file, every golden capture names the script that
 * records it, and test-fixtures/README.md's coverage table says so truthfully.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir } from './golden.js';
import {
  coverageTable, dissectorCoverage, goldenEvidence, protocolNames, recordingScripts, registeredDissectors, tableLines,
  uncoveredDissectors, type GoldenEvidence,
} from './coverage.js';

const dir = fixtureDir();

describe('golden coverage of the dissectors', () => {
  it('finds a dissector that no golden file covers', () => {
    // The check itself, on golden files that lack smb: it must name it.
    const goldens: GoldenEvidence[] = [{ capture: 'a.pcap', devicesBySource: { dhcp: 2 } }, { capture: 'b.pcap', devicesBySource: { smb: 0 } }];
    expect(uncoveredDissectors(['dhcp', 'smb'], goldens)).toEqual(['smb']);
  });

  it('has evidence of every registered dissector in some golden file', () => {
    expect(registeredDissectors().length).toBeGreaterThan(0);
    expect(uncoveredDissectors(registeredDissectors(), goldenEvidence(dir)), 'dissectors without a golden file (add a capture made by real software)').toEqual([]);
  });

  it('names, for every golden capture, the one make-*.sh script that records it', () => {
    const orphans = [...recordingScripts(dir)].filter(([, scripts]) => scripts.length !== 1).map(([c, s]) => `${c}: ${s.join(', ') || 'no script'}`);
    expect(orphans).toEqual([]);
  });

  it('matches the coverage table in test-fixtures/README.md (`npm run fixtures:coverage` prints it)', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const rows = dissectorCoverage(dir);
    expect(rows.filter((r) => r.module === null).map((r) => r.name), 'dissectors whose module was not found').toEqual([]);
    expect(tableLines(readme).join('\n')).toBe(coverageTable(rows, protocolNames(readme)));
  });
});
