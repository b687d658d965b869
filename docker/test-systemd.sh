#!/usr/bin/env bash
# The systemd unit (docker/auscult.service) under a real systemd: PID 1 of a podman container made from
# the runtime base, auscult installed in /opt/auscult from the image docker/test-image.sh built (it runs
# this script), Node in /usr/local/bin, the options in /etc/auscult/auscult.yaml. Shows that:
#   - without a usable Node, and with a bad key in the configuration, the unit fails with exit status
#     2, is not restarted, and `journalctl -p err` finds the reason;
#   - with a good configuration it captures on a veth end moved into the container, as a dynamic user
#     with CAP_NET_RAW alone, promiscuous, sending nothing; the API answers; warnings reach the journal
#     at priority warning; /health leaves no line; `systemctl stop` flushes the database;
#   - `systemd-analyze security` on the running unit rates it 4.0 or lower.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-systemd
# shellcheck source=docker/test-lib.sh
. docker/test-lib.sh
need_root_and podman runc ip nsenter
: "${APP_IMAGE:?the auscult image to install from (docker/test-image.sh builds it and runs this script)}"
: "${RUNTIME_BASE:?the Debian base the image was built on}"

WORK=$(mktemp -d /tmp/auscult-test-systemd.XXXXXX)
TAG=localhost/auscult-systemd:test
NAME=auscult-i19sd-$$
cleanup() {
  set +e
  stop_peer_traffic
  podman rm -f -t 0 "$NAME" >/dev/null 2>&1
  destroy_veth_lab
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${CONTAINERS_CONF:-}" ] || podman_limits "$WORK"
started=$SECONDS

# The package as `npm ci` leaves it in /opt/auscult, with the launcher and the unit from this checkout.
# Node waits aside until the test puts it in /usr/local/bin.
cat > "$WORK/Containerfile" <<EOF
FROM $APP_IMAGE AS app
FROM $RUNTIME_BASE
RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv libpcap0.8 libstdc++6 \\
 && rm -rf /var/lib/apt/lists/*
COPY --from=app /app/bin/node /usr/local/lib/auscult-test/node
COPY --from=app /app/package.json /opt/auscult/package.json
COPY --from=app /app/dist /opt/auscult/dist
COPY --from=app /app/fingerprints /opt/auscult/fingerprints
COPY --from=app /app/node_modules /opt/auscult/node_modules
COPY docker/auscult-launch /opt/auscult/docker/auscult-launch
COPY docker/auscult.service /etc/systemd/system/auscult.service
RUN mkdir -p /etc/auscult
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
EOF
previous=$(podman image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
podman build -q --layers -f "$WORK/Containerfile" -t "$TAG" . > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; die "building the systemd image failed"; }
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$TAG")" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi

# Privileged as systemd on a host is: it builds each service's sandbox (mount namespaces, read-only
# binds, seccomp), which the unit's hardening asks for. --network none: the container's own namespace.
podman run -d --name "$NAME" --systemd=always --privileged --network none "$TAG" >/dev/null
in_ct() { podman exec "$NAME" "$@"; }
write_ct() { podman exec -i "$NAME" tee "$1" >/dev/null; }
state=""
for _ in $(seq 1 60); do
  state=$(in_ct systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.5
done
case "$state" in running|degraded) ;; *) die "systemd did not come up: $state" ;; esac
log "systemd $(in_ct systemctl --version | head -1 | cut -d' ' -f2) is up ($state)"

unit_value() { in_ct systemctl show -p "$1" --value auscult; }
# A unit that failed with exit 2 must stay failed: RestartSec is 5 s, so wait past it.
expect_config_failure() {
  local why=$1 pattern=$2
  in_ct systemctl reset-failed auscult 2>/dev/null || true
  # Type=simple: `systemctl start` returns once the process runs; the failure comes after.
  in_ct systemctl start auscult 2>/dev/null || true
  sleep 7
  [ "$(unit_value ExecMainStatus)" = 2 ] || die "$why: exit status $(unit_value ExecMainStatus), not 2"
  [ "$(unit_value NRestarts)" = 0 ] || die "$why: restarted $(unit_value NRestarts) times"
  [ "$(unit_value ActiveState)" = failed ] || die "$why: $(unit_value ActiveState)"
  in_ct journalctl -u auscult -p err -o cat --no-pager | grep -q "$pattern" || die "$why: journalctl -p err does not show it: $(in_ct journalctl -u auscult -o cat --no-pager | tail -5)"
  pass "$why: exit 2, not restarted, journalctl -p err: $(in_ct journalctl -u auscult -p err -o cat --no-pager | grep "$pattern" | tail -1 | cut -c1-150)"
}

expect_config_failure "no Node >= 20.19" 'no Node.js >= 20.19 found'
in_ct mv /usr/local/lib/auscult-test/node /usr/local/bin/node

printf 'capture:\n  interface: eth1\n  intreface: eth1\n' | write_ct /etc/auscult/auscult.yaml
expect_config_failure "a misspelt key" 'unknown key "capture.intreface"'

# The capture end of a veth pair moves into the container's network namespace: the sensor's SPAN port.
make_veth_lab sd
cpid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
ip link set "$CAPTURE_IF" netns "/proc/$cpid/ns/net"
nsenter -t "$cpid" -n sysctl -qw "net.ipv6.conf.$CAPTURE_IF.disable_ipv6=1"
nsenter -t "$cpid" -n ip link set "$CAPTURE_IF" up
# A user signature directory with a broken file: a warning (pino level 40) for the journal.
in_ct mkdir -p /etc/auscult/fingerprints
printf -- '- id: broken\n  description: no example\n' | write_ct /etc/auscult/fingerprints/broken.yaml
printf 'capture:\n  interface: %s\napi:\n  host: 127.0.0.1\n  port: 8080\nfingerprints: fingerprints\n' "$CAPTURE_IF" | write_ct /etc/auscult/auscult.yaml

tx_ct() { nsenter -t "$cpid" -n cat "/proc/net/dev" | awk -v ifc="$CAPTURE_IF:" '$1 == ifc { print $11 }'; }
start_peer_traffic
tx_before=$(tx_ct)
[[ "$tx_before" =~ ^[0-9]+$ ]] || die "cannot read the transmit counter of $CAPTURE_IF in the container: '$tx_before'"
in_ct systemctl reset-failed auscult
in_ct systemctl start auscult
for _ in $(seq 1 60); do in_ct journalctl -u auscult -o cat --no-pager | grep -q 'capture started' && break; sleep 0.5; done
in_ct journalctl -u auscult -o cat --no-pager | grep -q 'capture started' || { in_ct journalctl -u auscult --no-pager | tail -20 >&2; die "the service did not start capturing"; }
[ "$(unit_value ActiveState)" = active ] || die "the service is $(unit_value ActiveState)"
main=$(unit_value MainPID)
status=$(in_ct cat "/proc/$main/status")
grep -qE '^Uid:\s+0\s' <<<"$status" && die "the service runs as root"
grep -qE '^CapEff:\s+0000000000002000$' <<<"$status" || die "effective capabilities are not CAP_NET_RAW alone: $(grep ^Cap <<<"$status")"
grep -qE '^CapBnd:\s+0000000000002000$' <<<"$status" || die "bounding set is not CAP_NET_RAW alone: $(grep ^CapBnd <<<"$status")"
grep -qE '^NoNewPrivs:\s+1$' <<<"$status" || die "NoNewPrivs is not set"
exe=$(in_ct readlink "/proc/$main/exe")
[ "$exe" = /usr/local/bin/node ] || die "the launcher started $exe, not /usr/local/bin/node"
flags=$(nsenter -t "$cpid" -n ip -d link show "$CAPTURE_IF" | grep -o 'promiscuity [0-9]*')
[ "$flags" != "promiscuity 0" ] || die "$CAPTURE_IF is not promiscuous during the capture"
pass "service up: $(grep ^Uid <<<"$status" | tr -s '\t' ' '), CapEff/CapBnd CAP_NET_RAW alone, NoNewPrivs, $exe found by the launcher, $flags"

# A token created while the service runs (as root, beside the running service's connections): every
# route but /health needs one.
token=$(in_ct /usr/local/bin/node /opt/auscult/dist/agent/cli.js token create --name systemd-test --scopes read --db /var/lib/private/auscult/auscult.db | tail -1)
[[ "$token" =~ ^auscult_ ]] || die "auscult token create printed no token: '$token'"
fetch='fetch("http://127.0.0.1:8080" + process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }).then((r) => r.text()).then((t) => console.log(t), (e) => { console.error(String(e)); process.exit(1); })'
seen=""
for _ in $(seq 1 40); do
  if in_ct /usr/local/bin/node -e "$fetch" /api/v1/devices "$token" 2>/dev/null | grep -q "\"mac\":\"$LAB_PEER_MAC\""; then seen=1; break; fi
  sleep 0.5
done
[ -n "$seen" ] || die "the API never listed the peer $LAB_PEER_MAC"
for _ in 1 2 3; do in_ct /usr/local/bin/node -e "$fetch" /health | grep -q '"status":"ok"' || die "/health"; done
pass "API on 127.0.0.1:8080 lists the peer; /health ok"

journal() { in_ct journalctl -u auscult -o cat --no-pager "$@"; }
journal -p warning | grep -q 'signature not loaded' || die "the warning is not at priority warning: $(journal | grep 'signature not loaded' | head -1)"
journal -p err | grep -q 'signature not loaded' && die "a warning was filed at priority err"
journal -p err | grep -q 'capture started' && die "an info line was filed at priority err"
journal -p info | grep -q 'capture started' || die "info lines are missing"
journal | grep -q '/health' && die "/health calls are logged"
pass "journal: warnings at priority warning, errors at err, info at info, nothing per /health"

in_ct systemctl stop auscult
stop_peer_traffic
[ "$(unit_value Result)" = success ] || die "stop: $(unit_value Result)"
journal | grep -q 'capture stopped, database flushed' || die "no flush on stop"
tx_after=$(tx_ct)
[ "$tx_after" = "$tx_before" ] || die "$CAPTURE_IF transmitted $((tx_after - tx_before)) packets while the service captured"
readback='const D = require("/opt/auscult/node_modules/better-sqlite3"); const db = new D("/var/lib/private/auscult/auscult.db", { readonly: true });
const run = db.prepare("SELECT status FROM ingests WHERE kind = ? ORDER BY id DESC LIMIT 1").get("live");
const peer = db.prepare("SELECT mac_vendor FROM devices WHERE mac = ?").get(process.argv[1]);
console.log(run.status + "|" + (peer ? peer.mac_vendor : "none"));'
result=$(in_ct /usr/local/bin/node -e "$readback" "$LAB_PEER_MAC")
[[ "$result" == "complete|Philips"* ]] || die "database after stop: $result"
pass "systemctl stop: flushed ($result), 0 packets sent on $CAPTURE_IF"

score=$(in_ct systemd-analyze security auscult --no-pager | sed -n 's/.*Overall exposure level for auscult.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || die "systemd-analyze security: exposure ${score:-unknown}"
pass "systemd-analyze security auscult (running): exposure $score"
log "done in $((SECONDS - started)) s"
