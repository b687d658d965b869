/**
 * A set of small positive integers (device ids, which SQLite hands out densely from 1) as a growable
 * bitmap: a million devices take 125 KB, where a Set of numbers would take tens of MB.
 */
export class IdSet {
  private bits = new Uint32Array(1024);

  add(id: number): void {
    const word = id >>> 5;
    if (word >= this.bits.length) {
      const bigger = new Uint32Array(Math.max(word + 1, this.bits.length * 2));
      bigger.set(this.bits);
      this.bits = bigger;
    }
    this.bits[word] |= 1 << (id & 31);
  }

  delete(id: number): void {
    const word = id >>> 5;
    if (word < this.bits.length) this.bits[word] &= ~(1 << (id & 31));
  }

  /** The members in ascending order, as a packed array (4 bytes each), leaving the set empty. */
  take(): Int32Array {
    const out = new Int32Array(this.countUpTo(this.bits.length * 32 - 1));
    let n = 0;
    for (let w = 0; w < this.bits.length; w++) {
      let x = this.bits[w];
      if (x === 0) continue;
      this.bits[w] = 0;
      while (x !== 0) {
        const low = x & -x;
        out[n++] = w * 32 + (31 - Math.clz32(low));
        x ^= low;
      }
    }
    return out;
  }

  has(id: number): boolean {
    const word = id >>> 5;
    return word < this.bits.length && (this.bits[word] & (1 << (id & 31))) !== 0;
  }

  /** How many members are ≤ max. */
  countUpTo(max: number): number {
    let n = 0;
    const last = Math.min(max >>> 5, this.bits.length - 1);
    for (let w = 0; w <= last; w++) {
      let x = this.bits[w];
      // The last word: only the bits up to max (>>> 0 keeps it unsigned).
      if (w === max >>> 5 && (max & 31) !== 31) x = (x & ((1 << ((max & 31) + 1)) - 1)) >>> 0;
      // Population count of a 32-bit word.
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      n += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return n;
  }
}
