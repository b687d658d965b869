import { describe, expect, it } from 'vitest';
import { HASH, HashMemo, hashInt, hashRange, hashStart } from './hash.js';

function hashOf(bytes: number[], seed = 0): [number, number] {
  hashStart(seed);
  hashRange(Uint8Array.from(bytes), 0, bytes.length);
  return [HASH[0], HASH[1]];
}

describe('hash', () => {
  it('gives equal hashes for equal bytes and different ones for a changed byte, length or seed', () => {
    const a = hashOf([1, 2, 3, 4, 5, 6, 7]);
    expect(hashOf([1, 2, 3, 4, 5, 6, 7])).toEqual(a);
    expect(hashOf([1, 2, 3, 4, 5, 6, 8])).not.toEqual(a);
    expect(hashOf([1, 2, 3, 4, 5, 6])).not.toEqual(a);
    expect(hashOf([1, 2, 3, 4, 5, 6, 7], 1)).not.toEqual(a);
    hashStart(0);
    hashInt(5);
    const five = [HASH[0], HASH[1]];
    hashStart(0);
    hashInt(6);
    expect([HASH[0], HASH[1]]).not.toEqual(five);
  });

  it('HashMemo needs both hashes and the text to match, and is cleared whole when full', () => {
    const memo = new HashMemo<string>(2);
    memo.set(1, 10, 'a', 'sni.example');
    expect(memo.get(1, 10, 'sni.example')).toBe('a');
    expect(memo.get(1, 11, 'sni.example')).toBeUndefined();
    expect(memo.get(1, 10, '')).toBeUndefined();
    memo.set(2, 20, 'b');
    expect(memo.get(2, 20)).toBe('b');
    memo.set(3, 30, 'c'); // full: cleared, then kept
    expect(memo.get(1, 10, 'sni.example')).toBeUndefined();
    expect(memo.get(3, 30)).toBe('c');
  });
});
