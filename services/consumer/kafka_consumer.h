// The consumer loop: Kafka → batches → one PostgreSQL transaction per batch →
// offsets committed only after that transaction (and the side-topic copies of
// unstorable messages) are durable. At least once + idempotent writes = no
// event lost, none doubled. While PostgreSQL is away the assigned partitions
// are paused (the group membership is kept alive) and the batch is retried
// with back-off until it goes through.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/consumer/consumer_config.h"
#include "services/consumer/consumer_metrics.h"
#include "services/consumer/event_parser.h"
#include "services/consumer/lineage_database.h"
#include "services/consumer/malformed_sink.h"

namespace tokengate {

class KafkaLineageConsumer : public RdKafka::RebalanceCb {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaLineageConsumer>> Create(const ConsumerConfig& config,
                                                                      LineageDatabase* database,
                                                                      MalformedSink* malformed,
                                                                      ConsumerMetrics* metrics);
  ~KafkaLineageConsumer() override;

  // Consumes until `stop` is set, then writes and commits the batch in hand
  // and leaves the group. If PostgreSQL is down at that moment the batch is
  // left uncommitted: it is re-read by whoever consumes next.
  void Run(const std::atomic<bool>& stop);

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

 private:
  using PartitionKey = std::pair<std::string, int32_t>;
  struct Item {
    std::unique_ptr<RdKafka::Message> message;
    RunEventFacts facts;
    bool stored = false;    // Written (when the batch had to go one by one).
    bool rejected = false;  // Refused by PostgreSQL, copied to the side topic.
  };
  struct Batch {
    std::vector<Item> items;
    std::map<PartitionKey, int64_t> next_offsets;  // What to commit, per partition.
    int malformed = 0;
    bool written = false;
    absl::Time started;
  };

  KafkaLineageConsumer(const ConsumerConfig& config, LineageDatabase* database, MalformedSink* malformed,
                       ConsumerMetrics* metrics)
      : config_(config), database_(database), malformed_(malformed), metrics_(metrics) {}

  void Fill(const std::atomic<bool>& stop);
  void Add(std::unique_ptr<RdKafka::Message> message);
  // Writes the batch and confirms its side-topic copies, retrying with
  // back-off; false when `stop` came first.
  bool Persist(const std::atomic<bool>& stop);
  absl::Status WriteOnce();
  void CommitOffsets();
  void WaitServingGroup(absl::Duration wait, const std::atomic<bool>& stop);
  void SetPaused(bool paused);
  void LogConsumeError(const RdKafka::Message& message);

  const ConsumerConfig config_;
  LineageDatabase* const database_;
  MalformedSink* const malformed_;
  ConsumerMetrics* const metrics_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  Batch batch_;
  // Messages that arrived while paused; they open the next batch.
  std::deque<std::unique_ptr<RdKafka::Message>> carried_;
  std::map<PartitionKey, int64_t> committed_;
  bool paused_ = false;
  absl::Time last_consume_error_log_ = absl::InfinitePast();
};

}  // namespace tokengate
