# Helpers shared by run.sh and stop.sh (sourced, not run): where the local
# stack keeps its pids, logs and secrets, and how to start and wait for it.
LOCAL="${LOCAL:-${TOKENGATE_LOCAL_DIR:-$ROOT/.local}}"
RUN_DIR="$LOCAL/run"
SERVICES=(lineage-consumer http2kafka tokengate-api token-authority)
mkdir -p "$RUN_DIR" "$LOCAL/logs"

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stack_running() {
  local name
  for name in "${SERVICES[@]}"; do
    [ -f "$RUN_DIR/$name.pid" ] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null && return 0
  done
  return 1
}

# Generated once, kept across runs (tokens stay valid), readable by us only.
secrets_dir() {
  local dir="$LOCAL/secrets"
  install -d -m 700 "$dir"
  (
    umask 077
    [ -s "$dir/signing_keys" ] || echo "k$(date +%Y%m%d):$(openssl rand -hex 32)" >"$dir/signing_keys"
    [ -s "$dir/access_token_secret" ] || openssl rand -hex 32 >"$dir/access_token_secret"
    [ -s "$dir/session_secret" ] || openssl rand -hex 32 >"$dir/session_secret"
    [ -s "$dir/postgres_password" ] || openssl rand -hex 24 >"$dir/postgres_password"
  )
  echo "$dir"
}

write_stack_env() {
  (umask 077; cat >"$1")
}

start_service() {  # name binary
  "$2" >"$LOCAL/logs/$1.log" 2>&1 &
  echo $! >"$RUN_DIR/$1.pid"
}

wait_for_log() {  # name needle
  local _
  for _ in $(seq 1 300); do
    grep -q "$2" "$LOCAL/logs/$1.log" 2>/dev/null && return 0
    kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 did not start; last lines of $LOCAL/logs/$1.log:" >&2
  tail -5 "$LOCAL/logs/$1.log" >&2
  return 1
}

wait_for_http() {  # url
  local _
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1 within 30 s (see $LOCAL/logs/)" >&2
  return 1
}
