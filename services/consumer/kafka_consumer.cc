#include "services/consumer/kafka_consumer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "services/consumer/lineage_writer.h"

namespace tokengate {
namespace {

constexpr absl::Duration kPollSlice = absl::Milliseconds(100);
constexpr absl::Duration kDeliverTimeout = absl::Seconds(5);

int Millis(absl::Duration d) { return static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(d))); }

void DeleteAll(std::vector<RdKafka::TopicPartition*>& partitions) {
  RdKafka::TopicPartition::destroy(partitions);
  partitions.clear();
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaLineageConsumer>> KafkaLineageConsumer::Create(
    const ConsumerConfig& config, LineageDatabase* database, MalformedSink* malformed,
    ConsumerMetrics* metrics) {
  auto self =
      std::unique_ptr<KafkaLineageConsumer>(new KafkaLineageConsumer(config, database, malformed, metrics));
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  const int session_ms = Millis(config.kafka_session_timeout);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", config.kafka_bootstrap_servers},
           {"group.id", config.kafka_group_id},
           {"client.id", "lineage-consumer"},
           // Offsets move only when this loop says so: after the database commit.
           {"enable.auto.commit", "false"},
           {"enable.auto.offset.store", "false"},
           {"auto.offset.reset", "earliest"},
           {"session.timeout.ms", absl::StrCat(session_ms)},
           {"heartbeat.interval.ms", absl::StrCat(session_ms / 3)}}) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka consumer ", key, ": ", error));
    }
  }
  TG_RETURN_IF_ERROR(config.kafka_security.ApplyTo(conf->c_ptr_global()));
  if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(self.get()), error) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  self->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (self->consumer_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("kafka consumer: ", error));
  }
  if (auto code = self->consumer_->subscribe({config.kafka_topic}); code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("subscribe: ", RdKafka::err2str(code)));
  }
  return self;
}

KafkaLineageConsumer::~KafkaLineageConsumer() = default;

void KafkaLineageConsumer::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    Fill(stop);
    if (batch_.next_offsets.empty() && batch_.items.empty()) continue;
    if (!Persist(stop)) break;
  }
  if (!batch_.items.empty() || !batch_.next_offsets.empty()) {
    TG_LOG(Warning) << "stopping with " << batch_.items.size() + batch_.malformed
                    << " events not committed; the group re-reads them";
  }
  consumer_->close();
  TG_LOG(Info) << "left the consumer group";
}

void KafkaLineageConsumer::Fill(const std::atomic<bool>& stop) {
  batch_ = Batch{};
  while (!carried_.empty() && static_cast<int>(batch_.items.size()) < config_.batch_size) {
    Add(std::move(carried_.front()));
    carried_.pop_front();
  }
  absl::Time deadline = absl::InfiniteFuture();
  if (!batch_.next_offsets.empty()) deadline = batch_.started + config_.batch_wait;
  while (!stop && static_cast<int>(batch_.items.size()) + batch_.malformed < config_.batch_size) {
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    std::unique_ptr<RdKafka::Message> message(
        consumer_->consume(Millis(std::min(kPollSlice, deadline - now))));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      if (batch_.next_offsets.empty()) deadline = absl::Now() + config_.batch_wait;
      Add(std::move(message));
    } else if (message->err() != RdKafka::ERR__TIMED_OUT && message->err() != RdKafka::ERR__PARTITION_EOF) {
      LogConsumeError(*message);
    }
  }
}

void KafkaLineageConsumer::Add(std::unique_ptr<RdKafka::Message> message) {
  if (batch_.next_offsets.empty()) batch_.started = absl::Now();
  batch_.next_offsets[{message->topic_name(), message->partition()}] = message->offset() + 1;
  auto facts = ParseRunEvent(absl::string_view(static_cast<const char*>(message->payload()),
                                               message->payload() == nullptr ? 0 : message->len()));
  if (!facts.ok()) {
    TG_LOG(Warning) << "malformed message at " << message->topic_name() << "/" << message->partition() << "@"
                    << message->offset() << ": " << facts.status().message();
    malformed_->Send(*message, facts.status().message());
    ++batch_.malformed;
    return;
  }
  batch_.items.push_back(Item{.message = std::move(message), .facts = *std::move(facts)});
}

absl::Status KafkaLineageConsumer::WriteOnce() {
  if (batch_.written) return absl::OkStatus();
  std::vector<const RunEventFacts*> all;
  for (const Item& item : batch_.items) {
    if (!item.stored && !item.rejected) all.push_back(&item.facts);
  }
  const absl::Time start = absl::Now();
  auto rows = database_->Write(all);
  metrics_->write_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  if (rows.ok()) {
    metrics_->rows_written->Increment(*rows);
    batch_.written = true;
    return absl::OkStatus();
  }
  if (absl::IsUnavailable(rows.status())) return rows.status();
  // PostgreSQL refused something in the batch (the parser lets nothing
  // through that it should refuse, so this is rare): find what, one
  // transaction per event, so the rest is stored and the loop goes on.
  TG_LOG(Warning) << "batch refused (" << rows.status().message() << "); writing its " << all.size()
                  << " events one by one";
  for (Item& item : batch_.items) {
    if (item.stored || item.rejected) continue;
    auto one = database_->Write({&item.facts});
    if (one.ok()) {
      metrics_->rows_written->Increment(*one);
      item.stored = true;
    } else if (absl::IsUnavailable(one.status())) {
      return one.status();
    } else {
      TG_LOG(Warning) << "event of run " << item.facts.run_id
                      << " refused by the database: " << one.status().message();
      malformed_->Send(*item.message, absl::StrCat("database refused: ", one.status().message()));
      item.rejected = true;
    }
  }
  batch_.written = true;
  return absl::OkStatus();
}

bool KafkaLineageConsumer::Persist(const std::atomic<bool>& stop) {
  absl::Duration backoff = config_.retry_initial;
  while (true) {
    absl::Status status = WriteOnce();
    if (status.ok()) status = malformed_->Deliver(kDeliverTimeout);
    if (status.ok()) break;
    metrics_->database_retries->Increment();
    SetPaused(true);
    if (stop) return false;
    TG_LOG(Warning) << "batch of " << batch_.items.size() + batch_.malformed << " events not stored ("
                    << status.message() << "); retrying in " << absl::FormatDuration(backoff);
    WaitServingGroup(backoff, stop);
    backoff = std::min(backoff * 2, config_.retry_max);
  }
  CommitOffsets();
  SetPaused(false);
  int64_t stored = 0, rejected = 0;
  for (const Item& item : batch_.items) (item.rejected ? rejected : stored) += 1;
  metrics_->events_stored->Increment(stored);
  metrics_->events_rejected->Increment(rejected);
  metrics_->events_malformed->Increment(batch_.malformed);
  metrics_->batches->Increment();
  metrics_->batch_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - batch_.started));
  batch_ = Batch{};
  return true;
}

void KafkaLineageConsumer::CommitOffsets() {
  if (batch_.next_offsets.empty()) return;
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [key, offset] : batch_.next_offsets) {
    offsets.push_back(RdKafka::TopicPartition::create(key.first, key.second, offset));
  }
  const RdKafka::ErrorCode code = consumer_->commitSync(offsets);
  DeleteAll(offsets);
  if (code != RdKafka::ERR_NO_ERROR) {
    // The rows are in; whoever owns the partitions next re-reads these
    // events and writes nothing new.
    metrics_->commit_failures->Increment();
    TG_LOG(Warning) << "offset commit failed: " << RdKafka::err2str(code);
    return;
  }
  int64_t lag = 0;
  for (const auto& [key, offset] : batch_.next_offsets) committed_[key] = offset;
  for (const auto& [key, offset] : committed_) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(key.first, key.second, &low, &high) == RdKafka::ERR_NO_ERROR &&
        high >= offset) {
      lag += high - offset;
    }
  }
  metrics_->lag = lag;
}

void KafkaLineageConsumer::WaitServingGroup(absl::Duration wait, const std::atomic<bool>& stop) {
  // consume() must keep being called: it serves the group protocol (so the
  // group does not evict us) and the rebalance callback. Partitions are
  // paused, so messages are rare; any that come are kept for later.
  const absl::Time end = absl::Now() + wait;
  while (!stop) {
    const absl::Time now = absl::Now();
    if (now >= end) break;
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(Millis(std::min(kPollSlice, end - now))));
    if (message->err() == RdKafka::ERR_NO_ERROR) carried_.push_back(std::move(message));
  }
}

void KafkaLineageConsumer::SetPaused(bool paused) {
  if (paused == paused_) return;
  std::vector<RdKafka::TopicPartition*> partitions;
  consumer_->assignment(partitions);
  if (paused) {
    consumer_->pause(partitions);
  } else {
    consumer_->resume(partitions);
  }
  DeleteAll(partitions);
  paused_ = paused;
  metrics_->paused = paused;
  TG_LOG(Info) << (paused ? "paused consumption until PostgreSQL takes writes again" : "resumed consumption");
}

void KafkaLineageConsumer::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                                        std::vector<RdKafka::TopicPartition*>& partitions) {
  const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
  if (code == RdKafka::ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      delete consumer->incremental_assign(partitions);
    } else {
      consumer->assign(partitions);
    }
    if (paused_) consumer->pause(partitions);
    TG_LOG(Info) << "assigned " << partitions.size() << " partition(s)";
    return;
  }
  // Revoked: another member continues from the committed offsets, so offsets
  // of these partitions in hand must not be committed any more. Their events
  // may still be written: that is idempotent.
  for (const RdKafka::TopicPartition* partition : partitions) {
    const PartitionKey key{partition->topic(), partition->partition()};
    batch_.next_offsets.erase(key);
    committed_.erase(key);
    std::erase_if(carried_, [&](const std::unique_ptr<RdKafka::Message>& m) {
      return m->topic_name() == key.first && m->partition() == key.second;
    });
  }
  if (cooperative) {
    delete consumer->incremental_unassign(partitions);
  } else {
    consumer->unassign();
  }
  TG_LOG(Info) << "revoked " << partitions.size() << " partition(s)";
}

void KafkaLineageConsumer::LogConsumeError(const RdKafka::Message& message) {
  // Broker outages repeat the same error many times a second: log it sparsely.
  const absl::Time now = absl::Now();
  if (now - last_consume_error_log_ < absl::Seconds(10)) return;
  last_consume_error_log_ = now;
  TG_LOG(Warning) << "kafka: " << message.errstr();
}

}  // namespace tokengate
