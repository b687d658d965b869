import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseMac } from '../decode/format.js';
import { compareOuiKeys, LOCALLY_ADMINISTERED, macVendor, textRegistry } from './oui.js';

const text = readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8');
const all = JSON.parse(text) as Record<string, string>;

describe('IEEE OUI lookup through oui-data', () => {
  it('finds the package in the order the binary search relies on', () => {
    const keys = [...text.matchAll(/^ *"([0-9A-F]+)": /gm)].map((m) => m[1]);
    expect(keys.length).toBe(Object.keys(all).length);
    for (let i = 1; i < keys.length; i++) expect(compareOuiKeys(keys[i - 1], keys[i])).toBeLessThan(0);
  });

  it('agrees with a full JSON.parse for every registry entry', () => {
    const reg = textRegistry(text);
    for (const [key, value] of Object.entries(all)) expect(reg.get(key)).toBe(value);
    expect(reg.get('ZZZZZZ')).toBeUndefined();
  });

  it('knows which MA-L blocks are split into MA-M/MA-S assignments', () => {
    const split = new Set(Object.keys(all).filter((k) => k.length > 6).map((k) => k.slice(0, 6)));
    const reg = textRegistry(text);
    for (const k of split) expect(reg.subdivides(k), k).toBe(true);
    for (const k of Object.keys(all).filter((x) => x.length === 6)) expect(reg.subdivides(k), k).toBe(split.has(k));
    expect(reg.subdivides('FFFFFF')).toBe(false);
  });

  it('gives the same name for every MAC of a block, from the lookup or from the per-block memo', () => {
    const reg = textRegistry(text);
    const direct = (mac: number): string | null => {
      const hex = mac.toString(16).padStart(12, '0').toUpperCase();
      const entry = reg.get(hex.slice(0, 9)) ?? reg.get(hex.slice(0, 7)) ?? reg.get(hex.slice(0, 6));
      return entry ? entry.split('\n', 1)[0].trim() : null;
    };
    const keys = Object.keys(all);
    const sample = [...keys.filter((_, i) => i % 97 === 0), ...keys.filter((k) => k.length > 6)];
    for (const key of sample) {
      for (const tail of ['000000', '7fffff', 'a5a5a5']) {
        const mac = parseInt((key + tail).slice(0, 12), 16) % 2 ** 48;
        if (Math.floor(mac / 2 ** 40) & 0x03) continue; // group or locally administered
        expect(macVendor(mac), key + tail).toBe(direct(mac));
        expect(macVendor(mac), key + tail).toBe(direct(mac));
      }
    }
  });

  it('names vendors, prefers the longest assignment and flags local MACs', () => {
    expect(macVendor(parseMac('00:09:fb:00:00:01'))).toMatch(/Philips/);
    expect(macVendor(parseMac('00:1b:21:12:34:56'))).toBe('Intel Corporate');
    // 10:06:48 is split into MA-M blocks: the 7-digit assignment wins over any 6-digit one.
    const maM = Object.keys(all).find((k) => k.length === 7)!;
    const mac = parseInt(maM.padEnd(12, '0'), 16);
    expect(macVendor(mac)).toBe(all[maM].split('\n')[0].trim());
    expect(macVendor(parseMac('02:42:ac:11:00:02'))).toBe(LOCALLY_ADMINISTERED);
    expect(macVendor(parseMac('ff:ff:ff:ff:ff:ff'))).toBeNull();
  });
});
