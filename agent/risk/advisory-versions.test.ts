/**
 * Version expressions as the real CISA advisories write them (each string below is copied from a file
 * in fingerprints/advisories/icsma/) against device versions.
 */
import { describe, expect, it } from 'vitest';
import { evaluateVersion, parseVersionSpec, versionSegments } from './advisory-versions.js';

const verdict = (spec: string | null, version: string) => evaluateVersion(parseVersionSpec(spec), version).result;

describe('version segments', () => {
  it('splits digits and letters and drops separators and prefixes', () => {
    expect(versionSegments('M.00.03')).toEqual(['m', 0, 3]);
    expect(versionSegments('v22D28')).toEqual([22, 'd', 28]);
    expect(versionSegments('Rev J')).toEqual(['j']);
    expect(versionSegments('2.X')).toEqual([2, '*']);
    expect(versionSegments('C.0x')).toEqual(['c', '*']);
    expect(versionSegments('12.2.x.x')).toEqual([12, 2, '*']);
  });
});

describe('Philips release letters', () => {
  it('"Rev B-M" (ICSMA-18-156-01) is the releases B to M', () => {
    expect(verdict('Rev B-M', 'M.00.03')).toBe('match');
    expect(verdict('Rev B-M', 'B.00.01')).toBe('match');
    expect(verdict('Rev B-M', 'A.10.00')).toBe('no-match');
    expect(verdict('Rev B-M', 'N.01.00')).toBe('no-match');
  });

  it('"<=N" (ICSMA-20-254-01) covers every N release', () => {
    expect(verdict('<=N', 'M.00.03')).toBe('match');
    expect(verdict('<=N', 'N.01.05')).toBe('match');
    expect(verdict('<=N', 'P.01.00')).toBe('no-match');
  });

  it('"Rev J-M | (X3/MX100 for Rev M only)": the parenthesised remark is not a version', () => {
    const spec = parseVersionSpec('Rev J-M | (X3/MX100 for Rev M only)');
    expect(spec.kind).toBe('intervals');
    expect(spec.notes).toEqual(['X3/MX100 for Rev M only']);
    expect(verdict('Rev J-M | (X3/MX100 for Rev M only)', 'K.10.20')).toBe('match');
  });

  it('a numeric firmware against letter releases is numbered differently: unknown', () => {
    const v = evaluateVersion(parseVersionSpec('<=N'), '2.10.4');
    expect(v.result).toBe('unknown');
    expect(v.detail).toMatch(/numbered differently/);
  });

  it('"A.01 <= C.0x | 4.0" (ICSMA-21-322-02) and "< B.06.18" (ICSMA-17-255-01)', () => {
    expect(verdict('A.01 <= C.0x | 4.0', 'B.01')).toBe('match');
    expect(verdict('A.01 <= C.0x | 4.0', 'C.03')).toBe('match');
    expect(verdict('A.01 <= C.0x | 4.0', 'D.00')).toBe('no-match');
    expect(verdict('< B.06.18', 'B.06.10')).toBe('match');
    expect(verdict('< B.06.18', 'B.06.18')).toBe('no-match');
  });
});

describe('numbers, ranges, lists and vers:', () => {
  it('"<= 9.33", "<=12.1.3", "< 1.52"', () => {
    expect(verdict('<= 9.33', '9.19')).toBe('match');
    expect(verdict('<= 9.33', '9.33.1')).toBe('match');
    expect(verdict('<= 9.33', '9.34')).toBe('no-match');
    expect(verdict('<=12.1.3', '12.1.4')).toBe('no-match');
    expect(verdict('< 1.52', '1.40')).toBe('match');
    expect(verdict('< 1.52', '1.52')).toBe('no-match');
  });

  it('">= 1.0.0 | <= 1.1.1" is one interval; "1.1.7.333 | 2.1.1.3069" a list', () => {
    expect(verdict('>= 1.0.0 | <= 1.1.1', '1.0.5')).toBe('match');
    expect(verdict('>= 1.0.0 | <= 1.1.1', '1.2')).toBe('no-match');
    expect(verdict('>= 1.0.0 | <= 1.1.1', '0.9')).toBe('no-match');
    expect(verdict('1.1.7.333 | 2.1.1.3069', '2.1.1.3069')).toBe('match');
    expect(verdict('1.1.7.333 | 2.1.1.3069', '2.1.1.3070')).toBe('no-match');
    expect(verdict('>=BT02 | <= BT06', 'BT04')).toBe('match');
  });

  it('"2.X", "<= 12.2.x.x", "< 3.x": x is any', () => {
    expect(verdict('2.X', '2.1')).toBe('match');
    expect(verdict('2.X', '1.9')).toBe('no-match');
    expect(verdict('<= 12.2.x.x', '12.2.8.400')).toBe('match');
    expect(verdict('<= 12.2.x.x', '12.3')).toBe('no-match');
  });

  it('vers: ranges (purl-spec VERSION-RANGE-SPEC)', () => {
    expect(verdict('vers:all/*', 'anything at all')).toBe('match');
    expect(verdict('vers:generic/<=3.2', '3.1.9')).toBe('match');
    expect(verdict('vers:generic/>=1.0|<2.0', '1.5')).toBe('match');
    expect(verdict('vers:generic/>=1.0|<2.0', '2.0')).toBe('no-match');
    expect(verdict('vers:generic/1.0|1.2|>=3.0', '3.4')).toBe('match');
    expect(verdict('vers:generic/1.0|1.2|>=3.0', '1.1')).toBe('no-match');
  });

  it('a trailing "model ..." and parenthesised remarks are notes', () => {
    expect(verdict('8.x model 35700BAX2', '8.01.01')).toBe('match');
    expect(verdict('<= 1.54 (integrated into GE MobileLink)', '1.50')).toBe('match');
    expect(parseVersionSpec('9.x (with Wireless Battery Modules >= 22D19 | <= v22D28)').notes).toEqual(['with Wireless Battery Modules >= 22D19 | <= v22D28']);
  });
});

describe('what is not a version is unknown, never a match', () => {
  for (const text of [
    '< august 28', 'distributed  < april 1, 2018', '<8/30/2024', '<May 2018', '2nd Edition', '<= 3.0 D15',
    'Version A, Firmware A.03.09', 'Windows 10 Professional Operating System U.S. release', '< 1.8.4 Service Pack 01',
    'with wireless option (shipped between 26-June-2017 through 07-August 2018)',
  ]) {
    it(JSON.stringify(text), () => {
      expect(parseVersionSpec(text).kind).toBe('unparseable');
      expect(verdict(text, '1.0')).toBe('unknown');
    });
  }

  it('no version in the advisory, or none on the device', () => {
    expect(verdict(null, '1.0')).toBe('unknown');
    expect(verdict('<= 2.0', '-')).toBe('unknown');
  });
});
