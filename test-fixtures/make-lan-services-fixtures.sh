#!/usr/bin/env bash
# Records three captures in test-fixtures/ from real LAN services, each program in its own network
# namespace:
#   smb-samba.pcap        smbclient against Samba's smbd: SMB 3.1.1, SMB1 (NT LM 0.12) and SMB over
#                         NetBIOS (TCP 139), each authenticated by NTLMSSP
#   ssdp-miniupnpd.pcap   MiniUPnPd as an Internet gateway: SSDP announcements, the answer to
#                         miniupnpc's M-SEARCH, its description and SOAP over HTTP, ssdp:byebye on exit
#   dhcpv6-dnsmasq.pcap   dnsmasq as DHCPv6 server and router advertiser; ISC dhclient -6 (DUID-LL,
#                         FQDN) and dhcpcd -6 (vendor class, FQDN) get addresses, dhclient releases its own
# Run as root: sudo bash test-fixtures/make-lan-services-fixtures.sh   (idempotent; about 40 s)
# SERVICES_ONLY="smb ssdp" records only those captures (names as in the section headers below);
# SERVICES_DEBUG=1 keeps the working directory (configurations, logs, captures) in /tmp.
#
# Topology (network namespaces i14g-<name>, MACs fixed, OUIs real):
#
#            i14g-sw: Linux bridge br0 (no multicast snooping); tcpdump on br0, like a SPAN port
#     +--------------+--------------+--------------+
#    rtr            srv            mon            ws
#    PC Engines     Dell           Philips        Intel
#    10.50.0.1      10.50.0.10     10.50.0.31     10.50.0.50
#    fd00:a5c:50::1                DHCPv6         DHCPv6
#    miniupnpd      smbd           dhcpcd -6      the clients: smbclient, upnpc, dhclient -6
#    dnsmasq (DHCPv6, RA); its WAN side is a veth pair inside rtr (wan0, 192.0.2.1/30), never captured
#
# IPv6 is off everywhere but on rtr, mon and ws during dhcpv6-dnsmasq.pcap. Daemons and clients that
# keep state in /run or /var/lib/dhcpcd get a private directory bind-mounted there (in the mount
# namespace `ip netns exec` creates): nothing is written into the machine's own.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [ping]=iputils-ping
  [smbd]=samba [smbclient]=smbclient [smbpasswd]=samba-common-bin [miniupnpd]=miniupnpd-nftables
  [upnpc]=miniupnpc [dnsmasq]=dnsmasq-base [dhclient]=isc-dhcp-client [dhcpcd]=dhcpcd-base)
# need_tools installs with --no-install-recommends; Debian starts no daemon during the install here
# (policy-rc.d), and the script never uses the system instances.
need_tools

P=i14g
HOSTS=(sw rtr srv mon ws)
declare -A MAC=(
  [rtr]=00:0d:b9:50:00:01    # PC Engines GmbH
  [srv]=f8:bc:12:50:00:10    # Dell Inc.
  [mon]=00:09:fb:50:00:31    # Philips Patient Monitoring
  [ws]=00:1b:21:50:00:50     # Intel Corporate
)
declare -A IP=([rtr]=10.50.0.1 [srv]=10.50.0.10 [mon]=10.50.0.31 [ws]=10.50.0.50)
ONLY=${SERVICES_ONLY:-smb ssdp dhcpv6}
CAPTURE_NO_DROPS=1

# xr HOST COMMAND...: in the namespace, with the host's private $T/<host>/run over /run and
# $T/<host>/dhcpcd over /var/lib/dhcpcd. bgr: the same in the background.
PRIVATE='mount --bind "$0/run" /run && mount --bind "$0/dhcpcd" /var/lib/dhcpcd && exec "$@"'
xr() { local h=$1; shift; ip netns exec "$P-$h" sh -c "$PRIVATE" "$T/$h" "$@"; }
bgr() { local h=$1; shift; ip netns exec "$P-$h" sh -c "$PRIVATE" "$T/$h" "$@" & BG+=($!); }

start_run SERVICES_DEBUG

# ---------------------------------------------------------------- topology
make_hosts
for h in "${HOSTS[@]}"; do mkdir -p "$T/$h/run" "$T/$h/dhcpcd"; done
make_bridge mcast_snooping 0
for h in rtr srv mon ws; do attach_host "$h"; done
for h in srv mon ws; do x "$h" ip route add default via 10.50.0.1; done
x rtr ip link add wan0 type veth peer name wan1
x rtr ip link set wan0 up
x rtr ip link set wan1 up
x rtr ip addr add 192.0.2.1/30 dev wan0

# ------------------------------------------------------------------- smb
if want smb; then
log "smb-samba.pcap: smbclient on ws against smbd on srv: SMB 3.1.1, SMB1 and SMB over NetBIOS, NTLMSSP"
SMB_USER=radiology
SMB_PASSWORD=ward3-fixture-only
# smbconf HOST NETBIOS-NAME [global lines...]: a configuration with every Samba directory in $T/HOST.
smbconf() {
  local h=$1 name=$2 d="$T/$1/samba"; shift 2
  mkdir -p "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/pid" "$d/ncalrpc" "$d/log" "$T/$h/run/samba"
  {
    printf '[global]\nnetbios name = %s\nworkgroup = WARD3\n' "$name"
    printf '%s = %s\n' "lock directory" "$d/lock" "state directory" "$d/state" "cache directory" "$d/cache" \
      "private dir" "$d/private" "pid directory" "$d/pid" "ncalrpc dir" "$d/ncalrpc" "log file" "$d/log/log.%m"
    printf '%s\n' "log level = 1" "$@"
  } >"$T/$h/smb.conf"
}
mkdir -p "$T/srv/share/studies"
printf 'auscult fixture\n' >"$T/srv/share/README.txt"
# The account is the namespace's root, known to clients as "radiology" (username map): no user is
# added to the machine, and the password database is in $T.
printf 'root = %s\n' "$SMB_USER" >"$T/srv/usermap"
smbconf srv FILESRV-WARD3 "server string = Ward 3 image archive" "server role = standalone server" \
  "interfaces = 10.50.0.10/24" "bind interfaces only = yes" "smb ports = 445 139" \
  "server min protocol = NT1" "passdb backend = tdbsam:$T/srv/samba/private/passdb.tdb" \
  "username map = $T/srv/usermap" "load printers = no" "printcap name = /dev/null" "disable spoolss = yes" \
  "" "[images]" "path = $T/srv/share" "read only = yes"
smbconf ws WS-NURSE-02 "client min protocol = NT1"
printf '%s\n%s\n' "$SMB_PASSWORD" "$SMB_PASSWORD" | xr srv smbpasswd -c "$T/srv/smb.conf" -s -a root >"$T/srv/smbpasswd.log" 2>&1 \
  || { cat "$T/srv/smbpasswd.log" >&2; exit 1; }
# Samba names itself to NTLMSSP clients by the machine's host name (MsvAvDnsComputerName): smbd gets
# a UTS namespace and an /etc/hosts of its own, so the capture names filesrv-ward3, not this machine.
printf '127.0.0.1 localhost\n10.50.0.10 filesrv-ward3.ward3.example filesrv-ward3\n' >"$T/srv/hosts"
# In a process group of its own (no --no-process-group): on SIGTERM smbd signals its whole group.
bgr srv unshare --uts sh -c 'mount --bind "$0" /etc/hosts && hostname filesrv-ward3 && exec "$@"' "$T/srv/hosts" \
  smbd --foreground --debug-stdout --configfile="$T/srv/smb.conf" >"$T/srv/smbd.log" 2>&1
wait_port srv 445
fresh_arp
start_capture smb-samba.pcap
SMBCLIENT=(smbclient --configfile="$T/ws/smb.conf" --use-kerberos=off -U "$SMB_USER%$SMB_PASSWORD" -c ls)
xr ws "${SMBCLIENT[@]}" //10.50.0.10/images >"$T/ws/smb3.txt" 2>&1
xr ws "${SMBCLIENT[@]}" -m NT1 //10.50.0.10/images >"$T/ws/smb1.txt" 2>&1
# TCP 139: a NetBIOS session request names the server (FILESRV-WARD3<20>) and the client first.
xr ws "${SMBCLIENT[@]}" -p 139 -I 10.50.0.10 //FILESRV-WARD3/images >"$T/ws/smb139.txt" 2>&1
stop_captures
stop_bg
for f in smb3 smb1 smb139; do grep -q 'README.txt' "$T/ws/$f.txt" || { cat "$T/ws/$f.txt" "$T/srv/smbd.log" >&2; exit 1; }; done
check smb-samba.pcap "-V" "NTLMSSP_NEGOTIATE" "NTLMSSP_CHALLENGE" "NTLMSSP_AUTH" "FILESRV-WARD3" "WS-NURSE-02" \
  "Dialect: SMB 3.1.1" "NT LM 0.12" "Native OS: Unix" "Native LAN Manager: Samba" "Called name: FILESRV-WARD3<20>" \
  "Calling name: WS-NURSE-02<00>"
fi

# ------------------------------------------------------------------ ssdp
if want ssdp; then
log "ssdp-miniupnpd.pcap: miniupnpd on rtr announces an Internet gateway; upnpc on ws finds it and asks its status"
# The WAN address is a documentation one, so miniupnpd says port forwarding is impossible: discovery,
# description and status requests work all the same, and no mapping is asked for.
cat >"$T/rtr/miniupnpd.conf" <<EOF
ext_ifname=wan0
listening_ip=eth0
http_port=5000
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
notify_interval=30
uuid=8e1f3c52-50a1-4c0e-9b7d-000db9500001
friendly_name=Ward 3 edge router
serial=APU2E4-500001
model_number=apu2e4
lease_file=$T/rtr/upnp.leases
minissdpdsocket=$T/rtr/minissdpd.sock
allow 1024-65535 10.50.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
fresh_arp
start_capture ssdp-miniupnpd.pcap
# -4: IPv4 only (IPv6 is off); -d: in the foreground, logging to stderr.
bgr rtr miniupnpd -d -4 -f "$T/rtr/miniupnpd.conf" -P "$T/rtr/miniupnpd.pid" >"$T/rtr/miniupnpd.log" 2>&1
wait_for "$T/rtr/miniupnpd.log" 'HTTP listening on port 5000'
sleep 2   # its first announcements
# upnpc asks minissdpd first (none in the private /run), then sends M-SEARCH itself.
xr ws upnpc -m eth0 -s >"$T/ws/upnpc.txt" 2>&1 || true
sleep 1
stop_bg   # miniupnpd says ssdp:byebye on SIGTERM
stop_captures
grep -q 'Found valid IGD' "$T/ws/upnpc.txt" || grep -q 'desc: http://10.50.0.1:5000/rootDesc.xml' "$T/ws/upnpc.txt" \
  || { cat "$T/ws/upnpc.txt" "$T/rtr/miniupnpd.log" >&2; exit 1; }
check ssdp-miniupnpd.pcap "-V" "NOTIFY * HTTP/1.1" "M-SEARCH * HTTP/1.1" "ssdp:alive" "ssdp:byebye" \
  "urn:schemas-upnp-org:device:InternetGatewayDevice:1" "uuid:8e1f3c52-50a1-4c0e-9b7d-000db9500001" \
  "MiniUPnPd/2." "http://10.50.0.1:5000/rootDesc.xml"
fi

# ---------------------------------------------------------------- dhcpv6
if want dhcpv6; then
log "dhcpv6-dnsmasq.pcap: dnsmasq on rtr (DHCPv6, RA), dhclient -6 on ws, dhcpcd -6 on mon"
cat >"$T/ws/dhclient6.conf" <<'EOF'
send fqdn.fqdn "ws-nurse-02.ward3.example.";
send fqdn.server-update on;
request dhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers;
EOF
# dhclient's script: add or remove the address it was given, nothing else (no resolv.conf).
cat >"$T/ws/dhclient6-script" <<'EOF'
#!/bin/sh
case "$reason" in
  BOUND6|RENEW6|REBIND6|REBOOT6) ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" nodad ;;
  RELEASE6|EXPIRE6|STOP6) [ -z "$old_ip6_address" ] || ip -6 addr del "$old_ip6_address/$old_ip6_prefixlen" dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$T/ws/dhclient6-script"
printf '%s\n' "hostname mx800-icu3-bed07" "fqdn both" "ipv6only" "noipv4ll" \
  "option dhcp6_name_servers, dhcp6_domain_search" >"$T/mon/dhcpcd.conf"
v6() { x "$1" sysctl -qw "net.ipv6.conf.all.disable_ipv6=$2" "net.ipv6.conf.default.disable_ipv6=$2" "net.ipv6.conf.eth0.disable_ipv6=$2"; }
# ready_ll HOST: until the link-local address has passed duplicate address detection.
ready_ll() {
  for _ in $(seq 50); do
    x "$1" ip -6 -o addr show dev eth0 scope link | grep -q . && ! x "$1" ip -6 -o addr show dev eth0 tentative | grep -q . && return 0
    sleep 0.1
  done
  echo "$1: no link-local address" >&2; exit 1
}
fresh_arp
start_capture dhcpv6-dnsmasq.pcap
v6 rtr 0
x rtr ip -6 addr add fd00:a5c:50::1/64 dev eth0 nodad
ready_ll rtr
bg rtr dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --port=0 --no-resolv --no-hosts \
  --interface=eth0 --bind-interfaces --enable-ra --dhcp-authoritative --domain=ward3.example \
  --dhcp-range=fd00:a5c:50::100,fd00:a5c:50::1ff,64,10m --dhcp-option=option6:dns-server,[fd00:a5c:50::1] \
  --dhcp-leasefile="$T/rtr/dnsmasq.leases" --pid-file="$T/rtr/dnsmasq.pid" --log-dhcp --log-facility="$T/rtr/dnsmasq.log"
wait_for "$T/rtr/dnsmasq.log" 'DHCPv6, IP range'
v6 ws 0
ready_ll ws
DHCLIENT6=(dhclient -6 -1 -D LL -cf "$T/ws/dhclient6.conf" -sf "$T/ws/dhclient6-script" -pf "$T/ws/dhclient6.pid" -lf "$T/ws/dhclient6.leases")
xr ws "${DHCLIENT6[@]}" eth0 >"$T/ws/dhclient6.log" 2>&1
v6 mon 0
ready_ll mon
# -c /bin/true: no hook scripts (they would rewrite resolv.conf); -1: exit once configured.
xr mon dhcpcd -f "$T/mon/dhcpcd.conf" -1 -6 -t 30 -c /bin/true eth0 >"$T/mon/dhcpcd.log" 2>&1
x ws ping -6 -q -c 2 -i 0.3 fd00:a5c:50::1 >/dev/null
x mon ping -6 -q -c 2 -i 0.3 fd00:a5c:50::1 >/dev/null
xr ws "${DHCLIENT6[@]}" -r eth0 >>"$T/ws/dhclient6.log" 2>&1   # RELEASE: the address returns to the pool
stop_captures
stop_bg
grep -q 'DHCPREPLY(eth0) fd00:a5c:50::1[0-9a-f]* 00:03:00:01:00:1b:21:50:00:50 ws-nurse-02' "$T/rtr/dnsmasq.log" \
  && grep -q 'DHCPREPLY(eth0) fd00:a5c:50::1[0-9a-f]* .* mx800-icu3-bed07' "$T/rtr/dnsmasq.log" \
  && grep -q 'DHCPRELEASE' "$T/rtr/dnsmasq.log" || { cat "$T/rtr/dnsmasq.log" "$T/ws/dhclient6.log" "$T/mon/dhcpcd.log" >&2; exit 1; }
for h in rtr ws mon; do v6 "$h" 1; done
check dhcpv6-dnsmasq.pcap "-V" "Solicit" "Advertise" "Request" "Reply" "Release" "Router Advertisement" \
  "ws-nurse-02.ward3.example" "mx800-icu3-bed07" "Vendor Class" "dhcpcd-" "Link-layer address: 00:1b:21:50:00:50"
fi

# ------------------------------------------------------------------ done
copy_captures "$OUT" 22
