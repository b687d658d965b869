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
