#include "services/http2kafka/kafka_publisher.h"

#include <chrono>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

// Bounds the producer's memory next to the message count bound.
constexpr char kQueueMaxKbytes[] = "262144";
constexpr int kPollMs = 100;
constexpr absl::Duration kPurgeDrain = absl::Seconds(5);
constexpr auto kWatchdogTick = std::chrono::milliseconds(20);

absl::Status Set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(absl::StrCat("kafka setting ", name, ": ", error));
  }
  return absl::OkStatus();
}

void OnError(rd_kafka_t* rk, int err, const char* reason, void*) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    TG_LOG(Error) << "kafka producer failed for good: " << fatal;
    return;
  }
  TG_LOG(Warning) << "kafka: " << rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) << ": " << reason;
}

void OnLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // Connection failures arrive through OnError as well; say them once.
  if (absl::string_view(facility) == "FAIL") return;
  // syslog levels: 0..3 errors, 4 warnings, the rest is chatter.
  if (level <= 3) {
    TG_LOG(Error) << "kafka " << facility << ": " << message;
  } else if (level == 4) {
    TG_LOG(Warning) << "kafka " << facility << ": " << message;
  } else {
    TG_LOG(Debug) << "kafka " << facility << ": " << message;
  }
}

absl::Status StatusOf(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    return absl::ResourceExhaustedError("the event is larger than the Kafka topic accepts");
  }
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    return absl::UnavailableError("the Kafka producer queue is full");
  }
  return absl::UnavailableError(absl::StrCat("Kafka did not acknowledge the event: ", rd_kafka_err2str(err)));
}

}  // namespace

// What a message carries through librdkafka: the payload stays here (produced
// without a copy) until the delivery callback has run. Whoever flips
// `answered` first (delivery or deadline) runs `done`.
struct KafkaPublisher::Pending {
  std::string value;
  DeliveryCallback done;
  absl::Time enqueued;
  std::atomic<bool> answered{false};
};

absl::StatusOr<std::unique_ptr<KafkaPublisher>> KafkaPublisher::Create(const KafkaPublisherOptions& options) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", "tokengate-http2kafka"},
      // Idempotence: retries never duplicate or reorder; it implies acks=all.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", absl::StrCat(options.linger_ms)},
      {"message.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options.message_timeout))},
      {"reconnect.backoff.ms", absl::StrCat(absl::ToInt64Milliseconds(options.reconnect_backoff))},
      {"reconnect.backoff.max.ms", absl::StrCat(absl::ToInt64Milliseconds(options.reconnect_backoff_max))},
      {"message.max.bytes", absl::StrCat(options.max_message_bytes)},
      {"queue.buffering.max.messages", absl::StrCat(options.queue_max_messages)},
      {"queue.buffering.max.kbytes", kQueueMaxKbytes},
      {"compression.type", options.compression},
      // The Java client's partitioner: a key lands where Data.Rentgen's producer puts it.
      {"partitioner", "murmur2_random"},
      // Small produce requests must not wait for the peer's delayed ACK.
      {"socket.nagle.disable", "true"},
  };
  for (const auto& [name, value] : settings) {
    if (auto status = Set(conf, name, value); !status.ok()) {
      rd_kafka_conf_destroy(conf);
      return status;
    }
  }
  if (auto status = options.security.ApplyTo(conf); !status.ok()) {
    rd_kafka_conf_destroy(conf);
    return status;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaPublisher::OnDelivery);
  rd_kafka_conf_set_error_cb(conf, &OnError);
  rd_kafka_conf_set_log_cb(conf, &OnLog);

  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", error));
  }
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer, options.topic.c_str(), nullptr);
  if (topic == nullptr) {
    rd_kafka_destroy(producer);
    return absl::InvalidArgumentError(
        absl::StrCat("kafka topic '", options.topic, "': ", rd_kafka_err2str(rd_kafka_last_error())));
  }
  return std::unique_ptr<KafkaPublisher>(new KafkaPublisher(producer, topic, options.verdict_deadline));
}

KafkaPublisher::KafkaPublisher(rd_kafka_t* producer, rd_kafka_topic_t* topic, absl::Duration verdict_deadline)
    : producer_(producer),
      topic_(topic),
      verdict_deadline_(verdict_deadline),
      poller_([this] { PollLoop(); }) {
  if (verdict_deadline_ > absl::ZeroDuration()) watchdog_ = std::thread([this] { WatchDeadlines(); });
}

KafkaPublisher::~KafkaPublisher() {
  Close(absl::ZeroDuration());
  rd_kafka_topic_destroy(topic_);
  rd_kafka_destroy(producer_);
}

void KafkaPublisher::PollLoop() {
  while (!stopping_.load(std::memory_order_relaxed)) rd_kafka_poll(producer_, kPollMs);
}

void KafkaPublisher::WatchDeadlines() {
  std::unique_lock lock(watched_mutex_);
  while (!stopping_.load()) {
    watched_wake_.wait_for(lock, kWatchdogTick);
    const absl::Time now = absl::Now();
    std::vector<std::shared_ptr<Pending>> late;
    while (!watched_.empty()) {
      const std::shared_ptr<Pending>& oldest = watched_.front();
      if (!oldest->answered.load() && now - oldest->enqueued < verdict_deadline_) break;
      if (!oldest->answered.load()) late.push_back(oldest);
      watched_.pop_front();
    }
    lock.unlock();
    for (const auto& pending : late) {
      if (pending->answered.exchange(true)) continue;
      std::move(pending->done)(
          DeliveryReport{.status = absl::UnavailableError("Kafka did not acknowledge the event in time"),
                         .latency = now - pending->enqueued});
    }
    lock.lock();
  }
}

absl::Status KafkaPublisher::Publish(KafkaMessage message, DeliveryCallback done) {
  if (closed_.load()) return absl::UnavailableError("the Kafka producer is shutting down");
  auto pending = std::make_shared<Pending>();
  pending->value = std::move(message.value);
  pending->done = std::move(done);
  pending->enqueued = absl::Now();
  // librdkafka's opaque owns one reference until OnDelivery.
  auto opaque = std::make_unique<std::shared_ptr<Pending>>(pending);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(message.headers.size());
  for (const KafkaHeader& header : message.headers) {
    rd_kafka_header_add(headers, header.name.data(), header.name.size(), header.value.data(),
                        header.value.size());
  }
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_RKT(topic_), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
      RD_KAFKA_V_MSGFLAGS(0),  // No copy, no free: `pending` owns the payload.
      RD_KAFKA_V_VALUE(pending->value.data(), pending->value.size()),
      RD_KAFKA_V_KEY(message.key.data(), message.key.size()), RD_KAFKA_V_TIMESTAMP(message.timestamp_ms),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque.get()), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // Ownership passes only on success.
    return StatusOf(err);
  }
  opaque.release();  // OnDelivery owns it now.
  if (verdict_deadline_ > absl::ZeroDuration()) {
    std::lock_guard lock(watched_mutex_);
    watched_.push_back(std::move(pending));
  }
  return absl::OkStatus();
}

void KafkaPublisher::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  std::unique_ptr<std::shared_ptr<Pending>> opaque(static_cast<std::shared_ptr<Pending>*>(message->_private));
  Pending* pending = opaque->get();
  if (pending->answered.exchange(true)) return;  // The deadline answered already.
  DeliveryReport report{.status = StatusOf(message->err), .latency = absl::Now() - pending->enqueued};
  if (report.status.ok()) {
    report.partition = message->partition;
    report.offset = message->offset;
  }
  std::move(pending->done)(report);
}

int KafkaPublisher::Close(absl::Duration timeout) {
  if (closed_.exchange(true)) return 0;
  rd_kafka_flush(producer_, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  const int left = rd_kafka_outq_len(producer_);
  if (left > 0) {
    // Purged messages get their verdict (an error) through the delivery thread.
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const absl::Time deadline = absl::Now() + kPurgeDrain;
    while (rd_kafka_outq_len(producer_) > 0 && absl::Now() < deadline) rd_kafka_poll(producer_, 10);
  }
  stopping_ = true;
  poller_.join();
  if (watchdog_.joinable()) {
    watched_wake_.notify_all();
    watchdog_.join();
  }
  return left;
}

int KafkaPublisher::QueueDepth() const { return rd_kafka_outq_len(producer_); }

}  // namespace tokengate
