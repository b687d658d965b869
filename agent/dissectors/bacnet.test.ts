import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapturedFrame } from '../testing/frames.js';
import { fixturesDir, fuzz, parseFrame, runCapture, shapeErrors, withPayload } from '../testing/udp-dissectors.js';
import { bacnet } from './bacnet.js';
import { BACNET_VENDORS } from './bacnet-vendors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** BVLL around `npdu` (Annex J.2): type 0x81, function, length of the whole message. */
const bvll = (fn: number, npdu: Buffer, extra = Buffer.alloc(0)) => {
  const b = Buffer.concat([Buffer.from([0x81, fn, 0, 0]), extra, npdu]);
  b.writeUInt16BE(b.length, 2);
  return b;
};
/** NPDU version 1, control 0, then the APDU. */
const local = (apdu: string) => Buffer.concat([Buffer.from([0x01, 0x00]), hex(apdu)]);
// I-Am device 4120, max APDU 1476, segmented-both, vendor 7 (clause 16.10, tags per 20.2).
const I_AM = '1000 c402001018 2205c4 9100 2107';

describe('bacnet on test-fixtures/bacnet-ip.pcap (Who-Is/I-Am, Who-Has/I-Have, routed and forwarded I-Am)', async () => {
  const routed = await runCapture(join(fixturesDir, 'bacnet-ip.pcap'), bacnet);
  const obs = routed.flatMap((r) => r.out ?? []);
  const BMS = { ip: '10.40.0.70', mac: '00:05:19:2e:00:70' };
  const WS = { ip: '10.40.0.50', mac: '00:1b:21:2e:00:50' };
  const RTR = { ip: '10.40.0.71', mac: '00:10:8d:2e:00:71' };
  const siemens = {
    message: 'i_am', role: 'device', encrypted: false, device_instance: 4120, max_apdu: 1476, segmentation: 'segmented-both',
    vendor_id: 7, vendor_name: 'Siemens Schweiz AG (Formerly: Landis & Staefa Division Europe)',
  };

  it('decodes each of the nine messages, on the device it describes', () => {
    expect(routed).toHaveLength(9);
    expect(obs).toHaveLength(9);
    expect(shapeErrors(bacnet, obs)).toEqual([]);
    expect(obs.map((o) => [o.device, o.fields])).toEqual([
      [BMS, { ...siemens, bvlc_function: 'original_broadcast' }],
      [RTR, {
        message: 'i_am', role: 'router', bvlc_function: 'original_broadcast', encrypted: false, device_instance: 5017, max_apdu: 480,
        segmentation: 'no-segmentation', vendor_id: 5, vendor_name: 'Johnson Controls, Inc.', source_network: 5, source_address: '17',
      }],
      [{ ip: '10.41.0.5' }, {
        message: 'i_am', role: 'device', bvlc_function: 'forwarded', encrypted: false, device_instance: 241005, max_apdu: 1476,
        segmentation: 'segmented-both', vendor_id: 24, vendor_name: 'Automated Logic Corporation', forwarded_by: '10.40.0.71',
      }],
      [WS, { message: 'who_is', role: 'client', bvlc_function: 'original_broadcast', encrypted: false }],
      [BMS, { ...siemens, bvlc_function: 'original_broadcast' }],
      [WS, { message: 'who_is', role: 'client', bvlc_function: 'original_unicast', encrypted: false, who_is_low: 4000, who_is_high: 4200 }],
      [BMS, { ...siemens, bvlc_function: 'original_unicast' }],
      [WS, { message: 'who_has', role: 'client', bvlc_function: 'original_broadcast', encrypted: false, object_name: 'AHU-3 Supply Air Temp' }],
      [BMS, {
        message: 'i_have', role: 'device', bvlc_function: 'original_broadcast', encrypted: false, device_instance: 4120,
        object_type: 'analog-input', object_instance: 3, object_name: 'AHU-3 Supply Air Temp',
      }],
    ]);
  });

  it('never throws on truncated or corrupted copies of its packets', () => {
    expect(fuzz(bacnet, routed.map((r) => r.captured))).toBeGreaterThan(1000);
    // Tiny payloads: also 3000 seeded random multi-byte corruptions of each, lengths included.
    let seed = 47808;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (const r of routed) {
      const payload = r.captured.bytes.subarray(42);
      for (let i = 0; i < 3000; i++) {
        const bad = Buffer.from(payload.subarray(0, 1 + rand(payload.length)));
        for (let h = 0; h <= rand(4); h++) bad[rand(bad.length)] = rand(256);
        const got = parseFrame(bacnet, withPayload(r.captured, bad));
        expect(got === null || Array.isArray(got)).toBe(true);
      }
    }
  });

  describe('hand-built BVLL messages in a real frame', () => {
    const f: CapturedFrame = routed[0].captured;
    const parse = (payload: Buffer) => parseFrame(bacnet, withPayload(f, payload));

    it('reads I-Am variants: unknown vendor, 2-octet vendor, routed from a B/IP network, Distribute-Broadcast-To-Network', () => {
      expect(parse(bvll(0x0b, local('1000 c402001018 2205c4 9103 22ffee')))?.[0].fields).toEqual({
        message: 'i_am', role: 'device', bvlc_function: 'original_broadcast', encrypted: false, device_instance: 4120, max_apdu: 1476,
        segmentation: 'no-segmentation', vendor_id: 65518,
      });
      // NPDU with SNET 7 and a 6-octet SADR (10.41.0.9:47808): the device is keyed on that address.
      const routedNpdu = Buffer.concat([hex('0108 0007 06 0a290009bac0'), hex(I_AM)]);
      expect(parse(bvll(0x0b, routedNpdu))?.[0]).toMatchObject({
        device: { ip: '10.41.0.9' }, fields: { role: 'device', source_network: 7, source_address: '0a290009bac0', device_instance: 4120 },
      });
      expect(parse(bvll(0x09, local(I_AM)))?.[0].fields).toMatchObject({ bvlc_function: 'distribute_broadcast', vendor_id: 7 });
      // Global broadcast destination (DNET 0xffff, DLEN 0, hop count 255) before the APDU.
      expect(parse(bvll(0x0b, Buffer.concat([hex('0120 ffff 00 ff'), hex(I_AM)]))))?.toHaveLength(1);
    });

    it('reads an I-Have whose name is UCS-2, and a Who-Has by object identifier with a range', () => {
      const name = Buffer.from('AHU-3', 'utf16le').swap16();
      const iHave = Buffer.concat([hex('1001 c402001018 c400000003 75'), Buffer.from([name.length + 1, 4]), name]);
      expect(parse(bvll(0x0b, Buffer.concat([hex('0100'), iHave])))?.[0].fields).toMatchObject({ message: 'i_have', object_name: 'AHU-3' });
      expect(parse(bvll(0x0b, local('1007 0901 1964 2c00c00003')))?.[0].fields).toMatchObject({
        message: 'who_has', role: 'client', object_type: 'binary-input', object_instance: 3,
      });
    });

    it('keeps an I-Have whose name is in a character set it does not read, without the name', () => {
      expect(parse(bvll(0x0b, local('1001 c402001018 c400000003 7502 0641')))?.[0].fields).toEqual({
        message: 'i_have', role: 'device', bvlc_function: 'original_broadcast', encrypted: false, device_instance: 4120,
        object_type: 'analog-input', object_instance: 3,
      });
    });

    it('recognises other BACnet traffic and reports nothing', () => {
      expect(parse(bvll(0x0a, local('0005 01 0c 0c02001018 194d')))).toEqual([]); // ReadProperty (confirmed request)
      expect(parse(bvll(0x0b, hex('0180 00 0005')))).toEqual([]); // network layer message Who-Is-Router-To-Network
      expect(parse(bvll(0x00, hex('0000')))).toEqual([]); // BVLC-Result
      expect(parse(bvll(0x05, hex('003c')))).toEqual([]); // Register-Foreign-Device
      expect(parse(bvll(0x0b, local('1002 0000')))).toEqual([]); // unconfirmedCOVNotification: not read
    });

    it('is null when it is not BACnet/IP or a length lies', () => {
      expect(parse(Buffer.from('M-SEARCH * HTTP/1.1\r\n'))).toBeNull();
      expect(parse(Buffer.concat([hex('82 0b 0004')]))).toBeNull(); // BACnet/IPv6 BVLC type
      const long = bvll(0x0b, local(I_AM));
      long.writeUInt16BE(long.length + 1, 2);
      expect(parse(long)).toBeNull(); // BVLC length past the datagram
      const short = bvll(0x0b, local(I_AM));
      short.writeUInt16BE(3, 2);
      expect(parse(short)).toBeNull();
      expect(parse(bvll(0x04, local(I_AM)).subarray(0, 8))).toBeNull(); // Forwarded-NPDU without the address
      expect(parse(bvll(0x0b, hex('0108 0005 ff 17')))).toBeNull(); // SLEN 255 past the end
      expect(parse(bvll(0x0b, hex('0108 0005 00')))).toBeNull(); // SLEN 0 is invalid
      expect(parse(bvll(0x0b, hex('0240 1000')))).toBeNull(); // version 2, reserved control bit
      expect(parse(bvll(0x0b, local('f000')))).toBeNull(); // APDU type 15
      expect(parse(bvll(0x0f, local(I_AM)))).toBeNull(); // unknown BVLC function
    });

    it('is null when an I-Am, Who-Is or I-Have does not follow its ASN.1', () => {
      expect(parse(bvll(0x0b, local('1000 c400001018 2205c4 9100 2107')))).toBeNull(); // not a Device object
      expect(parse(bvll(0x0b, local('1000 c402001018 2205c4 9100 2301ffff')))).toBeNull(); // vendor over 16 bits
      expect(parse(bvll(0x0b, local('1000 c402001018 2205c4 9100')))).toBeNull(); // vendor missing
      expect(parse(bvll(0x0b, local('1000 c402001018 2205c4 2107 9100')))).toBeNull(); // out of order
      expect(parse(bvll(0x0b, local('1008 09 0a')))).toBeNull(); // Who-Is with a low limit only
      expect(parse(bvll(0x0b, local('1008 0b7fffffff 1b7fffffff')))).toBeNull(); // limits over 4194303
      expect(parse(bvll(0x0b, local('1008 0e01')))).toBeNull(); // opening tag
      expect(parse(bvll(0x0b, local('1001 c402001018 c400000003 7503 0141')))).toBeNull(); // string length lies
      expect(parse(bvll(0x0b, local('1000 c4020010')))).toBeNull(); // truncated object identifier
    });
  });
});

describe('bacnet-vendors.ts', () => {
  it('holds only cited identifiers, each with a name', () => {
    expect(BACNET_VENDORS.size).toBeGreaterThan(40);
    for (const [id, name] of BACNET_VENDORS) {
      expect(Number.isInteger(id) && id >= 0 && id <= 0xffff).toBe(true);
      expect(name.trim()).toBe(name);
      expect(name.length).toBeGreaterThan(2);
    }
    expect(BACNET_VENDORS.get(5)).toBe('Johnson Controls, Inc.');
    expect(BACNET_VENDORS.get(260)).toBe('BACnet Stack at SourceForge');
  });
});
