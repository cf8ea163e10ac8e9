#!/usr/bin/env bash
# http2kafka against its ceiling, one run, one broker, loopback only, bounded:
#  (a) librdkafka alone producing a ~5 KB Spark-like event with the edge's
#      producer settings (kafka_producer_bench, 1024 events in flight), and
#  (a64) the same with only as many events in flight as (b) has connections;
#  (b) http2kafka in the default durable mode (201 after Kafka's ack), driven
#      by wrk at 64 keep-alive connections posting the gzip event with a token;
#  (b-plain) the same with the plain (uncompressed) event;
#  (c) the same in fire-and-forget mode (201 on enqueue);
#  (b-limited) (b) with a token limited to namespaces (issue 21): each event's
#      job.namespace is matched against the token's patterns; its ratio to (b),
#      both in this run, is what the limit costs.
# For (b), (b-plain) and (c) also the edge's CPU time per event answered 201
# (utime + stime from /proc/PID/stat over the wrk run), and for (b)'s process
# GET /monitoring/ping without a Connection header against keep-alive.
# BENCH_PERF=1 also samples (b)'s edge with `perf record -g` during its wrk run
# and prints the top of `perf report` (where the CPU per event goes).
# Own PostgreSQL (.local/bench-h2k-postgres) and Kafka (.local/bench-h2k-kafka),
# stopped at the end. Prints a Markdown table; the ratios are what to read.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
HTTP2KAFKA="$BUILD_DIR/services/http2kafka/http2kafka"
AUTHORITY="$BUILD_DIR/services/token_authority/token-authority"
PRODUCER_BENCH="$BUILD_DIR/tests/integration/http2kafka/kafka_producer_bench"
PYTHON="$LOCAL/venv/bin/python"
for binary in "$HTTP2KAFKA" "$AUTHORITY" "$PRODUCER_BENCH"; do
  [ -x "$binary" ] || { echo "build $(basename "$binary") first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

export PG_DIR="$LOCAL/bench-h2k-postgres" PG_PORT="${BENCH_PG_PORT:-55447}" PG_FSYNC=off
export KAFKA_DIR="$LOCAL/bench-h2k-kafka" KAFKA_PORT="${BENCH_KAFKA_PORT:-59392}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  "$ROOT/deploy/local/kafka.sh" stop >/dev/null 2>&1 || true
  [ -n "${FINISHED:-}" ] && rm -rf "$KAFKA_DIR"  # Kept (with kafka.log) when the run failed.
  "$ROOT/deploy/local/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$ROOT/tests/bench/bench-lib.sh"

stop_last() {  # SIGTERM the last started process; it must exit 0.
  local pid=${PIDS[-1]}
  kill -TERM "$pid"
  wait "$pid"
  unset 'PIDS[-1]'
}

"$ROOT/deploy/local/postgres.sh" start >/dev/null
"$ROOT/deploy/local/postgres.sh" createdb tokengate_h2k_bench >/dev/null 2>&1 || true
"$ROOT/deploy/local/kafka.sh" start >/dev/null
RUN_ID="$(date +%s)"
for t in a a64 b b-limited b-plain c; do "$ROOT/deploy/local/kafka.sh" create-topic "bench.h2k.$t.$RUN_ID" 1 >/dev/null; done

# A Spark application's COMPLETE event with the facets the OpenLineage Spark
# integration sends (~5 KB), and its gzip form as the client sends it (level 3).
"$PYTHON" - "$WORK" <<'PY'
import gzip, json, sys
work = sys.argv[1]
spark = "https://github.com/OpenLineage/OpenLineage/tree/1.19.0/integration/spark"
def schema(prefix):
    return {"_producer": spark,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            "fields": [{"name": f"{prefix}_{c}", "type": t} for c, t in
                       [("id", "long"), ("customer_id", "long"), ("created_at", "timestamp"), ("amount", "decimal(18,2)"),
                        ("currency", "string"), ("status", "string"), ("region", "string"), ("updated_at", "timestamp")]]}
def dataset(namespace, name, prefix):
    return {"namespace": namespace, "name": name, "facets": {
        "schema": schema(prefix),
        "symlinks": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
                     "identifiers": [{"namespace": "hive://metastore.example.com:9083", "name": f"warehouse.{prefix}", "type": "TABLE"}]}}}
event = {
    "eventTime": "2024-07-05T09:07:13.979349Z", "eventType": "COMPLETE", "producer": spark,
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "01908a6e-0a2b-7c3d-8e4f-5a6b7c8d9e0f", "facets": {
        "parent": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
                   "run": {"runId": "01908a6e-0000-7000-8000-000000000001"}, "job": {"namespace": "airflow", "name": "sales_daily.aggregate"},
                   "root": {"run": {"runId": "01908a6e-0000-7000-8000-000000000002"}, "job": {"namespace": "airflow", "name": "sales_daily"}}},
        "processing_engine": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
                              "version": "3.5.1", "name": "spark", "openlineageAdapterVersion": "1.19.0"},
        "spark_applicationDetails": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
                                     "master": "yarn", "appName": "sales_daily_aggregate", "applicationId": "application_1720170000000_0042",
                                     "deployMode": "cluster", "driverHost": "worker-17.example.com", "userName": "etl",
                                     "uiWebUrl": "http://worker-17.example.com:4040", "proxyUrl": "http://rm.example.com:8088/proxy/application_1720170000000_0042",
                                     "historyUrl": "http://history.example.com:18081/history/application_1720170000000_0042"},
        "spark_properties": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
                             "properties": {"spark.master": "yarn", "spark.app.name": "sales_daily_aggregate",
                                            "spark.executor.memory": "8g", "spark.executor.cores": "4",
                                            "spark.sql.shuffle.partitions": "400", "spark.dynamicAllocation.enabled": "true"}}}},
    "job": {"namespace": "spark://yarn", "name": "sales_daily_aggregate.execute_insert_into_hadoop_fs_relation_command.warehouse_sales_daily",
            "facets": {"jobType": {"_producer": spark, "_schemaURL": "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                                   "processingType": "BATCH", "integration": "SPARK", "jobType": "SQL_JOB"}}},
    "inputs": [dataset("hdfs://namenode.example.com:8020", "/warehouse/raw/orders", "order"),
               dataset("postgres://db.example.com:5432", "shop.public.customers", "customer")],
    "outputs": [dataset("hdfs://namenode.example.com:8020", "/warehouse/sales_daily", "sale")],
}
body = json.dumps(event, separators=(",", ":")).encode()
open(f"{work}/event.json", "wb").write(body)
open(f"{work}/event.json.gz", "wb").write(gzip.compress(body, compresslevel=3))
PY
EVENT_BYTES=$(stat -c %s "$WORK/event.json")
GZIP_BYTES=$(stat -c %s "$WORK/event.json.gz")

# (a) The ceiling.
"$PRODUCER_BENCH" --bootstrap="$BOOTSTRAP" --topic="bench.h2k.a.$RUN_ID" --event_file="$WORK/event.json" \
  --seconds="$SECONDS_PER_RUN" >"$WORK/a.json"
"$PRODUCER_BENCH" --bootstrap="$BOOTSTRAP" --topic="bench.h2k.a64.$RUN_ID" --event_file="$WORK/event.json" \
  --seconds="$SECONDS_PER_RUN" --window="$CONNECTIONS" >"$WORK/a64.json"

start authority "$AUTHORITY" \
  TOKENGATE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/tokengate_h2k_bench" \
  TOKENGATE_SECRET_KEY="bench-secret-0123456789-0123456789-abcdef" TOKENGATE_GRPC_LISTEN=127.0.0.1:0
AUTHORITY_PORT=$PORT
issue_token() {  # [namespace patterns…]: a new token of user "bench"
  (cd "$ROOT" && "$PYTHON" - "$AUTHORITY_PORT" "$@" <<'PY'
import sys, time
sys.path.insert(0, "tests/support")
import authority_grpc
stub = authority_grpc.stub(f"127.0.0.1:{sys.argv[1]}")
print(stub.IssueToken(authority_grpc.pb.IssueTokenRequest(user_name="bench", name=f"bench-{time.time_ns()}",
                                                          namespaces=sys.argv[2:]), timeout=5).content)
PY
  )
}
TOKEN="$(issue_token)"
# The event's job.namespace is spark://yarn: the first pattern misses, the second matches.
LIMITED_TOKEN="$(issue_token 'airflow-*' 'spark://*')"

cat >"$WORK/post.lua" <<'LUA'
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_GZIP") == "1" then wrk.headers["Content-Encoding"] = "gzip" end
wrk.headers["Connection"] = "keep-alive"
LUA

cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

edge_run() {  # name delivery-mode body-file gzip(0|1) [token]
  local token=${5:-$TOKEN}
  start "edge-$1" "$HTTP2KAFKA" TOKENGATE_HTTP_LISTEN=127.0.0.1:0 \
    TOKENGATE_AUTHORITY_ADDRESS="127.0.0.1:$AUTHORITY_PORT" TOKENGATE_KAFKA_BOOTSTRAP_SERVERS="$BOOTSTRAP" \
    TOKENGATE_KAFKA_TOPIC="bench.h2k.$1.$RUN_ID" TOKENGATE_DELIVERY_MODE="$2"
  local port=$PORT pid=${PIDS[-1]} encoding=()
  [ "$4" = 1 ] && encoding=(-H "Content-Encoding: gzip")
  # One request first: the token gets cached and the producer connected.
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/openlineage" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" "${encoding[@]}" --data-binary "@$3"
  local before
  before=$(cpu_ticks "$pid")
  if [ "$1" = b ] && [ -n "${BENCH_PERF:-}" ]; then
    perf record -q -g -F 999 -p "$pid" -o "$WORK/perf.data" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  BENCH_BODY="$3" BENCH_GZIP="$4" BENCH_TOKEN="$token" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" \
    --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/v1/openlineage" >"$WORK/$1.wrk"
  echo $(( $(cpu_ticks "$pid") - before )) >"$WORK/$1.cpu"
  if [ "$1" = b ] && [ -n "${BENCH_PERF:-}" ]; then
    wait "$PERF_PID" || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio >"$WORK/perf.report" 2>/dev/null
    grep -E '^ +[0-9.]+%' "$WORK/perf.report" | sed -n 1,40p >"$WORK/perf.txt"
    # By thread name: librdkafka's threads are "rdk:*", ours carry the program's name.
    perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' >"$WORK/perf-threads.txt"
  fi
  if [ "$1" = b ]; then
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -H 'Connection: keep-alive' \
      "http://127.0.0.1:$port/monitoring/ping" >"$WORK/ping-keepalive.wrk"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/monitoring/ping" \
      >"$WORK/ping-default.wrk"
  fi
  stop_last
}
edge_run b durable "$WORK/event.json.gz" 1
edge_run b-limited durable "$WORK/event.json.gz" 1 "$LIMITED_TOKEN"
edge_run b-plain durable "$WORK/event.json" 0
edge_run c fire-and-forget "$WORK/event.json.gz" 1

"$PYTHON" - "$WORK" "$EVENT_BYTES" "$GZIP_BYTES" "$BOOTSTRAP" "$RUN_ID" "$CONNECTIONS" "$(getconf CLK_TCK)" <<'PY'
import json, re, sys
from confluent_kafka import Consumer, TopicPartition
work, event_bytes, gzip_bytes, bootstrap, run_id, connections, ticks_per_second = sys.argv[1:]
ticks_per_second = int(ticks_per_second)
event_bytes, gzip_bytes = int(event_bytes), int(gzip_bytes)

def in_topic(name):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(f"bench.h2k.{name}.{run_id}", 0), timeout=20)[1]
    finally:
        consumer.close()

def millis(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

lost = {}
def wrk(name):
    text = open(f"{work}/{name}.wrk").read()
    match = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    requests, duration = int(match.group(1)), millis(match.group(2) + match.group(3)) / 1000
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    refused = int(refused.group(1)) if refused else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    failed = refused + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    accepted = requests - refused
    p50 = millis(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = millis(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    # Durable: every 201 is in the topic (plus the warm-up event and answers
    # wrk stopped waiting for). Fire-and-forget answers before Kafka has the
    # event: when the edge outruns the broker its queue grows, and what does
    # not reach Kafka in time is lost (logged); reported, not asserted.
    if name == "c":
        lost[name] = max(0, accepted + 1 - in_topic(name))
    else:
        assert in_topic(name) >= accepted + 1, f"{name}: {accepted} answered 201, {in_topic(name)} in the topic"
    cpu_seconds = int(open(f"{work}/{name}.cpu").read()) / ticks_per_second
    return accepted / duration, p50, p99, failed, cpu_seconds / accepted * 1e6

a = json.load(open(f"{work}/a.json"))
a64 = json.load(open(f"{work}/a64.json"))
assert in_topic("a") == a["events"] and in_topic("a64") == a64["events"]
rows = [("(a) librdkafka producer alone (ceiling), 1024 in flight", a["events_per_second"], a["p50_ms"], a["p99_ms"], 0,
         a["cpu_us_per_event"]),
        (f"(a64) librdkafka producer alone, {connections} in flight", a64["events_per_second"], a64["p50_ms"],
         a64["p99_ms"], 0, a64["cpu_us_per_event"]),
        (f"(b) http2kafka durable, gzip, wrk {connections} conns", *wrk("b")),
        (f"(b-limited) (b) with a namespace-limited token", *wrk("b-limited")),
        (f"(b-plain) http2kafka durable, plain JSON, wrk {connections} conns", *wrk("b-plain")),
        (f"(c) http2kafka fire-and-forget, gzip, wrk {connections} conns", *wrk("c"))]
ceiling = rows[0][1]
print(f"Event: {event_bytes} B JSON, {gzip_bytes} B gzip on the wire. events/s and MB/s count events")
print("answered 201 (JSON bytes); 'not 201' are 503s (producer queue full) and socket errors.")
print()
same_window = rows[1][1]
print("| run | events/s | MB/s | p50 ms | p99 ms | not 201 | process CPU µs/event | ratio to (a) | ratio to (a64) |")
print("|---|---|---|---|---|---|---|---|---|")
for name, rate, p50, p99, failed, cpu in rows:
    cpu_text = "" if cpu is None else f"{cpu:.0f}"
    print(f"| {name} | {rate:.0f} | {rate * event_bytes / 1e6:.1f} | {p50:.2f} | {p99:.2f} | {failed} "
          f"| {cpu_text} | {rate / ceiling:.2f} | {rate / same_window:.2f} |")

print()
print(f"(c) fire-and-forget: {lost['c']} events answered 201 did not reach the topic")
print(f"(b-limited)/(b): {rows[3][1] / rows[2][1]:.2f} events/s, "
      f"CPU µs/event {rows[3][5]:.0f} vs {rows[2][5]:.0f} (a namespace-limited token against an unlimited one)")

def rps(name):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", open(f"{work}/{name}.wrk").read()).group(1))
print()
print(f"GET /monitoring/ping on (b)'s process: no Connection header {rps('ping-default'):.0f} req/s, "
      f"keep-alive {rps('ping-keepalive'):.0f} req/s, ratio {rps('ping-default') / rps('ping-keepalive'):.2f}")
PY
[ -s "$WORK/perf.txt" ] && { echo; echo "perf, (b)'s edge, by thread:"; cat "$WORK/perf-threads.txt";
                             echo; echo "perf, (b)'s edge, self time:"; cat "$WORK/perf.txt"; }
FINISHED=1
