#!/usr/bin/env bash
# Records the HL7 v2 over MLLP captures in test-fixtures/: python3-hl7's `mllp_send` as the sender,
# and a real MLLP receiver built on python-hl7's asyncio server (hl7-receiver.py) that answers every
# message with the ACK the library builds, each program in its own network namespace.
# Run as root: sudo bash test-fixtures/make-hl7-fixtures.sh   (idempotent; about 10 seconds)
# HL7_DEBUG=1 keeps the working directory (logs, captures) in /tmp.
#
#   hl7-adt.pcap    adt -> eng:2575  three ADT messages (A01, A08 accepted AA; A40 rejected AR) with
#                                    planted patient data (hl7-inputs/adt.hl7)
#   hl7-pcd01.pcap  gw  -> eng:6661  two IHE PCD-01 ORU^R01 reports of a device gateway (OBX-18 EUI-64s,
#                                    MDC codes in OBX-3, planted patient data and OBX-5 values), path
#                                    MTU 576 so that each message spans two TCP segments
#                                    (hl7-inputs/pcd01.hl7)
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

[[ $(id -u) == 0 ]] || { echo "make-hl7-fixtures.sh: run as root (network namespaces, tcpdump)" >&2; exit 1; }
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [/usr/bin/mllp_send]=python3-hl7)
MISSING=()
for tool in "${!PKG[@]}"; do command -v "$tool" >/dev/null || MISSING+=("${PKG[$tool]}"); done
if ((${#MISSING[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}"
fi

OUT=$(cd "$(dirname "$0")" && pwd)
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
T=""
CAPS=()
BG=()

x() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
bg() { local h=$1; shift; ip netns exec "$P-$h" "$@" & BG+=($!); }
log() { echo "== $*" >&2; }
wait_for() {
  local f=$1 re=$2 n=${3:-100}
  for _ in $(seq "$n"); do grep -Eq "$re" "$f" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for /$re/ in $f:" >&2; cat "$f" >&2 2>/dev/null; exit 1
}

cleanup() {
  set +e
  for h in "${HOSTS[@]}"; do
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  sleep 0.3
  for h in "${HOSTS[@]}"; do
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$P-$h" 2>/dev/null
  done
  if [[ -n $T && -z ${HL7_DEBUG:-} ]]; then rm -rf "$T"; fi
  return 0
}
(cleanup)
trap cleanup EXIT
T=$(mktemp -d /tmp/ausc-hl7.XXXXXX)
[[ -z ${HL7_DEBUG:-} ]] || log "HL7_DEBUG: keeping $T"

# ---------------------------------------------------------------- topology
for h in "${HOSTS[@]}"; do
  ip netns add "$P-$h"
  x "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  x "$h" ip link set lo up
done
x sw ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
x sw ip link set br0 up
for h in adt gw eng; do
  ip link add eth0 netns "$P-$h" address "${MAC[$h]}" type veth peer name "$h" netns "$P-sw"
  # No offloads, as on a real wire: real checksums, and MSS-sized segments rather than super-packets.
  x "$h" ethtool -K eth0 tx off rx off tso off gso off gro off >/dev/null
  x sw ethtool -K "$h" tx off rx off tso off gso off gro off >/dev/null
  x sw ip link set "$h" master br0 up
  x "$h" ip link set eth0 up
  x "$h" ip addr add "${IP[$h]}/24" brd + dev eth0
done
mkdir -p "$T/cap"

start_capture() {  # file [tcpdump filter...]
  local file=$1; shift
  ip netns exec "$P-sw" tcpdump -Z root -U --immediate-mode -i br0 -w "$T/cap/$file" "$@" 2>"$T/$file.log" &
  CAPS+=($!)
  wait_for "$T/$file.log" 'listening on'
}
stop_captures() {
  sleep 0.5
  for p in "${CAPS[@]}"; do kill -TERM "$p"; done
  for p in "${CAPS[@]}"; do wait "$p" || true; done
  CAPS=()
}
fresh_arp() { for h in adt gw eng; do x "$h" ip neigh flush all; done; }
# check FILE "tshark options" EXPECTED-SUBSTRING...: each string is in tshark's output, or the run fails.
check() {
  local f=$1 opts=$2 out; shift 2
  # shellcheck disable=SC2086
  out=$(tshark -n -r "$T/cap/$f" $opts 2>&1)
  for s in "$@"; do
    grep -qF -- "$s" <<<"$out" || { echo "$f: '$s' not found in: tshark -r $f $opts" >&2; echo "$out" >&2; exit 1; }
  done
}

bg eng "$PY" "$OUT/hl7-receiver.py" "${IP[eng]}" 2575 6661 >"$T/receiver.log" 2>&1
wait_for "$T/receiver.log" '^listening'

# ------------------------------------------------------------------ ADT on 2575
log "hl7-adt.pcap: mllp_send on adt sends ADT^A01, ^A08, ^A40 to the receiver on eng:2575"
fresh_arp
start_capture hl7-adt.pcap
# --loose: one message per MSH line group in the file, LF turned into the CR segment terminator.
x adt mllp_send --loose -f "$OUT/hl7-inputs/adt.hl7" -p 2575 "${IP[eng]}" >"$T/adt-acks.txt"
stop_captures
grep -q 'MSA|AA|ADT-000123' "$T/adt-acks.txt" && grep -q 'MSA|AA|ADT-000124' "$T/adt-acks.txt" \
  && grep -q 'MSA|AR|ADT-000125' "$T/adt-acks.txt" || { cat "$T/adt-acks.txt" "$T/receiver.log" >&2; exit 1; }
HL7D="-d tcp.port==2575,hl7 -d tcp.port==6661,hl7"
check hl7-adt.pcap "$HL7D -Y hl7 -T fields -e hl7.message.type -e hl7.event.type" \
  "ADT	A01" "ADT	A08" "ADT	A40" "ACK	A01" "ACK	A40"

# ------------------------------------------------------------------ PCD-01 on 6661
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

# ------------------------------------------------------------------ done
chmod 644 "$T"/cap/*
cp "$T"/cap/* "$OUT/"
log "done:"
for f in "$T"/cap/*; do
  f=$(basename "$f")
  printf '%-18s %5s packets %8s bytes\n' "$f" "$(tshark -r "$OUT/$f" 2>/dev/null | wc -l)" "$(stat -c %s "$OUT/$f")" >&2
done
