/**
 * MAC → device id for the inventory's flushes, as an open-addressing hash table on typed arrays:
 * 12 bytes per slot, no object per entry (a Map of a million MACs, heap numbers above 2^31, takes about
 * 80 MB). Bounded: when `maxEntries` MACs are held it starts again empty; the store stays the source of
 * truth, so a MAC not found here is looked up there (and its device is never created twice).
 */
export const DEFAULT_DEVICE_CACHE = 262_144;

const TWO32 = 0x100000000;

export class MacIdCache {
  /** MAC of each slot, 0 when free (MAC 0 is never a device's). */
  private readonly macs: Float64Array;
  private readonly ids: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(readonly maxEntries = DEFAULT_DEVICE_CACHE) {
    let cap = 16;
    while (cap < maxEntries * 2) cap <<= 1; // at most half full: short probe runs
    this.macs = new Float64Array(cap);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(mac: number): number {
    let h = Math.imul((mac / TWO32) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(mac >>> 0, 0xc2b2ae35);
    h ^= h >>> 15;
    return Math.imul(h, 0x27d4eb2d) & this.mask;
  }

  /** The device id of `mac`, 0 when not held. */
  get(mac: number): number {
    for (let s = this.slot(mac); ; s = (s + 1) & this.mask) {
      const m = this.macs[s];
      if (m === mac) return this.ids[s];
      if (m === 0) return 0;
    }
  }

  set(mac: number, id: number): void {
    if (this.size >= this.maxEntries) this.clear();
    for (let s = this.slot(mac); ; s = (s + 1) & this.mask) {
      const m = this.macs[s];
      if (m === mac) {
        this.ids[s] = id;
        return;
      }
      if (m === 0) {
        this.macs[s] = mac;
        this.ids[s] = id;
        this.size++;
        return;
      }
    }
  }

  clear(): void {
    this.macs.fill(0);
    this.size = 0;
  }
}
