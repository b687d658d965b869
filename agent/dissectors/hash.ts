/**
 * Two independent 32-bit running hashes (FNV-1a style and a murmur-style mix) over byte ranges and
 * integers, for the caches that recognise a repeated message without parsing it again: a false hit
 * needs both to collide. Module state, so hashing allocates nothing.
 */

/** The running hashes: [h1, h2]. */
export const HASH = new Int32Array(2);

/** Start a new pair of hashes. */
export function hashStart(seed: number): void {
  HASH[0] = 0x811c9dc5 ^ seed;
  HASH[1] = 0x2545f491 ^ Math.imul(seed, 0x9e3779b1);
}

/** Fold b[from..to) into the hashes, four bytes per step. */
export function hashRange(b: Uint8Array, from: number, to: number): void {
  let h1 = HASH[0];
  let h2 = HASH[1];
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const w = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  for (; i < to; i++) {
    h1 = Math.imul(h1 ^ b[i], 0x01000193);
    h2 = Math.imul(h2 ^ b[i], 0x5bd1e995);
  }
  HASH[0] = h1;
  HASH[1] = h2;
}

/** Fold one integer (a length, a type, a separator) into the hashes. */
export function hashInt(x: number): void {
  HASH[0] = Math.imul(HASH[0] ^ x, 0x01000193);
  const h2 = Math.imul(HASH[1] ^ x, 0x5bd1e995);
  HASH[1] = h2 ^ (h2 >>> 13);
}

/**
 * Values by a pair of hashes (and an optional text that must match too), cleared whole when full:
 * what a dissector builds once per distinct message content (fields objects of repeated hellos and
 * heads). A hit needs both hashes equal.
 */
export class HashMemo<T> {
  private readonly entries = new Map<number, { check: number; text: string; value: T }>();

  constructor(private readonly max = 4096) {}

  get(h1: number, h2: number, text = ''): T | undefined {
    const e = this.entries.get(h1);
    return e !== undefined && e.check === h2 && e.text === text ? e.value : undefined;
  }

  set(h1: number, h2: number, value: T, text = ''): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(h1, { check: h2, text, value });
  }
}
