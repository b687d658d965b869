import { describe, expect, it } from 'vitest';
import { parseNtlmssp, type NtlmFields } from './ntlm.js';

/** A hand-built NTLMSSP message (MS-NLMP 2.2.1) with its payload strings after `fixed` bytes. */
function ntlm(type: number, fixed: number, flags: number, flagsAt: number, strings: [number, Buffer][], version?: number[]): Buffer {
  const head = Buffer.alloc(fixed);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(type, 8);
  head.writeUInt32LE(flags, flagsAt);
  if (version) Buffer.from(version).copy(head, flagsAt === 12 ? 32 : flagsAt === 20 ? 48 : 64);
  let at = fixed;
  for (const [field, s] of strings) {
    head.writeUInt16LE(s.length, field);
    head.writeUInt16LE(s.length, field + 2);
    head.writeUInt32LE(at, field + 4);
    at += s.length;
  }
  return Buffer.concat([head, ...strings.map(([, s]) => s)]);
}
const u16 = (s: string) => Buffer.from(s, 'utf16le');
const av = (id: number, s: string) => Buffer.concat([Buffer.from([id, 0, s.length * 2, 0]), u16(s)]);

describe('NTLMSSP (MS-NLMP)', () => {
  it('reads the server names and version of a CHALLENGE', () => {
    const info = Buffer.concat([av(2, 'WARD3'), av(1, 'PACS01'), av(4, 'ward3.example'), av(3, 'pacs01.ward3.example'), av(5, 'example'), Buffer.alloc(4)]);
    const msg = ntlm(2, 56, 0x02898205, 20, [[12, u16('WARD3')], [40, info]], [10, 0, 0x5f, 0x4f, 0, 0, 0, 15]);
    const f: NtlmFields = {};
    expect(parseNtlmssp(msg, 0, msg.length, f)).toBe(2);
    expect(f).toEqual({
      hostname: 'PACS01', nb_domain: 'WARD3', dns_hostname: 'pacs01.ward3.example', dns_domain: 'ward3.example', dns_tree: 'example',
      os_version: '10.0.20319',
    });
  });
  it('reads workstation and domain of an AUTHENTICATE, never the user name', () => {
    const msg = ntlm(3, 88, 0x02088205, 60, [[28, u16('WARD3')], [36, u16('jdoe')], [44, u16('NURSE-PC7')]], [6, 1, 0xb1, 0x1d, 0, 0, 0, 15]);
    const f: NtlmFields = {};
    expect(parseNtlmssp(msg, 0, msg.length, f)).toBe(3);
    expect(f).toEqual({ auth_domain: 'WARD3', hostname: 'NURSE-PC7', os_version: '6.1.7601', os_product: 'Windows 7 SP1 / Server 2008 R2 SP1' });
    expect(JSON.stringify(f)).not.toContain('jdoe');
  });
  it('reads no version where the payload begins (VERSION absent)', () => {
    const msg = ntlm(1, 32, 0x02003207, 12, [[16, Buffer.from('WARD3')], [24, Buffer.from('PC1')]]);
    const f: NtlmFields = {};
    expect(parseNtlmssp(msg, 0, msg.length, f)).toBe(1);
    expect(f).toEqual({ auth_domain: 'WARD3', hostname: 'PC1' });
  });
  it('never throws on truncations and corruptions', () => {
    const msg = ntlm(3, 88, 0x02088205, 60, [[28, u16('WARD3')], [36, u16('jdoe')], [44, u16('NURSE-PC7')]], [6, 1, 0xb1, 0x1d, 0, 0, 0, 15]);
    for (let k = 0; k <= msg.length; k++) parseNtlmssp(msg, 0, k, {});
    for (let i = 8; i < msg.length; i++) {
      for (const x of [0x00, 0x7f, 0xff]) {
        const c = Buffer.from(msg);
        c[i] = x;
        parseNtlmssp(c, 0, c.length, {});
        parseNtlmssp(c, 0, c.length + 100, {});
      }
    }
  });
});
