// Publishes audit records to Kafka from the audit_event table (an outbox):
// unpublished rows in id order are produced (idempotent producer, acks=all,
// key = the user's name) and marked published once Kafka acknowledged them.
// While Kafka is down the records wait in the table; nothing is lost. One
// replica publishes at a time: the one holding a PostgreSQL advisory lock on
// its own connection (released by PostgreSQL if that replica dies).
// Delivery is at least once: a crash between Kafka's ack and the mark sends
// a record again (consumers deduplicate by its `id`).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/kafka_client_config.h"
#include "common/pg/postgres.h"

namespace tokengate {

struct AuditPublisherOptions {
  std::string database_url;
  std::string brokers;
  std::string topic = "tokengate.audit";
  KafkaClientSecurity security;
  absl::Duration poll_interval = absl::Milliseconds(500);
  // How long one batch may wait for Kafka before it is tried again.
  absl::Duration delivery_timeout = absl::Seconds(5);
  int batch_size = 500;
};

class AuditPublisher : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
 public:
  // INVALID_ARGUMENT for a bad producer setting.
  static absl::StatusOr<std::unique_ptr<AuditPublisher>> Create(AuditPublisherOptions options);
  ~AuditPublisher() override;

  void Start();
  // Ends the loop; a batch in flight is abandoned (its rows stay unpublished).
  void Stop();

  void dr_cb(RdKafka::Message& message) override;
  // librdkafka's own logs and errors, into ours (an outage is said once by Run()).
  void event_cb(RdKafka::Event& event) override;

 private:
  explicit AuditPublisher(AuditPublisherOptions options) : options_(std::move(options)) {}
  void Run();
  // Takes the publisher lock if free; false while another replica holds it.
  absl::StatusOr<bool> Lead();
  // Publishes one batch; returns how many rows were marked published.
  absl::StatusOr<int> PublishBatch();
  // Sleeps up to `pause`, or less when stopping.
  void Pause(absl::Duration pause);

  const AuditPublisherOptions options_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<PgConnection> conn_;  // Holds the advisory lock while leading.
  bool leading_ = false;
  bool topic_ready_ = false;

  std::mutex delivered_mutex_;
  std::set<int64_t> delivered_;  // Guarded by delivered_mutex_: ids Kafka acknowledged.
  std::string last_error_;       // Guarded by delivered_mutex_.

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace tokengate
