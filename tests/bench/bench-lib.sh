# Sourced by the bench scripts: starting a service and waiting (with a
# deadline) for the port it logs. Needs WORK (a temp folder) and PIDS (an
# array the script's cleanup kills).

# start NAME BINARY [VAR=value…]: runs it in the background with those
# variables, its log in $WORK/NAME.log; sets PORT once it serves, or prints
# the log and exits if it stops or 20 s pass first.
start() {
  local name=$1 binary=$2
  shift 2
  PORT=""
  env "$@" "$binary" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 400); do
    PORT="$(grep -oP 'listening on port \K[0-9]+' "$WORK/$name.log" || true)"
    [ -n "$PORT" ] && return
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/$name.log" >&2
  exit 1
}
