# shellcheck shell=bash
# Shared by the fixture-recording scripts (make-*-fixtures.sh): network namespaces joined by a Linux
# bridge, tcpdump on the bridge, tshark checks. Sourced, not run; every function exits the script on failure.
#
# The script sets, before calling these:
#   P          namespace prefix; host <h> is the namespace $P-<h>, and the working directory is /tmp/$P.XXXXXX
#   HOSTS      every namespace, the switch "sw" first
#   MAC, IP    associative arrays, host -> MAC address and IPv4 address (/24)
#   PKG        associative array, command or file -> the Debian package that provides it (need_tools)
#   ONLY       the capture names to record (want)
# and may set:
#   TCPDUMP_OPTS      array of extra tcpdump options (default none)
#   CAPTURE_TAIL      seconds that stop_captures waits before stopping tcpdump (default 1)
#   CAPTURE_NO_DROPS  1: stop_captures fails if a tcpdump reported packets dropped by the kernel
#   ETHTOOL_OFF       array, the offloads attach_host turns off on both ends (default all of them)
# The library sets T (the working directory), CAPS (tcpdump pids) and BG (background program pids).

T=""
CAPS=()
BG=()
TCPDUMP_OPTS=()
CAPTURE_TAIL=1
CAPTURE_NO_DROPS=""
# No offloads, as on a real wire: the kernel computes every checksum and cuts TCP into MSS-sized segments.
ETHTOOL_OFF=(tx off rx off tso off gso off gro off)

# need_root: exit unless run as root.
need_root() { [[ $(id -u) == 0 ]] || { echo "$(basename "$0"): run as root (network namespaces, tcpdump)" >&2; exit 1; }; }
# need_tools: apt-get install the packages of PKG whose command (or file) is missing.
need_tools() {
  local tool missing=()
  for tool in "${!PKG[@]}"; do command -v "$tool" >/dev/null || [[ -e $tool ]] || missing+=("${PKG[$tool]}"); done
  ((${#missing[@]})) || return 0
  apt-get update -qq
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# x HOST COMMAND...: runs COMMAND in the namespace of HOST.
x() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }
# bg HOST COMMAND...: in the background, pid in BG; not `x ... &`, whose $! would be a subshell that outlives a kill.
bg() { local h=$1; shift; ip netns exec "$P-$h" "$@" & BG+=($!); }
# stop_bg: stops every program that bg started.
stop_bg() { for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; BG=(); }
# log MESSAGE...: a progress line on stderr.
log() { echo "== $*" >&2; }
# want NAME: NAME is one of the captures in ONLY.
want() { [[ " $ONLY " == *" $1 "* ]]; }
# wait_for FILE REGEX [tenths of a second]: until the log of a background program says it is ready.
wait_for() {
  local f=$1 re=$2 n=${3:-100}
  for _ in $(seq "$n"); do grep -Eq "$re" "$f" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for /$re/ in $f:" >&2; cat "$f" >&2 2>/dev/null; exit 1
}
# wait_port HOST PORT: until something listens there (TCP).
wait_port() {
  for _ in $(seq 200); do x "$1" ss -Hltn "sport = :$2" | grep -q LISTEN && return 0; sleep 0.1; done
  echo "timed out waiting for a listener on $1:$2" >&2; exit 1
}

# cleanup DEBUG-VARIABLE: kills what runs in our namespaces, deletes them, and T unless DEBUG-VARIABLE is set.
cleanup() {
  set +e
  local h pid debug=${!1:-}
  for h in "${HOSTS[@]}"; do
    # Only processes inside our own namespaces: the programs this script started.
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  sleep 0.5
  for h in "${HOSTS[@]}"; do
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$P-$h" 2>/dev/null
  done
  if [[ -n $T && -z $debug ]]; then rm -rf "$T"; fi
  return 0
}
# start_run DEBUG-VARIABLE: removes the leftovers of an interrupted run, sets the cleanup trap, makes T.
start_run() {
  (cleanup "$1")   # in a subshell, so that its `set +e` stays there
  # shellcheck disable=SC2064
  trap "cleanup $1" EXIT
  T=$(mktemp -d "/tmp/$P.XXXXXX")
  chmod 755 "$T"
  mkdir -p "$T/cap"
  [[ -z ${!1:-} ]] || log "$1: keeping $T"
}

# make_hosts: one namespace per host of HOSTS, IPv6 off, loopback up, a directory $T/<host>.
make_hosts() {
  local h
  for h in "${HOSTS[@]}"; do
    ip netns add "$P-$h"
    x "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    x "$h" ip link set lo up
    mkdir -p "$T/$h"
  done
}
# make_bridge [ip-link bridge options...]: the switch, bridge br0 in sw, no STP, no forward delay.
make_bridge() {
  x sw ip link add br0 type bridge stp_state 0 forward_delay 0 "$@"
  x sw ip link set br0 up
}
# attach_host HOST: eth0 of HOST (MAC[HOST], IP[HOST]/24) on a veth to port HOST of br0, ETHTOOL_OFF on both ends.
attach_host() {
  local h=$1
  ip link add eth0 netns "$P-$h" address "${MAC[$h]}" type veth peer name "$h" netns "$P-sw"
  x "$h" ethtool -K eth0 "${ETHTOOL_OFF[@]}" >/dev/null
  x sw ethtool -K "$h" "${ETHTOOL_OFF[@]}" >/dev/null
  x sw ip link set "$h" master br0 up
  x "$h" ip link set eth0 up
  x "$h" ip addr add "${IP[$h]}/24" brd + dev eth0
}
# fresh_arp: empties the ARP cache of every host but the switch.
fresh_arp() { local h; for h in "${HOSTS[@]}"; do [[ $h == sw ]] || x "$h" ip neigh flush all; done; }

# start_capture FILE [tcpdump filter...]: tcpdump on br0 (with TCPDUMP_OPTS) into $T/cap/FILE, once it listens.
start_capture() {
  local file=$1; shift
  ip netns exec "$P-sw" tcpdump -Z root -U --immediate-mode "${TCPDUMP_OPTS[@]}" -i br0 -w "$T/cap/$file" "$@" 2>"$T/$file.log" &
  CAPS+=($!)
  wait_for "$T/$file.log" 'listening on'
}
# stop_captures: after CAPTURE_TAIL seconds stops every tcpdump; with CAPTURE_NO_DROPS, fails if one lost packets.
stop_captures() {
  local p l
  sleep "$CAPTURE_TAIL"
  for p in "${CAPS[@]}"; do kill -TERM "$p"; done
  for p in "${CAPS[@]}"; do wait "$p" || true; done
  CAPS=()
  [[ -n $CAPTURE_NO_DROPS ]] || return 0
  # A busy machine can make tcpdump lose a burst of segments: such a capture is useless, stop.
  for l in "$T"/*.pcap.log; do
    grep -qx '0 packets dropped by kernel' "$l" || { echo "$l: tcpdump lost packets; run again" >&2; cat "$l" >&2; exit 1; }
  done
}
# check FILE "tshark options" EXPECTED-SUBSTRING...: the capture decodes and each string is in the
# tshark output (fields or verbose tree), or the run fails before anything is copied.
check() {
  local f=$1 opts=$2 out s; shift 2
  # shellcheck disable=SC2086
  out=$(tshark -n -r "$T/cap/$f" $opts 2>&1)
  for s in "$@"; do
    grep -qF -- "$s" <<<"$out" || { echo "$f: '$s' not found in: tshark -r $f $opts" >&2; head -n 40 <<<"$out" >&2; exit 1; }
  done
}
# copy_captures OUT-DIR [name column width]: copies every capture of $T/cap there and lists them with their sizes.
copy_captures() {
  local out=$1 w=${2:-22} f
  chmod 644 "$T"/cap/*
  cp "$T"/cap/* "$out/"
  log "done:"
  for f in "$T"/cap/*; do
    f=$(basename "$f")
    printf "%-${w}s %5s packets %8s bytes\n" "$f" "$(tshark -r "$out/$f" 2>/dev/null | wc -l)" "$(stat -c %s "$out/$f")" >&2
  done
}

# telnet_capture FILE SERVER CLIENT: inetutils telnetd on SERVER (port 23, started per connection by a
# few lines of Python, as inetd does: -h no banner, -E /bin/date instead of a login), one session of
# inetutils telnet from CLIENT recorded into FILE. Needs PY (a python3) and IP.
telnet_capture() {
  local file=$1 srv=$2 cli=$3
  cat >"$T/$srv/inetd.py" <<'EOF'
import os, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 23)); s.listen(1)
print('listening', flush=True)
c, _ = s.accept()
if os.fork() == 0:
    os.dup2(c.fileno(), 0); os.dup2(c.fileno(), 1); os.dup2(c.fileno(), 2)
    os.execv(sys.argv[1], sys.argv[1:])
os.wait()
EOF
  bg "$srv" "$PY" "$T/$srv/inetd.py" /usr/sbin/telnetd -h -E /bin/date >"$T/$srv/inetd.log" 2>&1
  wait_for "$T/$srv/inetd.log" listening
  fresh_arp
  start_capture "$file"
  (sleep 2) | x "$cli" timeout 5 telnet "${IP[$srv]}" 23 >"$T/$cli/telnet.txt" 2>&1 || true
  stop_captures
  stop_bg
  check "$file" "-V" "Telnet" "Do Terminal Type"
}
