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

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [/usr/bin/python3]=python3)
need_tools

P=ausc-poct
HOSTS=(sw poc dm)
declare -A MAC=(
  [poc]=00:1b:21:41:00:31   # Intel Corporate (the device's embedded network module)
  [dm]=3c:52:82:41:00:10    # Hewlett Packard
)
declare -A IP=([poc]=10.41.0.31 [dm]=10.41.0.10)
PORT=4001
PY=/usr/bin/python3
CAPTURE_TAIL=0.5

start_run POCT1A_DEBUG

make_hosts
make_bridge mcast_snooping 0
# No offloads, as on a real wire: real checksums, and MSS-sized segments rather than super-packets.
for h in poc dm; do attach_host "$h"; done
x poc ip route add "${IP[dm]}/32" dev eth0 mtu lock 576

log "poct1a-hello.pcap: device on poc talks POCT1-A to the data manager on dm:$PORT"
x dm "$PY" "$OUT/poct1a-session.py" manager "${IP[dm]}" "$PORT" >"$T/manager.log" 2>&1 &
MANAGER=$!
wait_for "$T/manager.log" '^listening'
start_capture poct1a-hello.pcap
x poc "$PY" "$OUT/poct1a-session.py" device "${IP[dm]}" "$PORT" >"$T/device.log" 2>&1 || { cat "$T"/*.log >&2; exit 1; }
wait "$MANAGER" || { cat "$T/manager.log" >&2; exit 1; }
stop_captures
grep -q '^received EOT.R01 5' "$T/manager.log" && grep -q '^received END.R01' "$T/device.log" \
  || { cat "$T"/*.log >&2; exit 1; }

# The capture holds the whole conversation, the hello and the result each in two TCP segments.
check poct1a-hello.pcap "-q -z follow,tcp,ascii,0" '<HEL.R01>' '<DEV.serial_id V="BG300-000417"/>' '<DST.R01>' '<REQ.R01>' \
  '<OBS.R01>' '<EOT.R01>' '<END.R01>' '<ACK.ack_control_id V="5003"/>' '<ACK.ack_control_id V="4"/>'
segs=$(tshark -n -r "$T/cap/poct1a-hello.pcap" -Y "tcp.dstport==$PORT && tcp.len>0" -T fields -e tcp.len 2>/dev/null | wc -l)
((segs >= 7)) || { echo "poct1a-hello.pcap: expected at least 7 data segments from the device, got $segs" >&2; exit 1; }

copy_captures "$OUT" 18
