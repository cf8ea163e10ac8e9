// The edge's Kafka producer (librdkafka): idempotent, acks=all, batching many
// requests into one produce request by linger. Every accepted message gets
// exactly one verdict, on the delivery thread; nothing is dropped silently:
// a full local queue is refused at once, an unreachable broker turns into a
// failed delivery after the message timeout. It knows nothing of HTTP.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/kafka_client_config.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;

namespace tokengate {

struct KafkaPublisherOptions {
  std::string bootstrap_servers;
  std::string topic;
  KafkaClientSecurity security;
  // Measured on 2 cores at 64 concurrent durable requests: 0-1 ms floods the
  // broker with small requests, 5 ms makes every answer wait; 2 ms did best.
  int linger_ms = 2;
  // How long a message may wait for the broker before its delivery fails:
  // the client's 503 comes this long after its request (plus a few ms), well
  // below the OpenLineage clients' 5 s timeout.
  absl::Duration message_timeout = absl::Milliseconds(1000);
  // librdkafka's pause before reconnecting to a broker, doubling up to the
  // max (it adds -25 %..+50 % jitter): once a broker accepts writes again the
  // producer finds it within about the max. librdkafka's own max is 10 s.
  absl::Duration reconnect_backoff = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Milliseconds(500);
  // A hard bound on the verdict: librdkafka keeps a message that is in flight
  // past message.timeout.ms (e.g. sent to a broker still recovering); at this
  // deadline its callback gets kUnavailable instead (the message may still be
  // written later, as with any kUnavailable). Zero: no bound (fire-and-forget,
  // where nobody waits for the verdict).
  absl::Duration verdict_deadline = absl::ZeroDuration();
  // Larger messages are refused at once; keep it within the topic's max.message.bytes.
  int max_message_bytes = 1000000;
  int queue_max_messages = 100000;
  std::string compression = "lz4";
};

struct KafkaHeader {
  std::string name;
  std::string value;
};

struct KafkaMessage {
  std::string value;
  std::string key;
  int64_t timestamp_ms = 0;
  std::vector<KafkaHeader> headers;
};

struct DeliveryReport {
  // OK: written and acknowledged by all in-sync replicas. kUnavailable: not
  // acknowledged (broker unreachable past the timeout, purged at shutdown…);
  // the message may or may not be in the topic, so the client should retry.
  // kResourceExhausted: the broker refused its size.
  absl::Status status;
  absl::Duration latency;  // From Publish() to the verdict.
  int32_t partition = -1;
  int64_t offset = -1;
};

using DeliveryCallback = absl::AnyInvocable<void(const DeliveryReport&) &&>;

class KafkaPublisher {
 public:
  // Fails on a configuration librdkafka refuses; the broker need not be up.
  static absl::StatusOr<std::unique_ptr<KafkaPublisher>> Create(const KafkaPublisherOptions& options);
  // Fails whatever Close did not deliver, then releases librdkafka.
  ~KafkaPublisher();
  KafkaPublisher(const KafkaPublisher&) = delete;
  KafkaPublisher& operator=(const KafkaPublisher&) = delete;

  // Enqueues the message; `done` runs exactly once, later, on the delivery
  // thread (or the deadline watchdog's). On an error (kUnavailable: queue full or producer failed;
  // kResourceExhausted: too large) nothing was enqueued and `done` never runs.
  absl::Status Publish(KafkaMessage message, DeliveryCallback done);

  // Waits up to `timeout` for every verdict, then fails what is left
  // (their callbacks see kUnavailable) and stops the delivery thread.
  // Returns how many messages were still unacknowledged at the deadline.
  int Close(absl::Duration timeout);

  // Messages not yet acknowledged (queued or in flight).
  int QueueDepth() const;

 private:
  struct Pending;

  KafkaPublisher(rd_kafka_t* producer, rd_kafka_topic_t* topic, absl::Duration verdict_deadline);
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  void PollLoop();
  // Fails the callbacks of messages older than the verdict deadline.
  void WatchDeadlines();

  rd_kafka_t* producer_;
  rd_kafka_topic_t* topic_;
  const absl::Duration verdict_deadline_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> closed_{false};
  std::thread poller_;
  std::mutex watched_mutex_;
  std::condition_variable watched_wake_;
  std::deque<std::shared_ptr<Pending>> watched_ ABSL_GUARDED_BY(watched_mutex_);  // Oldest first.
  std::thread watchdog_;
};

}  // namespace tokengate
