/**
 * Which signatures may match a device, without evaluating all 500+ of them. Built once per library and
 * held by it (`Library.candidates`): every table here is derived from the library's signatures and
 * cached for its lifetime.
 *
 * - Signatures are indexed by the evidence paths they require (`Library.index`): a device only meets
 *   those indexed under a path it has.
 * - Vendor-only signatures (they read nothing but the MAC's registry vendor: the IEEE-registry ones, a
 *   few hundred) give the same answer for every device of a vendor: indexed by the first character of
 *   the vendors their anchored pattern can match, and evaluated once per vendor.
 * - Signatures that read the device's own addresses (`mac`, `ip`) are listed apart: the engine's
 *   sharedFactsKey asks them whether alike devices may share one classification.
 */
import { evaluateMatch, type MatchResult } from './conditions.js';
import type { Facts } from './facts.js';
import type { CompiledSignature } from './library.js';

/** A vendor-only signature that matched, with what it matched. */
export interface VendorHit {
  sig: CompiledSignature;
  m: MatchResult;
}

/** Signature positions by the evidence path they require. */
type PathIndex = ReadonlyMap<string, readonly number[]>;

/** Paths a match reads. */
function pathsOf(m: CompiledSignature['match']): Set<string> {
  const groups = [m.all, ...m.any, ...(m.not ? [m.not] : [])];
  return new Set(groups.flatMap((g) => g.conditions.map((c) => c.path)));
}

export class SignatureCandidates {
  /** One mark per signature, cleared after each use: picks without a Set per device. */
  private readonly marks: Uint8Array;
  /** Per signature: it reads nothing but `mac_vendor`. */
  private vendorOnlyFlags: boolean[] | null = null;
  /** The path index without the vendor-only signatures (vendorHits evaluates those). */
  private otherIndex: PathIndex | null = null;
  /** Vendor-only signatures by the first character of the vendors they can match; `always`: the rest. */
  private vendorIndex: { byFirst: Map<string, CompiledSignature[]>; always: CompiledSignature[] } | null = null;
  /** Vendor-only hits by the JSON of a device's registry vendors. */
  private readonly vendorHitsMemo = new Map<string, VendorHit[]>();
  private addressReaderList: CompiledSignature[] | null = null;

  constructor(
    private readonly signatures: readonly CompiledSignature[],
    private readonly index: PathIndex,
  ) {
    this.marks = new Uint8Array(signatures.length);
  }

  /** Signatures that may match: those indexed under a path the device has, in library order. */
  indexed(facts: Facts, index: PathIndex = this.index): CompiledSignature[] {
    // A mark per signature and a numeric sort: this runs for every device classified.
    const marks = this.marks;
    const picked: number[] = [];
    for (const path of facts.keys()) {
      const list = index.get(path);
      if (list === undefined) continue;
      for (const i of list) {
        if (marks[i] === 0) {
          marks[i] = 1;
          picked.push(i);
        }
      }
    }
    const sorted = Int32Array.from(picked).sort();
    const out: CompiledSignature[] = new Array<CompiledSignature>(sorted.length);
    for (let j = 0; j < sorted.length; j++) {
      out[j] = this.signatures[sorted[j]];
      marks[sorted[j]] = 0;
    }
    return out;
  }

  /** The indexed candidates other than the vendor-only signatures (see vendorHits). */
  others(facts: Facts): CompiledSignature[] {
    if (this.otherIndex === null) {
      const flags = this.vendorOnly();
      const m = new Map<string, number[]>();
      for (const [path, list] of this.index) {
        const kept = list.filter((i) => !flags[i]);
        if (kept.length) m.set(path, kept);
      }
      this.otherIndex = m;
    }
    return this.indexed(facts, this.otherIndex);
  }

  /** The vendor-only signatures that match these facts' registry vendor, evaluated once per vendor. */
  vendorHits(facts: Facts): VendorHit[] {
    const vendors = facts.get('mac_vendor');
    if (vendors === undefined || vendors.length === 0) return [];
    const key = JSON.stringify(vendors);
    let hits = this.vendorHitsMemo.get(key);
    if (hits === undefined) {
      hits = [];
      for (const sig of this.vendorCandidates(vendors)) {
        const m = evaluateMatch(sig.match, facts);
        if (m) hits.push({ sig, m });
      }
      if (this.vendorHitsMemo.size >= 10_000) this.vendorHitsMemo.clear();
      this.vendorHitsMemo.set(key, hits);
    }
    return hits;
  }

  /** Ids of the vendor-only signatures matching a registry vendor name: through the index, or all evaluated. */
  vendorSignatureIds(vendor: string, viaIndex: boolean): string[] {
    const facts: Facts = new Map([['mac_vendor', [vendor]]]);
    const flags = this.vendorOnly();
    const sigs = viaIndex ? this.vendorCandidates([vendor]) : this.signatures.filter((s) => flags[s.order]);
    return sigs.filter((s) => evaluateMatch(s.match, facts) !== null).map((s) => s.id);
  }

  /** Signatures with a condition on the device's own addresses (`mac`, `ip`). */
  addressReaders(): readonly CompiledSignature[] {
    this.addressReaderList ??= this.signatures.filter((sig) => {
      const paths = pathsOf(sig.match);
      return paths.has('mac') || paths.has('ip');
    });
    return this.addressReaderList;
  }

  private vendorOnly(): boolean[] {
    this.vendorOnlyFlags ??= this.signatures.map((x) => {
      const paths = pathsOf(x.match);
      return paths.size === 1 && paths.has('mac_vendor');
    });
    return this.vendorOnlyFlags;
  }

  /** The vendor-only signatures that could match these vendor names, in library order. */
  private vendorCandidates(vendors: readonly unknown[]): CompiledSignature[] {
    const index = this.vendorsByFirstChar();
    const picked = new Set<CompiledSignature>(index.always);
    for (const v of vendors) {
      // Upper then lower case: what a case-insensitive pattern compares (ı and ſ match I and S).
      const first = typeof v === 'string' && v.length > 0 ? v[0].toUpperCase().toLowerCase() : '';
      for (const sig of index.byFirst.get(first) ?? []) picked.add(sig);
    }
    return [...picked].sort((a, b) => a.order - b.order);
  }

  /**
   * The vendor-only signatures by the first character of the vendors they can match (`oui_vendor`
   * patterns whose source says it), and those that may match anything (always evaluated).
   */
  private vendorsByFirstChar(): { byFirst: Map<string, CompiledSignature[]>; always: CompiledSignature[] } {
    if (this.vendorIndex !== null) return this.vendorIndex;
    const flags = this.vendorOnly();
    const index = { byFirst: new Map<string, CompiledSignature[]>(), always: [] as CompiledSignature[] };
    for (const sig of this.signatures) {
      if (!flags[sig.order]) continue;
      const m = sig.source.match as Record<string, unknown>;
      const keys = Object.keys(m);
      const chars = keys.length === 1 && typeof m.oui_vendor === 'string' ? leadingChars(m.oui_vendor) : null;
      if (chars === null) index.always.push(sig);
      else for (const c of chars) {
        let list = index.byFirst.get(c);
        if (list === undefined) index.byFirst.set(c, (list = []));
        list.push(sig);
      }
    }
    this.vendorIndex = index;
    return index;
  }
}

/**
 * The characters a `^`-anchored pattern can match first, lower case (the pattern is case-insensitive),
 * read from its source: `^Dell (Inc\\.|EMC)$|^Dell$` gives {d}, `^(HP Inc\\.|Hewlett Packard)$` {h}.
 * Null when the source is not that simple (the pattern is then always evaluated).
 */
export function leadingChars(source: string, anchored = true): Set<string> | null {
  const out = new Set<string>();
  for (const branch of topLevelBranches(source)) {
    let b = branch;
    if (anchored) {
      if (!b.startsWith('^')) return null;
      b = b.slice(1);
    }
    let first: Set<string> | null;
    let rest: string;
    if (b.startsWith('(')) {
      const close = groupEnd(b);
      if (close < 0) return null;
      let inner = b.slice(1, close);
      if (inner.startsWith('?:')) inner = inner.slice(2);
      else if (/^\?<[A-Za-z_$][\w$]*>/.test(inner)) inner = inner.slice(inner.indexOf('>') + 1);
      else if (inner.startsWith('?')) return null;
      first = leadingChars(inner, false);
      rest = b.slice(close + 1);
    } else if (/^[A-Za-z0-9 ,&'-]/.test(b)) {
      first = new Set([b[0].toLowerCase()]);
      rest = b.slice(1);
    } else if (/^\\[.()[\]{}|*+?^$\\/-]/.test(b)) {
      first = new Set([b[1]]);
      rest = b.slice(2);
    } else {
      return null;
    }
    if (first === null || /^[?*{]/.test(rest)) return null; // an optional first atom: anything may come first
    for (const c of first) out.add(c);
  }
  return out.size > 0 ? out : null;
}

/**
 * Calls `visit` on each character of a pattern source that is outside escapes and character classes,
 * with the group depth before it; stops at the first for which it returns true (its index, else -1).
 */
function scanPattern(s: string, visit: (i: number, c: string, depth: number) => boolean): number {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (visit(i, c, depth)) return i;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return -1;
}

/** The top-level `|` alternatives of a pattern source. */
function topLevelBranches(source: string): string[] {
  const out: string[] = [];
  let start = 0;
  scanPattern(source, (i, c, depth) => {
    if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
    return false;
  });
  out.push(source.slice(start));
  return out;
}

/** Index of the `)` closing the group that opens `s`, or -1. */
function groupEnd(s: string): number {
  return scanPattern(s, (_, c, depth) => c === ')' && depth === 1);
}
