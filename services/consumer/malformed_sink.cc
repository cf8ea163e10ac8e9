#include "services/consumer/malformed_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace tokengate {

absl::StatusOr<std::unique_ptr<MalformedSink>> MalformedSink::Create(
    const std::string& bootstrap_servers, std::string topic) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  // Idempotent with acks=all: a retried send is never written twice.
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", bootstrap_servers},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"linger.ms", "5"},
           {"client.id", "lineage-consumer-malformed"}}) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka producer ", key, ": ", error));
    }
  }
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
  rd_kafka_t* rk = producer_->c_ptr();
  char error[256];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(topic_.c_str(), 1, -1, error, sizeof(error));
  if (topic == nullptr) return absl::InvalidArgumentError(error);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, error, sizeof(error));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 1000);

  absl::Status status = absl::UnavailableError(absl::StrCat("creating ", topic_, ": no answer"));
  if (event != nullptr && rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(
        absl::StrCat("creating ", topic_, ": ", rd_kafka_event_error_string(event)));
  } else if (event != nullptr) {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    const rd_kafka_resp_err_t code =
        count == 1 ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR_UNKNOWN;
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      status = absl::OkStatus();
    } else {
      const char* message = count == 1 ? rd_kafka_topic_result_error_string(results[0]) : nullptr;
      status = absl::UnavailableError(absl::StrCat(
          "creating ", topic_, ": ", message != nullptr ? message : rd_kafka_err2str(code)));
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(topic);
  return status;
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
      record.headers.emplace_back(header.key(),
                                  header.value() == nullptr
                                      ? std::string()
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
  const RdKafka::ErrorCode code = producer_->produce(
      topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, record.value.data(),
      record.value.size(), record.has_key ? record.key.data() : nullptr,
      record.has_key ? record.key.size() : 0, std::max<int64_t>(record.timestamp_ms, 0), headers,
      reinterpret_cast<void*>(index));
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
  const size_t undelivered = std::count_if(records_.begin(), records_.end(), [](const Record& r) {
    return r.state != State::kDelivered;
  });
  if (undelivered > 0) {
    return absl::UnavailableError(absl::StrCat(undelivered, " malformed-message copies not yet in ",
                                               topic_, ": ", last_error_));
  }
  records_.clear();
  return absl::OkStatus();
}

}  // namespace tokengate
