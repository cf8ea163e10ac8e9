#!/usr/bin/env bash
# lineage-consumer throughput and dataset search latency, loopback only, bounded:
#  1. a topic pre-filled with BENCH_EVENTS (100k) realistic Spark events (half
#     the runs' START, half their COMPLETE; every run reads one dataset and
#     writes another, so 100k events leave 100k datasets);
#  2. per batch size, a fresh database and consumer group drain it: events/s
#     from partition assignment to the last event stored;
#  3. ListDatasets (GET /v1/datasets) latency over those 100k datasets.
# Own PostgreSQL (.local/bench-consumer-postgres) and Kafka (.local/bench-kafka),
# both stopped at the end. Prints Markdown tables.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="$ROOT/${BUILD_DIR:-build}"
LOCAL="${TOKENGATE_LOCAL_DIR:-$ROOT/.local}"
EVENTS="${BENCH_EVENTS:-100000}"
BATCH_SIZES="${BENCH_BATCH_SIZES:-100 1000 5000}"
SEARCH_BATCH_SIZE="${BENCH_SEARCH_BATCH_SIZE:-1000}"  # whose database the search bench reads
CONSUMER="$BUILD_DIR/services/consumer/lineage-consumer"
SEARCH_BENCH="$BUILD_DIR/tests/integration/consumer/lineage_search_bench"
[ -x "$CONSUMER" ] && [ -x "$SEARCH_BENCH" ] || { echo "build lineage-consumer and lineage_search_bench first" >&2; exit 1; }
[ $((EVENTS % 2)) -eq 0 ] || { echo "BENCH_EVENTS must be even" >&2; exit 1; }

export PG_DIR="$LOCAL/bench-consumer-postgres" PG_PORT="${BENCH_PG_PORT:-55446}" PG_FSYNC="${BENCH_PG_FSYNC:-on}"
export KAFKA_DIR="$LOCAL/bench-kafka" KAFKA_PORT="${BENCH_KAFKA_PORT:-59292}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
WORK="$(mktemp -d)"
CONSUMER_PID=""

cleanup() {
  [ -n "$CONSUMER_PID" ] && kill "$CONSUMER_PID" 2>/dev/null && wait "$CONSUMER_PID" 2>/dev/null
  "$ROOT/deploy/local/kafka.sh" stop >/dev/null 2>&1 || true
  # ~200 MB of bench topic per run; kept (with kafka.log) when the run failed.
  [ -n "${FINISHED:-}" ] && rm -rf "$KAFKA_DIR"
  "$ROOT/deploy/local/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/deploy/local/postgres.sh" start >/dev/null
"$ROOT/deploy/local/kafka.sh" start >/dev/null
TOPIC="bench.runs.$(date +%s)"
"$ROOT/deploy/local/kafka.sh" create-topic "$TOPIC" 3 >/dev/null

# Realistic events: Spark application runs with processing-engine, application
# and schema facets (~2 KB each), 500 jobs, 2 HDFS clusters, 5 PostgreSQL hosts.
"$ROOT/.local/venv/bin/python" - "$EVENTS" >"$WORK/events.tsv" <<'PY'
import json, sys, uuid
events = int(sys.argv[1])
base_ms = 1720170253000
def uuid7(ms, i):
    return str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | ((i & 0xFFF) << 64) | (0b10 << 62) | i))
def schema(prefix):
    return {"_producer": "https://github.com/OpenLineage/OpenLineage/tree/1.19.0/integration/spark",
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            "fields": [{"name": f"{prefix}_{c}", "type": t} for c, t in
                       [("id", "long"), ("customer_id", "long"), ("created_at", "timestamp"), ("amount", "decimal(18,2)"),
                        ("currency", "string"), ("status", "string"), ("region", "string"), ("updated_at", "timestamp")]]}
out = sys.stdout
for i in range(events // 2):
    ms = base_ms + i * 10
    run_id = uuid7(ms, i)
    job = f"etl_job_{i % 500:03d}"
    inputs = [{"namespace": f"hdfs://nn{i % 2 + 1}:8020", "name": f"/warehouse/db_{i % 100:02d}/table_{i:06d}",
               "facets": {"schema": schema("in")}}]
    outputs = [{"namespace": f"postgres://db{i % 5}:5432", "name": f"analytics.schema_{i % 50:02d}.orders_{i:06d}",
                "facets": {"schema": schema("out")}}]
    for kind, t in (("START", ms), ("COMPLETE", ms + 42_000)):
        event = {
            "eventTime": f"2024-07-05T{(t // 3600000) % 24:02d}:{(t // 60000) % 60:02d}:{(t // 1000) % 60:02d}.{t % 1000:03d}Z",
            "eventType": kind,
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.19.0/integration/spark",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id, "facets": {
                "processing_engine": {"version": "3.5.1", "name": "spark", "openlineageAdapterVersion": "1.19.0"},
                "spark_applicationDetails": {"master": "yarn", "appName": job, "applicationId": f"application_1720000000000_{i:06d}",
                                             "deployMode": "cluster", "driverHost": "10.0.0.12", "userName": "etl",
                                             "uiWebUrl": "http://10.0.0.12:4040",
                                             "historyUrl": f"http://history:18081/history/application_1720000000000_{i:06d}"}}},
            "job": {"namespace": "yarn://cluster", "name": job,
                    "facets": {"jobType": {"processingType": "BATCH", "integration": "SPARK", "jobType": "APPLICATION"}}},
            "inputs": inputs, "outputs": outputs}
        out.write(f"run:yarn://cluster/{job}\t{json.dumps(event, separators=(',', ':'))}\n")
PY
kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -K $'\t' -H content-type=application/json \
  -H reported-by-user-name=bench -l "$WORK/events.tsv"
BYTES=$(stat -c %s "$WORK/events.tsv")
echo "pre-filled $TOPIC: $EVENTS events, $((BYTES / EVENTS)) bytes each on average"
echo

metric() {  # port sample-name-with-labels
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

echo "| batch size | events/s | seconds | batches | mean batch ms | of which PostgreSQL ms | rows written |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for BATCH in $BATCH_SIZES; do
  DB="lineage_bench_$BATCH"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  LOG="$WORK/consumer-$BATCH.log"
  TOKENGATE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$DB" \
  TOKENGATE_KAFKA_BOOTSTRAP_SERVERS="$BOOTSTRAP" TOKENGATE_KAFKA_TOPIC="$TOPIC" \
  TOKENGATE_KAFKA_GROUP_ID="bench-$BATCH-$(date +%s%N)" TOKENGATE_BATCH_SIZE="$BATCH" \
  TOKENGATE_HTTP_LISTEN=127.0.0.1:0 "$CONSUMER" 2>"$LOG" &
  CONSUMER_PID=$!
  PORT=""
  for _ in $(seq 1 400); do
    PORT="$(grep -oP 'listening on port \K[0-9]+' "$LOG" 2>/dev/null || true)"
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  [ -n "$PORT" ] || { cat "$LOG" >&2; exit 1; }
  DEADLINE=$((SECONDS + 600))
  until grep -q "assigned " "$LOG" 2>/dev/null; do
    ((SECONDS < DEADLINE)) || { cat "$LOG" >&2; exit 1; }
    sleep 0.01
  done
  START_NS=$(date +%s%N)
  until [ "$(metric "$PORT" 'lineage_consumer_events_total{result="stored"}')" = "$EVENTS" ]; do
    ((SECONDS < DEADLINE)) || { echo "timed out at batch size $BATCH" >&2; tail -20 "$LOG" >&2; exit 1; }
    sleep 0.05
  done
  END_NS=$(date +%s%N)
  BATCHES=$(metric "$PORT" lineage_consumer_batches_total)
  ROWS=$(metric "$PORT" lineage_consumer_rows_written_total)
  SUM=$(metric "$PORT" lineage_consumer_batch_duration_seconds_sum)
  COUNT=$(metric "$PORT" lineage_consumer_batch_duration_seconds_count)
  WRITE_SUM=$(metric "$PORT" lineage_consumer_write_duration_seconds_sum)
  WRITE_COUNT=$(metric "$PORT" lineage_consumer_write_duration_seconds_count)
  kill -TERM "$CONSUMER_PID"; wait "$CONSUMER_PID" || true; CONSUMER_PID=""
  awk -v e="$EVENTS" -v ns=$((END_NS - START_NS)) -v b="$BATCH" -v n="$BATCHES" -v r="$ROWS" \
      -v s="$SUM" -v c="$COUNT" -v ws="$WRITE_SUM" -v wc="$WRITE_COUNT" 'BEGIN { t = ns / 1e9;
        printf "| %d | %.0f | %.2f | %d | %.1f | %.1f | %d |\n", b, e / t, t, n, 1000 * s / c, 1000 * ws / wc, r }'
  [ "$BATCH" = "$SEARCH_BATCH_SIZE" ] && SEARCH_DB="$DB"
done
SEARCH_DB="${SEARCH_DB:-$DB}"
echo
echo "datasets in $SEARCH_DB: $("${PSQL[@]}" -d "$SEARCH_DB" -c 'SELECT count(*) FROM dataset')"
echo
echo "ListDatasets, page_size 20, one caller, 200 calls each:"
echo
echo "| search_query | matches | p50 ms | p95 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|"
"$SEARCH_BENCH" "postgresql://postgres@127.0.0.1:$PG_PORT/$SEARCH_DB" 200 \
  table_004217 orders_0421 ORDERS_04217 nn2:8020 warehouse zzz_no_match
FINISHED=1
