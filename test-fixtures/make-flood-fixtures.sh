#!/usr/bin/env bash
# Records test-fixtures/l2-macof.pcap (issue 13, item 4): a MAC flood from dsniff's macof beside a
# workstation's ordinary traffic. macof sends TCP SYNs from random source MACs and IPv4 addresses to
# random destinations (about half the random MACs are group addresses, which are never a device).
#   ws  a workstation (Intel MAC) pinging the flooding host's address
#   fl  the flooding host (Dell MAC): `macof -n 3000`, then a ping of its own
# Recorded by tcpdump on fl's own port (the frames as they leave it), no kernel drops allowed.
# Run as root: sudo bash test-fixtures/make-flood-fixtures.sh   (idempotent; about ten seconds)
# FLOOD_DEBUG=1 keeps the working directory in /tmp.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [ping]=iputils-ping [macof]=dsniff)
need_tools

P=i13mem
HOSTS=(sw ws fl)
declare -A MAC=(
  [ws]=00:1b:21:13:04:50    # Intel Corporate
  [fl]=00:14:22:13:04:66    # Dell Inc.
)
declare -A IP=([ws]=10.13.4.50 [fl]=10.13.4.66)
ONLY=macof
CAPTURE_NO_DROPS=1
start_run FLOOD_DEBUG
make_hosts
make_bridge
attach_host ws
attach_host fl

log "l2-macof.pcap: macof -n 3000 from $P-fl, between pings from ws"
# Not `x fl tcpdump ... &`: its $! would be a subshell, and stop_captures must stop tcpdump itself.
ip netns exec "$P-fl" tcpdump -Z root -U --immediate-mode -B 16384 -i eth0 -w "$T/cap/l2-macof.pcap" 2>"$T/l2-macof.pcap.log" &
CAPS+=($!)
wait_for "$T/l2-macof.pcap.log" 'listening on'
x ws ping -c 2 -i 0.3 "${IP[fl]}" >"$T/ws/ping.txt"
x fl macof -i eth0 -n 3000 >"$T/fl/macof.txt" 2>&1
x fl ping -c 2 -i 0.3 "${IP[ws]}" >"$T/fl/ping.txt"
stop_captures
check l2-macof.pcap "-T fields -e eth.src" "00:1b:21:13:04:50" "00:14:22:13:04:66"
n=$(tshark -n -r "$T/cap/l2-macof.pcap" -Y 'ip.proto == 6 && ip.len == 20' 2>/dev/null | wc -l)
((n == 3000)) || { echo "l2-macof.pcap: $n flood frames, expected 3000 from macof" >&2; exit 1; }
copy_captures "$OUT"
