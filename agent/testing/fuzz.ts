/**
 * Test support: every truncation of each recorded frame, then seeded random byte corruptions past the
 * Ethernet addresses, each handed to `check` (which asserts the parser returned a verdict, not threw).
 */
import type { CapturedFrame } from './frames.js';

export function truncateAndCorrupt(frames: CapturedFrame[], seed: number, check: (frame: CapturedFrame, bytes: Buffer) => void, corruptions = 300): void {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (const f of frames) {
    for (let n = 0; n <= f.bytes.length; n++) check(f, f.bytes.subarray(0, n));
    for (let i = 0; i < corruptions; i++) {
      const bad = Buffer.from(f.bytes);
      const hits = 1 + Math.floor(rand() * 4);
      for (let h = 0; h < hits; h++) bad[12 + Math.floor(rand() * (bad.length - 12))] = Math.floor(rand() * 256);
      check(f, bad);
    }
  }
}
