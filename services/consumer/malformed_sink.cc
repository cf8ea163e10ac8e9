#include "services/consumer/malformed_sink.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/kafka/kafka_topics.h"

namespace tokengate {

absl::StatusOr<std::unique_ptr<MalformedSink>> MalformedSink::Create(const std::string& bootstrap_servers,
                                                                     const KafkaClientSecurity& security,
                                                                     std::string topic) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  // Idempotent with acks=all: a retried send is never written twice.
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", bootstrap_servers},
                                                        {"enable.idempotence", "true"},
                                                        {"acks", "all"},
                                                        {"linger.ms", "5"},
                                                        {"client.id", "lineage-consumer-malformed"}}) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka producer ", key, ": ", error));
    }
  }
  TG_RETURN_IF_ERROR(security.ApplyTo(conf->c_ptr_global()));
  // The sink is its own delivery callback; it is set once the object exists.
  auto sink = std::unique_ptr<MalformedSink>(new MalformedSink(nullptr, std::move(topic)));
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(sink.get()), error) !=
      RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  sink->producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (sink->producer_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("kafka producer: ", error));
  }
  return sink;
}

MalformedSink::~MalformedSink() {
  if (producer_ != nullptr) producer_->flush(2000);
}

absl::Status MalformedSink::EnsureTopic(absl::Duration timeout) {
  return CreateTopicIfMissing(producer_->c_ptr(), topic_, 1, timeout);
}

void MalformedSink::Send(const RdKafka::Message& original, absl::string_view reason) {
  Record record;
  if (original.key_pointer() != nullptr) {
    record.has_key = true;
    record.key.assign(static_cast<const char*>(original.key_pointer()), original.key_len());
  }
  if (original.payload() != nullptr) {
    record.value.assign(static_cast<const char*>(original.payload()), original.len());
  }
  record.timestamp_ms = original.timestamp().timestamp;
  if (const RdKafka::Headers* headers = const_cast<RdKafka::Message&>(original).headers()) {
    for (const auto& header : headers->get_all()) {
      if (header.key() == "error") continue;
      record.headers.emplace_back(
          header.key(), header.value() == nullptr ? std::string()
                                                  : std::string(header.value_string(), header.value_size()));
    }
  }
  record.headers.emplace_back("error", std::string(reason));
  records_.push_back(std::move(record));
  Produce(records_.size() - 1);
}

void MalformedSink::Produce(size_t index) {
  Record& record = records_[index];
  RdKafka::Headers* headers = RdKafka::Headers::create();
  for (const auto& [key, value] : record.headers) headers->add(key, value.data(), value.size());
  const RdKafka::ErrorCode code =
      producer_->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                         record.value.data(), record.value.size(),
                         record.has_key ? record.key.data() : nullptr, record.has_key ? record.key.size() : 0,
                         std::max<int64_t>(record.timestamp_ms, 0), headers, reinterpret_cast<void*>(index));
  if (code != RdKafka::ERR_NO_ERROR) {
    delete headers;  // Ownership passes to librdkafka only on success.
    last_error_ = RdKafka::err2str(code);
    record.state = State::kUnsent;
    return;
  }
  record.state = State::kInFlight;
}

void MalformedSink::dr_cb(RdKafka::Message& message) {
  const auto index = reinterpret_cast<size_t>(message.msg_opaque());
  if (index >= records_.size()) return;
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    records_[index].state = State::kDelivered;
  } else {
    last_error_ = message.errstr();
    records_[index].state = State::kUnsent;
  }
}

absl::Status MalformedSink::Deliver(absl::Duration timeout) {
  for (size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].state == State::kUnsent) Produce(i);
  }
  producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  const size_t undelivered = std::count_if(records_.begin(), records_.end(),
                                           [](const Record& r) { return r.state != State::kDelivered; });
  if (undelivered > 0) {
    return absl::UnavailableError(
        absl::StrCat(undelivered, " malformed-message copies not yet in ", topic_, ": ", last_error_));
  }
  records_.clear();
  return absl::OkStatus();
}

}  // namespace tokengate
