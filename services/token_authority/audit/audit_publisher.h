// Publishes audit records to Kafka from the audit_event table (an outbox):
// unpublished rows in id order are produced (idempotent producer, acks=all,
// key = the user's name) and marked published once Kafka acknowledged them.
// While Kafka is down the records wait in the table; nothing is lost. One
// replica publishes at a time: the one holding a PostgreSQL advisory lock on
// its own connection (released by PostgreSQL if that replica dies).
// Delivery is at least once: a crash between Kafka's ack and the mark sends
// a record again (consumers deduplicate by its `id`).
#pragma once

#include <memory>
#include <set>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/periodic_task.h"
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
  // One turn of the loop; returns the pause before the next (longer while Kafka or PostgreSQL is down).
  absl::Duration PublishOnce();
  // Takes the publisher lock if free; false while another replica holds it.
  absl::StatusOr<bool> Lead();
  // Publishes one batch; returns how many rows were marked published.
  absl::StatusOr<int> PublishBatch();

  const AuditPublisherOptions options_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<PgConnection> conn_;  // Holds the advisory lock while leading.
  bool leading_ = false;
  bool topic_ready_ = false;

  absl::Mutex delivered_mutex_;
  std::set<int64_t> delivered_ ABSL_GUARDED_BY(delivered_mutex_);  // Ids Kafka acknowledged.
  std::string last_error_ ABSL_GUARDED_BY(delivered_mutex_);

  // Only the loop's thread touches these.
  absl::Duration backoff_;
  bool warned_ = false;
  PeriodicTask loop_;
};

}  // namespace tokengate
