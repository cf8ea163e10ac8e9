#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) from Maven Central jars, no Docker.
# Usage: kafka.sh install | start | stop | status | create-topic NAME [PARTITIONS]
# Env: TOKENGATE_LOCAL_DIR (default <repo>/.local), KAFKA_DIR (default $TOKENGATE_LOCAL_DIR/kafka/run),
#      KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
#      KAFKA_SASL_PORT (default none: no SASL listener; set: a SASL_PLAINTEXT listener with the PLAIN
#      mechanism and one user KAFKA_SASL_USER / KAFKA_SASL_PASSWORD, default tokengate / tokengate-local).
#      KAFKA_CLUSTER_LISTENER=HOST:PORT (default none): a second listener on 127.0.0.1:PORT that
#        advertises HOST:PORT, for clients that reach the broker through a forwarder at HOST (the
#        pods of deploy/local/kube/cluster.sh); the first listener advertises 127.0.0.1, their own loopback.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/process-lib.sh"
LOCAL=${TOKENGATE_LOCAL_DIR:-$(cd "$HERE/../.." && pwd)/.local}
LIBS=$LOCAL/kafka/libs
KAFKA_DIR=${KAFKA_DIR:-$LOCAL/kafka/run}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-}
KAFKA_SASL_USER=${KAFKA_SASL_USER:-tokengate}
KAFKA_SASL_PASSWORD=${KAFKA_SASL_PASSWORD:-tokengate-local}
CONF=$KAFKA_DIR/server.properties
LOG=$KAFKA_DIR/kafka.log
PIDFILE=$KAFKA_DIR/kafka.pid
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
START_TIMEOUT=60
STOP_TIMEOUT=30

die() { echo "kafka.sh: $*" >&2; exit 1; }

# CLI tools: quiet logging (slf4j-simple would print INFO to stderr).
tool() { "$JAVA" -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIBS/*" "$@"; }

# Running = pid file names a live kafka.Kafka process using this dir's config (guards against pid reuse).
running_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $CONF" || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ready = the broker answers a metadata request and lists itself (in KRaft it is listed only once unfenced).
broker_ready() { kcat -b "127.0.0.1:$KAFKA_PORT" -L -J -m 2 2>/dev/null | grep -q '"brokers":\[{"id":1,'; }

install() {
  compgen -G "$LIBS/*.jar" >/dev/null && return 0
  command -v mvn >/dev/null || die "mvn not found"
  # Copy into a temp dir and rename, so an interrupted download never looks installed.
  rm -rf "$LIBS.tmp"
  mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS.tmp"
  mv "$LIBS.tmp" "$LIBS"
}

write_config() {
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT" advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  if [[ -n ${KAFKA_CLUSTER_LISTENER:-} ]]; then
    listeners+=",CLUSTER://127.0.0.1:${KAFKA_CLUSTER_LISTENER##*:}"
    advertised+=",CLUSTER://$KAFKA_CLUSTER_LISTENER"
  fi
  cat >"$CONF" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,CLUSTER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# One node: fewer internal partitions and threads keep startup and memory small.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
num.network.threads=2
num.io.threads=2
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.hours=24
EOF
}

# The optional SASL_PLAINTEXT listener (PLAIN, one user), added to what write_config wrote: lets tests
# reach the broker as a managed Kafka asks clients to. Brokers keep talking to each other in PLAINTEXT.
add_sasl_listener() {
  [[ -n $KAFKA_SASL_PORT ]] || return 0
  sed -i -e "s|^listeners=.*|&,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT|" \
    -e "s|^advertised.listeners=.*|&,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT|" \
    -e "s|^listener.security.protocol.map=.*|&,SASL_PLAINTEXT:SASL_PLAINTEXT|" "$CONF"
  cat >>"$CONF" <<EOF
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
EOF
}

start() {
  local pid deadline p
  if pid=$(running_pid); then echo "kafka: already running (pid $pid, port $KAFKA_PORT, dir $KAFKA_DIR)"; return 0; fi
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" $KAFKA_SASL_PORT ${KAFKA_CLUSTER_LISTENER:+"${KAFKA_CLUSTER_LISTENER##*:}"}; do
    port_busy "$p" && die "port $p is already in use by another process; set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
  done
  command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
  install
  mkdir -p "$KAFKA_DIR"
  write_config
  add_sasl_listener
  # Format once; meta.properties holds the cluster id, so restarts reuse it and the data.
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    tool kafka.tools.StorageTool format -t "$(tool kafka.tools.StorageTool random-uuid)" -c "$CONF" >>"$LOG" 2>&1 \
      || { tail -n 20 "$LOG" >&2; die "storage format failed (log: $LOG)"; }
  fi
  echo "=== start $(date -Is) ===" >>"$LOG"
  # SerialGC + C1-only JIT: no GC/compiler thread pools fighting for 2 cores; plenty for a dev broker.
  # setsid: own session, so Ctrl-C in the calling terminal does not reach the broker.
  setsid "$JAVA" -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  deadline=$((SECONDS + START_TIMEOUT))
  until broker_ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2; rm -f "$PIDFILE"; die "broker exited during startup (log: $LOG)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG" >&2; kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDFILE"
      die "broker not ready on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s (log: $LOG)"
    fi
    sleep 0.2
  done
  producers_ready $((deadline - SECONDS)) || die "broker up but no idempotent producer served within ${START_TIMEOUT}s (log: $LOG)"
  echo "kafka: up on 127.0.0.1:$KAFKA_PORT${KAFKA_SASL_PORT:+ (SASL_PLAINTEXT on $KAFKA_SASL_PORT)} (pid $pid, dir $KAFKA_DIR)"
}

# Our producers are idempotent: their first event waits for a producer id, which the broker's
# transaction coordinator refuses ("Coordinator load in progress") for a few seconds after a start.
# Up = one idempotent write acknowledged, so a service's first event never meets that window.
READY_TOPIC=tokengate.broker-ready
producers_ready() {
  local seconds=$1
  kcat -b "127.0.0.1:$KAFKA_PORT" -L -t "$READY_TOPIC" -J 2>/dev/null | grep -q '"partitions":\[{' \
    || create_topic "$READY_TOPIC" >/dev/null
  echo ready | kcat -b "127.0.0.1:$KAFKA_PORT" -P -t "$READY_TOPIC" -X enable.idempotence=true \
    -X message.timeout.ms=$((seconds > 1 ? seconds * 1000 : 1000)) 2>/dev/null
}

stop() {
  local pid
  if ! pid=$(running_pid); then echo "kafka: not running ($KAFKA_DIR)"; rm -f "$PIDFILE"; return 0; fi
  stop_pid kafka "$pid" "$STOP_TIMEOUT"
  rm -f "$PIDFILE"
  echo "kafka: stopped"
}

status() {
  local pid
  pid=$(running_pid) || { echo "kafka: not running ($KAFKA_DIR)"; return 1; }
  echo "kafka: running (pid $pid, port $KAFKA_PORT, dir $KAFKA_DIR)"
}

create_topic() {
  local name=${1:?usage: kafka.sh create-topic NAME [PARTITIONS]} partitions=${2:-1}
  running_pid >/dev/null || die "broker not running ($KAFKA_DIR); run: kafka.sh start"
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor 1
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  create-topic) shift; create_topic "$@" ;;
  *) die "usage: kafka.sh install | start | stop | status | create-topic NAME [PARTITIONS]" ;;
esac
