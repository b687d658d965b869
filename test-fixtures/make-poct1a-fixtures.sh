#!/usr/bin/env bash
# Records test-fixtures/poct1a-hello.pcap: a POCT1-A (CLSI POCT1-A2) conversation between a
# point-of-care device and its data manager over a real TCP connection between two network
# namespaces. No POCT1-A implementation is packaged in Debian: both ends are poct1a-session.py,
# sending the messages of poct1a-messages/ built from the specification (HEL.R01 with the DEV
# identity, DST.R01, OBS.R01 with planted patient data, EOT.R01, and the manager's ACK.R01,
# REQ.R01 and END.R01). The TCP/IP packets are the Linux kernel's.
# Run as root: sudo bash test-fixtures/make-poct1a-fixtures.sh   (idempotent; a few seconds)
# POCT1A_DEBUG=1 keeps the working directory (logs, capture) in /tmp.
#
# Topology (network namespaces ausc-poct-<name>; MACs fixed, OUIs real):
#
#        ausc-poct-sw: Linux bridge br0; tcpdump on br0 (like a SPAN port)
#        +---------------------------+
#       poc                          dm
#       Intel                        Hewlett Packard
#       10.41.0.31                   10.41.0.10
#       the device, path MTU 576     the data manager (observation reviewer) on TCP 4001
#       towards dm: OBS.R01 and
#       HEL.R01 span two segments
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "make-poct1a-fixtures.sh: run as root (network namespaces, tcpdump)" >&2; exit 1; }
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [/usr/bin/python3]=python3)
MISSING=()
for tool in "${!PKG[@]}"; do command -v "$tool" >/dev/null || MISSING+=("${PKG[$tool]}"); done
if ((${#MISSING[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}"
fi

OUT=$(cd "$(dirname "$0")" && pwd)
P=ausc-poct
HOSTS=(sw poc dm)
declare -A MAC=(
  [poc]=00:1b:21:41:00:31   # Intel Corporate (the device's embedded network module)
  [dm]=3c:52:82:41:00:10    # Hewlett Packard
)
declare -A IP=([poc]=10.41.0.31 [dm]=10.41.0.10)
PORT=4001
PY=/usr/bin/python3
T=""
CAPS=()

x() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
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
  if [[ -n $T && -z ${POCT1A_DEBUG:-} ]]; then rm -rf "$T"; fi
  return 0
}
(cleanup)
trap cleanup EXIT
T=$(mktemp -d /tmp/ausc-poct.XXXXXX)
[[ -z ${POCT1A_DEBUG:-} ]] || log "POCT1A_DEBUG: keeping $T"

for h in "${HOSTS[@]}"; do
  ip netns add "$P-$h"
  x "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  x "$h" ip link set lo up
done
x sw ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
x sw ip link set br0 up
for h in poc dm; do
  ip link add eth0 netns "$P-$h" address "${MAC[$h]}" type veth peer name "$h" netns "$P-sw"
  # No offloads, as on a real wire: real checksums, and MSS-sized segments rather than super-packets.
  x "$h" ethtool -K eth0 tx off rx off tso off gso off gro off >/dev/null
  x sw ethtool -K "$h" tx off rx off tso off gso off gro off >/dev/null
  x sw ip link set "$h" master br0 up
  x "$h" ip link set eth0 up
  x "$h" ip addr add "${IP[$h]}/24" brd + dev eth0
done
x poc ip route add "${IP[dm]}/32" dev eth0 mtu lock 576
mkdir -p "$T/cap"

log "poct1a-hello.pcap: device on poc talks POCT1-A to the data manager on dm:$PORT"
x dm "$PY" "$OUT/poct1a-session.py" manager "${IP[dm]}" "$PORT" >"$T/manager.log" 2>&1 &
MANAGER=$!
wait_for "$T/manager.log" '^listening'
x sw tcpdump -Z root -U --immediate-mode -i br0 -w "$T/cap/poct1a-hello.pcap" 2>"$T/tcpdump.log" &
CAPS+=($!)
wait_for "$T/tcpdump.log" 'listening on'
x poc "$PY" "$OUT/poct1a-session.py" device "${IP[dm]}" "$PORT" >"$T/device.log" 2>&1 || { cat "$T"/*.log >&2; exit 1; }
wait "$MANAGER" || { cat "$T/manager.log" >&2; exit 1; }
sleep 0.5
for p in "${CAPS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
grep -q '^received EOT.R01 5' "$T/manager.log" && grep -q '^received END.R01' "$T/device.log" \
  || { cat "$T"/*.log >&2; exit 1; }

# The capture holds the whole conversation, the hello and the result each in two TCP segments.
out=$(tshark -n -r "$T/cap/poct1a-hello.pcap" -q -z "follow,tcp,ascii,0" 2>&1)
for s in '<HEL.R01>' '<DEV.serial_id V="BG300-000417"/>' '<DST.R01>' '<REQ.R01>' '<OBS.R01>' '<EOT.R01>' '<END.R01>' '<ACK.ack_control_id V="5003"/>' '<ACK.ack_control_id V="4"/>'; do
  grep -qF -- "$s" <<<"$out" || { echo "poct1a-hello.pcap: '$s' not in the TCP stream" >&2; exit 1; }
done
segs=$(tshark -n -r "$T/cap/poct1a-hello.pcap" -Y "tcp.dstport==$PORT && tcp.len>0" -T fields -e tcp.len 2>/dev/null | wc -l)
((segs >= 7)) || { echo "poct1a-hello.pcap: expected at least 7 data segments from the device, got $segs" >&2; exit 1; }

chmod 644 "$T/cap/poct1a-hello.pcap"
cp "$T/cap/poct1a-hello.pcap" "$OUT/"
log "done: poct1a-hello.pcap $(tshark -r "$OUT/poct1a-hello.pcap" 2>/dev/null | wc -l) packets, $(stat -c %s "$OUT/poct1a-hello.pcap") bytes"
