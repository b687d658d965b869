/**
 * Test support: captures generated on the spot, for scale (thousands of devices) rather than protocol
 * behaviour, which comes from the recorded fixtures.
 */
import { writeFileSync } from 'node:fs';

/** A classic pcap file (little-endian, microseconds, Ethernet) of these frames, one per second from `startSec`. */
export function pcapOf(frames: readonly Buffer[], startSec = 1_700_000_000): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(startSec + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}

/**
 * `hosts` hosts (MACs 02:00:00:xx:xx:xx, locally administered; IPv4 10.x.x.x) each announcing
 * itself with a gratuitous ARP request (RFC 826, RFC 5227): one device per host.
 */
export function writeArpAnnouncements(path: string, hosts: number): void {
  const frames: Buffer[] = [];
  for (let i = 1; i <= hosts; i++) {
    const mac = Buffer.from([0x02, 0, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff]);
    const ip = Buffer.from([10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff]);
    const arp = Buffer.alloc(28);
    arp.writeUInt16BE(1, 0); // Ethernet
    arp.writeUInt16BE(0x0800, 2); // IPv4
    arp[4] = 6;
    arp[5] = 4;
    arp.writeUInt16BE(1, 6); // request
    mac.copy(arp, 8);
    ip.copy(arp, 14);
    ip.copy(arp, 24); // target = sender: an announcement
    frames.push(Buffer.concat([Buffer.alloc(6, 0xff), mac, Buffer.from([0x08, 0x06]), arp, Buffer.alloc(18)]));
  }
  writeFileSync(path, pcapOf(frames));
}
