/**
 * The alias data (fingerprints/advisories/*.yaml): the built-in files load, every entry has a
 * reference, the spellings the real advisories use meet, and broken entries are errors that name the
 * file, line and entry.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AliasDataError, builtinAliasDir, loadAdvisoryAliases, VendorNames, vendorKey } from './advisory-aliases.js';
import { parseCsaf } from './csaf.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-aliases-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the built-in alias data', () => {
  const aliases = loadAdvisoryAliases();

  it('loads vendors, models and component markers, each with a reference', () => {
    expect(aliases.vendors.length).toBeGreaterThan(10);
    expect(aliases.models.length).toBeGreaterThan(10);
    expect(aliases.components.length).toBeGreaterThan(2);
    for (const e of [...aliases.vendors, ...aliases.models, ...aliases.components]) expect(e.references.length).toBeGreaterThan(0);
  });

  it('the Philips M8007A is the IntelliVue MP70, with its source', () => {
    const mp70 = aliases.models.find((m) => m.aliases.includes('M8007A'))!;
    expect(mp70.model).toBe('IntelliVue MP70');
    expect(mp70.references.join(' ')).toMatch(/ICSMA-19-255-01/);
  });

  const names = new VendorNames(aliases.vendors);
  it.each([
    ['Philips', 'Phillips'],
    ['GE Healthcare', 'General Electric (GE)'],
    ['B. Braun', 'B. Braun Medical'],
    ['B. Braun', 'B. Braun Melsungen AG'],
    ['Becton Dickinson', 'Becton, Dickinson and Company (BD)'],
    ['Dräger', 'Draeger Medical'],
    ['Welch Allyn', 'Hillrom'],
    ['Medtronic', 'Medtronic '],
    ['Abbott', 'St. Jude Medical'],
  ])('"%s" and "%s" are one vendor', (a, b) => {
    expect(names.of(a)).toBe(names.of(b));
  });

  it.each([
    ['Philips', 'Philips Lighting'],
    ['Fresenius Kabi', 'Fresenius Medical Care'],
    ['GE Healthcare', 'Siemens Healthineers'],
  ])('"%s" and "%s" are not', (a, b) => {
    expect(names.of(a)).not.toBe(names.of(b));
  });

  it('a vendor string listing several companies names each of them', () => {
    expect(names.allOf('Silex Technology and GE Healthcare').has('GE Healthcare')).toBe(true);
    expect(names.allOf('Hillrom and ELI, Baxter International Inc.').has('Baxter')).toBe(true);
    expect(names.allOf('Becton, Dickinson and Company (BD)')).toContain('BD');
  });

  it('every vendor spelling of the real advisories normalises to something non-empty', () => {
    const dir = join(builtinAliasDir(), 'icsma');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const r = parseCsaf(readFileSync(join(dir, f), 'utf8'));
      if (r.ok) for (const p of r.advisory.products) expect(vendorKey(p.vendor), `${f}: ${p.vendor}`).not.toBe('');
    }
  });
});

function userDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, 'user-'));
  mkdirSync(join(dir, 'advisories'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'advisories', name), text);
  return dir;
}

function errorsOf(files: Record<string, string>): string {
  try {
    loadAdvisoryAliases({ userDir: userDir(files) });
  } catch (err) {
    expect(err).toBeInstanceOf(AliasDataError);
    return (err as Error).message;
  }
  throw new Error('expected an AliasDataError');
}

describe('an analyst extends the data in --fingerprints <dir>/advisories/', () => {
  it('a valid entry is added after the built-in ones', () => {
    const a = loadAdvisoryAliases({
      userDir: userDir({ 'models.yaml': '- vendor: Dräger\n  model: Infinity Delta\n  aliases: [Delta, MS18701]\n  references: ["Dräger Infinity Delta IFU"]\n' }),
    });
    expect(a.models.at(-1)).toMatchObject({ vendor: 'Dräger', model: 'Infinity Delta', aliases: ['Delta', 'MS18701'], line: 1 });
  });

  it('an entry without references is an error naming file, line and entry', () => {
    const m = errorsOf({ 'models.yaml': '- vendor: Philips\n  model: IntelliVue MX450\n  aliases: ["866062"]\n' });
    expect(m).toMatch(/advisories[\\/]models\.yaml:1 \[IntelliVue MX450\]: "references" must be a list of at least one non-empty string/);
  });

  it('unknown keys, wrong types and broken YAML are errors too, all of them reported', () => {
    const m = errorsOf({
      'vendors.yaml': '- name: Acme\n  aliases: [ACME Corp]\n  references: [x]\n  website: acme.example\n- name: Other\n  aliases: Acme Medical\n  references: [y]\n',
      'components.yaml': '- marker: [WLAN\n',
    });
    expect(m).toMatch(/vendors\.yaml:1 \[Acme\]: unknown key\(s\) "website"/);
    expect(m).toMatch(/vendors\.yaml:5 \[Other\]: "aliases" must be a list/);
    expect(m).toMatch(/components\.yaml:\d+: YAML:/);
  });

  it('a spelling that already names another vendor is an error', () => {
    const m = errorsOf({ 'vendors.yaml': '- name: Phillips Lighting\n  aliases: [Phillips]\n  references: [x]\n' });
    expect(m).toMatch(/\[Phillips Lighting\]: "Phillips" already names vendor Philips/);
  });

  it('a model alias that already means another model of the vendor is an error', () => {
    const m = errorsOf({ 'models.yaml': '- vendor: Phillips\n  model: IntelliVue MP60\n  aliases: [M8007A]\n  references: [x]\n' });
    expect(m).toMatch(/\[IntelliVue MP60\]: "M8007A" already names IntelliVue MP70/);
  });
});
