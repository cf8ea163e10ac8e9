#!/usr/bin/env bash
# `make run`: the whole system on this machine. Starts PostgreSQL and Kafka
# under .local/ (and Keycloak with AUTH=keycloak), applies migrations, starts
# the four services, waits until each answers, writes .local/stack.env,
# prints how to use it, and stops everything on Ctrl-C (data stays for the
# next run; Keycloak's realm is imported afresh each time).
# Nothing is open to other local users by default: the authority speaks mutual
# TLS with a caller policy (PKI made once under .local/secrets/pki) and
# PostgreSQL wants a password (.local/secrets/postgres_password). Plaintext
# gRPC only with INSECURE_LOCAL_GRPC=1, which says what it gives away.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
# shellcheck source=deploy/local/stack-lib.sh
source "$ROOT/deploy/local/stack-lib.sh"

PG_PORT="${TOKENGATE_RUN_PG_PORT:-55432}"
KAFKA_PORT="${TOKENGATE_RUN_KAFKA_PORT:-9092}"
# The listener `make cluster`'s pods use, advertised on its bridge (deploy/local/kube/kube-lib.sh),
# where cluster.sh forwards it to 127.0.0.1: the one Kafka serves the host and the cluster.
KAFKA_CLUSTER_PORT="${TOKENGATE_RUN_KAFKA_CLUSTER_PORT:-$((KAFKA_PORT + 2))}"
AUTHORITY_PORT="${TOKENGATE_RUN_AUTHORITY_PORT:-50051}"
AUTHORITY_METRICS_PORT="${TOKENGATE_RUN_AUTHORITY_METRICS_PORT:-8004}"
API_PORT="${TOKENGATE_RUN_API_PORT:-8000}"
H2K_PORT="${TOKENGATE_RUN_HTTP2KAFKA_PORT:-8002}"
CONSUMER_PORT="${TOKENGATE_RUN_CONSUMER_PORT:-8003}"
TOPIC="${TOKENGATE_KAFKA_TOPIC:-input.runs}"
KEYCLOAK_PORT="${TOKENGATE_RUN_KEYCLOAK_PORT:-8080}"
AUTH="${AUTH:-dummy}"
case "$AUTH" in
  dummy | keycloak) ;;
  *) echo "AUTH must be dummy or keycloak, not '$AUTH'" >&2; exit 2 ;;
esac
INSECURE_LOCAL_GRPC="${INSECURE_LOCAL_GRPC:-0}"
case "$INSECURE_LOCAL_GRPC" in
  0 | 1) ;;
  *) echo "INSECURE_LOCAL_GRPC must be 0 or 1, not '$INSECURE_LOCAL_GRPC'" >&2; exit 2 ;;
esac
# Who may call what over mutual TLS: the api everything (it serves the admin
# pages), http2kafka only verification, the CLI what the README grants an operator.
LOCAL_CALLER_POLICY="tokengate-api=*;tokengate-http2kafka=VerifyToken|WatchRevocations;tokengate-cli=VerifyToken|ListTokens|RefreshToken|RevokeToken|ListTokenEvents|AdminListTokens|RevokeUserTokens|ListServiceAccounts|DisableServiceAccount"
PORTS=("$PG_PORT" "$KAFKA_PORT" "$((KAFKA_PORT + 1))" "$KAFKA_CLUSTER_PORT" "$AUTHORITY_PORT" "$AUTHORITY_METRICS_PORT" "$API_PORT" "$H2K_PORT" "$CONSUMER_PORT")
[ "$AUTH" = keycloak ] && PORTS+=("$KEYCLOAK_PORT")

if stack_running; then
  echo "tokengate is already running (make stop first); its settings are in $LOCAL/stack.env" >&2
  exit 1
fi
for port in "${PORTS[@]}"; do
  if port_in_use "$port"; then
    echo "port $port is already in use: free it or set TOKENGATE_RUN_*_PORT (see docs/development.md)" >&2
    exit 1
  fi
done

trap 'echo; "$ROOT/deploy/local/stop.sh"; exit 0' INT TERM

if [ "$INSECURE_LOCAL_GRPC" = 1 ]; then
  INSECURE_WARNING="INSECURE_LOCAL_GRPC=1: the token authority's gRPC on 127.0.0.1:$AUTHORITY_PORT is plaintext
  and applies no caller policy. Any process of any user on this machine can, without logging in:
  mint a token for any user name and use it (IssueToken), read, list, refresh and revoke anyone's
  tokens, list every user's tokens and revoke all of a user's tokens (the admin RPCs), and put any
  name in the audit trail as the actor. Leave it out unless you are alone on this machine."
  echo "$INSECURE_WARNING" >&2
fi

SECRETS="$(secrets_dir)"
export PG_DIR="$LOCAL/postgres" PG_PORT PG_PASSWORD_FILE="$SECRETS/postgres_password"
"$ROOT/deploy/local/postgres.sh" start
"$ROOT/deploy/local/postgres.sh" createdb tokengate
# libpq's password file (PGPASSFILE in stack.env): the services, psql and scripts log in with it.
(umask 077; printf '127.0.0.1:%s:*:postgres:%s\n' "$PG_PORT" "$(cat "$PG_PASSWORD_FILE")" >"$SECRETS/pgpass")
KAFKA_DIR="$LOCAL/kafka/run" KAFKA_PORT="$KAFKA_PORT" KAFKA_CLUSTER_LISTENER="198.18.0.1:$KAFKA_CLUSTER_PORT" \
  "$ROOT/deploy/local/kafka.sh" start
for topic in "$TOPIC" "${TOPIC}__malformed"; do
  KAFKA_DIR="$LOCAL/kafka/run" KAFKA_PORT="$KAFKA_PORT" "$ROOT/deploy/local/kafka.sh" create-topic "$topic" 3 >/dev/null
done

if [ "$AUTH" = keycloak ]; then
  KEYCLOAK_DIR="$LOCAL/keycloak/run" KEYCLOAK_PORT="$KEYCLOAK_PORT" "$ROOT/deploy/local/keycloak.sh" start
fi

if [ "$AUTH" = keycloak ]; then
  # The confidential client's secret of deploy/keycloak/tokengate-realm.json (local use only).
  (umask 077; python3 -c 'import json,sys; print(next(c["secret"] for c in json.load(open(sys.argv[1]))["clients"] if c["clientId"] == "tokengate"))' \
    "$ROOT/deploy/keycloak/tokengate-realm.json" >"$SECRETS/oidc_client_secret")
  AUTH_ENV="TOKENGATE_AUTH_PROVIDER=keycloak
TOKENGATE_KEYCLOAK_SERVER_URL=http://127.0.0.1:$KEYCLOAK_PORT
TOKENGATE_KEYCLOAK_REALM=tokengate
TOKENGATE_OIDC_CLIENT_ID=tokengate
TOKENGATE_OIDC_CLIENT_SECRET_FILE=$SECRETS/oidc_client_secret
TOKENGATE_OIDC_REDIRECT_URI=http://127.0.0.1:$API_PORT/v1/auth/callback"
else
  AUTH_ENV="TOKENGATE_AUTH_PROVIDER=dummy
TOKENGATE_ADMIN_USERS=admin"
fi
PKI="$SECRETS/pki"
if [ "$INSECURE_LOCAL_GRPC" = 1 ]; then
  GRPC_ENV="TOKENGATE_PLAINTEXT=true"
else
  "$ROOT/deploy/local/local-pki.sh" "$PKI"
  # The command-line client's identity: what a script that loads stack.env acts as.
  # Each service is started with its own certificate instead (tls_as).
  GRPC_ENV="TOKENGATE_TLS_CERT_FILE=$PKI/cli.crt
TOKENGATE_TLS_KEY_FILE=$PKI/cli.key
TOKENGATE_TLS_CA_FILE=$PKI/ca.crt"
fi
write_stack_env "$LOCAL/stack.env" <<ENV
TOKENGATE_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/tokengate
PGPASSFILE=$SECRETS/pgpass
TOKENGATE_SIGNING_KEYS_FILE=$SECRETS/signing_keys
TOKENGATE_ACCESS_TOKEN_SECRET_FILE=$SECRETS/access_token_secret
TOKENGATE_SESSION_SECRET_FILE=$SECRETS/session_secret
TOKENGATE_AUTHORITY_ADDRESS=127.0.0.1:$AUTHORITY_PORT
TOKENGATE_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
TOKENGATE_KAFKA_TOPIC=$TOPIC
TOKENGATE_AUDIT_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
TOKENGATE_API_URL=http://127.0.0.1:$API_PORT
TOKENGATE_HTTP2KAFKA_URL=http://127.0.0.1:$H2K_PORT
TOKENGATE_CONSUMER_URL=http://127.0.0.1:$CONSUMER_PORT
TOKENGATE_GRPC_LISTEN=127.0.0.1:$AUTHORITY_PORT
$GRPC_ENV
$AUTH_ENV
ENV
set -a
# shellcheck disable=SC1091
source "$LOCAL/stack.env"
set +a

# tls_as NAME COMMAND…: runs COMMAND with certificate NAME of the local PKI (plaintext: none).
tls_as() {
  local name=$1
  shift
  if [ "$INSECURE_LOCAL_GRPC" = 1 ]; then
    TOKENGATE_TLS_CERT_FILE="" TOKENGATE_TLS_KEY_FILE="" "$@"
  else
    TOKENGATE_TLS_CERT_FILE="$PKI/$name.crt" TOKENGATE_TLS_KEY_FILE="$PKI/$name.key" "$@"
  fi
}

tls_as authority "$BUILD_DIR/services/token_authority/token-authority" migrate >"$LOCAL/logs/migrate.log" 2>&1 ||
  { tail -5 "$LOCAL/logs/migrate.log" >&2; exit 1; }
# The policy is not in stack.env: its ';' and '|' would need quoting there, and only the authority reads it.
TOKENGATE_METRICS_LISTEN="127.0.0.1:$AUTHORITY_METRICS_PORT" \
  TOKENGATE_TLS_CLIENT_POLICY="$LOCAL_CALLER_POLICY" tls_as authority start_service token-authority "$BUILD_DIR/services/token_authority/token-authority"
wait_for_log token-authority "listening on port"
TOKENGATE_HTTP_LISTEN="127.0.0.1:$API_PORT" tls_as api start_service tokengate-api "$BUILD_DIR/services/api/tokengate-api"
TOKENGATE_HTTP_LISTEN="127.0.0.1:$H2K_PORT" tls_as http2kafka start_service http2kafka "$BUILD_DIR/services/http2kafka/http2kafka"
TOKENGATE_HTTP_LISTEN="127.0.0.1:$CONSUMER_PORT" start_service lineage-consumer "$BUILD_DIR/services/consumer/lineage-consumer"
for url in "$TOKENGATE_API_URL" "$TOKENGATE_HTTP2KAFKA_URL" "$TOKENGATE_CONSUMER_URL"; do
  wait_for_http "$url/monitoring/ping"
done

if [ "$AUTH" = keycloak ]; then
  LOGIN_HELP="Log in         $TOKENGATE_API_URL/            (Keycloak's form; test users alice / alice-password, bob / bob-password, admin carol / carol-password)
  Keycloak       http://127.0.0.1:$KEYCLOAK_PORT/admin/  (admin / admin; realm tokengate)"
  GET_ACCESS="ACCESS=\$(curl -s http://127.0.0.1:$KEYCLOAK_PORT/realms/tokengate/protocol/openid-connect/token -d grant_type=password -d client_id=tokengate-cli -d username=alice -d password=alice-password | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
else
  LOGIN_HELP="Log in         $TOKENGATE_API_URL/            (dummy provider: any user name, any password; user admin is an administrator)"
  GET_ACCESS="ACCESS=\$(curl -s -X POST $TOKENGATE_API_URL/v1/auth/token -d username=alice -d password=any | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
fi

if [ "$INSECURE_LOCAL_GRPC" = 1 ]; then
  GRPC_HELP="plaintext, no caller policy (INSECURE_LOCAL_GRPC=1)"
else
  GRPC_HELP="mutual TLS; certificates in $PKI, the CLI's in stack.env"
fi

cat <<EOF_USAGE

tokengate is running (logs: $LOCAL/logs/, settings: $LOCAL/stack.env). Ctrl-C or 'make stop' stops it.

  API            $TOKENGATE_API_URL            (Swagger UI: $TOKENGATE_API_URL/docs, tokens page: $TOKENGATE_API_URL/)
  http2kafka     $TOKENGATE_HTTP2KAFKA_URL            (Swagger UI: $TOKENGATE_HTTP2KAFKA_URL/docs)
  authority      127.0.0.1:$AUTHORITY_PORT (gRPC, $GRPC_HELP; metrics: http://127.0.0.1:$AUTHORITY_METRICS_PORT/metrics)
  PostgreSQL     127.0.0.1:$PG_PORT (user postgres, password in $SECRETS/postgres_password)
  Kafka          127.0.0.1:$KAFKA_PORT (topic $TOPIC; audit trail: tokengate.audit)
  $LOGIN_HELP

Try it (the first line loads stack.env: the URLs, the CLI's certificate, psql's password file):

  set -a; . $LOCAL/stack.env; set +a
  $GET_ACCESS
  TOKEN=\$(curl -s -X POST $TOKENGATE_API_URL/v1/personal-tokens -H "Authorization: Bearer \$ACCESS" \\
           -H 'Content-Type: application/json' -d '{"name": "my-etl"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["content"])')
  curl -s -H "Authorization: Bearer \$TOKEN" $TOKENGATE_API_URL/v1/users/me
  curl -s -H "Authorization: Bearer \$TOKEN" $TOKENGATE_API_URL/v1/datasets
  printf '%s' "\$TOKEN" | $BUILD_DIR/services/cli/tokengate verify
  $BUILD_DIR/services/cli/tokengate tokens list --all-users --active
  psql -h 127.0.0.1 -p $PG_PORT -U postgres tokengate -c 'SELECT count(*) FROM personal_token'

openlineage.yaml for the Python client (OPENLINEAGE_CONFIG=openlineage.yaml):

  transport:
    type: http
    url: $TOKENGATE_HTTP2KAFKA_URL
    endpoint: /v1/openlineage
    compression: gzip
    auth:
      type: api_key
      apiKey: <the \$TOKEN value>
EOF_USAGE
if [ "$INSECURE_LOCAL_GRPC" = 1 ]; then printf '\n%s\n' "$INSECURE_WARNING"; fi

# Stay in the foreground while the services live; Ctrl-C stops them all.
while stack_running; do sleep 1; done
# `make stop` from elsewhere removes every pid file: a normal end.
if ! compgen -G "$RUN_DIR/*.pid" >/dev/null; then exit 0; fi
echo "a service exited; see $LOCAL/logs/. Stopping the rest." >&2
"$ROOT/deploy/local/stop.sh"
exit 1
