#!/usr/bin/env bash
# Records test-fixtures/hostile-html.pcap: real software announcing names built to attack a web page
# that shows them. lldpd sends an LLDP system name `<script>alert(1)</script>` and a description with
# an `<img onerror>`; avahi-daemon sends an mDNS host name with an `<svg onload>`. The web page
# (api/web/) must render them as text: the end-to-end test (api/web-page.test.ts) checks that the
# characters show and that no script runs.
# Run as root: sudo bash test-fixtures/make-web-fixtures.sh   (idempotent; about 15 s)
# WEB_DEBUG=1 keeps the working directory (configurations, logs, the capture) in /tmp.
#
# Topology (network namespaces acl-wb-<name>, a Linux bridge in acl-wb-sw; MACs fixed, OUIs real):
#   mon   Philips       10.32.0.31  lldpd: <script> as system name, <img onerror> in the description
#   ws    Intel         10.32.0.50  avahi-daemon: <svg onload> in the host name
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [lldpd]=lldpd [avahi-daemon]=avahi-daemon [ethtool]=ethtool)
need_tools

P=acl-wb
HOSTS=(sw mon ws)
declare -A MAC=(
  [mon]=00:09:fb:32:00:31    # Philips Patient Monitoring
  [ws]=00:1b:21:32:00:50     # Intel Corporate
)
declare -A IP=([mon]=10.32.0.31 [ws]=10.32.0.50)
ONLY="hostile-html"
ETHTOOL_OFF=(tx off tso off gso off gro off)

start_run WEB_DEBUG
make_hosts
for h in "${HOSTS[@]}"; do mkdir -p "$T/$h/run/lldpd" "$T/$h/empty"; done
make_bridge mcast_snooping 0
x sw sh -c 'echo 0x4000 >/sys/class/net/br0/bridge/group_fwd_mask'
for h in mon ws; do attach_host "$h"; done

bgr() {
  local h=$1; shift
  ip netns exec "$P-$h" sh -c 'mount --bind "$0/run" /run && mount --bind "$0/empty" /etc/avahi/services && exec "$@"' "$T/$h" "$@" &
  BG+=($!)
}

printf 'configure system hostname "%s"\nconfigure system description "%s"\nconfigure lldp tx-interval 1\n' \
  '<script>alert(1)</script>' 'IntelliVue <img src=x onerror=alert(2)>' >"$T/mon/lldpd.conf"
printf '[server]\nhost-name=%s\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=no\n[wide-area]\nenable-wide-area=no\n' \
  'ws-"><svg onload=alert(3)>' >"$T/ws/avahi-daemon.conf"

fresh_arp
start_capture hostile-html.pcap
log "hostile-html.pcap: lldpd on mon, avahi-daemon on ws"
bgr mon lldpd -d -I eth0 -C eth0 -u /run/lldpd.socket -O "$T/mon/lldpd.conf" >"$T/mon/lldpd.log" 2>&1
bgr ws avahi-daemon --file="$T/ws/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits >"$T/ws/avahi.log" 2>&1
wait_for "$T/ws/avahi.log" 'Server startup complete'
sleep 4
stop_captures
stop_bg

check hostile-html.pcap "-V" 'System Name = <script>alert(1)</script>' 'IntelliVue <img src=x onerror=alert(2)>' 'ws-"><svg onload=alert(3)>.local'
copy_captures "$OUT" 8
