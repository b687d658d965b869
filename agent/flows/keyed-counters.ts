/**
 * A growable hash table from a fixed-width key of 32-bit words to a row of counters, on typed arrays.
 * Flow reports are folded into endpoint, edge and service rows through it without building strings or
 * objects: strings are made only at flush, once per distinct row.
 */
/** Hash of `key[0..width)`: FNV-1a over 32-bit words with extra mixing (flow keys differ in few bits). */
export function hashWords(key: Int32Array, width: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < width; i++) {
    h = Math.imul(h ^ key[i], 0x01000193);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

export class KeyedCounters {
  keys: Int32Array;
  /** Counter rows, `valueWidth` per entry. */
  values: Float64Array;
  private hashes: Int32Array;
  private slots: Int32Array;
  private mask: number;
  /** Entries held. */
  size = 0;
  /** Whether the last `entry()` call created the entry. */
  created = false;

  constructor(readonly keyWidth: number, readonly valueWidth: number, initialEntries = 1024) {
    let cap = 16;
    while (cap < initialEntries) cap <<= 1;
    this.keys = new Int32Array(cap * keyWidth);
    this.values = new Float64Array(cap * valueWidth);
    this.hashes = new Int32Array(cap);
    this.slots = new Int32Array(cap * 2).fill(-1);
    this.mask = cap * 2 - 1;
  }

  /** Entry index for the key in `key[0..keyWidth)`, created with zeroed counters when new. */
  entry(key: Int32Array): number {
    const w = this.keyWidth;
    const h = hashWords(key, w);
    let s = h & this.mask;
    for (;;) {
      const e = this.slots[s];
      if (e < 0) break;
      if (this.hashes[e] === h) {
        const base = e * w;
        let same = true;
        for (let i = 0; i < w; i++) {
          if (this.keys[base + i] !== key[i]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.created = false;
          return e;
        }
      }
      s = (s + 1) & this.mask;
    }
    if (this.size === this.hashes.length) {
      this.grow();
      return this.entry(key);
    }
    const e = this.size++;
    this.keys.set(key.subarray(0, w), e * w);
    this.hashes[e] = h;
    this.slots[s] = e;
    this.created = true;
    return e;
  }

  private grow(): void {
    const cap = this.hashes.length * 2;
    const keys = new Int32Array(cap * this.keyWidth);
    keys.set(this.keys);
    const values = new Float64Array(cap * this.valueWidth);
    values.set(this.values);
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.keys = keys;
    this.values = values;
    this.hashes = hashes;
    this.slots = new Int32Array(cap * 2).fill(-1);
    this.mask = cap * 2 - 1;
    for (let e = 0; e < this.size; e++) {
      let s = hashes[e] & this.mask;
      while (this.slots[s] >= 0) s = (s + 1) & this.mask;
      this.slots[s] = e;
    }
  }

  /** Forget every entry (keeps the allocated capacity). */
  clear(): void {
    if (this.size === 0) return;
    this.slots.fill(-1);
    this.values.fill(0, 0, this.size * this.valueWidth);
    this.size = 0;
  }
}
