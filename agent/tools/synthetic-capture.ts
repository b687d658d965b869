/**
 * A generated capture for `npm run bench:api`: N devices on a hospital-like network, each saying two
 * things a real device says, built from the published formats (RFC 826 ARP, RFC 2131/2132 DHCP, IEEE
 * 802.1Q) since no real software makes 100 k devices here: an ARP request binding its MAC to its IPv4
 * address, and a DHCP REQUEST carrying its host name (option 12) and vendor class (option 60). MACs
 * take real OUIs (medical and IT vendors) so vendor filters and identification have work to do; VLANs
 * cycle over 20 ids; device i is first heard at base + i ms. Written to a temp file at bench time:
 * nothing big is committed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Real IEEE OUIs (oui-data), with a host name stem each, for a mix of medical and IT devices. */
const VENDORS: readonly { oui: number; stem: string; vendorClass: string }[] = [
  { oui: 0x444b5d, stem: 'ge-monitor', vendorClass: 'GEHC-CARESCAPE' },
  { oui: 0x00095c, stem: 'philips-mx', vendorClass: 'Philips IntelliVue' },
  { oui: 0x000f14, stem: 'mindray-bed', vendorClass: 'Mindray' },
  { oui: 0x5842e4, stem: 'baxter-pump', vendorClass: 'Baxter' },
  { oui: 0x001865, stem: 'siemens-lab', vendorClass: 'Siemens' },
  { oui: 0x00105d, stem: 'draeger-vent', vendorClass: 'Draeger' },
  { oui: 0x106530, stem: 'ws', vendorClass: 'MSFT 5.0' },
  { oui: 0x147649, stem: 'printer', vendorClass: 'HP' },
  { oui: 0x105725, stem: 'ipphone', vendorClass: 'Cisco Systems, Inc. IP Phone' },
];
export const SYNTHETIC_VLANS = 20;
export const SYNTHETIC_BASE_MS = Date.UTC(2026, 0, 5, 8, 0, 0);

const macOf = (i: number): Buffer => {
  const { oui } = VENDORS[i % VENDORS.length];
  const b = Buffer.alloc(6);
  b.writeUIntBE(oui, 0, 3);
  b.writeUIntBE(Math.floor(i / VENDORS.length) & 0xffffff, 3, 3);
  return b;
};
/** 10.0.0.1 upwards, one per device. */
const ipOf = (i: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE((10 << 24) + i + 1, 0);
  return b;
};
export const syntheticHostname = (i: number): string => `${VENDORS[i % VENDORS.length].stem}-${String(i).padStart(6, '0')}`;

function ethernet(src: Buffer, vlan: number, etherType: number): Buffer {
  const h = Buffer.alloc(18);
  h.fill(0xff, 0, 6);
  src.copy(h, 6);
  h.writeUInt16BE(0x8100, 12);
  h.writeUInt16BE(vlan, 14);
  h.writeUInt16BE(etherType, 16);
  return h;
}

function arp(mac: Buffer, ip: Buffer): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0); // Ethernet
  a.writeUInt16BE(0x0800, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(1, 6); // request
  mac.copy(a, 8);
  ip.copy(a, 14);
  ip.copy(a, 24); // a gratuitous ARP: target = sender
  return a;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function dhcpRequest(i: number, mac: Buffer, ip: Buffer): Buffer {
  const hostname = Buffer.from(syntheticHostname(i));
  const vendorClass = Buffer.from(VENDORS[i % VENDORS.length].vendorClass);
  const options = Buffer.concat([
    Buffer.from([99, 130, 83, 99, 53, 1, 3, 50, 4]), ip,
    Buffer.from([12, hostname.length]), hostname,
    Buffer.from([60, vendorClass.length]), vendorClass,
    Buffer.from([55, 4, 1, 3, 6, 15, 255]),
  ]);
  const bootp = Buffer.alloc(236);
  bootp[0] = 1;
  bootp[1] = 1;
  bootp[2] = 6;
  bootp.writeUInt32BE(i, 4); // xid
  ip.copy(bootp, 12); // ciaddr: a renewing client
  mac.copy(bootp, 28);
  const payload = Buffer.concat([bootp, options]);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(68, 0);
  udp.writeUInt16BE(67, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const iph = Buffer.alloc(20);
  iph[0] = 0x45;
  iph.writeUInt16BE(20 + 8 + payload.length, 2);
  iph[8] = 64;
  iph[9] = 17;
  ip.copy(iph, 12);
  iph.fill(0xff, 16, 20);
  iph.writeUInt16BE(checksum(iph), 10);
  return Buffer.concat([iph, udp, payload]);
}

/** Writes the capture (pcap, microsecond, Ethernet) of `devices` devices to `path`; returns its packets. */
export async function writeSyntheticCapture(path: string, devices: number): Promise<number> {
  const out = createWriteStream(path);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  out.write(header);
  let packets = 0;
  const record = (tsMs: number, frame: Buffer): void => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(tsMs / 1000), 0);
    r.writeUInt32LE((tsMs % 1000) * 1000, 4);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
    packets++;
    out.write(Buffer.concat([r, frame]));
  };
  for (let i = 0; i < devices; i++) {
    const mac = macOf(i);
    const ip = ipOf(i);
    const vlan = 100 + (i % SYNTHETIC_VLANS);
    const ts = SYNTHETIC_BASE_MS + i;
    record(ts, Buffer.concat([ethernet(mac, vlan, 0x0806), arp(mac, ip)]));
    record(ts, Buffer.concat([ethernet(mac, vlan, 0x0800), dhcpRequest(i, mac, ip)]));
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return packets;
}
