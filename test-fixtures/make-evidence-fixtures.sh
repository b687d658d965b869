#!/usr/bin/env bash
# Records the "evidence" captures in test-fixtures/: what real implementations say about themselves
# on the wire (mDNS/DNS-SD from avahi, LLMNR from systemd-resolved, LLDP/LLDP-MED/CDP from lldpd,
# SNMP from net-snmp, TLS from OpenSSL and curl, SSH from OpenSSH, NetBIOS from Samba's nmbd and
# nmblookup, HTTP from curl and python3 http.server), each program in its own network namespace.
# Run as root: sudo bash test-fixtures/make-evidence-fixtures.sh   (idempotent; about a minute)
# EVIDENCE_ONLY="tls ssh" records only those captures (names as in the section headers below);
# EVIDENCE_DEBUG=1 keeps the working directory (configurations, logs, captures) in /tmp.
#
# Topology (every box is a network namespace named afx-ev-<name>; MACs fixed, OUIs real):
#
#                afx-ev-sw: Linux bridge br0 = the switch; tcpdump on br0 in promiscuous mode
#                sees every frame the bridge forwards, like a SPAN port
#     +------------+------------+-------------+------------+------------+
#    swc          pacs         prn           mon          phone        ws
#    Cisco        GE Health.   HP            Philips      Polycom      Intel
#    10.30.0.2    10.30.0.10   10.30.0.20    10.30.0.31   10.30.0.41   10.30.0.50
#    lldpd        s_server     avahi-daemon  avahi-daemon lldpd        the clients: avahi-browse,
#    (switch,     :4443 :8443  + publish     + publish    (LLDP-MED    resolvectl, snmpget, s_client,
#    LLDP, CDPv1  sshd :22     snmpd :161    lldpd        class III,   curl, ssh, nmblookup; also
#    and CDPv2)   :2222, nmbd                (LLDP-MED I) CDP)         avahi-daemon, systemd-resolved
#                 systemd-resolved           http :8081                and the SNMP trap target
#
# Every daemon gets its own configuration and a private /run (a bind mount in the mount namespace
# that `ip netns exec` creates), so several copies of avahi-daemon, lldpd, sshd or nmbd can run at
# once without their pid files or sockets meeting, and none writes into the machine's /run.
# avahi-publish, avahi-browse and resolvectl talk to their daemons over D-Bus: each host that needs
# it gets its own dbus-daemon with a minimal permissive configuration, listening on a socket in the
# run's directory, and DBUS_SYSTEM_BUS_ADDRESS points the daemon and its tools there.
# IPv6 is off everywhere: mDNS over IPv4 is enough. Each capture starts with empty ARP caches.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [curl]=curl [python3]=python3
  [openssl]=openssl [dbus-daemon]=dbus-daemon [avahi-daemon]=avahi-daemon [avahi-publish]=avahi-utils
  [lldpd]=lldpd [snmpd]=snmpd [snmpget]=snmp [/usr/sbin/sshd]=openssh-server [ssh]=openssh-client
  [ssh-keygen]=openssh-client [nmblookup]=samba-common-bin [nmbd]=samba [ethtool]=ethtool
  [systemctl]=systemd)   # systemd: the private library that the unpacked systemd-resolved needs
# need_tools installs with --no-install-recommends: samba alone would otherwise pull in a few hundred MB.
# Debian starts no daemon during the install here (policy-rc.d), and the script never uses the system instances.
need_tools

P=afx-ev
HOSTS=(sw swc pacs prn mon phone ws)
declare -A MAC=(
  [swc]=00:1a:a1:1e:00:02    # Cisco Systems, Inc
  [pacs]=44:4b:5d:1e:00:10   # GE Healthcare
  [prn]=3c:52:82:1e:00:20    # Hewlett Packard
  [mon]=00:09:fb:1e:00:31    # Philips Patient Monitoring
  [phone]=64:16:7f:1e:00:41  # Polycom
  [ws]=00:1b:21:1e:00:50     # Intel Corporate
)
declare -A IP=([swc]=10.30.0.2 [pacs]=10.30.0.10 [prn]=10.30.0.20 [mon]=10.30.0.31 [phone]=10.30.0.41 [ws]=10.30.0.50)
PY=$(command -v /usr/bin/python3 || command -v python3)
ONLY=${EVIDENCE_ONLY:-mdns llmnr lldp snmp tls ssh netbios http}
# The offloads attach_host turns off (rx checksumming stays on here).
ETHTOOL_OFF=(tx off tso off gso off gro off)

# In the namespace with the host's private /run ($T/<host>/run) bind-mounted over /run, and an empty
# directory over /etc/avahi/services (avahi would publish whatever static services the machine has).
xr() {
  local h=$1; shift
  ip netns exec "$P-$h" sh -c 'mount --bind "$0/run" /run && mount --bind "$0/empty" /etc/avahi/services && exec "$@"' "$T/$h" "$@"
}
bgr() {
  local h=$1; shift
  ip netns exec "$P-$h" sh -c 'mount --bind "$0/run" /run && mount --bind "$0/empty" /etc/avahi/services && exec "$@"' "$T/$h" "$@" &
  BG+=($!)
}

start_run EVIDENCE_DEBUG

# ---------------------------------------------------------------- topology
make_hosts
for h in "${HOSTS[@]}"; do mkdir -p "$T/$h/run" "$T/$h/empty"; done
make_bridge mcast_snooping 0
# The bridge would otherwise not forward the LLDP group address 01:80:c2:00:00:0e (bit 14).
x sw sh -c 'echo 0x4000 >/sys/class/net/br0/bridge/group_fwd_mask'
# No offloads, as on a real wire: the kernel computes every checksum (veth would otherwise leave
# them unfilled in the capture) and cuts TCP into MSS-sized segments itself (otherwise tcpdump
# sees one "super-packet" of up to 64 KB, and a small path MTU would not split a ClientHello).
for h in swc pacs prn mon phone ws; do attach_host "$h"; done

# A private D-Bus "system bus" for one host (avahi-publish, avahi-browse and resolvectl talk to
# their daemons over it): its own socket, every name and message allowed, no user switching.
start_dbus() {
  local h=$1
  cat >"$T/$h/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$T/$h/dbus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
EOF
  bg "$h" dbus-daemon --config-file="$T/$h/dbus.conf" --nofork --nopidfile >"$T/$h/dbus.log" 2>&1
  for _ in $(seq 50); do [[ -S $T/$h/dbus.sock ]] && return 0; sleep 0.1; done
  cat "$T/$h/dbus.log" >&2; exit 1
}

# ------------------------------------------------------------------ mdns
if want mdns; then
log "evidence-mdns.pcap: avahi-daemon on prn and mon publishing services, avahi-browse -art on ws"
declare -A AVAHI_NAME=([prn]=ward3-printer [mon]=mx800-icu3-bed07 [ws]=ws-nurse-02)
for h in prn mon ws; do
  cat >"$T/$h/avahi-daemon.conf" <<EOF
[server]
host-name=${AVAHI_NAME[$h]}
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
[reflector]
enable-reflector=no
EOF
done
fresh_arp
start_capture evidence-mdns.pcap
for h in prn mon ws; do
  # ws starts once the announcements of prn and mon are over (avahi repeats them after 1 s and 2 s),
  # so its cache is empty and its queries are answered by them rather than known-answer suppressed.
  if [[ $h == ws ]]; then sleep 4; fi
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$h/dbus.sock"
  start_dbus "$h"
  bgr "$h" avahi-daemon --file="$T/$h/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits >"$T/$h/avahi.log" 2>&1
  wait_for "$T/$h/avahi.log" 'Server startup complete'
  if [[ $h == prn ]]; then
    bg prn avahi-publish -s "Ward 3 Printer" _ipp._tcp 631 "txtvers=1" "ty=Example LaserJet 4000" \
      "product=(LaserJet 4000)" "rp=ipp/print" "note=Ward 3 nurses station" "pdl=application/pdf,image/urf" \
      >"$T/prn/pub-ipp.log" 2>&1
    bg prn avahi-publish -s "Ward 3 Printer" _http._tcp 80 "path=/" >"$T/prn/pub-http.log" 2>&1
    wait_for "$T/prn/pub-ipp.log" 'Established'; wait_for "$T/prn/pub-http.log" 'Established'
  elif [[ $h == mon ]]; then
    bg mon avahi-publish -s "ICU3 Bed 7 Monitor" _device-info._tcp 0 "model=IntelliVue MX800" >"$T/mon/pub-info.log" 2>&1
    bg mon avahi-publish -s "ICU3 Bed 7 Monitor" _http._tcp 8081 "path=/" "vendor=Philips" >"$T/mon/pub-http.log" 2>&1
    wait_for "$T/mon/pub-info.log" 'Established'; wait_for "$T/mon/pub-http.log" 'Established'
  fi
done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/ws/dbus.sock"
x ws avahi-browse -artpk >"$T/ws/browse.txt" 2>"$T/ws/browse.err"
x ws avahi-resolve -4 -n ward3-printer.local >"$T/ws/resolve.txt" 2>&1
unset DBUS_SYSTEM_BUS_ADDRESS
stop_captures
stop_bg   # avahi-daemon says goodbye (TTL 0) when it stops, after the capture: not recorded
sleep 2   # nor in the next capture: the IGMP leave reports (sent twice, within a second)
# -p: one line per result, spaces in names escaped as \032; -k: service types as on the wire.
for s in '=;eth0;IPv4;Ward\0323\032Printer;_ipp._tcp;local;ward3-printer.local;10.30.0.20;631;' \
  '=;eth0;IPv4;Ward\0323\032Printer;_http._tcp;local;ward3-printer.local;10.30.0.20;80;' \
  '=;eth0;IPv4;ICU3\032Bed\0327\032Monitor;_device-info._tcp;local;mx800-icu3-bed07.local;10.30.0.31;0;' \
  '=;eth0;IPv4;ICU3\032Bed\0327\032Monitor;_http._tcp;local;mx800-icu3-bed07.local;10.30.0.31;8081;'; do
  grep -qF "$s" "$T/ws/browse.txt" || { echo "avahi-browse did not resolve: $s" >&2; cat "$T/ws/browse.txt" >&2; exit 1; }
done
grep -q '10.30.0.20' "$T/ws/resolve.txt" || { cat "$T/ws/resolve.txt" >&2; exit 1; }
check evidence-mdns.pcap "-V" "ward3-printer.local" "mx800-icu3-bed07.local" "ws-nurse-02.local" \
  "Ward 3 Printer._ipp._tcp.local" "ty=Example LaserJet 4000" "product=(LaserJet 4000)" \
  "ICU3 Bed 7 Monitor._device-info._tcp.local" "model=IntelliVue MX800" "_http._tcp.local"
fi

# ----------------------------------------------------------------- llmnr
if want llmnr; then
log "evidence-llmnr.pcap: systemd-resolved on pacs and ws, resolvectl on ws asks by LLMNR"
# systemd-resolved is not installed: its package would take over the machine's /etc/resolv.conf.
# The package of the installed systemd's version (it needs that version's private library) is
# unpacked into $T and run from there.
SYSTEMD_VER=$(dpkg-query -W -f='${Version}' systemd)
# Failing that, after refreshing the package lists, the newest one: same major version (Debian
# 12's 252.39 binary loads against 252.38's library).
(cd "$T" && { apt-get download "systemd-resolved=$SYSTEMD_VER" || { apt-get update -qq &&
  { apt-get download "systemd-resolved=$SYSTEMD_VER" || apt-get download systemd-resolved; }; }; }) \
  >"$T/apt-download.log" 2>&1 || { cat "$T/apt-download.log" >&2; exit 1; }
dpkg-deb -x "$T"/systemd-resolved_*.deb "$T/resolved"
declare -A LLMNR_NAME=([pacs]=pacs-ward3 [ws]=ws-nurse-02)
fresh_arp
start_capture evidence-llmnr.pcap
for h in pacs ws; do
  mkdir -p "$T/$h/etc-systemd" "$T/$h/run/systemd/resolve"
  chown 65534:65534 "$T/$h/run/systemd/resolve"
  # Nothing but LLMNR: no unicast DNS servers (not even the compiled-in fallback ones), no mDNS,
  # no stub listener, and an empty /etc/resolv.conf so that no servers are imported from it.
  printf '[Resolve]\nDNS=\nFallbackDNS=\nLLMNR=yes\nMulticastDNS=no\nDNSSEC=no\nDNSOverTLS=no\nDNSStubListener=no\nReadEtcHosts=no\n' \
    >"$T/$h/etc-systemd/resolved.conf"
  : >"$T/$h/resolv.conf"
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$h/dbus.sock"
  start_dbus "$h"
  # Own UTS namespace for the host name LLMNR answers to; as nobody with the capabilities that
  # resolved keeps when it drops root itself (it would drop to a systemd-resolve user otherwise).
  ip netns exec "$P-$h" unshare -u sh -c 'hostname "$1" && mount --bind "$0/run" /run &&
    mount --bind "$0/etc-systemd" /etc/systemd && mount --bind "$0/resolv.conf" /etc/resolv.conf &&
    exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_raw,+net_bind_service,+setpcap \
      --ambient-caps=+net_raw,+net_bind_service,+setpcap env SYSTEMD_LOG_LEVEL=debug "$2"' \
    "$T/$h" "${LLMNR_NAME[$h]}" "$T/resolved/lib/systemd/systemd-resolved" >"$T/$h/resolved.log" 2>&1 &
  BG+=($!)
  wait_for "$T/$h/resolved.log" 'Successfully acquired requested service name|Acquired bus name'
done
unset DBUS_SYSTEM_BUS_ADDRESS
sleep 2   # each verifies that its name is unique first (RFC 4795 section 4.2)
RESOLVECTL=(env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/ws/dbus.sock" "$T/resolved/usr/bin/resolvectl")
x ws "${RESOLVECTL[@]}" query -4 --protocol=llmnr --legend=no pacs-ward3 >"$T/ws/llmnr.txt" 2>&1
x ws "${RESOLVECTL[@]}" query -4 --protocol=llmnr --legend=no ehr-ward3 >"$T/ws/llmnr-nx.txt" 2>&1 || true
stop_captures
stop_bg
sleep 2   # the IGMP leave reports of 224.0.0.252, which belong in no capture
grep -q 'pacs-ward3: 10.30.0.10' "$T/ws/llmnr.txt" || { cat "$T/ws/llmnr.txt" "$T/ws/resolved.log" >&2; exit 1; }
check evidence-llmnr.pcap "-V" "Link-local Multicast Name Resolution" "pacs-ward3: type A" "ehr-ward3: type A" \
  "ws-nurse-02: type ANY" "pacs-ward3: type A, class IN, addr 10.30.0.10"
fi

# ------------------------------------------------------------------ lldp
if want lldp; then
log "evidence-lldp.pcap: lldpd as a switch (LLDP, CDPv1, CDPv2), a phone and a monitor (LLDP-MED)"
cat >"$T/swc/lldpd.conf" <<'EOF'
configure system hostname ward3-access-sw1
configure system description "Example Networks ES-2400-24P access switch, software 15.2(7)E8"
configure system platform ES-2400-24P
configure system capabilities enabled bridge,router
configure system ip management pattern 10.30.0.2
configure lldp tx-interval 2
configure ports eth0 lldp portidsubtype local Gi1/0/24
configure ports eth0 lldp portdescription GigabitEthernet1/0/24
EOF
cat >"$T/phone/lldpd.conf" <<'EOF'
configure system hostname ward3-phone-desk1
configure system description "Polycom VVX 411, UC Software 6.4.3.5156"
configure system platform "Polycom VVX 411"
configure system ip management pattern 10.30.0.41
configure lldp tx-interval 2
configure med fast-start enable
configure med policy application voice tagged vlan 30 priority voice dscp 46
configure med power pd source pse priority high value 5000
configure inventory hardware-revision "Rev A"
configure inventory software-revision "6.4.3.5156"
configure inventory firmware-revision "6.4.3.5156"
configure inventory serial-number "0004F2A1B2C3"
configure inventory manufacturer "Polycom"
configure inventory model "VVX 411"
configure inventory asset "WARD3-PH-01"
EOF
cat >"$T/mon/lldpd.conf" <<'EOF'
configure system hostname mx800-icu3-bed07
configure system description "IntelliVue MX800 patient monitor, software M.00.03"
configure system ip management pattern 10.30.0.31
configure lldp tx-interval 2
configure med fast-start enable
configure inventory hardware-revision "A.01"
configure inventory software-revision "M.00.03"
configure inventory firmware-revision "2.10.4"
configure inventory serial-number "DE71234567"
configure inventory manufacturer "Philips Medical Systems"
configure inventory model "MX800"
configure inventory asset "ICU3-BED07"
EOF
declare -A LLDPD_OPTS=([swc]="-ccc" [phone]="-cc -M 3" [mon]="-M 1")
fresh_arp
start_capture evidence-lldp.pcap
for h in swc phone mon; do
  mkdir -p "$T/$h/run/lldpd"
  # -I/-C: only eth0; -O: only this configuration file (it overrides every default that would
  # show this machine: descriptions, platform, inventory revisions);
  # -H 0: no neighbour filtering, so each speaks every protocol it hears (default: one per port).
  # shellcheck disable=SC2086
  bgr "$h" lldpd -d -H 0 -I eth0 -C eth0 ${LLDPD_OPTS[$h]} -u /run/lldpd.socket -O "$T/$h/lldpd.conf" >"$T/$h/lldpd.log" 2>&1
done
sleep 7
for h in swc phone mon; do
  xr "$h" lldpcli -u /run/lldpd.socket show neighbors details >"$T/$h/neighbors.txt" 2>&1 || true
done
stop_bg   # lldpd sends a shutdown LLDPDU (TTL 0) on exit
stop_captures
for s in ward3-phone-desk1 mx800-icu3-bed07; do grep -q "$s" "$T/swc/neighbors.txt" || { cat "$T/swc/neighbors.txt" >&2; exit 1; }; done
check evidence-lldp.pcap "-V" "ward3-access-sw1" "Example Networks ES-2400-24P access switch" "Gi1/0/24" \
  "ward3-phone-desk1" "Polycom VVX 411" "VVX 411" "0004F2A1B2C3" "mx800-icu3-bed07" "IntelliVue MX800" \
  "Philips Medical Systems" "DE71234567" "Cisco Discovery Protocol" "Version: 1" "Version: 2" "ES-2400-24P"
fi

# ------------------------------------------------------------------ snmp
if want snmp; then
log "evidence-snmp.pcap: snmpd on prn, snmpget v2c and v1 from ws, a v2c trap from prn to ws"
mkdir -p "$T/prn/snmp" "$T/ws/snmp"
cat >"$T/prn/snmpd.conf" <<'EOF'
agentaddress udp:10.30.0.20:161
rocommunity hospital-ro 10.30.0.0/24
sysDescr Example LaserJet 4000 network printer, firmware 20230714 (net-snmp)
sysObjectID .1.3.6.1.4.1.11.2.3.9.1
sysName ward3-printer
sysLocation Ward 3, nurses station, room 3.112
sysContact Clinical Engineering <biomed@hospital.example>
sysServices 72
EOF
: >"$T/ws/snmp/snmp.conf"
: >"$T/prn/snmp/snmp.conf"
# Own configuration and state only: SNMPCONFPATH for the tools, -C and SNMP_PERSISTENT_DIR for snmpd.
bg prn env SNMP_PERSISTENT_DIR="$T/prn/snmp" SNMPCONFPATH="$T/prn/snmp" MIBS= \
  snmpd -f -C -c "$T/prn/snmpd.conf" -Lf "$T/prn/snmpd.log" -p "$T/prn/snmpd.pid"
wait_for "$T/prn/snmpd.log" 'NET-SNMP version'
fresh_arp
start_capture evidence-snmp.pcap
SYS=(1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.4.0 1.3.6.1.2.1.1.6.0)
SNMPENV=(env SNMPCONFPATH="$T/ws/snmp" SNMP_PERSISTENT_DIR="$T/ws/snmp" MIBS=)
x ws "${SNMPENV[@]}" snmpget -v2c -c hospital-ro -On 10.30.0.20 "${SYS[@]}" >"$T/ws/snmp-v2c.txt" 2>>"$T/ws/snmp.log"
x ws "${SNMPENV[@]}" snmpget -v1 -c hospital-ro -On 10.30.0.20 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.3.0 \
  >"$T/ws/snmp-v1.txt" 2>>"$T/ws/snmp.log"
# linkDown (IF-MIB) for ifIndex 1 to an NMS at ws, where nothing listens on 162: ws answers
# with an ICMP port unreachable, which is in the capture too.
# Then the same as an SNMPv1 trap (generic-trap linkDown, enterprise = the sysObjectID, agent-addr).
TRAPENV=(env SNMPCONFPATH="$T/prn/snmp" SNMP_PERSISTENT_DIR="$T/prn/snmp" MIBS=)
x prn "${TRAPENV[@]}" snmptrap -v2c -c hospital-trap 10.30.0.50 '' 1.3.6.1.6.3.1.1.5.3 \
  1.3.6.1.2.1.2.2.1.1.1 i 1 1.3.6.1.2.1.2.2.1.7.1 i 1 1.3.6.1.2.1.2.2.1.8.1 i 2 \
  1.3.6.1.2.1.1.5.0 s ward3-printer 2>>"$T/prn/snmp.log"
x prn "${TRAPENV[@]}" snmptrap -v1 -c hospital-trap 10.30.0.50 1.3.6.1.4.1.11.2.3.9.1 10.30.0.20 2 0 '' \
  1.3.6.1.2.1.2.2.1.1.1 i 1 2>>"$T/prn/snmp.log"
stop_captures
stop_bg
grep -q 'STRING: "ward3-printer"' "$T/ws/snmp-v2c.txt" && grep -q 'OID: .1.3.6.1.4.1.11.2.3.9.1' "$T/ws/snmp-v2c.txt" \
  && grep -q 'Timeticks' "$T/ws/snmp-v1.txt" || { cat "$T/ws"/snmp-v*.txt >&2; exit 1; }
check evidence-snmp.pcap "-V" "hospital-ro" "hospital-trap" "Example LaserJet 4000 network printer" \
  "1.3.6.1.4.1.11.2.3.9.1" "ward3-printer" "Ward 3, nurses station, room 3.112" \
  "Clinical Engineering <biomed@hospital.example>" "version: version-1 (0)" "version: v2c (1)" "snmpV2-trap" "trap" "agent-addr: 10.30.0.20" \
  "1.3.6.1.6.3.1.1.5.3"
fi

# ------------------------------------------------------------------- tls
if want tls; then
log "evidence-tls.pcap: openssl s_server on pacs :4443 and :8443, s_client and curl from ws"
# Certificates are new on every run (new keys, serials, dates); the subjects stay the same.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$T/pacs/pacs.key" -out "$T/pacs/pacs.crt" \
  -subj "/CN=pacs.ward3.example/O=Example Hospital" -addext "subjectAltName=DNS:pacs.ward3.example" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -keyout "$T/pacs/admin.key" -out "$T/pacs/admin.crt" \
  -subj "/CN=pacs-admin.ward3.example/O=Example Hospital/OU=Radiology" \
  -addext "subjectAltName=DNS:pacs-admin.ward3.example" 2>/dev/null
# :4443 speaks TLS 1.2 and 1.3; :8443 only TLS 1.2 (so its certificate is in clear text too).
bg pacs openssl s_server -quiet -www -accept 10.30.0.10:4443 -cert "$T/pacs/pacs.crt" -key "$T/pacs/pacs.key" >"$T/pacs/s4443.log" 2>&1
bg pacs openssl s_server -quiet -www -tls1_2 -accept 10.30.0.10:8443 -cert "$T/pacs/admin.crt" -key "$T/pacs/admin.key" >"$T/pacs/s8443.log" 2>&1
for port in 4443 8443; do
  for _ in $(seq 50); do x pacs ss -Hltn "sport = :$port" | grep -q LISTEN && break; sleep 0.1; done
done
fresh_arp
start_capture evidence-tls.pcap
x ws openssl s_client -connect 10.30.0.10:4443 -servername pacs.ward3.example -tls1_2 </dev/null >"$T/ws/tls12.txt" 2>&1
x ws openssl s_client -connect 10.30.0.10:4443 -servername pacs.ward3.example -tls1_3 </dev/null >"$T/ws/tls13.txt" 2>&1
x ws curl -sk -o /dev/null --resolve pacs.ward3.example:4443:10.30.0.10 https://pacs.ward3.example:4443/
# A path MTU of 400 towards pacs (MSS 360) for the second curl: its ClientHello (517 bytes of TCP
# payload with OpenSSL 3.0's padding extension) goes out in two TCP segments.
x ws ip route add 10.30.0.10/32 dev eth0 mtu lock 400
x ws curl -sk -o /dev/null --resolve pacs-admin.ward3.example:8443:10.30.0.10 https://pacs-admin.ward3.example:8443/
x ws ip route del 10.30.0.10/32
stop_captures
stop_bg
grep -q 'subject=CN = pacs.ward3.example, O = Example Hospital' "$T/ws/tls12.txt" \
  && grep -q 'New, TLSv1.3' "$T/ws/tls13.txt" || { cat "$T/ws/tls12.txt" "$T/ws/tls13.txt" >&2; exit 1; }
TLSD="-d tcp.port==4443,tls -d tcp.port==8443,tls"
check evidence-tls.pcap "$TLSD -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_server_name" \
  pacs.ward3.example pacs-admin.ward3.example
check evidence-tls.pcap "$TLSD -V" "commonName=pacs.ward3.example" "organizationName=Example Hospital" \
  "commonName=pacs-admin.ward3.example" "Supported Version: TLS 1.3 (0x0304)"
# The split ClientHello: reassembled from two or more TCP segments.
# shellcheck disable=SC2086
SEGS=$(tshark -n -r "$T/cap/evidence-tls.pcap" $TLSD -Y 'tls.handshake.type==1 && tcp.segment.count >= 2' \
  -T fields -e tcp.segment.count 2>/dev/null | head -1)
[[ -n $SEGS ]] || { echo "evidence-tls.pcap: no ClientHello spans two TCP segments" >&2; exit 1; }
fi

# ------------------------------------------------------------------- ssh
if want ssh; then
log "evidence-ssh.pcap: OpenSSH sshd on pacs :22 and :2222, ssh from ws (authentication fails)"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$T/pacs/ssh_host_ed25519_key"
ssh-keygen -q -t ecdsa -N '' -C '' -f "$T/pacs/ssh_host_ecdsa_key"
cat >"$T/pacs/sshd_config" <<EOF
ListenAddress 10.30.0.10
Port 22
Port 2222
HostKey $T/pacs/ssh_host_ed25519_key
HostKey $T/pacs/ssh_host_ecdsa_key
PidFile none
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
LogLevel VERBOSE
EOF
mkdir -p "$T/pacs/run/sshd"; chmod 755 "$T/pacs/run/sshd"
bgr pacs /usr/sbin/sshd -D -e -f "$T/pacs/sshd_config" >"$T/pacs/sshd.log" 2>&1
wait_for "$T/pacs/sshd.log" 'Server listening on 10.30.0.10 port 2222'
fresh_arp
start_capture evidence-ssh.pcap
SSH=(ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o PubkeyAuthentication=no -o ConnectTimeout=5)
x ws "${SSH[@]}" -p 22 radiology@10.30.0.10 true >"$T/ws/ssh22.txt" 2>&1 || true
x ws "${SSH[@]}" -p 2222 -o HostKeyAlgorithms=ecdsa-sha2-nistp256 admin@10.30.0.10 true >"$T/ws/ssh2222.txt" 2>&1 || true
stop_captures
stop_bg
grep -q 'Permission denied' "$T/ws/ssh22.txt" && grep -q 'Permission denied' "$T/ws/ssh2222.txt" \
  || { cat "$T/ws"/ssh*.txt >&2; exit 1; }
check evidence-ssh.pcap "-d tcp.port==2222,ssh -Y ssh.protocol -T fields -e tcp.srcport -e ssh.protocol" \
  "SSH-2.0-OpenSSH_" "22	SSH-2.0-OpenSSH_" "2222	SSH-2.0-OpenSSH_"
fi

# --------------------------------------------------------------- netbios
if want netbios; then
log "evidence-netbios.pcap: nmbd on pacs (registration, browser election, announcements), nmblookup on ws"
smbconf() {  # host netbios-name address
  local d="$T/$1/samba"
  # nmbd's socket for "unexpected" packets is always /run/samba/nmbd/: that is in the private /run.
  mkdir -p "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/pid" "$d/ncalrpc" "$T/$1/run/samba"
  cat >"$T/$1/smb.conf" <<EOF
[global]
netbios name = $2
workgroup = WARD3
server string = Ward 3 PACS archive
server role = standalone server
interfaces = $3/24
bind interfaces only = yes
disable netbios = no
local master = yes
preferred master = yes
os level = 20
domain master = no
wins support = no
dns proxy = no
lock directory = $d/lock
state directory = $d/state
cache directory = $d/cache
private dir = $d/private
pid directory = $d/pid
ncalrpc dir = $d/ncalrpc
log file = $d/log.%m
log level = 1
EOF
}
smbconf pacs PACS-WARD3 10.30.0.10
smbconf ws WS-NURSE-02 10.30.0.50
fresh_arp
start_capture evidence-netbios.pcap
bgr pacs nmbd -F --debug-stdout --no-process-group --configfile="$T/pacs/smb.conf" >"$T/pacs/nmbd.log" 2>&1
wait_for "$T/pacs/nmbd.log" 'now a local master browser for workgroup WARD3' 900
sleep 2
NMB=(nmblookup --configfile="$T/ws/smb.conf")
xr ws "${NMB[@]}" PACS-WARD3 >"$T/ws/nmb-name.txt" 2>&1
xr ws "${NMB[@]}" -A 10.30.0.10 >"$T/ws/nmb-status.txt" 2>&1
xr ws "${NMB[@]}" -M WARD3 >"$T/ws/nmb-master.txt" 2>&1
stop_captures
stop_bg
grep -q '10.30.0.10 PACS-WARD3<00>' "$T/ws/nmb-name.txt" && grep -q 'WARD3 *<1d>' "$T/ws/nmb-status.txt" \
  && grep -q '10.30.0.10 WARD3<1d>' "$T/ws/nmb-master.txt" || { cat "$T/ws"/nmb-*.txt >&2; exit 1; }
check evidence-netbios.pcap "-V" "PACS-WARD3<00>" "PACS-WARD3<20>" "WARD3<1e>" "WARD3<1d>" \
  "Registration" "Local Master Announcement" "Ward 3 PACS archive"
fi

# ------------------------------------------------------------------ http
if want http; then
log "evidence-http.pcap: curl with its own User-Agent to python3 http.server on mon :8081, headers in two segments"
mkdir -p "$T/mon/www"
printf '<html><head><title>ICU3 Bed 7 - patient monitor</title></head><body>auscult fixture</body></html>\n' >"$T/mon/www/index.html"
bg mon "$PY" -m http.server --bind 10.30.0.31 --directory "$T/mon/www" 8081 >"$T/mon/http.log" 2>&1
for _ in $(seq 50); do x mon curl -s -o /dev/null http://10.30.0.31:8081/ && break; sleep 0.1; done
fresh_arp
start_capture evidence-http.pcap
# Path MTU 576 towards mon (MSS 536) and a 700-byte header: the request head is two TCP segments.
x ws ip route add 10.30.0.31/32 dev eth0 mtu lock 576
CTX=$(printf 'ward=3;bed=07;station=nurses;%.0s' $(seq 24))
x ws curl -s -o /dev/null -A 'Ward3-Dashboard/2.1 (nurse-station; Linux)' -H "X-Ward-Context: $CTX" http://10.30.0.31:8081/
x ws curl -s -o /dev/null -A 'Ward3-Dashboard/2.1 (nurse-station; Linux)' http://10.30.0.31:8081/missing
x ws ip route del 10.30.0.31/32
stop_captures
stop_bg
HTTPD="-d tcp.port==8081,http"
check evidence-http.pcap "$HTTPD -Y http.request -T fields -e http.user_agent -e tcp.segment.count" \
  "Ward3-Dashboard/2.1 (nurse-station; Linux)	2"
check evidence-http.pcap "$HTTPD -Y http.response -T fields -e http.server -e http.response.code" \
  "SimpleHTTP/0.6 Python/" "	200" "	404"
fi

# ------------------------------------------------------------------ done
copy_captures "$OUT" 22
