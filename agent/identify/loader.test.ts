/**
 * Loader errors: what does not load, and that the message names the file, line and signature id.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLibrary, formatLibraryError, loadLibrary } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'auscult-identify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CATEGORIES = `
- { id: medical-device, label: Medical device, medical: true, criticality: null, description: generic }
- { id: infusion-pump, label: Infusion pump, medical: true, criticality: life-sustaining, parent: medical-device, description: pumps }
- { id: workstation, label: Workstation, medical: false, criticality: null, description: desktops }
- { id: unknown, label: Unknown, medical: false, criticality: null, description: nothing }
`;

const GOOD = `
- id: good-one
  description: a valid signature
  match:
    dhcp.vendor_class: "MSFT 5.0"
  weight: 80
  yields: { os: Windows }
  examples:
    - evidence: { dhcp.vendor_class: "MSFT 5.0" }
      expect: { os: Windows }
  references: ["[MS-DHCPE]"]
`;

let n = 0;
/** A library directory with the test taxonomy and the given files. */
function dirWith(files: Record<string, string>, categories: string | null = CATEGORIES): string {
  const dir = join(root, `lib${n++}`);
  mkdirSync(dir);
  if (categories !== null) writeFileSync(join(dir, 'categories.yaml'), categories);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function errorsOf(files: Record<string, string>): string[] {
  return loadLibrary({ builtinDir: dirWith(files) }).errors.map(formatLibraryError);
}

describe('loadLibrary errors', () => {
  it('loads a valid signature', () => {
    const lib = loadLibrary({ builtinDir: dirWith({ 'a.yaml': GOOD }) });
    expect(lib.errors).toEqual([]);
    expect(lib.signatures.map((s) => s.id)).toEqual(['good-one']);
  });

  it('refuses a signature without examples, naming file, line and id', () => {
    const text = GOOD + `
- id: no-examples
  description: x
  match: { dhcp.vendor_class: x }
  weight: 10
  yields: { os: X }
  references: [somewhere]
`;
    const lib = loadLibrary({ builtinDir: dirWith({ 'os.yaml': text }) });
    expect(lib.signatures.map((s) => s.id)).toEqual(['good-one']);
    expect(lib.errors.map(formatLibraryError)).toEqual([expect.stringMatching(/os\.yaml:13 \[no-examples\]: no examples: a signature without an example does not load/)]);
  });

  it('refuses a signature without references', () => {
    const text = `
- id: no-refs
  description: x
  match: { dhcp.vendor_class: x }
  weight: 10
  yields: { os: X }
  examples: [{ evidence: { dhcp.vendor_class: x }, expect: { os: X } }]
  references: []
`;
    expect(errorsOf({ 'a.yaml': text })).toEqual([expect.stringMatching(/a\.yaml:2 \[no-refs\]: no references/)]);
  });

  it('refuses an unknown category, in yields and in examples', () => {
    const text = GOOD.replace('yields: { os: Windows }', 'yields: { category: toaster }');
    expect(errorsOf({ 'a.yaml': text })).toEqual([expect.stringMatching(/\[good-one\]: yields\.category: unknown category "toaster"/)]);
    const text2 = GOOD.replace('expect: { os: Windows }', 'expect: { os: Windows, category: toaster }');
    expect(errorsOf({ 'a.yaml': text2 })).toEqual([expect.stringMatching(/examples\[0\]\.expect\.category: unknown category "toaster"/)]);
  });

  it('refuses a bad regular expression', () => {
    const text = GOOD.replace('dhcp.vendor_class: "MSFT 5.0"', "dhcp.vendor_class: { regex: 'MSFT (5' }");
    expect(errorsOf({ 'a.yaml': text })).toEqual([expect.stringMatching(/\[good-one\]: match: dhcp\.vendor_class: bad regex \/MSFT \(5\//)]);
  });

  it('refuses duplicate ids across files, naming the first definition', () => {
    const errors = errorsOf({ 'a.yaml': GOOD, 'b.yaml': GOOD });
    expect(errors).toEqual([expect.stringMatching(/b\.yaml:2 \[good-one\]: duplicate id, first defined in .*a\.yaml:2/)]);
  });

  it('refuses unknown keys, paths, placeholders and weights', () => {
    expect(errorsOf({ 'a.yaml': GOOD.replace('weight: 80', 'weight: 80\n  wieght: 3') })).toEqual([expect.stringMatching(/unknown key\(s\) "wieght"/)]);
    expect(errorsOf({ 'a.yaml': GOOD.replace('weight: 80', 'weight: 0') })).toEqual([expect.stringMatching(/\/weight: must be greater or equal to 1|\/weight/)]);
    expect(errorsOf({ 'a.yaml': GOOD.replace('dhcp.vendor_class: "MSFT 5.0"', 'vendorclass: "MSFT 5.0"') })).toEqual([
      expect.stringMatching(/unknown evidence path "vendorclass"/),
    ]);
    expect(errorsOf({ 'a.yaml': GOOD.replace('yields: { os: Windows }', 'yields: { os: "Windows {version}" }') })).toEqual([
      expect.stringMatching(/placeholder \{version\} is not a named group/),
    ]);
    expect(errorsOf({ 'a.yaml': GOOD.replace('dhcp.vendor_class: "MSFT 5.0"', 'dhcp.vendor_class: { equal: x }') })).toEqual([
      expect.stringMatching(/\[good-one\]: match\.dhcp\.vendor_class: unknown key\(s\) "equal"$/),
    ]);
  });

  it('refuses a match with only negative conditions', () => {
    const text = GOOD.replace('dhcp.vendor_class: "MSFT 5.0"', 'dhcp.vendor_class: { exists: false }');
    expect(errorsOf({ 'a.yaml': text })).toEqual([expect.stringMatching(/no positive condition/)]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorsOf({ 'a.yaml': '- id: x\n  description: [unclosed\n' })).toEqual([expect.stringMatching(/a\.yaml:\d+: YAML: /)]);
  });

  it('refuses bad vendor aliases', () => {
    const errors = errorsOf({ 'vendors.yaml': "- { name: X, aliases: ['(unclosed'] }\n- { name: Y }\n" });
    expect(errors).toEqual([expect.stringMatching(/vendors\.yaml:1 \[X\]: vendor: bad alias regex/), expect.stringMatching(/vendors\.yaml:2: vendor: .*missing "aliases"|vendors\.yaml:2: vendor: /)]);
  });

  it('requires the taxonomy and checks it', () => {
    const bad = CATEGORIES + '- { id: ventilator, label: V, medical: false, criticality: life-sustaining, description: x }\n- { id: orphan, label: O, medical: true, criticality: supporting, parent: nowhere, description: x }\n';
    const errors = loadLibrary({ builtinDir: dirWith({}, bad) }).errors.map(formatLibraryError);
    expect(errors).toEqual([expect.stringMatching(/\[ventilator\]: a non-clinical category/), expect.stringMatching(/\[orphan\]: unknown parent category "nowhere"/)]);
  });
});

describe('user directory', () => {
  it('replaces a built-in signature on purpose, and refuses an accidental duplicate', () => {
    const builtinDir = dirWith({ 'a.yaml': GOOD });
    const userOk = dirWith({ 'mine.yaml': GOOD.replace('id: good-one', 'id: good-one-local\n  replaces: good-one') }, null);
    const lib = loadLibrary({ builtinDir, userDir: userOk });
    expect(lib.errors).toEqual([]);
    expect(lib.signatures.map((s) => [s.id, s.builtin])).toEqual([['good-one-local', false]]);

    const userDup = dirWith({ 'mine.yaml': GOOD }, null);
    expect(loadLibrary({ builtinDir, userDir: userDup }).errors.map(formatLibraryError)).toEqual([
      expect.stringMatching(/mine\.yaml:2 \[good-one\]: duplicate id, first defined in .*a\.yaml:2 \(add "replaces: <id>"/),
    ]);

    const userMissing = dirWith({ 'mine.yaml': GOOD.replace('id: good-one', 'id: other\n  replaces: nothing-here') }, null);
    expect(loadLibrary({ builtinDir, userDir: userMissing }).errors.map(formatLibraryError)).toEqual([
      expect.stringMatching(/\[other\]: replaces "nothing-here", which is not a built-in signature/),
    ]);
  });

  it('loads overrides and refuses bad ones', () => {
    const builtinDir = dirWith({ 'a.yaml': GOOD });
    const userDir = dirWith({
      'overrides.yaml': `
- { mac: "00:11:22:33:44:55", vendor: BD, model: Alaris 8015, category: infusion-pump, location: ICU bed 4 }
- { ip: 10.1.2.3, category: toaster }
- { vendor: nobody }
- { mac: "00-11-22-33-44-55", note: duplicate }
`,
    }, null);
    const lib = loadLibrary({ builtinDir, userDir });
    expect(lib.overrides.map((o) => o.key)).toEqual(['mac 00:11:22:33:44:55']);
    expect(lib.errors.map(formatLibraryError)).toEqual([
      expect.stringMatching(/overrides\.yaml:3: override: unknown category "toaster"/),
      expect.stringMatching(/overrides\.yaml:4: override: give exactly one of "mac" or "ip"/),
      expect.stringMatching(/overrides\.yaml:5: override: duplicate entry for mac 00:11:22:33:44:55/),
    ]);
  });

  it('reports a missing user directory', () => {
    const lib = loadLibrary({ builtinDir: dirWith({ 'a.yaml': GOOD }), userDir: join(root, 'nope') });
    expect(lib.errors.map(formatLibraryError)).toEqual([expect.stringMatching(/user fingerprint directory not found/)]);
    expect(lib.signatures).toHaveLength(1);
  });
});

describe('checkLibrary', () => {
  it('reports an example whose expectation the signature or the library contradicts', () => {
    const text = GOOD.replace('expect: { os: Windows }', 'expect: { os: Linux }');
    const report = checkLibrary(loadLibrary({ builtinDir: dirWith({ 'a.yaml': text }) }));
    expect(report.failures.map(formatLibraryError)).toEqual([
      expect.stringMatching(/\[good-one\]: examples\[0\]: the signature yields os "Windows", the example expects "Linux"/),
      expect.stringMatching(/\[good-one\]: examples\[0\]: the library classifies os as "Windows" \(good-one\), the example expects "Linux"/),
    ]);
  });

  it('reports an example the signature does not match, and a counterexample it does', () => {
    const text = GOOD.replace('evidence: { dhcp.vendor_class: "MSFT 5.0" }', 'evidence: { dhcp.hostname: PC1 }') + '  counterexamples: [{ evidence: { dhcp.vendor_class: "MSFT 5.0" } }]\n';
    const report = checkLibrary(loadLibrary({ builtinDir: dirWith({ 'a.yaml': text }) }));
    expect(report.failures.map(formatLibraryError)).toEqual([
      expect.stringMatching(/examples\[0\]: the signature does not match its example \(no dhcp\.vendor_class in the evidence\)/),
      expect.stringMatching(/counterexamples\[0\]: the signature matches evidence it must not match/),
    ]);
  });

  it('includes load errors', () => {
    const report = checkLibrary(loadLibrary({ builtinDir: dirWith({ 'a.yaml': GOOD, 'b.yaml': GOOD }) }));
    expect(report.failures).toHaveLength(1);
    expect(report.signatures).toBe(1);
  });
});
