#!/usr/bin/env bash
# Keycloak (Quarkus distribution from Maven Central) on Debian's OpenJDK 17, no Docker:
# an in-memory dev server that imports the realms of deploy/keycloak/ at start.
# Usage: keycloak.sh install | start | stop | status
# Env: TOKENGATE_LOCAL_DIR (default <repo>/.local), KEYCLOAK_DIR (run dir: pid, log;
#      default $TOKENGATE_LOCAL_DIR/keycloak/run), KEYCLOAK_PORT (default 8080),
#      KEYCLOAK_ADMIN_USER / KEYCLOAK_ADMIN_PASSWORD (bootstrap admin; default admin / admin).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/process-lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
LOCAL=${TOKENGATE_LOCAL_DIR:-$ROOT/.local}
VERSION=26.4.7
HOME_DIR=$LOCAL/keycloak/keycloak-$VERSION
KEYCLOAK_DIR=${KEYCLOAK_DIR:-$LOCAL/keycloak/run}
KEYCLOAK_PORT=${KEYCLOAK_PORT:-8080}
LOG=$KEYCLOAK_DIR/keycloak.log
PIDFILE=$KEYCLOAK_DIR/keycloak.pid
START_TIMEOUT=120
STOP_TIMEOUT=30

die() { echo "keycloak.sh: $*" >&2; exit 1; }

running_pid() {
  local pid home
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  # kc.sh names its home by the resolved path: in a git worktree .local/keycloak is a
  # symlink to the main checkout's, and an unresolved HOME_DIR never matched (stop left it running).
  home=$(realpath -m -- "$HOME_DIR")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dkc.home.dir=$home/" || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ready() { curl -fs -o /dev/null "http://127.0.0.1:$KEYCLOAK_PORT/realms/tokengate/.well-known/openid-configuration"; }

install() {
  [[ -x $HOME_DIR/bin/kc.sh ]] && return 0
  command -v mvn >/dev/null || die "mvn not found"
  # Download and unpack beside, then rename: an interrupted install never looks installed.
  rm -rf "$LOCAL/keycloak/download" "$HOME_DIR.tmp"
  mkdir -p "$LOCAL/keycloak/download" "$HOME_DIR.tmp"
  mvn -q -B dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$VERSION:tar.gz" \
    -DoutputDirectory="$LOCAL/keycloak/download"
  tar -xzf "$LOCAL/keycloak/download/keycloak-quarkus-dist-$VERSION.tar.gz" -C "$HOME_DIR.tmp" --strip-components=1
  rm -rf "$LOCAL/keycloak/download"
  mv "$HOME_DIR.tmp" "$HOME_DIR"
}

start() {
  local pid deadline
  if pid=$(running_pid); then echo "keycloak: already running (pid $pid, port $KEYCLOAK_PORT)"; return 0; fi
  port_busy "$KEYCLOAK_PORT" && die "port $KEYCLOAK_PORT is already in use by another process; set KEYCLOAK_PORT"
  install
  mkdir -p "$KEYCLOAK_DIR" "$HOME_DIR/data/import"
  cp "$ROOT"/deploy/keycloak/*-realm.json "$HOME_DIR/data/import/"
  echo "=== start $(date -Is) ===" >>"$LOG"
  # dev-mem: nothing persists, every start imports the realms afresh. Small heap, C1 only:
  # these machines have 2 cores. setsid: Ctrl-C in the calling terminal does not reach it.
  KC_BOOTSTRAP_ADMIN_USERNAME=${KEYCLOAK_ADMIN_USER:-admin} \
  KC_BOOTSTRAP_ADMIN_PASSWORD=${KEYCLOAK_ADMIN_PASSWORD:-admin} \
  JAVA_OPTS_KC_HEAP="-Xms128m -Xmx512m" JAVA_OPTS_APPEND="-XX:TieredStopAtLevel=1" \
    setsid "$HOME_DIR/bin/kc.sh" start-dev --db=dev-mem --import-realm \
    --http-host=127.0.0.1 "--http-port=$KEYCLOAK_PORT" --hostname-strict=false \
    </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  deadline=$((SECONDS + START_TIMEOUT))
  until ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2; rm -f "$PIDFILE"; die "keycloak exited during startup (log: $LOG)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG" >&2; kill -KILL -- "-$pid" 2>/dev/null || true; rm -f "$PIDFILE"
      die "keycloak not ready on 127.0.0.1:$KEYCLOAK_PORT within ${START_TIMEOUT}s (log: $LOG)"
    fi
    sleep 0.3
  done
  echo "keycloak: up on http://127.0.0.1:$KEYCLOAK_PORT (pid $pid, log $LOG)"
}

stop() {
  local pid
  if ! pid=$(running_pid); then echo "keycloak: not running ($KEYCLOAK_DIR)"; rm -f "$PIDFILE"; return 0; fi
  # kc.sh execs java in the same process; its session (setsid) holds nothing else.
  stop_pid keycloak "$pid" "$STOP_TIMEOUT"
  rm -f "$PIDFILE"
  echo "keycloak: stopped"
}

status() {
  local pid
  pid=$(running_pid) || { echo "keycloak: not running ($KEYCLOAK_DIR)"; return 1; }
  echo "keycloak: running (pid $pid, port $KEYCLOAK_PORT)"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: keycloak.sh install | start | stop | status" ;;
esac
