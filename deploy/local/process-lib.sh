# Sourced by the scripts that run a JVM service (kafka.sh, keycloak.sh): one way
# to stop a process, so each gets the same grace period and the same fallback.

# stop_pid LABEL PID TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local label=$1 pid=$2 deadline=$((SECONDS + $3))
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$label: no clean exit within ${3}s, sending SIGKILL" >&2
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}
