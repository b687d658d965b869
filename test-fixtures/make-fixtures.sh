#!/usr/bin/env bash
# Records the live-network test captures in test-fixtures/ from real programs (dnsmasq, ISC dhclient,
# busybox udhcpc, dhcpcd, ping, curl, python3 http.server, the Linux IP stack) running in network
# namespaces. Run as root: sudo bash test-fixtures/make-fixtures.sh   (idempotent; ~1 minute)
#
# Topology (every box is a network namespace named afx-<name>; MACs fixed, OUIs real):
#
#                      afx-sw: Linux bridge br0 = the switch; tcpdump on br0 in promiscuous mode
#                      sees every frame the bridge forwards, like a SPAN port
#     +-----------+-----------+----+-------+-----------+-----------+
#    srv         pc1         pc2          mon1        ct1         rtr eth0 (10.20.0.1)
#    HP          Intel       random MAC   Philips     GE          Cisco      eth1 (192.0.2.1/30)
#    10.20.0.10  DHCP:       DHCP:        DHCP:       VLAN 20     |
#    dnsmasq     dhclient    udhcpc       dhcpcd      only        afx-wan eth0 192.0.2.2/30, on lo:
#    (DHCP+DNS)                                                  198.51.100.{10,20,30}
#    http :8080 and :80                                          203.0.113.{5,50,80}, http :80
#
# LAN 10.20.0.0/24, DHCP pool 10.20.0.100-101 (two addresses, so one moves between clients).
# VLANs on the same wire: 10 = 10.10.10.0/24 (srv, pc1), 20 = 10.10.20.0/24 (srv, mon1, ct1),
# QinQ S-tag 100 / C-tag 30 = 10.10.30.0/24 (srv, pc1). IPv6 is off everywhere except in the
# ipv6 capture (srv and pc1, link-local + ULA fd00:a5c:20::/64), to keep the other captures small.
#
# 802.1Q: the recording VM's kernel has no CONFIG_VLAN_8021Q, so VLAN "sub-interfaces" are TAP
# devices with a small python shim that adds/strips the tags between the TAP and eth0; everything
# inside the tags is still sent by the kernel stack, ping and curl.
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "make-fixtures.sh: run as root (network namespaces, tcpdump)" >&2; exit 1; }
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [dnsmasq]=dnsmasq-base [dhclient]=isc-dhcp-client
  [udhcpc]=udhcpc [dhcpcd]=dhcpcd-base [busybox]=busybox [curl]=curl [ping]=iputils-ping [python3]=python3
  [editcap]=wireshark-common)
MISSING=()
for tool in "${!PKG[@]}"; do command -v "$tool" >/dev/null || MISSING+=("${PKG[$tool]}"); done
if ((${#MISSING[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${MISSING[@]}"
fi

OUT=$(cd "$(dirname "$0")" && pwd)
P=afx
HOSTS=(sw srv pc1 pc2 mon1 ct1 rtr wan)
declare -A MAC=(
  [srv]=3c:52:82:0a:00:10   # Hewlett Packard
  [pc1]=00:1b:21:0a:00:21   # Intel Corporate
  [pc2]=da:7e:3b:5c:21:02   # locally administered (bit 0x02): a randomised "private" MAC
  [mon1]=00:09:fb:0a:00:31  # Philips Patient Monitoring
  [ct1]=44:4b:5d:0a:00:41   # GE Healthcare
  [rtr]=00:1a:a1:0a:00:01   # Cisco Systems (LAN side)
  [rtr1]=00:1a:a1:0a:00:02  # Cisco Systems (WAN side)
  [wan]=00:05:85:0a:00:99   # Juniper Networks
)
# The system python if there is one: its version shows in the HTTP Server header of the captures.
PY=$(command -v /usr/bin/python3 || command -v python3)
T=""
CAPS=()
BG=()

x() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
# Background job in a namespace. Not `x ... &`: that forks a subshell, and $! would be the subshell
# rather than the program, which then outlives a kill.
bg() { local h=$1; shift; ip netns exec "$P-$h" "$@" & BG+=($!); }
log() { echo "== $*" >&2; }

cleanup() {
  set +e
  for h in "${HOSTS[@]}"; do
    # Only processes inside our own namespaces: the daemons and clients this script started.
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  sleep 0.3
  for h in "${HOSTS[@]}"; do
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$P-$h" 2>/dev/null
    rm -rf "/etc/netns/$P-$h"
  done
  rmdir /etc/netns 2>/dev/null
  rm -f /var/lib/dhcpcd/eth0.lease
  if [[ -n $T ]]; then rm -rf "$T"; fi
  return 0
}
(cleanup)   # leftovers of an interrupted run; in a subshell so its `set +e` stays there
trap cleanup EXIT
T=$(mktemp -d /tmp/afx.XXXXXX)

# ---------------------------------------------------------------- topology
for h in "${HOSTS[@]}"; do
  ip netns add "$P-$h"
  # Before any interface exists, so no namespace ever sends router solicitations or MLD reports.
  x "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  x "$h" ip link set lo up
done
x sw ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
x sw ip link set br0 up
for h in srv pc1 pc2 mon1 ct1 rtr; do
  ip link add eth0 netns "$P-$h" address "${MAC[$h]}" type veth peer name "$h" netns "$P-sw"
  x sw ip link set "$h" master br0 up
  x "$h" ip link set eth0 up
done
ip link add eth1 netns "$P-rtr" address "${MAC[rtr1]}" type veth peer name eth0 netns "$P-wan" address "${MAC[wan]}"
x rtr ip link set eth1 up
x rtr ip addr add 10.20.0.1/24 dev eth0
x rtr ip addr add 192.0.2.1/30 dev eth1
x rtr ip route add default via 192.0.2.2
x rtr sysctl -qw net.ipv4.ip_forward=1
x wan ip link set eth0 up
x wan ip addr add 192.0.2.2/30 dev eth0
for a in 198.51.100.10 198.51.100.20 198.51.100.30 203.0.113.5 203.0.113.50 203.0.113.80; do
  x wan ip addr add "$a/32" dev lo
done
x wan ip route add 10.0.0.0/8 via 192.0.2.1
x srv ip addr add 10.20.0.10/24 dev eth0
x srv ip route add default via 10.20.0.1

# Captures are written here and copied over the committed ones only when every step succeeded.
mkdir -p "$T/www" "$T/cap"
printf '<html><head><title>Ward 3 PACS</title></head><body>auscult fixture</body></html>\n' >"$T/www/index.html"
# One script for both DHCP clients: dhclient passes $reason and new_*, udhcpc passes $1 and ip/mask/router.
cat >"$T/dhcp-script" <<'EOF'
#!/bin/sh
case "${reason:-$1}" in
  BOUND|RENEW|REBIND|REBOOT) ip addr flush dev "$interface"; ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    ip route replace default via "${new_routers%% *}" dev "$interface" ;;
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"
    ip route replace default via "${router%% *}" dev "$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP|deconfig) ip addr flush dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$T/dhcp-script"
printf 'send host-name "ws-nurse-01";\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;\n' >"$T/dhclient.conf"
printf 'hostname mx800-icu3-bed07\nclientid\nipv4only\nnoipv4ll\noption subnet_mask, routers, domain_name_servers, domain_name, ntp_servers\n' >"$T/dhcpcd.conf"
# Userspace 802.1Q/802.1ad "sub-interface": TAP <-> trunk, adding the tag(s) on the way out and
# accepting only frames that carry them on the way in.
cat >"$T/vlan-shim.py" <<'EOF'
import fcntl, os, select, socket, struct, sys
trunk, tap, vid = sys.argv[1], sys.argv[2], int(sys.argv[3])
outer = int(sys.argv[4]) if len(sys.argv) > 4 else None
tags = (struct.pack('!HH', 0x88a8, outer) if outer is not None else b'') + struct.pack('!HH', 0x8100, vid)
tfd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(tfd, 0x400454ca, struct.pack('16sH', tap.encode(), 0x0002 | 0x1000))  # TUNSETIFF: TAP, no PI
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((trunk, 0))
sock.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA: the kernel moves the outer tag there
while True:
    ready = select.select([tfd, sock], [], [])[0]
    if tfd in ready:
        frame = os.read(tfd, 65535)
        sock.send(frame[:12] + tags + frame[12:])
    if sock in ready:
        frame, anc, _, addr = sock.recvmsg(65535, 64)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        for level, kind, data in anc:
            if level == 263 and kind == 8:
                status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', data[:20])
                if status & 0x10 or tci:  # TP_STATUS_VLAN_VALID
                    frame = frame[:12] + struct.pack('!HH', tpid or 0x8100, tci) + frame[12:]
        if frame[12:12 + len(tags)] == tags:
            os.write(tfd, frame[:12] + frame[12 + len(tags):])
EOF

start_capture() {  # file host interface [tcpdump options...]
  local file=$1 h=$2 ifc=$3; shift 3
  ip netns exec "$P-$h" tcpdump -Z root -U --immediate-mode -i "$ifc" -w "$T/cap/$file" "$@" 2>"$T/$file.log" &
  CAPS+=($!)
  for _ in $(seq 100); do grep -q 'listening on' "$T/$file.log" && return 0; sleep 0.05; done
  cat "$T/$file.log" >&2; exit 1
}
stop_captures() {
  sleep 1   # let the last replies and retransmissions land
  for p in "${CAPS[@]}"; do kill -TERM "$p"; done   # background jobs of a script ignore SIGINT
  for p in "${CAPS[@]}"; do wait "$p" || true; done
  CAPS=()
}
stop_bg() { for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; BG=(); }
fresh_arp() { for h in srv pc1 pc2 mon1 ct1 rtr; do x "$h" ip neigh flush all; done; }
wait_http() { for _ in $(seq 50); do x "$1" curl -s -o /dev/null "$2" && return 0; sleep 0.1; done; exit 1; }

# --------------------------------------------------------------- services
bg srv dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --no-resolv --no-hosts \
  --interface=eth0 --bind-interfaces --domain=ward3.example --local=/ward3.example/ \
  --dhcp-range=10.20.0.100,10.20.0.101,255.255.255.0,10m --dhcp-authoritative \
  --dhcp-option=option:router,10.20.0.1 --dhcp-option=option:dns-server,10.20.0.10 \
  --dhcp-leasefile="$T/dnsmasq.leases" --pid-file="$T/dnsmasq.pid" --log-dhcp --log-queries \
  --log-facility="$T/dnsmasq.log" \
  --host-record=pacs.ward3.example,10.20.0.10 --host-record=ehr.ward3.example,10.20.0.10 \
  --host-record=updates.vendor.example,203.0.113.50
# Dual-stack (--bind ::) so the IPv6 capture can reach the same servers.
bg srv "$PY" -m http.server --bind :: --directory "$T/www" 8080 >"$T/http8080.log" 2>&1
bg srv "$PY" -m http.server --bind :: --directory "$T/www" 80 >"$T/http80.log" 2>&1
bg wan "$PY" -m http.server --bind 0.0.0.0 --directory "$T/www" 80 >"$T/httpwan.log" 2>&1
BG=()   # the services run until cleanup
wait_http srv http://127.0.0.1:8080/; wait_http srv http://127.0.0.1:80/; wait_http wan http://127.0.0.1:80/
for h in pc1 pc2 mon1; do
  mkdir -p "/etc/netns/$P-$h"   # ip netns exec bind-mounts these over /etc/resolv.conf
  printf 'nameserver 10.20.0.10\nsearch ward3.example\n' >"/etc/netns/$P-$h/resolv.conf"
done

# ---------------------------------------------------------- 1. lan-dhcp
log "lan-dhcp.pcap: three DHCP clients, a two-address pool, a release and reuse"
rm -f /var/lib/dhcpcd/eth0.lease
start_capture lan-dhcp.pcap sw br0
DHCLIENT=(dhclient -4 -1 -cf "$T/dhclient.conf" -sf "$T/dhcp-script" -pf "$T/dhclient.pid" -lf "$T/dhclient.leases")
x pc1 "${DHCLIENT[@]}" eth0
x pc2 udhcpc -f -q -n -t 5 -T 2 -i eth0 -s "$T/dhcp-script" -x hostname:visitor-laptop >/dev/null 2>&1
x pc1 ping -q -c 3 -i 0.3 "$(x pc2 ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)" >/dev/null
x pc2 ping -q -c 2 -i 0.3 10.20.0.10 >/dev/null
ADDR_MOVED=$(x pc1 ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
x pc1 "${DHCLIENT[@]}" -r eth0                       # DHCPRELEASE: the address returns to the pool
x mon1 dhcpcd -f "$T/dhcpcd.conf" -1 -4 -t 30 -c /bin/true eth0 >/dev/null 2>&1
x mon1 ping -q -c 3 -i 0.3 10.20.0.10 >/dev/null
stop_captures
[[ $(x mon1 ip -4 -o addr show eth0) == *"$ADDR_MOVED/"* ]] || { echo "mon1 did not get $ADDR_MOVED" >&2; exit 1; }

# Later captures use static addresses: no DHCP clients running, no lease timers firing.
for h in pc1 pc2 mon1; do x "$h" ip addr flush dev eth0; done
for pid in $(ip netns pids "$P-mon1"); do kill "$pid"; done
x pc1 ip addr add 10.20.0.21/24 dev eth0; x pc1 ip route replace default via 10.20.0.1
x pc2 ip addr add 10.20.0.22/24 dev eth0; x pc2 ip route replace default via 10.20.0.1
x mon1 ip addr add 10.20.0.31/24 dev eth0; x mon1 ip route replace default via 10.20.0.1

# ---------------------------------------------------------- 2. lan-http
log "lan-http.pcap: DNS to dnsmasq, HTTP on :8080 and :80, ping"
fresh_arp
start_capture lan-http.pcap sw br0
x pc1 curl -s -o /dev/null http://pacs.ward3.example:8080/
x pc2 curl -s -o /dev/null -A 'Mozilla/5.0 (X11; Linux x86_64)' http://ehr.ward3.example/
x mon1 busybox nslookup nosuch.ward3.example 10.20.0.10 >/dev/null 2>&1 || true   # NXDOMAIN
x mon1 ping -q -c 3 -i 0.3 10.20.0.10 >/dev/null
x pc2 ping -q -c 2 -i 0.3 10.20.0.21 >/dev/null
x pc1 curl -s -o /dev/null http://10.20.0.10/missing.html   # 404
stop_captures
editcap -F pcapng "$T/cap/lan-http.pcap" "$T/cap/lan-http.pcapng"

# ---------------------------------------------------------- 3. routed
log "routed.pcap: LAN hosts reach six internet addresses through rtr"
fresh_arp
start_capture routed.pcap sw br0
for a in 198.51.100.10 198.51.100.20 198.51.100.30 203.0.113.5 203.0.113.50; do
  x pc1 ping -q -c 2 -i 0.2 "$a" >/dev/null
done
x pc2 ping -q -c 2 -i 0.2 203.0.113.80 >/dev/null
x pc1 curl -s -o /dev/null http://198.51.100.10/
x pc2 curl -s -o /dev/null http://203.0.113.80/
x mon1 curl -s -o /dev/null http://updates.vendor.example/   # name from dnsmasq, then routed
stop_captures

# ---------------------------------------------------------- 4. vlan
log "vlan.pcap: 802.1Q VLANs 10 and 20 and an 802.1ad QinQ exchange on the trunk"
vlan_if() {  # host tap vid outer-vid|- address
  local h=$1 tap=$2 vid=$3 outer=$4 addr=$5
  x "$h" ip tuntap add dev "$tap" mode tap
  x "$h" ip link set "$tap" address "${MAC[$h]}" mtu 1400 up   # sub-interfaces share the parent's MAC
  x "$h" ip addr add "$addr" dev "$tap"
  if [[ $outer == - ]]; then bg "$h" "$PY" "$T/vlan-shim.py" eth0 "$tap" "$vid"
  else bg "$h" "$PY" "$T/vlan-shim.py" eth0 "$tap" "$vid" "$outer"; fi
}
vlan_if srv v10 10 - 10.10.10.10/24
vlan_if pc1 v10 10 - 10.10.10.21/24
vlan_if srv v20 20 - 10.10.20.10/24
vlan_if mon1 v20 20 - 10.10.20.31/24
vlan_if ct1 v20 20 - 10.10.20.41/24
vlan_if srv q100 30 100 10.10.30.10/24
vlan_if pc1 q100 30 100 10.10.30.21/24
sleep 1
fresh_arp
start_capture vlan.pcap sw br0
x pc1 ping -q -c 3 -i 0.3 10.10.10.10 >/dev/null
x pc1 curl -s -o /dev/null http://10.10.10.10:8080/
x ct1 ping -q -c 3 -i 0.3 10.10.20.10 >/dev/null
x ct1 curl -s -o /dev/null http://10.10.20.10/
x mon1 ping -q -c 2 -i 0.3 10.10.20.41 >/dev/null
x pc1 ping -q -c 3 -i 0.3 10.10.30.10 >/dev/null
x pc1 curl -s -o /dev/null http://10.10.30.10:8080/
stop_captures
stop_bg
for h in srv pc1 mon1 ct1; do for tap in v10 v20 q100; do x "$h" ip link del "$tap" 2>/dev/null || true; done; done

# ---------------------------------------------------------- 5. ipv6
log "ipv6.pcap: ND, DAD, router solicitations, ping6 link-local and ULA, curl over IPv6"
fresh_arp
start_capture ipv6.pcap sw br0
for h in srv pc1; do x "$h" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0; done
x srv ip -6 addr add fd00:a5c:20::10/64 dev eth0
x pc1 ip -6 addr add fd00:a5c:20::21/64 dev eth0
for _ in $(seq 50); do   # duplicate address detection must finish before the addresses are usable
  [[ -z $(x srv ip -6 addr show tentative) && -z $(x pc1 ip -6 addr show tentative) ]] && break; sleep 0.1
done
SRV_LL=$(x srv ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
x pc1 ping -6 -q -c 3 -i 0.3 "$SRV_LL%eth0" >/dev/null
x pc1 ping -6 -q -c 3 -i 0.3 fd00:a5c:20::10 >/dev/null
x srv ping -6 -q -c 2 -i 0.3 fd00:a5c:20::21 >/dev/null
x pc1 curl -6 -s -o /dev/null 'http://[fd00:a5c:20::10]:8080/'
stop_captures
for h in srv pc1; do x "$h" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1; done

# ---------------------------------------------------------- 6. lan-sll / lan-sll2
log "lan-sll.pcap, lan-sll2.pcap: tcpdump -i any inside pc1 (Linux cooked capture v1 and v2)"
fresh_arp
start_capture lan-sll.pcap pc1 any -y LINUX_SLL
start_capture lan-sll2.pcap pc1 any -y LINUX_SLL2
x pc1 ping -q -c 3 -i 0.3 10.20.0.10 >/dev/null
x pc1 curl -s -o /dev/null http://pacs.ward3.example:8080/
x pc1 ping -q -c 2 -i 0.3 198.51.100.20 >/dev/null
stop_captures

chmod 644 "$T"/cap/*
cp "$T"/cap/* "$OUT/"
log "done:"
for f in lan-dhcp lan-http routed vlan ipv6 lan-sll lan-sll2; do
  printf '%-16s %5s packets %8s bytes\n' "$f.pcap" "$(tcpdump -r "$OUT/$f.pcap" 2>/dev/null | wc -l)" "$(stat -c %s "$OUT/$f.pcap")" >&2
done
