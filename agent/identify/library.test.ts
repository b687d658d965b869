/**
 * The built-in library (fingerprints/): it loads without errors, every example of every signature
 * runs (evidence in, result out, through the signature alone and through the whole library), the
 * published schema is current, and the MAC examples agree with the IEEE registry they cite.
 *
 * Regenerate fingerprints/schema.json after changing agent/identify/schema.ts:
 *   UPDATE_SCHEMA=1 npx vitest run agent/identify/library.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMac } from '../decode/format.js';
import { macVendor } from '../inventory/oui.js';
import { builtinFingerprintsDir, checkLibrary, formatLibraryError, loadLibrary, signatureFileJsonSchema } from './index.js';

const dir = builtinFingerprintsDir();
const library = loadLibrary({ builtinDir: dir });

describe('built-in signature library', () => {
  it('loads every file without an error', () => {
    expect(library.errors.map(formatLibraryError)).toEqual([]);
    expect(library.signatures.length).toBeGreaterThanOrEqual(40);
  });

  it('runs every example and counterexample of every signature', () => {
    const report = checkLibrary(library);
    expect(report.failures.map(formatLibraryError)).toEqual([]);
    expect(report.examples).toBeGreaterThanOrEqual(library.signatures.length);
  });

  it('gives every signature an example and a reference', () => {
    for (const s of library.signatures) {
      expect(s.source.examples.length, s.id).toBeGreaterThan(0);
      expect(s.source.references.length, s.id).toBeGreaterThan(0);
    }
  });

  it('covers clinical and non-clinical domains', () => {
    const categories = new Set(library.signatures.flatMap((s) => s.yields.filter((y) => y.field === 'category').map((y) => String(y.template))));
    for (const c of ['medical-device', 'imaging-ct', 'patient-monitor', 'printer', 'ip-phone', 'network-equipment', 'camera', 'building-automation']) {
      expect(categories, c).toContain(c);
    }
  });

  it('uses MAC examples that the IEEE registry (oui-data) confirms', () => {
    let checked = 0;
    for (const s of library.signatures) {
      for (const ex of s.source.examples) {
        const { mac, mac_vendor: vendor } = ex.evidence as { mac?: string; mac_vendor?: string };
        if (typeof mac !== 'string' || typeof vendor !== 'string') continue;
        expect(macVendor(parseMac(mac)), `${s.id}: ${mac}`).toBe(vendor);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('publishes a schema.json generated from the TypeBox definition', () => {
    const file = join(dir, 'schema.json');
    const current = JSON.stringify(signatureFileJsonSchema(), null, 2) + '\n';
    if (process.env.UPDATE_SCHEMA) writeFileSync(file, current);
    expect(readFileSync(file, 'utf8'), 'fingerprints/schema.json is stale: run UPDATE_SCHEMA=1 npx vitest run agent/identify/library.test.ts').toBe(current);
  });

  it('documents every clinical category with a criticality or as generic', () => {
    for (const c of library.categories.values()) {
      if (!c.medical) expect(c.criticality).toBeNull();
      else if (c.id !== 'medical-device') expect(c.criticality).not.toBeNull();
    }
  });
});
