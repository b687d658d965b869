/**
 * `auscult fingerprints check`, `auscult reclassify` and `auscult explain`: the signature library and
 * the identification engine from the command line.
 */
import { existsSync } from 'node:fs';
import {
  builtinFingerprintsDir, checkLibrary, classify, explain, factsFromDevice, formatLibraryError, loadCategoryIds, loadLibrary,
  type Classification, type Library,
} from '../identify/index.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../log.js';
import { DeviceClassifier } from '../inventory/classifier.js';
import { EventRecorder } from '../events/recorder.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';
import { forTerminal, jsonForTerminal } from '../output/escape.js';

/** The analyst's signature directory: --fingerprints, else $AUSCULT_FINGERPRINTS, else none. */
export function userFingerprintsDir(flag: string | undefined): string | undefined {
  return flag ?? (process.env.AUSCULT_FINGERPRINTS || undefined);
}

/**
 * The built-in library plus the user directory. Signatures that fail to load (no example, no
 * reference, bad regex...) are left out with a warning; a missing user directory is an error.
 */
export function loadFingerprints(userDir: string | undefined, log: Logger | null): Library {
  if (userDir !== undefined && !existsSync(userDir)) {
    throw new UserFacingError(`fingerprint directory ${userDir} not found (--fingerprints or $AUSCULT_FINGERPRINTS)`);
  }
  const library = loadLibrary({ builtinDir: builtinFingerprintsDir(), userDir });
  for (const e of library.errors) log?.warn({ fingerprint: formatLibraryError(e) }, 'signature not loaded');
  return library;
}

/**
 * The category ids a `--category` filter accepts: the built-in library's, the analyst's, any that a
 * stored device has, and `unknown`, sorted.
 */
export function knownCategories(db: string, userDir: string | undefined): string[] {
  const ids = new Set(loadCategoryIds({ builtinDir: builtinFingerprintsDir(), userDir }));
  ids.add('unknown');
  if (existsSync(db)) {
    const reader = StoreReader.open(db);
    try {
      for (const c of reader.categories()) ids.add(c);
    } finally {
      reader.close();
    }
  }
  return [...ids].sort();
}

/** `auscult fingerprints check`: load errors and failing examples; returns the exit code. */
export function fingerprintsCheck(userDir: string | undefined, out: (line: string) => void): number {
  const library = loadFingerprints(userDir, null);
  const report = checkLibrary(library);
  for (const f of report.failures) out(`FAIL ${formatLibraryError(f)}`);
  out(`${report.signatures} signatures, ${report.examples} examples, ${library.categories.size} categories, ` +
    `${library.overrides.length} overrides: ${report.failures.length === 0 ? 'all good' : `${report.failures.length} problems`}`);
  return report.failures.length === 0 ? 0 : 1;
}

/** `auscult reclassify`: classify every device again with the current library. */
export function reclassify(db: string, userDir: string | undefined, fresh: boolean, log: Logger): { devices: number; byCategory: Record<string, number>; medical: number } {
  if (!existsSync(db)) throw new UserFacingError(`database ${db} not found (run \`auscult read\` or \`auscult capture\` first)`);
  const library = loadFingerprints(userDir, log);
  const store = new Store(db);
  try {
    new EventRecorder(store); // identity changes are events
    const devices = new DeviceClassifier(store, library).runAll(fresh);
    return { devices, ...store.reader.classificationSummary() };
  } finally {
    store.close();
  }
}

/**
 * `auscult explain <device>`: each field, its value and confidence, the signatures and evidence behind
 * it, as lines escaped for a terminal. A key that several devices match (an address that moved between
 * devices) lists them and asks for an id. `library` is loaded only to tell why a device has no
 * classification.
 */
export function explainDevice(db: string, key: string, library: () => Library): string[] {
  if (!existsSync(db)) throw new UserFacingError(`database ${db} not found`);
  const q = StoreReader.open(db);
  try {
    const ids = q.findDevices(key);
    if (ids.length === 0) throw new UserFacingError(`no device matches ${key} (give a device id, a MAC or an IP address)`);
    if (ids.length > 1) throw new UserFacingError(ambiguous(q, key, ids));
    const id = ids[0];
    const d = q.device(id)!;
    const lines = [
      `device ${d.id}  ${d.mac ?? '(no MAC)'}  ${d.ips.map((a) => a.ip).join(' ')}${d.mac_vendor ? `  [${d.mac_vendor}]` : ''}`,
    ];
    if (d.classification === null) lines.push(`  ${unclassified(q, id, library)}`);
    else for (const l of explain(d.classification as unknown as Classification)) lines.push(`  ${l}`);
    const observations = q.observations(id) ?? [];
    if (observations.length) {
      lines.push(`  evidence (${observations.length} observations, newest first):`);
      for (const o of observations.slice(0, 30)) lines.push(`    ${o.last_seen}  ${o.source}  ${jsonForTerminal(o.fields)}  x${o.count}`);
      if (observations.length > 30) lines.push(`    ... ${observations.length - 30} more (GET /api/v1/devices/${id}/observations)`);
    }
    return lines.map(forTerminal);
  } finally {
    q.close();
  }
}

/** The devices a key matches, one line each, and what to type instead. */
function ambiguous(q: StoreReader, key: string, ids: readonly number[]): string {
  const lines = [`${key} matches ${ids.length} devices (the address moved between them, or one is only known behind a router): give one id`];
  for (const id of ids) {
    const d = q.device(id);
    if (d === null) continue;
    const use = d.ips.find((a) => a.ip === key);
    const when = use ? `  used ${key} ${use.first_seen} .. ${use.last_seen}` : '';
    const name = d.hostnames[0]?.name;
    lines.push(`  auscult explain ${id}    ${d.mac ?? `routed ${d.ips[0]?.ip ?? ''}`}  ${d.vendor ?? d.mac_vendor ?? '-'}${name ? `  ${name}` : ''}${when}`);
  }
  return lines.map(forTerminal).join('\n');
}

/**
 * Why a device has no stored classification: one whose addresses and traffic are all auscult knows,
 * and whose MAC vendor no signature names, gets none (it would say "unknown" and nothing else).
 */
function unclassified(q: StoreReader, id: number, library: () => Library): string {
  const facts = q.deviceFacts(id);
  if (facts?.bare) {
    const c = classify(factsFromDevice(facts), library(), null);
    if (c.category.value === 'unknown' && c.vendor.value === null && !c.medical) {
      const what = facts.mac === null
        ? 'it is known only by its IP address and traffic (no evidence, no service)'
        : `auscult saw only its addresses and traffic (no evidence, no service), and no signature matches its MAC vendor (${facts.mac_vendor ?? 'not in the IEEE registry'})`;
      return `category unknown: ${what}; such a device gets no stored classification`;
    }
  }
  return 'not classified yet (run `auscult reclassify`)';
}
