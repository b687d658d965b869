#!/usr/bin/env bash
# Regenerates the capture-format fixtures read by agent/capture/file-source.test.ts.
#
# Two base captures are made with tcpdump on this machine's loopback (run with --recapture, needs root):
#   lo-eth.pcap    Ethernet (lo), snaplen 200, 10 ICMP echo frames of two sizes (some frames cut by snaplen)
#   any-sll2.pcap  Linux cooked v2 ("any"), 6 ICMP echo frames
# Every other fixture is derived from them deterministically with editcap/mergecap/gzip, or with
# pcaptool.py where no Wireshark tool can write the variant (big-endian pcap, pcapng with 2^-n time
# units, SPB/PB blocks, corrupt lengths, cuts at exact record offsets).
# After a --recapture, the expectations hard-coded in the test must be refreshed from
#   tshark -r FILE -T fields -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.interface_id
set -euo pipefail
cd "$(dirname "$0")"
tool() { python3 pcaptool.py "$@"; }

if [[ ! -f lo-eth.pcap || ! -f any-sll2.pcap || "${1:-}" == --recapture ]]; then
  tcpdump -i lo -s 200 -c 10 -w lo-eth.pcap icmp &
  eth_pid=$!
  tcpdump -i any -y LINUX_SLL2 -c 6 -w any-sll2.pcap icmp &
  any_pid=$!
  sleep 1
  ping -c 3 -i 0.2 -s 1000 127.0.0.1 >/dev/null
  ping -c 2 -i 0.2 127.0.0.1 >/dev/null
  wait "$eth_pid" "$any_pid"
fi

# Classic pcap: big-endian and nanosecond variants. The 789 ns shift checks ns -> us truncation.
tool swap-pcap lo-eth.pcap pcap-be-usec.pcap
editcap -F nsecpcap -t 0.000000789 lo-eth.pcap pcap-le-nsec.pcap
tool swap-pcap pcap-le-nsec.pcap pcap-be-nsec.pcap

# pcapng: one interface; two interfaces (Ethernet in ns + Linux cooked v2 in us); the hand-made two sections.
editcap -F pcapng lo-eth.pcap pcapng-1if.pcapng
mergecap -F pcapng -w pcapng-2if.pcapng pcap-le-nsec.pcap any-sll2.pcap
tool handmade-pcapng lo-eth.pcap any-sll2.pcap pcapng-handmade.pcapng

# gzip: detected by magic, so one keeps a plain .pcap name.
gzip -9n -c pcapng-2if.pcapng >pcapng-2if.pcapng.gz
gzip -9n -c pcap-be-usec.pcap >gzip-named-plain.pcap
gz_size=$(stat -c %s pcapng-2if.pcapng.gz)
head -c $((gz_size * 3 / 4)) pcapng-2if.pcapng.gz >trunc-gzip.pcapng.gz
tool overwrite pcapng-2if.pcapng.gz corrupt-gzip-data.pcapng.gz 12 ffffffffffffffffffffffffffffffff

# Truncated: 3 whole records then 8 bytes of a record header / 16-byte header + 10 data bytes; pcapng mid-EPB.
tool cut-pcap lo-eth.pcap trunc-pcap-mid-header.pcap 3 8
tool cut-pcap lo-eth.pcap trunc-pcap-mid-data.pcap 3 26
tool cut-pcapng pcapng-1if.pcapng trunc-pcapng-mid-block.pcapng 6 40
tool cut-pcap lo-eth.pcap trunc-pcap-file-header.pcap 0 -10

# Corrupt: caplen 0x7fffffff in record 3; pcapng block 4 (3rd EPB) with length % 4 != 0 / trailer mismatch.
tool corrupt-pcap-len lo-eth.pcap corrupt-pcap-caplen.pcap 3
tool corrupt-pcapng-len pcapng-1if.pcapng corrupt-pcapng-blocklen.pcapng 4
tool corrupt-pcapng-trailer pcapng-1if.pcapng corrupt-pcapng-trailer.pcapng 4

# A link type auscult does not decode (USER0 = 147): frames are still delivered.
editcap -F pcap -T user0 lo-eth.pcap pcap-linktype-user0.pcap

printf 'This is a text file, not a packet capture.\n' >not-a-capture.txt
: >empty.pcap
ls -l
