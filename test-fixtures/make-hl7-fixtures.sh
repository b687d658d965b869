#!/usr/bin/env bash
# Records the HL7 v2 over MLLP captures in test-fixtures/: python3-hl7's `mllp_send` as the sender,
# and a real MLLP receiver built on python-hl7's asyncio server (hl7-receiver.py) that answers every
# message with the ACK the library builds, each program in its own network namespace.
# Run as root: sudo bash test-fixtures/make-hl7-fixtures.sh   (idempotent; about 10 seconds)
# HL7_ONLY="adt escaped" records only those captures; HL7_DEBUG=1 keeps the working directory (logs, captures) in /tmp.
#
#   hl7-adt.pcap    adt -> eng:2575  three ADT messages (A01, A08 accepted AA; A40 rejected AR) with
#                                    planted patient data (hl7-inputs/adt.hl7)
#   hl7-pcd01.pcap  gw  -> eng:6661  two IHE PCD-01 ORU^R01 reports of a device gateway (OBX-18 EUI-64s,
#                                    MDC codes in OBX-3, planted patient data and OBX-5 values), path
#                                    MTU 576 so that each message spans two TCP segments
#                                    (hl7-inputs/pcd01.hl7)
#   hl7-escaped.pcap adt -> eng:2575 three ADT^A08 whose MSH-3/MSH-4 carry the patient's name as HL7
#                                    escape sequences (DOE\S\JANE, \X444F455E4A414E45\ hex, \F\), the
#                                    last one a valid HD, with escaped names in PID and NK1 too
#                                    (hl7-inputs/escaped.hl7); the receiver's ACKs echo them in MSH-5/6
#
# Topology (network namespaces ausc-hl7-<name>; MACs fixed, OUIs real):
#
#          ausc-hl7-sw: Linux bridge br0 = the switch; tcpdump on br0 (like a SPAN port)
#        +------------------------+------------------------+
#       adt                       gw                       eng
#       Intel                     Philips Patient Mon.     Hewlett Packard
#       10.40.0.11                10.40.0.21               10.40.0.10
#       mllp_send (ADT system)    mllp_send (PCD gateway)  hl7-receiver.py on :2575 and :6661
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [/usr/bin/mllp_send]=python3-hl7)
need_tools

P=ausc-hl7
HOSTS=(sw adt gw eng)
declare -A MAC=(
  [adt]=00:1b:21:40:00:11   # Intel Corporate
  [gw]=00:09:fb:40:00:21    # Philips Patient Monitoring
  [eng]=3c:52:82:40:00:10   # Hewlett Packard
)
declare -A IP=([adt]=10.40.0.11 [gw]=10.40.0.21 [eng]=10.40.0.10)
# The Debian python3 (where python3-hl7 lives), not one found first on PATH.
PY=/usr/bin/python3
CAPTURE_TAIL=0.5
ONLY=${HL7_ONLY:-adt pcd01 escaped}

start_run HL7_DEBUG

# ---------------------------------------------------------------- topology
make_hosts
make_bridge mcast_snooping 0
# No offloads, as on a real wire: real checksums, and MSS-sized segments rather than super-packets.
for h in adt gw eng; do attach_host "$h"; done

bg eng "$PY" "$OUT/hl7-receiver.py" "${IP[eng]}" 2575 6661 >"$T/receiver.log" 2>&1
wait_for "$T/receiver.log" '^listening'

# ------------------------------------------------------------------ ADT on 2575
HL7D="-d tcp.port==2575,hl7 -d tcp.port==6661,hl7"
if want adt; then
log "hl7-adt.pcap: mllp_send on adt sends ADT^A01, ^A08, ^A40 to the receiver on eng:2575"
fresh_arp
start_capture hl7-adt.pcap
# --loose: one message per MSH line group in the file, LF turned into the CR segment terminator.
x adt mllp_send --loose -f "$OUT/hl7-inputs/adt.hl7" -p 2575 "${IP[eng]}" >"$T/adt-acks.txt"
stop_captures
grep -q 'MSA|AA|ADT-000123' "$T/adt-acks.txt" && grep -q 'MSA|AA|ADT-000124' "$T/adt-acks.txt" \
  && grep -q 'MSA|AR|ADT-000125' "$T/adt-acks.txt" || { cat "$T/adt-acks.txt" "$T/receiver.log" >&2; exit 1; }
check hl7-adt.pcap "$HL7D -Y hl7 -T fields -e hl7.message.type -e hl7.event.type" \
  "ADT	A01" "ADT	A08" "ADT	A40" "ACK	A01" "ACK	A40"
fi

# ------------------------------------------------------------------ PCD-01 on 6661
if want pcd01; then
log "hl7-pcd01.pcap: mllp_send on gw sends two IHE PCD-01 ORU^R01 to eng:6661, path MTU 576"
fresh_arp
x gw ip route add "${IP[eng]}/32" dev eth0 mtu lock 576
start_capture hl7-pcd01.pcap
x gw mllp_send --loose -f "$OUT/hl7-inputs/pcd01.hl7" -p 6661 "${IP[eng]}" >"$T/pcd-acks.txt"
stop_captures
x gw ip route del "${IP[eng]}/32"
grep -q 'MSA|AA|PCD-000001' "$T/pcd-acks.txt" && grep -q 'MSA|AA|PCD-000002' "$T/pcd-acks.txt" \
  || { cat "$T/pcd-acks.txt" "$T/receiver.log" >&2; exit 1; }
check hl7-pcd01.pcap "$HL7D -Y hl7 -T fields -e hl7.message.type -e hl7.event.type -e tcp.segment.count" \
  "ORU	R01	2" "ACK	R01"
fi

# ------------------------------------------------------------------ escaped names on 2575
if want escaped; then
log "hl7-escaped.pcap: mllp_send on adt sends three ADT^A08 with HL7-escaped names in MSH-3/4 to eng:2575"
fresh_arp
start_capture hl7-escaped.pcap
x adt mllp_send --loose -f "$OUT/hl7-inputs/escaped.hl7" -p 2575 "${IP[eng]}" >"$T/escaped-acks.txt"
stop_captures
grep -q 'MSA|AA|ESC-000001' "$T/escaped-acks.txt" && grep -q 'MSA|AA|ESC-000003' "$T/escaped-acks.txt" \
  && grep -qF 'DOE\S\JANE' "$T/escaped-acks.txt" || { cat "$T/escaped-acks.txt" "$T/receiver.log" >&2; exit 1; }
check hl7-escaped.pcap "$HL7D -Y hl7 -T fields -e hl7.message.type -e hl7.event.type" "ADT	A08" "ACK	A08"
fi

# ------------------------------------------------------------------ done
copy_captures "$OUT" 18
