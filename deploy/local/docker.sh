#!/usr/bin/env bash
# A Docker engine on this machine, and the Debian 12 base image the tokengate
# image starts from, made without a container registry (none is reachable).
# Usage: docker.sh start|stop|base|prefetch
#   start  starts dockerd (Debian's docker.io, from install-deps.sh) unless an
#          engine already answers. Host networking only (no bridge, no
#          iptables): builds and containers use --network host.
#   stop   stops the dockerd this script started (its pid file).
#   base   makes the image $BASE_IMAGE with debootstrap --variant=minbase from
#          the machine's own apt mirror, unless it exists; the root filesystem
#          tarball is kept under .local/docker/ so a wiped engine reimports it.
#   prefetch  runs `base` in the background (log: .local/docker/prefetch.log):
#          `make test` starts it before compiling; whoever needs the base
#          next waits for it on the lock.
# start and base take a machine-wide lock: several checkouts may share one engine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
DOCKER_DIR="$LOCAL/docker"
BASE_IMAGE="${TOKENGATE_BASE_IMAGE:-tokengate-base:bookworm}"
BASE_TARBALL="$DOCKER_DIR/debian-bookworm-minbase.tar"
LOCK=/run/lock/tokengate-docker.lock
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

engine_answers() { docker info >/dev/null 2>&1; }

# One machine, one engine: the first caller installs and starts, the others wait.
with_lock() {
  exec 9>"$LOCK"
  flock -w 600 9 || { echo "docker.sh: $LOCK held for 10 min" >&2; exit 1; }
}

start_engine() {
  engine_answers && return
  command -v dockerd >/dev/null && command -v debootstrap >/dev/null ||
    { echo "docker.sh: no dockerd or debootstrap: run deploy/local/install-deps.sh" >&2; exit 1; }
  mkdir -p "$DOCKER_DIR"
  # Its own session, every descriptor on files: whoever ran this (ctest
  # included) does not wait for the daemon.
  $SUDO setsid dockerd --bridge=none --iptables=false --ip-masq=false \
    --pidfile "$DOCKER_DIR/dockerd.pid" </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 300); do
    engine_answers && { echo "docker.sh: dockerd started (log: $DOCKER_DIR/dockerd.log)"; return; }
    kill -0 $! 2>/dev/null || break
    sleep 0.1
  done
  echo "docker.sh: dockerd did not start; the end of $DOCKER_DIR/dockerd.log:" >&2
  tail -20 "$DOCKER_DIR/dockerd.log" >&2
  exit 1
}

stop_engine() {
  local pidfile="$DOCKER_DIR/dockerd.pid"
  [ -f "$pidfile" ] || { echo "docker.sh: no dockerd started from here"; return; }
  local pid; pid="$(cat "$pidfile")"
  $SUDO kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  echo "docker.sh: dockerd stopped"
}

# The bookworm mirror apt uses here (deb822 .sources or one-line sources.list).
apt_mirror() {
  local uri
  uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '$2 !~ /security/ {print $2; exit}')"
  [ -n "$uri" ] || uri="$(grep -hsE '^deb +(\[[^]]*\] +)?https?://\S+ +bookworm ' \
                            /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
                          sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1; exit}')"
  echo "${TOKENGATE_DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

# debootstrap's minbase, trimmed the way Debian's -slim images are: no
# downloaded .debs, apt lists, manuals, docs or locales, and dpkg told to
# leave those out of later installs too. apt gets the host's own sources
# (main, updates, security) so the image's libraries match the build's.
make_rootfs() {
  local dir="$DOCKER_DIR/rootfs" mirror
  mirror="$(apt_mirror)"
  rm -rf "$dir"
  echo "docker.sh: debootstrap --variant=minbase bookworm from $mirror"
  $SUDO debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$DOCKER_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$DOCKER_DIR/debootstrap.log" >&2; exit 1; }
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
    rm -f "$dir/etc/apt/sources.list"
  fi
  cat >"$dir/etc/dpkg/dpkg.cfg.d/tokengate-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$dir/etc/apt/apt.conf.d/tokengate-no-recommends"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* "$dir"/dev/*
  find "$dir/usr/share/doc" -type f ! -name copyright -delete
  tar -C "$dir" --numeric-owner -cf "$BASE_TARBALL.tmp" .
  mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
  rm -rf "$dir"
}

make_base() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return
  mkdir -p "$DOCKER_DIR"
  [ -f "$BASE_TARBALL" ] || make_rootfs
  docker import -c 'CMD ["bash"]' "$BASE_TARBALL" "$BASE_IMAGE" >/dev/null
  echo "docker.sh: $BASE_IMAGE imported from $BASE_TARBALL"
}

case "${1:-}" in
  start) with_lock; start_engine ;;
  stop) stop_engine ;;
  base) with_lock; start_engine; make_base ;;
  prefetch) mkdir -p "$DOCKER_DIR"; setsid "$0" base </dev/null >"$DOCKER_DIR/prefetch.log" 2>&1 & ;;
  *) echo "usage: $0 start|stop|base|prefetch" >&2; exit 2 ;;
esac
