// The side topic for messages the consumer cannot store ("<topic>__malformed"):
// a copy of the message (key, value, timestamp, headers) plus an `error`
// header saying why. Deliver() confirms every copy is in Kafka, so the
// original's offset may be committed; nothing is dropped silently.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/kafka_client_config.h"

namespace tokengate {

class MalformedSink : public RdKafka::DeliveryReportCb {
 public:
  // UNAVAILABLE when the producer cannot be created.
  static absl::StatusOr<std::unique_ptr<MalformedSink>> Create(const std::string& bootstrap_servers,
                                                               const KafkaClientSecurity& security,
                                                               std::string topic);
  ~MalformedSink() override;

  // Creates the topic if missing (brokers usually forbid auto-creation).
  absl::Status EnsureTopic(absl::Duration timeout);
  // Queues a copy of `original` with the header error=`reason`.
  void Send(const RdKafka::Message& original, absl::string_view reason);
  // Waits until every queued copy is acknowledged; re-sends failed ones.
  // UNAVAILABLE (retry later) when some are still not delivered at `timeout`.
  absl::Status Deliver(absl::Duration timeout);
  size_t pending() const { return records_.size(); }
  const std::string& topic() const { return topic_; }

  void dr_cb(RdKafka::Message& message) override;

 private:
  enum class State { kUnsent, kInFlight, kDelivered };
  struct Record {
    std::string key;
    bool has_key = false;
    std::string value;
    int64_t timestamp_ms = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    State state = State::kUnsent;
  };

  MalformedSink(std::unique_ptr<RdKafka::Producer> producer, std::string topic)
      : producer_(std::move(producer)), topic_(std::move(topic)) {}
  void Produce(size_t index);

  std::unique_ptr<RdKafka::Producer> producer_;
  const std::string topic_;
  std::vector<Record> records_;
  std::string last_error_;
};

}  // namespace tokengate
