#!/usr/bin/env python3
"""Byte-level edits of capture files that editcap/mergecap cannot make (used by make-format-fixtures.sh).

- swap-pcap IN OUT: rewrite a little-endian classic pcap as big-endian (editcap only writes host order).
- corrupt-pcap-len IN OUT N: set the caplen of record N (0-based) to 0x7fffffff.
- corrupt-pcapng-len IN OUT N: add 1 to the leading length of block N (0-based): not a multiple of 4.
- corrupt-pcapng-trailer IN OUT N: add 4 to the trailing length of block N: leading/trailing mismatch.
- cut-pcap / cut-pcapng IN OUT N EXTRA: keep N whole records/blocks and EXTRA bytes of the next (truncation).
- overwrite IN OUT OFFSET HEX: copy IN with the bytes at OFFSET replaced by HEX (a damaged gzip stream).
- handmade-pcapng ETH SLL OUT: a two-section pcapng with the features mergecap does not write
  (big-endian section, if_tsresol 2^-20, if_tsoffset, SPB, obsolete Packet Block, NRB/ISB/custom/unknown
  blocks) from the frames of two little-endian microsecond pcaps.
"""
import struct
import sys

PCAP_LE_MAGICS = (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')


def read_pcap(path):
    """Returns (header fields, [(sec, frac, caplen, wirelen, data)]) of a little-endian pcap."""
    d = open(path, 'rb').read()
    assert d[:4] in PCAP_LE_MAGICS, f'{path}: expected a little-endian pcap'
    hdr = struct.unpack('<IHHiIII', d[:24])
    recs, p = [], 24
    while p + 16 <= len(d):
        sec, frac, cap, wire = struct.unpack('<IIII', d[p:p + 16])
        recs.append((sec, frac, cap, wire, d[p + 16:p + 16 + cap]))
        p += 16 + cap
    return hdr, recs


def swap_pcap(src, dst):
    hdr, recs = read_pcap(src)
    out = [struct.pack('>IHHiIII', *hdr)]
    for sec, frac, cap, wire, data in recs:
        out.append(struct.pack('>IIII', sec, frac, cap, wire) + data)
    open(dst, 'wb').write(b''.join(out))


def corrupt_pcap_len(src, dst, n):
    d = bytearray(open(src, 'rb').read())
    p = 24
    for _ in range(n):
        p += 16 + struct.unpack('<I', d[p + 8:p + 12])[0]
    d[p + 8:p + 12] = struct.pack('<I', 0x7FFFFFFF)
    open(dst, 'wb').write(d)


def pcapng_block_offsets(d):
    """Offsets of the blocks of a little-endian pcapng."""
    offs, p = [], 0
    while p + 8 <= len(d):
        offs.append(p)
        p += struct.unpack('<I', d[p + 4:p + 8])[0]
    return offs


def corrupt_pcapng(src, dst, n, trailer):
    d = bytearray(open(src, 'rb').read())
    p = pcapng_block_offsets(d)[n]
    length = struct.unpack('<I', d[p + 4:p + 8])[0]
    if trailer:
        d[p + length - 4:p + length] = struct.pack('<I', length + 4)
    else:
        d[p + 4:p + 8] = struct.pack('<I', length + 1)
    open(dst, 'wb').write(d)


def cut(src, dst, n, extra, pcapng):
    """Keeps the file header and n whole records (pcap) or blocks (pcapng), plus `extra` bytes of the next."""
    d = open(src, 'rb').read()
    if pcapng:
        p = pcapng_block_offsets(d)[n]
    else:
        p = 24
        for _ in range(n):
            p += 16 + struct.unpack('<I', d[p + 8:p + 12])[0]
    open(dst, 'wb').write(d[:p + extra])


def pad4(b):
    return b + b'\0' * (-len(b) % 4)


class Writer:
    """pcapng block writer for one section in one byte order."""

    def __init__(self, order):
        self.o = order
        self.parts = []

    def block(self, btype, body):
        body = pad4(body)
        n = 12 + len(body)
        self.parts.append(struct.pack(self.o + 'II', btype, n) + body + struct.pack(self.o + 'I', n))

    def opts(self, *pairs):
        out = b''.join(struct.pack(self.o + 'HH', c, len(v)) + pad4(v) for c, v in pairs)
        return out + struct.pack(self.o + 'HH', 0, 0)

    def shb(self, comment):
        self.block(0x0A0D0D0A, struct.pack(self.o + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + self.opts((1, comment)))

    def idb(self, linktype, snaplen, *options):
        self.block(1, struct.pack(self.o + 'HHI', linktype, 0, snaplen) + self.opts(*options))

    def epb(self, iface, units, cap, wire, data):
        hi, lo = units >> 32, units & 0xFFFFFFFF
        self.block(6, struct.pack(self.o + 'IIIII', iface, hi, lo, cap, wire) + data)

    def pb(self, iface, units, cap, wire, data):
        hi, lo = units >> 32, units & 0xFFFFFFFF
        self.block(2, struct.pack(self.o + 'HHIIII', iface, 0, hi, lo, cap, wire) + data)

    def spb(self, wire, data):
        self.block(3, struct.pack(self.o + 'I', wire) + data)


def handmade_pcapng(eth_path, sll_path, dst):
    eth, sll = read_pcap(eth_path)[1], read_pcap(sll_path)[1]
    tsoffset = 1000  # seconds added to every timestamp of the interface (if_tsoffset, option 14)

    # Section 1, big-endian: Ethernet with 2^-20 s units and an offset; SPB and PB exercise the rarer blocks.
    s1 = Writer('>')
    s1.shb(b'auscult test section 1 (big-endian)')
    s1.block(4, struct.pack('>HH', 1, 8) + bytes([127, 0, 0, 1]) + b'lo\0\0' + struct.pack('>HH', 0, 0))  # NRB
    s1.idb(1, 128, (9, bytes([0x80 | 20])), (14, struct.pack('>q', tsoffset)))
    for i, (sec, usec, cap, wire, data) in enumerate(eth[:4]):
        units = ((sec - tsoffset) << 20) + (usec << 20) // 1_000_000
        if i == 1:
            s1.pb(0, units, cap, wire, data)
        else:
            s1.epb(0, units, cap, wire, data)
    s1.spb(eth[4][3], eth[4][4][:128])  # SPB: caplen is min(wire, snaplen 128, data present)
    s1.block(5, struct.pack('>III', 0, 0, 0) + struct.pack('>HH', 0, 0))  # ISB
    s1.block(0x00000BAD, struct.pack('>I', 32473) + b'custom data')  # custom block, private enterprise number
    s1.block(0x00000099, b'unknown block type')

    # Section 2, little-endian: Linux cooked v2 in nanoseconds with a negative offset, then Ethernet in microseconds.
    s2 = Writer('<')
    s2.shb(b'auscult test section 2 (little-endian)')
    s2.idb(276, 0, (9, bytes([9])), (14, struct.pack('<q', -2)))
    s2.idb(1, 262144)
    for sec, usec, cap, wire, data in sll[:3]:
        s2.epb(0, (sec + 2) * 1_000_000_000 + usec * 1000 + 789, cap, wire, data)
    for sec, usec, cap, wire, data in eth[5:7]:
        s2.epb(1, sec * 1_000_000 + usec, cap, wire, data)
    open(dst, 'wb').write(b''.join(s1.parts + s2.parts))


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'swap-pcap':
        swap_pcap(*args)
    elif cmd == 'corrupt-pcap-len':
        corrupt_pcap_len(args[0], args[1], int(args[2]))
    elif cmd == 'corrupt-pcapng-len':
        corrupt_pcapng(args[0], args[1], int(args[2]), trailer=False)
    elif cmd == 'corrupt-pcapng-trailer':
        corrupt_pcapng(args[0], args[1], int(args[2]), trailer=True)
    elif cmd in ('cut-pcap', 'cut-pcapng'):
        cut(args[0], args[1], int(args[2]), int(args[3]), pcapng=cmd == 'cut-pcapng')
    elif cmd == 'overwrite':
        d = bytearray(open(args[0], 'rb').read())
        patch = bytes.fromhex(args[3])
        d[int(args[2]):int(args[2]) + len(patch)] = patch
        open(args[1], 'wb').write(d)
    elif cmd == 'handmade-pcapng':
        handmade_pcapng(*args)
    else:
        sys.exit(f'unknown command {cmd}')
