import { describe, expect, it } from 'vitest';
import { foldObservations, iso } from './evidence-fold.js';

describe('iso', () => {
  it('equals toISOString for times across days, years and edges, in any order', () => {
    const samples = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 5), 253_402_300_799_999];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (let i = 0; i < 2000; i++) samples.push(1_795_000_000_000 + Math.floor(Math.random() * 3 * 86_400_000));
    for (const ms of [...samples, -1, -86_400_001, 1.5, 253_402_300_800_000]) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('equals toISOString for a fraction of a millisecond within the day it formatted last', () => {
    const day = Date.UTC(2026, 0, 5, 8);
    expect(iso(day)).toBe(new Date(day).toISOString());
    for (const ms of [day + 0.25, day + 1999.5]) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('foldObservations', () => {
  it('keeps each field\'s distinct values newest first, at most 20, strings and other values apart', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      source: 'dhcp', fields: JSON.stringify({ hostname: i % 2 === 0 ? 'a' : 'b', n: i, k: i % 2 === 0 ? '1' : 1 }), first_seen: 100 - i, last_seen: 200 - i, count: 1,
    }));
    const { evidence, hostnames } = foldObservations([...rows, { source: 'mdns', fields: '{"hostname":"a"}', first_seen: 5, last_seen: 6, count: 1 }], false);
    expect(evidence).toEqual({ dhcp: { hostname: ['a', 'b'], n: Array.from({ length: 20 }, (_, i) => i), k: ['1', 1] }, mdns: { hostname: ['a'] } });
    expect(hostnames.map((h) => [h.name, h.source, h.first_seen])).toEqual([
      ['a', 'mdns', iso(5)], ['b', 'dhcp', iso(71)], ['a', 'dhcp', iso(72)],
    ]);
  });
});
