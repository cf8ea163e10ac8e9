#include "services/token_authority/audit/audit_publisher.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/kafka/kafka_topics.h"
#include "services/token_authority/audit/audit_json.h"
#include "services/token_authority/audit/audit_record.h"

namespace tokengate {
namespace {

// The session advisory lock that elects the one publishing replica.
constexpr int64_t kPublisherLock = 7305412282;
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);
constexpr absl::Duration kFlushSlice = absl::Milliseconds(100);
// Creating the topic cannot be interrupted: kept short so SIGTERM is not held
// long by a Kafka that is down (it is retried with the batch anyway).
constexpr absl::Duration kTopicTimeout = absl::Seconds(2);

}  // namespace

absl::StatusOr<std::unique_ptr<AuditPublisher>> AuditPublisher::Create(AuditPublisherOptions options) {
  const std::string timeout_ms = absl::StrCat(absl::ToInt64Milliseconds(options.delivery_timeout));
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  // Idempotent with acks=all: librdkafka's own retries never write a record twice.
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", options.brokers},
                                                        {"enable.idempotence", "true"},
                                                        {"acks", "all"},
                                                        {"linger.ms", "5"},
                                                        {"message.timeout.ms", timeout_ms},
                                                        {"reconnect.backoff.max.ms", "1000"},
                                                        {"client.id", "token-authority-audit"}}) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("audit kafka producer ", key, ": ", error));
    }
  }
  TG_RETURN_IF_ERROR(options.security.ApplyTo(conf->c_ptr_global()));
  auto publisher = std::unique_ptr<AuditPublisher>(new AuditPublisher(std::move(options)));
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(publisher.get()), error) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(publisher.get()), error) !=
          RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  publisher->producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (publisher->producer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("audit kafka producer: ", error));
  }
  return publisher;
}

AuditPublisher::~AuditPublisher() {
  Stop();
  producer_.reset();  // Before the members its delivery callback uses.
}

void AuditPublisher::Start() {
  backoff_ = options_.poll_interval;
  loop_.Start([this] { return PublishOnce(); });
}

void AuditPublisher::Stop() {
  loop_.Stop();
  if (producer_ != nullptr)
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
}

void AuditPublisher::dr_cb(RdKafka::Message& message) {
  absl::MutexLock lock(&delivered_mutex_);
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    delivered_.insert(reinterpret_cast<int64_t>(message.msg_opaque()));
  } else {
    last_error_ = message.errstr();
  }
}

void AuditPublisher::event_cb(RdKafka::Event& event) {
  if (event.type() == RdKafka::Event::EVENT_LOG && event.fac() != "FAIL" &&
      event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
    TG_LOG(Warning) << "audit kafka " << event.fac() << ": " << event.str();
  } else {
    TG_LOG(Debug) << "audit kafka: " << event.str();
  }
}

absl::StatusOr<bool> AuditPublisher::Lead() {
  if (conn_ == nullptr || !conn_->Healthy()) {
    conn_.reset();
    leading_ = false;
    TG_ASSIGN_OR_RETURN(conn_, PgConnection::Connect(options_.database_url));
  }
  if (leading_) return true;
  TG_ASSIGN_OR_RETURN(auto locked,
                      conn_->Exec("SELECT pg_try_advisory_lock($1)", {absl::StrCat(kPublisherLock)}));
  leading_ = locked.Get(0, 0) == "t";
  if (leading_) TG_LOG(Info) << "publishing audit records to Kafka topic " << options_.topic;
  return leading_;
}

absl::StatusOr<int> AuditPublisher::PublishBatch() {
  if (!topic_ready_) {
    if (auto status = CreateTopicIfMissing(producer_->c_ptr(), options_.topic, 1, kTopicTimeout);
        !status.ok()) {
      return status;
    }
    topic_ready_ = true;
  }
  auto rows = conn_->Exec(absl::StrCat("SELECT ", kAuditColumns,
                                       " FROM audit_event WHERE published_at IS NULL ORDER BY id LIMIT $1"),
                          {absl::StrCat(options_.batch_size)});
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return 0;
  {
    absl::MutexLock lock(&delivered_mutex_);
    delivered_.clear();
  }
  int produced = 0;
  for (int row = 0; row < rows->rows(); ++row) {
    const AuditEntry entry = AuditEntryFromRow(*rows, row);
    const std::string value = AuditEventJson(entry);
    const std::string& key = entry.record.user_name;
    RdKafka::Headers* headers = RdKafka::Headers::create();
    headers->add("content-type", "application/json");
    const RdKafka::ErrorCode code =
        producer_->produce(options_.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                           entry.at_unix_ms, headers, reinterpret_cast<void*>(entry.id));
    if (code != RdKafka::ERR_NO_ERROR) {
      delete headers;  // Ownership passes to librdkafka only on success.
      absl::MutexLock lock(&delivered_mutex_);
      last_error_ = RdKafka::err2str(code);
      break;
    }
    ++produced;
  }
  // Wait for the acks in slices, so Stop() is not held by a broker that is down.
  const absl::Time deadline = absl::Now() + options_.delivery_timeout + absl::Seconds(1);
  while (producer_->outq_len() > 0 && absl::Now() < deadline) {
    producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(kFlushSlice)));
    if (loop_.Stopping()) break;
  }
  std::vector<std::string> ids;
  std::string error;
  {
    absl::MutexLock lock(&delivered_mutex_);
    for (int64_t id : delivered_) ids.push_back(absl::StrCat(id));
    error = last_error_;
    last_error_.clear();
  }
  if (!ids.empty()) {
    TG_RETURN_IF_ERROR(conn_->Exec(
        "UPDATE audit_event SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL",
        {absl::StrCat("{", absl::StrJoin(ids, ","), "}")}));
  }
  if (static_cast<int>(ids.size()) < rows->rows()) {
    return absl::UnavailableError(absl::StrCat(rows->rows() - ids.size(), " audit records not yet in Kafka (",
                                               produced, " sent): ", error));
  }
  return static_cast<int>(ids.size());
}

absl::Duration AuditPublisher::PublishOnce() {
  auto leading = Lead();
  absl::StatusOr<int> published = 0;
  if (leading.ok() && *leading) published = PublishBatch();
  const absl::Status status = !leading.ok() ? leading.status() : published.status();
  if (!status.ok()) {
    // Said once per outage, not on every retry.
    if (!warned_) TG_LOG(Warning) << "audit records wait for Kafka or PostgreSQL: " << status.message();
    warned_ = true;
    if (!conn_ || !conn_->Healthy()) leading_ = false;
    const absl::Duration pause = backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return pause;
  }
  if (warned_) TG_LOG(Info) << "audit publishing resumed";
  warned_ = false;
  backoff_ = options_.poll_interval;
  // A full batch means more are waiting: go on at once.
  return *published < options_.batch_size ? options_.poll_interval : absl::ZeroDuration();
}

}  // namespace tokengate
