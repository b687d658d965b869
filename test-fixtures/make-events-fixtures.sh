#!/usr/bin/env bash
# Records the captures of the network events that attack tools cause (issue 15, "Events"), each made
# by the real tool from Debian's dsniff:
#   events-arpspoof.pcap  arpspoof on the attacker tells the victim, every 2 s, that the gateway's
#                         address is at the attacker's MAC, after the victim and the gateway have
#                         ARPed and pinged each other honestly: arp.conflict (two MACs claim 10.15.0.1)
#   events-macof.pcap     macof sends 400 frames from random source MACs and IPv4 addresses (as it
#                         does to fill a switch's MAC table): mac.flood. Debian's macof (dsniff 2.4b1)
#                         sends bare 20-byte IPv4 headers (protocol TCP, no TCP header: its libnet
#                         port builds them so); tcpdump keeps what the bridge delivers of the burst.
# Run as root: sudo bash test-fixtures/make-events-fixtures.sh   (idempotent; about 20 s)
# EVENTS_ONLY="arpspoof" records only that capture; EVENTS_DEBUG=1 keeps the working directory in /tmp.
#
# Topology (network namespaces i15ev-<name>, a Linux bridge in i15ev-sw; MACs fixed, OUIs real):
#   gw        Cisco     10.15.0.1
#   victim    Philips   10.15.0.31
#   attacker  Intel     10.15.0.66   arpspoof, macof
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [ping]=iputils-ping [arpspoof]=dsniff [macof]=dsniff)
need_tools

P=i15ev
HOSTS=(sw gw victim attacker)
declare -A MAC=(
  [gw]=00:1a:a1:0f:00:01         # Cisco Systems, Inc
  [victim]=00:09:fb:0f:00:31     # Philips Patient Monitoring
  [attacker]=00:1b:21:0f:00:66   # Intel Corporate
)
declare -A IP=([gw]=10.15.0.1 [victim]=10.15.0.31 [attacker]=10.15.0.66)
ONLY=${EVENTS_ONLY:-arpspoof macof}
start_run EVENTS_DEBUG
make_hosts
make_bridge
for h in gw victim attacker; do attach_host "$h"; done

if want arpspoof; then
  log "events-arpspoof.pcap: honest ARP and ping between victim and gateway, then arpspoof on the attacker"
  fresh_arp
  start_capture events-arpspoof.pcap arp or icmp
  x victim ping -c 2 -i 0.5 "${IP[gw]}" >"$T/victim/ping1.txt"
  # -t: poison only the victim's cache; arpspoof repeats its forged reply every 2 seconds.
  bg attacker arpspoof -i eth0 -t "${IP[victim]}" "${IP[gw]}" >"$T/attacker/arpspoof.log" 2>&1
  sleep 5
  stop_bg   # arpspoof re-ARPs the true mapping as it exits
  sleep 3
  stop_captures
  check events-arpspoof.pcap "-T fields -e arp.src.hw_mac -e arp.src.proto_ipv4" "${MAC[gw]}	${IP[gw]}" "${MAC[attacker]}	${IP[gw]}"
fi

if want macof; then
  log "events-macof.pcap: macof floods 400 frames from random MACs"
  TCPDUMP_OPTS=(-B 16384)
  start_capture events-macof.pcap
  x attacker macof -i eth0 -d "${IP[gw]}" -y 80 -n 400 >/dev/null 2>&1
  stop_captures
  check events-macof.pcap "" "→ ${IP[gw]}"
  macs=$(tshark -n -r "$T/cap/events-macof.pcap" -T fields -e eth.src | sort -u | wc -l)
  ((macs >= 200)) || { echo "events-macof.pcap: only $macs source MACs (the burst was lost): run again" >&2; exit 1; }
  log "events-macof.pcap: $macs distinct source MACs"
fi

copy_captures "$OUT" 22
