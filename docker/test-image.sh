#!/usr/bin/env bash
# Proof for the container image and the systemd unit (README: Deploying; .ci/run runs it as root).
# Builds docker/Dockerfile with podman (runc), from the official images when a registry answers, else
# from bases made here with debootstrap and this machine's Node (docker/test-lib.sh), then checks:
#   - the image: non-root, CAP_NET_RAW as a file capability on its own Node only, no sources or tests;
#   - `--help`; `demo` answering /health (the HEALTHCHECK) with its database in /data, and the API
#     token of a secret file (AUSCULT_TOKEN_FILE, as compose gives it);
#   - a live capture on a veth pair as the non-root user with CAP_NET_RAW alone and no ambient
#     capabilities (Docker's semantics): promiscuous, the interface's transmit counter unchanged,
#     SIGTERM flushing the database (read back afterwards); without CAP_NET_RAW it is refused;
#   - `doctor` in the image;
# then docker/test-systemd.sh runs the unit under a real systemd. Prints the image size and build time.
# The image stays, tagged localhost/auscult:test (the previous one is removed): its layers are the cache
# of the next run, which rebuilds the native modules only when package-lock.json changes.
# Environment: AUSCULT_BASES=local|registry, AUSCULT_EXTRA_CA_FILE, NPM_REGISTRY, DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-image
# shellcheck source=docker/test-lib.sh
. docker/test-lib.sh
need_root_and podman runc ip getcap node

WORK=$(mktemp -d /tmp/auscult-test-image.XXXXXX)
TAG=localhost/auscult:test
NAME=auscult-i19test-$$
VOLUME=auscult-i19test-$$
cleanup() {
  set +e
  stop_peer_traffic
  podman rm -f -t 0 "$NAME-demo" "$NAME-cap" >/dev/null 2>&1
  podman volume rm -f "$VOLUME" >/dev/null 2>&1
  podman image umount "$TAG" >/dev/null 2>&1
  destroy_veth_lab
  rm -rf "$WORK"
}
trap cleanup EXIT
podman_limits "$WORK"
started=$SECONDS

choose_bases "$WORK"
log "building $TAG from $BASE / $RUNTIME_BASE"
previous=$(podman image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
build_started=$SECONDS
if ! podman build --format docker --layers -f docker/Dockerfile -t "$TAG" \
    --build-arg BASE="$BASE" --build-arg RUNTIME_BASE="$RUNTIME_BASE" \
    --build-arg EXTRA_CA_CERT="$(extra_ca)" --build-arg NPM_REGISTRY="${NPM_REGISTRY:-}" . > "$WORK/build.log" 2>&1; then
  tail -40 "$WORK/build.log" >&2
  die "podman build failed"
fi
BUILD_SECONDS=$((SECONDS - build_started))
# The image this one replaces, and the build stage's layers of the last run that this one did not
# reuse: the layers stay as the next run's cache, without piling up run after run.
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$TAG")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
layers_state=${AUSCULT_IMAGE_STATE:-/var/cache/auscult-test-image}/layers
build_layers() { sed -n 's/^--> \(Using cache \)\{0,1\}\([0-9a-f]\{11,64\}\)$/\2/p' "$WORK/build.log" | cut -c1-11; }
build_layers > "$WORK/layers"
if [ -f "$layers_state" ]; then
  # Newest first: a layer can go once the layers built on it are gone.
  tac "$layers_state" | while read -r id; do
    grep -qx "$id" "$WORK/layers" || podman rmi "$id" >/dev/null 2>&1 || true
  done
fi
mkdir -p "$(dirname "$layers_state")" && cp "$WORK/layers" "$layers_state"
IMAGE_BYTES=$(podman image inspect --format '{{.Size}}' "$TAG")
log "built in ${BUILD_SECONDS} s; image size $((IMAGE_BYTES / 1000000)) MB"

# --- what the image holds -------------------------------------------------------------------------
mnt=$(podman image mount "$TAG")
[ "$(getcap "$mnt/app/bin/node-capture")" = "$mnt/app/bin/node-capture cap_net_raw=ep" ] || die "node-capture does not hold cap_net_raw=ep: $(getcap "$mnt/app/bin/node-capture")"
[ -z "$(getcap "$mnt/app/bin/node")" ] || die "the plain node holds capabilities"
for f in "$mnt/usr/local/bin/node" "$mnt/usr/bin/node"; do [ ! -e "$f" ] || die "a system-wide node in the image: $f"; done
junk=$(cd "$mnt/app" && find . -path ./node_modules -prune -o -type f \( -name '*.ts' -o -name '*.test.js' -o -name '*.map' -o -name '*.sh' -o -name '*.json' \) -print | grep -v -e '^./package.json$' -e '^./dist/agent/identify/yaml-cache.json$' -e '^./fingerprints/' || true)
[ -z "$junk" ] || die "sources or tests in the image: $junk"
[ -z "$(find "$mnt/app/test-fixtures" -type f ! -name '*.pcap')" ] || die "test-fixtures holds more than the demo's captures"
[ ! -e "$mnt/app/agent" ] && [ ! -e "$mnt/app/api" ] || die "source directories in the image"
podman image umount "$TAG" >/dev/null
[ "$(podman image inspect --format '{{.Config.User}}' "$TAG")" = auscult ] || die "the image does not run as the user auscult"
podman image inspect --format '{{json .HealthCheck}}' "$TAG" | grep -q 'fetch(process.env.AUSCULT_HEALTH_URL)' || die "no HEALTHCHECK"
podman image inspect --format '{{json .Config.Env}}' "$TAG" | grep -q 'AUSCULT_HEALTH_URL=http://127.0.0.1:8080/health' || die "the HEALTHCHECK does not ask /health"
pass "image: user auscult, cap_net_raw=ep on /app/bin/node-capture only, no system-wide node, no sources or tests, HEALTHCHECK"

# --- --help (podman's default capabilities: the plain node runs it) ---------------------------------
podman run --rm "$TAG" --help | grep -q '^Usage: auscult' || die "--help"
podman run --rm --cap-drop all "$TAG" --version | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' || die "--version without any capability"
pass "--help, and --version without any capability"

# --- demo: /health through the HEALTHCHECK, database in /data -------------------------------------
podman volume create "$VOLUME" >/dev/null
# The API token as compose gives a file secret: bind-mounted read-only at /run/secrets/NAME, readable by
# uid 10001 alone, named by $AUSCULT_TOKEN_FILE (docker/compose.yaml).
API_TOKEN="auscult_$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$API_TOKEN" > "$WORK/api-token"
chown 10001 "$WORK/api-token" && chmod 0400 "$WORK/api-token"
podman run -d --name "$NAME-demo" --network none --cap-drop all -v "$VOLUME:/data" \
  -v "$WORK/api-token:/run/secrets/auscult_api_token:ro" -e AUSCULT_TOKEN_FILE=/run/secrets/auscult_api_token "$TAG" demo >/dev/null
healthy=""
for _ in $(seq 1 120); do
  if podman healthcheck run "$NAME-demo" >/dev/null 2>&1; then healthy=1; break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$NAME-demo")" = true ] || break
  sleep 0.5
done
[ -n "$healthy" ] || { podman logs "$NAME-demo" >&2; die "demo never became healthy"; }
for _ in 1 2 3; do podman healthcheck run "$NAME-demo" >/dev/null || die "health check failed"; done
health=$(podman exec "$NAME-demo" /app/bin/node -e 'fetch("http://127.0.0.1:8080/health").then((r) => r.text()).then((t) => console.log(t))')
echo "$health" | grep -q '"status":"ok"' || die "/health: $health"
echo "$health" | grep -qE '"devices":[1-9]' || die "/health reports no devices: $health"
podman exec "$NAME-demo" test -s /data/auscult-demo.db || die "the demo's database is not in /data"
ask='fetch("http://127.0.0.1:8080/api/v1/summary", { headers: { authorization: "Bearer " + process.argv[1] } }).then((r) => console.log(r.status))'
[ "$(podman exec "$NAME-demo" /app/bin/node -e "$ask" "$(podman exec "$NAME-demo" cat /run/secrets/auscult_api_token)")" = 200 ] || die "the token of the secret is refused"
[ "$(podman exec "$NAME-demo" /app/bin/node -e "$ask" auscult_not-the-secret-token-0000000000000000)" = 401 ] || die "a wrong token is accepted"
podman stop -t 10 "$NAME-demo" >/dev/null
podman logs "$NAME-demo" > "$WORK/demo.log" 2>&1
if grep '"level":30' "$WORK/demo.log" | grep -q '/health'; then die "/health calls logged at info: $(grep /health "$WORK/demo.log" | head -2)"; fi
grep -q 'API token deployment from /run/secrets/auscult_api_token registered, scopes read' "$WORK/demo.log" || die "the secret's token was not registered: $(grep -i token "$WORK/demo.log" | head -3)"
if grep -qF "$API_TOKEN" "$WORK/demo.log"; then die "the secret's token is in the log"; fi
podman run --rm -v "$VOLUME:/data" --entrypoint /bin/grep "$TAG" -qF "$API_TOKEN" /data/auscult-demo.db /data/auscult-demo.db-wal 2>/dev/null && die "the secret's token is in the database in clear"
pass "demo: healthy (HEALTHCHECK), /health ok with devices, database /data/auscult-demo.db, no info line per /health; the API token of a secret file (AUSCULT_TOKEN_FILE) answers 200, a wrong one 401, never logged or stored in clear"

# --- live capture as the non-root user with CAP_NET_RAW alone --------------------------------------
make_veth_lab img
start_peer_traffic
tx_before=$(tx_packets "$CAPTURE_IF")
# Docker's semantics: podman would also put --cap-add'ed capabilities in the ambient set of a non-root
# user; setpriv clears it, so the capability can only come from the file capability.
podman run -d --name "$NAME-cap" --network host --cap-drop all --cap-add net_raw -v "$VOLUME:/data" \
  --entrypoint /usr/bin/setpriv "$TAG" --inh-caps=-all --ambient-caps=-all /app/bin/auscult capture -i "$CAPTURE_IF" >/dev/null
for _ in $(seq 1 60); do podman logs "$NAME-cap" 2>&1 | grep -q 'capture started' && break; sleep 0.5; done
podman logs "$NAME-cap" 2>&1 | grep -q 'capture started' || { podman logs "$NAME-cap" >&2; die "the capture did not start"; }
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME-cap")
status=$(cat "/proc/$pid/status")
grep -qE '^Uid:\s+10001\s' <<<"$status" || die "the capture does not run as uid 10001: $(grep ^Uid <<<"$status")"
grep -qE '^CapEff:\s+0000000000002000$' <<<"$status" || die "effective capabilities are not CAP_NET_RAW alone: $(grep ^Cap <<<"$status")"
grep -qE '^CapAmb:\s+0000000000000000$' <<<"$status" || die "ambient capabilities are set: $(grep ^CapAmb <<<"$status")"
grep -qE '^CapBnd:\s+0000000000002000$' <<<"$status" || die "bounding set is not CAP_NET_RAW alone: $(grep ^CapBnd <<<"$status")"
flags=$(cat "/sys/class/net/$CAPTURE_IF/flags")
(( flags & 0x100 )) || die "$CAPTURE_IF is not promiscuous during the capture (flags $flags)"
sleep 3
podman stop -t 10 "$NAME-cap" >/dev/null
stop_peer_traffic
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME-cap")
podman logs "$NAME-cap" > "$WORK/capture.log" 2>&1
[ "$code" = 0 ] || { cat "$WORK/capture.log" >&2; die "capture exited $code on SIGTERM"; }
grep -q 'capture stopped, database flushed' "$WORK/capture.log" || die "no flush on SIGTERM"
tx_after=$(tx_packets "$CAPTURE_IF")
[ "$tx_after" = "$tx_before" ] || die "$CAPTURE_IF transmitted $((tx_after - tx_before)) packets during the capture"
readback='const D = require("/app/node_modules/better-sqlite3"); const db = new D("/data/auscult.db", { readonly: true });
const run = db.prepare("SELECT status, details FROM ingests WHERE kind = ? ORDER BY id DESC LIMIT 1").get("live");
const d = JSON.parse(run.details); const peer = db.prepare("SELECT mac_vendor FROM devices WHERE mac = ?").get(process.argv[1]);
console.log([run.status, d.tx_packets_start === d.tx_packets_end, peer ? peer.mac_vendor : "none"].join("|"));'
result=$(podman run --rm -v "$VOLUME:/data" --entrypoint /app/bin/node "$TAG" -e "$readback" "$LAB_PEER_MAC")
[[ "$result" == "complete|true|Philips"* ]] || die "database after SIGTERM: $result (want the run complete, the tx counter unchanged, the peer's Philips MAC)"
pass "capture as uid 10001 with CAP_NET_RAW alone (file capability, no ambient): promiscuous, 0 packets sent, SIGTERM exit 0, database flushed ($result)"

podman run --rm --network host --cap-drop all --cap-add net_raw -v "$VOLUME:/data" "$TAG" doctor -i "$CAPTURE_IF" > "$WORK/doctor.txt" || { cat "$WORK/doctor.txt" >&2; die "doctor reports a failure"; }
grep -q '^ok    capabilities .*with CAP_NET_RAW, and not CAP_NET_ADMIN' "$WORK/doctor.txt" || die "doctor: $(cat "$WORK/doctor.txt")"
grep -q "^ok    transmitted .*sent 0 packets during the last capture" "$WORK/doctor.txt" || die "doctor: $(cat "$WORK/doctor.txt")"
pass "doctor in the image: $(tail -1 "$WORK/doctor.txt")"

denied=$(podman run --rm --network host --cap-drop all -v "$VOLUME:/data" "$TAG" capture -i "$CAPTURE_IF" 2>&1) && die "captured without CAP_NET_RAW"
grep -q "no permission to capture on $CAPTURE_IF" <<<"$denied" || die "without CAP_NET_RAW: $denied"
pass "without CAP_NET_RAW the capture is refused, saying why"
destroy_veth_lab

# --- the systemd unit under a real systemd ----------------------------------------------------------
APP_IMAGE=$TAG RUNTIME_BASE=$RUNTIME_BASE docker/test-systemd.sh

log "image: $((IMAGE_BYTES / 1000000)) MB, built in ${BUILD_SECONDS} s; everything in $((SECONDS - started)) s"
