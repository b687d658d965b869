import { describe, expect, it } from 'vitest';
import { iso } from './evidence-fold.js';

describe('iso', () => {
  it('equals toISOString for times across days, years and edges, in any order', () => {
    const samples = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 5), 253_402_300_799_999];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (let i = 0; i < 2000; i++) samples.push(1_795_000_000_000 + Math.floor(Math.random() * 3 * 86_400_000));
    for (const ms of [...samples, -1, -86_400_001, 1.5, 253_402_300_800_000]) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
