/**
 * pcapng timestamps: a 64-bit count of units (if_tsresol, option 9) since the epoch plus if_tsoffset
 * seconds (option 14), turned into microseconds without BigInt. hi·2^32+lo can exceed 2^53 (ns units),
 * so the count is divided in two exact steps instead of being formed as one double.
 */

/** How an interface's timestamp units become microseconds. */
export interface TsScale {
  /** 0: units·mul (10^-r, r ≤ 6); 1: units / div (10^-r, r > 6); 2: units / 2^shift (2^-r). */
  mode: 0 | 1 | 2;
  /** Mode 0: microseconds per unit (10^(6-r)). */
  mul: number;
  /** Mode 1: units per microsecond (10^(r-6)). */
  div: number;
  /** Mode 2: r of the 2^-r resolution. */
  shift: number;
  /** if_tsoffset in microseconds (added to every timestamp). */
  offsetMicros: number;
}

const TWO_32 = 4294967296;

/** Default pcapng resolution: microseconds, no offset. */
export function defaultTsScale(): TsScale {
  return { mode: 0, mul: 1, div: 1, shift: 0, offsetMicros: 0 };
}

/**
 * Sets the resolution from the if_tsresol byte (high bit: power of 2, else power of 10).
 * Returns false for resolutions we cannot represent (10^-r with r > 15, 2^-r with r > 63).
 */
export function setTsResolution(scale: TsScale, tsresol: number): boolean {
  const r = tsresol & 0x7f;
  if (tsresol & 0x80) {
    if (r > 63) return false;
    scale.mode = 2;
    scale.shift = r;
  } else if (r <= 6) {
    scale.mode = 0;
    scale.mul = 10 ** (6 - r);
  } else {
    if (r > 15) return false;
    scale.mode = 1;
    scale.div = 10 ** (r - 6);
  }
  return true;
}

/** Microseconds since the epoch (floored) of a timestamp given as its high and low 32-bit words. */
export function tsToMicros(scale: TsScale, hi: number, lo: number): number {
  if (scale.mode === 0) return (hi * TWO_32 + lo) * scale.mul + scale.offsetMicros;
  if (scale.mode === 1) {
    // (hi·2^32 + lo) / d = ⌊hi/d⌋·2^32 + ((hi mod d)·2^32 + lo) / d; the second numerator is < d·2^32,
    // exact in a double for d ≤ 2^21 (ps and coarser).
    const d = scale.div;
    const qHi = Math.floor(hi / d);
    return qHi * TWO_32 + Math.floor(((hi - qHi * d) * TWO_32 + lo) / d) + scale.offsetMicros;
  }
  const r = scale.shift;
  let seconds: number;
  let frac: number;
  if (r <= 32) {
    const unitsPerSecond = 2 ** r;
    const loSeconds = Math.floor(lo / unitsPerSecond);
    seconds = hi * 2 ** (32 - r) + loSeconds;
    frac = lo - loSeconds * unitsPerSecond;
  } else {
    const hiUnitsPerSecond = 2 ** (r - 32);
    seconds = Math.floor(hi / hiUnitsPerSecond);
    frac = (hi - seconds * hiUnitsPerSecond) * TWO_32 + lo;
  }
  return seconds * 1e6 + Math.floor((frac * 1e6) / 2 ** r) + scale.offsetMicros;
}
