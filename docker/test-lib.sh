# Shared by docker/test-image.sh and docker/test-systemd.sh (sourced, not run): logging, podman
# settings, the base images (from a registry, or made locally with debootstrap), a veth pair.
# shellcheck shell=bash

log() { printf '[%s %s] %s\n' "${TEST_NAME:-test}" "$(date +%T)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
pass() { log "ok: $*"; }

need_root_and() {
  [ "$(id -u)" -eq 0 ] || die "run as root (rootful podman, network namespaces, file capabilities)"
  local t
  for t in "$@"; do command -v "$t" >/dev/null || die "$t is missing (Debian: apt-get install podman runc debootstrap iproute2 libcap2-bin)"; done
}

# Podman raises RLIMIT_NOFILE and RLIMIT_NPROC in every container it starts, which fails where the
# caller lacks CAP_SYS_RESOURCE (a CI job that is itself a container). Limits no higher than ours
# always work, and are plenty for auscult.
podman_limits() {
  local dir=$1 nofile
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=1048576
  cat > "$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=16384:16384"]
EOF
  export CONTAINERS_CONF="$dir/containers.conf"
}

# Podman wants systemd to time HEALTHCHECKs and says so at every run where it is not PID 1 (a CI job in
# a container); the checks are run by hand here.
podman() { command podman "$@" 2> >(grep -v -e 'unable to get systemd connection' -e 'systemd connection to remove healthchecks' >&2); }

NODE_VERSION=$(node --version 2>/dev/null || true)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOCAL_DEBIAN_IMAGE=localhost/auscult-base-debian:bookworm
LOCAL_NODE_IMAGE=localhost/auscult-base-node:${NODE_VERSION#v}-bookworm
REGISTRY_NODE_IMAGE=docker.io/library/node:20-bookworm-slim
REGISTRY_DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim

# Sets BASE and RUNTIME_BASE: the official images when a registry answers (or AUSCULT_BASES=registry),
# else two images made here (AUSCULT_BASES=local forces them): Debian bookworm from debootstrap, and the
# same plus the Node this machine has. Made once per machine and Node version, then reused.
choose_bases() {
  local work=$1
  if [ "${AUSCULT_BASES:-}" != local ] && timeout 60 podman pull -q "$REGISTRY_NODE_IMAGE" >/dev/null 2>&1 \
     && timeout 60 podman pull -q "$REGISTRY_DEBIAN_IMAGE" >/dev/null 2>&1; then
    BASE=$REGISTRY_NODE_IMAGE RUNTIME_BASE=$REGISTRY_DEBIAN_IMAGE
    log "bases from the registry: $BASE, $RUNTIME_BASE"
    return
  fi
  [ "${AUSCULT_BASES:-}" = registry ] && die "no image registry reachable and AUSCULT_BASES=registry"
  BASE=$LOCAL_NODE_IMAGE RUNTIME_BASE=$LOCAL_DEBIAN_IMAGE
  if podman image exists "$BASE" && podman image exists "$RUNTIME_BASE"; then
    log "bases made earlier on this machine: $BASE, $RUNTIME_BASE"
    return
  fi
  make_local_bases "$work/rootfs"
}

make_local_bases() {
  local rootfs=$1 node_bin node_prefix started=$SECONDS
  command -v debootstrap >/dev/null || die "no image registry reachable, and debootstrap is missing to make a base (apt-get install debootstrap)"
  node_bin=$(readlink -f "$(command -v node)")
  node_prefix=$(dirname "$(dirname "$node_bin")")
  [ -f "$node_prefix/include/node/node.h" ] || die "this machine's Node ($node_bin) has no headers in $node_prefix/include/node"
  [ -d "$node_prefix/lib/node_modules/npm" ] || die "this machine's Node has no npm in $node_prefix/lib/node_modules/npm"
  log "no image registry: making the bases with debootstrap (Debian bookworm from $DEBIAN_MIRROR) and Node $NODE_VERSION"
  debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" > "$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; die "debootstrap failed"; }
  cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  # Current, as the official images are: debootstrap installs the release's packages, not its updates.
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q' >> "$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; die "updating the debootstrap base failed"; }
  rm -f "$rootfs/etc/resolv.conf"
  # As Debian's slim images: no documentation, manual pages or translations, no package caches.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/auscult-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]')
  tar -C "$rootfs" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' -c . | podman import -q "${changes[@]}" - "$LOCAL_DEBIAN_IMAGE" >/dev/null
  # The official images' layout: /usr/local/{bin/node, lib/node_modules/npm, include/node}.
  mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
  cp -a "$node_bin" "$rootfs/usr/local/bin/node"
  cp -a "$node_prefix/lib/node_modules/npm" "$rootfs/usr/local/lib/node_modules/"
  cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  tar -C "$rootfs" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' -c . | podman import -q "${changes[@]}" - "$LOCAL_NODE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "bases made in $((SECONDS - started)) s: $LOCAL_NODE_IMAGE, $LOCAL_DEBIAN_IMAGE"
}

# The extra CA for the build: AUSCULT_EXTRA_CA_FILE, else the CAs this machine's admin added
# (Debian: /usr/local/share/ca-certificates), which a TLS-intercepting proxy needs.
extra_ca() {
  if [ -n "${AUSCULT_EXTRA_CA_FILE:-}" ]; then cat "$AUSCULT_EXTRA_CA_FILE"; return; fi
  local f
  for f in /usr/local/share/ca-certificates/*.crt; do [ -f "$f" ] && cat "$f"; done
  return 0
}

# A veth pair: the capture end $CAPTURE_IF in this namespace (up, no address, IPv6 off: the kernel
# has nothing to send on it), the peer in namespace $LAB_NS with an address and a Philips MAC.
LAB_PEER_MAC=00:09:fb:19:00:01
make_veth_lab() {
  local tag=$1
  LAB_NS=auscult-i19$tag$$
  CAPTURE_IF=i19$tag$$c
  PEER_IF=i19$tag$$p
  LAB_PEER_IP=198.18.19.1
  ip netns add "$LAB_NS"
  ip link add "$CAPTURE_IF" type veth peer name "$PEER_IF"
  sysctl -qw "net.ipv6.conf.$CAPTURE_IF.disable_ipv6=1"
  ip link set "$PEER_IF" netns "$LAB_NS"
  ip -n "$LAB_NS" link set "$PEER_IF" address "$LAB_PEER_MAC"
  ip -n "$LAB_NS" addr add "$LAB_PEER_IP/24" dev "$PEER_IF"
  ip -n "$LAB_NS" link set "$PEER_IF" up
  ip link set "$CAPTURE_IF" up
}
destroy_veth_lab() {
  [ -n "${CAPTURE_IF:-}" ] && ip link del "$CAPTURE_IF" 2>/dev/null || true
  [ -n "${LAB_NS:-}" ] && ip netns del "$LAB_NS" 2>/dev/null || true
}
# ARP requests from the peer (for an address nobody holds) keep frames coming to the capture end.
start_peer_traffic() {
  ip netns exec "$LAB_NS" ping -q -i 0.2 198.18.19.2 >/dev/null 2>&1 &
  PINGER=$!
}
stop_peer_traffic() { [ -n "${PINGER:-}" ] && kill "$PINGER" 2>/dev/null; PINGER=""; }
tx_packets() { cat "/sys/class/net/$1/statistics/tx_packets"; }
