#!/usr/bin/env bash
# Records the layer-2 captures in test-fixtures/ (issue 13, items 9 and 10), each made by real software:
#   l2-stp.pcap       spanning tree BPDUs that the Linux bridge (stp_state 1) sends, beside ARP and ping
#   l2-lldp-cut.pcap  LLDP and CDP from lldpd, recorded by tcpdump with a small snap length (-s 200),
#                     so that every LLDPDU and CDP frame is cut after its first TLVs (LLDP: after the
#                     management address; CDP: after the software version, inside the platform)
#   l2-pppoe.pcap     PPPoE (RFC 2516) from rp-pppoe's pppoe-server and pppd's PPPoE plugin: discovery,
#                     LCP, CHAP, IPCP, IPv6CP, then IPv4, IPv6 and HTTP inside PPP; one session untagged,
#                     one on VLAN 7
# Run as root: sudo bash test-fixtures/make-l2-fixtures.sh   (idempotent; about three minutes)
# L2_ONLY="stp lldp-cut" records only those captures; L2_DEBUG=1 keeps the working directory in /tmp.
#
# The kernel here may have no PPP (CONFIG_PPP unset), and pppd cannot run without it. So the PPPoE
# capture is recorded inside User-mode Linux (Debian's user-mode-linux: a Linux kernel run as a
# program, with PPP modules), booted with this machine's file system as its root (hostfs) and
# this script's inner part as init: its namespaces, bridge and tcpdump live in that kernel only.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [ping]=iputils-ping
  [lldpd]=lldpd [pppoe-server]=pppoe [pppd]=ppp [linux.uml]=user-mode-linux [modprobe]=kmod
  [curl]=curl [python3]=python3)
need_tools

P=al2
HOSTS=(sw ws swp swc)
declare -A MAC=(
  [ws]=00:1b:21:12:00:50    # Intel Corporate
  [swp]=00:1c:2e:12:00:02   # HP ProCurve
  [swc]=00:1a:a1:12:00:03   # Cisco Systems, Inc
)
declare -A IP=([ws]=10.12.0.50 [swp]=10.12.0.2 [swc]=10.12.0.3)
ONLY=${L2_ONLY:-stp lldp-cut pppoe}
start_run L2_DEBUG
make_hosts

# ------------------------------------------------------------------- stp
if want stp; then
log "l2-stp.pcap: the bridge in $P-sw runs STP (stp_state 1) and sends BPDUs out of every port"
# Hello time 1 s (units of 1/100 s), forward delay 2 s (the least STP allows): BPDUs every second,
# and the port forwards after listening and learning (2 x 2 s).
x sw ip link add br0 type bridge stp_state 1 hello_time 100 forward_delay 200 priority 4096
x sw ip link set br0 address 00:1a:a1:12:00:01 up
x sw ip addr add 10.12.0.1/24 dev br0
attach_host ws
x sw ip link set ws address 00:1a:a1:12:00:11   # the bridge port's MAC: the BPDUs' source
# The capture point is the host's own port: BPDUs leave the bridge on its ports, not through br0.
x ws tcpdump -Z root -U --immediate-mode -i eth0 -w "$T/cap/l2-stp.pcap" 2>"$T/l2-stp.pcap.log" &
CAPS+=($!)
wait_for "$T/l2-stp.pcap.log" 'listening on'
for _ in $(seq 60); do [[ $(x sw cat /sys/class/net/br0/brif/ws/state) == 3 ]] && break; sleep 0.2; done
x ws ping -c 3 -i 0.5 10.12.0.1 >"$T/ws/ping.txt"
sleep 2
stop_captures
check l2-stp.pcap "-V" "Spanning Tree Protocol" "Root Identifier: 4096" "Hello Time: 1" "Echo (ping) reply"
x sw ip link del br0
fi

# -------------------------------------------------------------- lldp-cut
if want lldp-cut; then
log "l2-lldp-cut.pcap: lldpd as an HP ProCurve (LLDP) and a Cisco switch (LLDP, CDPv1), tcpdump -s 200"
make_bridge mcast_snooping 0   # no IGMP queries or reports from the bridge itself
# The bridge would otherwise not forward the LLDP group address 01:80:c2:00:00:0e (bit 14).
x sw sh -c 'echo 0x4000 >/sys/class/net/br0/bridge/group_fwd_mask'
attach_host swp
attach_host swc
# sysName and sysDescr as an HP ProCurve 2600-8-PWR announces them (Wireshark's sample capture
# lldpmed_civicloc.pcap), and as a Cisco Catalyst 2960-X with IOS 15.2(4)E7 does.
cat >"$T/swp/lldpd.conf" <<'EOF'
configure system hostname "ProCurve Switch 2600-8-PWR"
configure system description "ProCurve J8762A Switch 2600-8-PWR, revision H.08.89, ROM H.08.5X (/sw/code/build/fish(ts_08_5))"
configure system capabilities enabled bridge
configure system ip management pattern 10.12.0.2
configure lldp tx-interval 2
configure ports eth0 lldp portidsubtype local 1
configure ports eth0 lldp portdescription 1
EOF
cat >"$T/swc/lldpd.conf" <<'EOF'
configure system hostname ward3-dist-sw2
configure system description "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(4)E7, RELEASE SOFTWARE (fc2)"
configure system platform "cisco WS-C2960X-48FPD-L"
configure system capabilities enabled bridge,router
configure system ip management pattern 10.12.0.3
configure lldp tx-interval 2
configure ports eth0 lldp portidsubtype local Gi1/0/48
configure ports eth0 lldp portdescription GigabitEthernet1/0/48
EOF
declare -A LLDPD_OPTS=([swp]="" [swc]="-cc")
TCPDUMP_OPTS=(-s 200)
start_capture l2-lldp-cut.pcap
for h in swp swc; do
  # -I/-C: only eth0; -O: only this configuration; -H 0: no neighbour filtering.
  # shellcheck disable=SC2086
  bg "$h" lldpd -d -H 0 -I eth0 -C eth0 ${LLDPD_OPTS[$h]} -u "$T/$h/lldpd.socket" -p "$T/$h/lldpd.pid" -O "$T/$h/lldpd.conf" >"$T/$h/lldpd.log" 2>&1
done
sleep 5
stop_bg   # lldpd sends a shutdown LLDPDU (TTL 0) on exit
stop_captures
TCPDUMP_OPTS=()
# tshark reads the TLVs before the cut too.
check l2-lldp-cut.pcap "-V" "ProCurve Switch 2600-8-PWR" "ProCurve J8762A Switch 2600-8-PWR, revision H.08.89, ROM H.08.5X" \
  "ward3-dist-sw2" "Cisco Discovery Protocol" "Packet size limited during capture"
fi

# ----------------------------------------------------------------- pppoe
if want pppoe; then
log "l2-pppoe.pcap: pppoe-server and pppd (rp-pppoe plugin) inside User-mode Linux, one session on VLAN 7"
# Everything below runs as init of the UML kernel; $T is on this machine's file system (hostfs).
cat >"$T/uml-init.sh" <<EOF
#!/bin/bash
set -u
T=$T
P=$P
EOF
cat >>"$T/uml-init.sh" <<'EOF'
exec >"$T/uml-console.log" 2>&1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
done_() { echo "UML-RESULT $1"; poweroff -f; }
# The UML kernel's own mounts: /run and /etc/ppp are private to it (this machine's stay untouched).
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs run /run; mount -t tmpfs ppp /etc/ppp
mkdir -p /run/netns /run/lock /run/kmod/lib/modules
ln -s "/usr/lib/uml/modules/$(uname -r)" /run/kmod/lib/modules/
for m in ipv6 pppoe ppp_async veth bridge 8021q; do modprobe -d /run/kmod "$m" || done_ "modprobe $m failed"; done
declare -A MAC=([bras]=00:1a:a1:12:00:0b [gw1]=38:10:d5:12:00:11 [gw2]=38:10:d5:12:00:12)   # Cisco; AVM (DSL routers)
for h in sw bras gw1 gw2; do
  ip netns add "$P-$h"; ip -n "$P-$h" link set lo up
  ip netns exec "$P-$h" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip netns exec "$P-sw" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$P-sw" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$P-sw" link set br0 up
for h in bras gw1 gw2; do
  ip link add eth0 netns "$P-$h" address "${MAC[$h]}" type veth peer name "$h" netns "$P-sw"
  ip -n "$P-sw" link set "$h" master br0 up
  # No IPv6 on the Ethernet side (router solicitations); PPP interfaces made later keep it.
  ip netns exec "$P-$h" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
  ip -n "$P-$h" link set eth0 up
done
for h in bras gw2; do
  ip -n "$P-$h" link add link eth0 name eth0.7 type vlan id 7
  ip netns exec "$P-$h" sysctl -qw net.ipv6.conf.eth0/7.disable_ipv6=1
  ip -n "$P-$h" link set eth0.7 up
done
# CHAP secrets (test values) of both clients; no system-wide pppd options.
printf '"%s" * "not-a-secret-%s" *\n' gw1 gw1 gw2 gw2 >/etc/ppp/chap-secrets
: >/etc/ppp/options
for s in 0 7; do
  printf 'require-chap\nlcp-echo-interval 0\n+ipv6\nms-dns 10.64.%s.1\ndebug\nlogfile %s\n' "$s" "$T/bras-pppd-$s.log" >"$T/bras-options-$s"
done
ip netns exec "$P-sw" tcpdump -Z root -U -i br0 -w "$T/cap/l2-pppoe.pcap" 2>"$T/l2-pppoe.pcap.log" &
TCPD=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/l2-pppoe.pcap.log" && break; sleep 0.1; done
# The access concentrator: one pppoe-server per interface (untagged, VLAN 7), each spawning pppd.
ip netns exec "$P-bras" pppoe-server -I eth0 -C ward3-bras -S internet -L 10.64.0.1 -R 10.64.0.10 -N 4 \
  -O "$T/bras-options-0" -X /run/pppoe-0.pid || done_ "pppoe-server eth0 failed"
ip netns exec "$P-bras" pppoe-server -I eth0.7 -C ward3-bras -S internet -L 10.64.7.1 -R 10.64.7.10 -N 4 \
  -O "$T/bras-options-7" -X /run/pppoe-7.pid || done_ "pppoe-server eth0.7 failed"
# python3's web server on the concentrator's PPP address (listening once the session is up).
ip netns exec "$P-bras" python3 -m http.server 8080 >"$T/bras-http.log" 2>&1 &
PIDS=()
connect() {
  local h=$1 ifname=$2
  ip netns exec "$P-$h" pppd plugin rp-pppoe.so "$ifname" rp_pppoe_service internet user "$h" +ipv6 \
    nodetach noipdefault debug logfile "$T/$h-pppd.log" maxfail 1 &
  PIDS+=($!)
  for _ in $(seq 120); do ip -n "$P-$h" -4 addr show ppp0 2>/dev/null | grep -q inet && return 0; sleep 0.25; done
  done_ "no PPP session on $h"
}
connect gw1 eth0
connect gw2 eth0.7
for _ in $(seq 120); do ip netns exec "$P-bras" ss -Hltn 'sport = :8080' | grep -q LISTEN && break; sleep 0.25; done
ip netns exec "$P-gw1" ping -c 2 -i 0.3 10.64.0.1 || done_ "ping over PPPoE failed"
ip netns exec "$P-gw2" ping -c 2 -i 0.3 10.64.7.1 || done_ "ping over PPPoE on VLAN 7 failed"
ip netns exec "$P-gw1" ping -6 -c 2 -i 0.3 ff02::1%ppp0 || done_ "IPv6 ping over PPPoE failed"
ip netns exec "$P-gw1" curl -s -o /dev/null -A "ward3-gw1 curl" http://10.64.0.1:8080/ || done_ "HTTP over PPPoE failed"
kill "${PIDS[@]}"   # pppd ends its session: LCP Terminate-Request and -Ack
for p in "${PIDS[@]}"; do wait "$p"; done
sleep 2
kill "$TCPD"; wait "$TCPD"
done_ ok
EOF
chmod 755 "$T/uml-init.sh"
# 384 MB for the UML kernel; its console goes nowhere, the init writes its own log.
timeout 600 linux.uml mem=384M root=/dev/root rootfstype=hostfs rootflags=/ rw init="$T/uml-init.sh" \
  con=null con0=null,fd:2 >"$T/uml.log" 2>&1 || true
grep -q '^UML-RESULT ok' "$T/uml-console.log" 2>/dev/null || { echo "the PPPoE run in User-mode Linux failed:" >&2; tail -n 40 "$T/uml-console.log" "$T/uml.log" >&2; exit 1; }
check l2-pppoe.pcap "-V" "Active Discovery Initiation (PADI)" "AC-Name: ward3-bras" "PPP Link Control Protocol" \
  "Challenge Handshake Authentication Protocol" "PPP IP Control Protocol" "PPP IPv6 Control Protocol" \
  "ID: 7" "Internet Protocol Version 4, Src: 10.64.7.10" "Echo (ping) reply" "User-Agent: ward3-gw1 curl" \
  "Internet Protocol Version 6" "Termination Request"
fi

copy_captures "$OUT" 18
