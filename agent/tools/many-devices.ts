/**
 * `node dist/agent/tools/many-devices.js OUT.pcap DEVICES [FRAMES_PER_DEVICE]`: writes a capture in which
 * DEVICES distinct unicast source MACs each send FRAMES_PER_DEVICE (default 1) TCP SYNs from an address
 * of their own, the shape of a MAC flood (macof) or of a very large flat network. `npm run bench` makes
 * its many-devices captures with it at bench time, in a temporary directory (never committed).
 *
 * Frames are built here, not recorded: a flood of a million MACs cannot be recorded in a namespace in a
 * bench's time. The committed small flood capture (test-fixtures/events-macof.pcap, dsniff macof) is the real thing.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const FRAME_LEN = 54; // Ethernet 14 + IPv4 20 + TCP 20
const BATCH = 8192;

/** Deterministic pseudo-random stream (xorshift32): the same capture at every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function ipv4Checksum(b: Buffer, off: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Writes the capture; returns the frames written. */
export function writeManyDevices(out: string, devices: number, framesPerDevice = 1): number {
  const next = rng(0x5eed1234);
  const fd = openSync(out, 'w');
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  writeSync(fd, head);
  const rec = 16 + FRAME_LEN;
  const buf = Buffer.alloc(rec * BATCH);
  let inBuf = 0;
  let frames = 0;
  const startS = 1_800_000_000;
  try {
    for (let round = 0; round < framesPerDevice; round++) {
      for (let d = 0; d < devices; d++) {
        const o = inBuf * rec;
        const tsUs = frames * 20; // 50,000 frames/s
        buf.writeUInt32LE(startS + Math.floor(tsUs / 1e6), o);
        buf.writeUInt32LE(tsUs % 1e6, o + 4);
        buf.writeUInt32LE(FRAME_LEN, o + 8);
        buf.writeUInt32LE(FRAME_LEN, o + 12);
        const f = o + 16;
        // Destination: a random unicast MAC, as macof sends; source: device d's MAC (02:xx locally
        // administered would be flagged as random; use a globally administered block instead).
        buf.writeUInt32BE((next() & 0xfeffffff) >>> 0, f);
        buf.writeUInt16BE(next() & 0xffff, f + 4);
        buf[f + 6] = 0x00;
        buf[f + 7] = 0x1b;
        buf.writeUInt32BE((0x21000000 + d) >>> 0, f + 8); // 00:1b:21:xx:xx:xx + d
        buf.writeUInt16BE(0x0800, f + 12);
        const ip = f + 14;
        buf[ip] = 0x45;
        buf[ip + 1] = 0;
        buf.writeUInt16BE(40, ip + 2);
        buf.writeUInt16BE(frames & 0xffff, ip + 4);
        buf.writeUInt16BE(0, ip + 6);
        buf[ip + 8] = 64;
        buf[ip + 9] = 6;
        buf.writeUInt16BE(0, ip + 10);
        // Source 10.x.y.z: the device's own address; destination a random 10/8 address.
        buf.writeUInt32BE((0x0a000000 | ((d + 1) & 0xffffff)) >>> 0, ip + 12);
        buf.writeUInt32BE((0x0a000000 | (next() & 0xffffff)) >>> 0, ip + 16);
        buf.writeUInt16BE(ipv4Checksum(buf, ip), ip + 10);
        const tcp = ip + 20;
        buf.writeUInt16BE(1024 + (next() & 0x7fff), tcp);
        buf.writeUInt16BE(next() & 0xffff || 1, tcp + 2);
        buf.writeUInt32BE(next(), tcp + 4);
        buf.writeUInt32BE(0, tcp + 8);
        buf[tcp + 12] = 0x50;
        buf[tcp + 13] = 0x02; // SYN
        buf.writeUInt16BE(512, tcp + 14);
        buf.writeUInt16BE(0, tcp + 16); // checksum left 0: not verified by the decoder
        buf.writeUInt16BE(0, tcp + 18);
        frames++;
        if (++inBuf === BATCH) {
          writeSync(fd, buf);
          inBuf = 0;
        }
      }
    }
    if (inBuf > 0) writeSync(fd, buf.subarray(0, inBuf * rec));
  } finally {
    closeSync(fd);
  }
  return frames;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, devicesArg, perArg] = process.argv.slice(2);
  if (out === undefined || devicesArg === undefined) {
    process.stderr.write('usage: node dist/agent/tools/many-devices.js OUT.pcap DEVICES [FRAMES_PER_DEVICE]\n');
    process.exitCode = 2;
  } else {
    const n = writeManyDevices(out, Number(devicesArg), Number(perArg ?? 1));
    process.stdout.write(`${n} frames\n`);
  }
}
