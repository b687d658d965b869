import { describe, expect, it } from 'vitest';
import { isPublicAddress } from './public-address.js';
import { ArpWatch, DropsMeter, MacFloodMeter } from './thresholds.js';

describe('event thresholds', () => {
  it('arp.conflict: a second MAC within the window, reported once per address and MAC set', () => {
    const w = new ArpWatch(60_000);
    expect(w.claim('10.0.0.1', 'aa', 0)).toBeNull();
    expect(w.claim('10.0.0.1', 'aa', 1000)).toBeNull();
    expect(w.claim('10.0.0.1', 'bb', 2000)).toEqual(['aa', 'bb']);
    expect(w.claim('10.0.0.1', 'bb', 3000)).toBeNull();
    expect(w.claim('10.0.0.1', 'aa', 4000)).toBeNull();
    // Outside the window: an address handed from one MAC to another is no conflict.
    expect(w.claim('10.0.0.2', 'aa', 0)).toBeNull();
    expect(w.claim('10.0.0.2', 'cc', 60_001)).toBeNull();
  });

  it('arp.conflict: bounded memory starts over past its address limit', () => {
    const w = new ArpWatch(60_000, 2);
    w.claim('10.0.0.1', 'aa', 0);
    w.claim('10.0.0.2', 'aa', 0);
    w.claim('10.0.0.3', 'aa', 0);
    expect(w.claim('10.0.0.1', 'bb', 1)).toBeNull();
  });

  it('mac.flood: a minute over the threshold, once; at the threshold is no flood', () => {
    const m = new MacFloodMeter(3);
    for (let i = 0; i < 3; i++) m.newMac(60_000 + i);
    expect(m.floods()).toEqual([]);
    m.newMac(119_999);
    expect(m.floods()).toEqual([{ minuteStartMs: 60_000, newMacs: 4 }]);
    m.newMac(119_999);
    expect(m.floods()).toEqual([]);
    // Spread over two minutes: neither is over.
    for (let i = 0; i < 3; i++) m.newMac(180_000 + i * 10_000);
    for (let i = 0; i < 3; i++) m.newMac(240_000 + i * 10_000);
    expect(m.floods()).toEqual([]);
  });

  it('capture.drops: drops reaching the threshold within the interval, counted from the capture start', () => {
    const d = new DropsMeter(100, 60_000);
    expect(d.sample(99, 1000, 0)).toBeNull();
    expect(d.sample(100, 2000, 1000)).toEqual({ dropped: 100, received: 2000 });
    expect(d.sample(150, 3000, 2000)).toBeNull();
    // The interval ends below the threshold: counting starts over.
    expect(d.sample(180, 4000, 62_000)).toBeNull();
    expect(d.sample(279, 5000, 63_000)).toBeNull();
    expect(d.sample(280, 5000, 64_000)).toEqual({ dropped: 100, received: 1000 });
  });

  it('public addresses: not private, shared, loopback, link-local or multicast', () => {
    for (const ip of ['8.8.8.8', '203.0.113.5', '198.51.100.1', '2a00:1450::1', '2001:db8::1']) expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '224.0.0.251', 'fe80::1', 'fd00::1', '::1', 'ff02::1'])
      expect(isPublicAddress(ip), ip).toBe(false);
  });
});
