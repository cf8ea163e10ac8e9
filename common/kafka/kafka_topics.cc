#include "common/kafka/kafka_topics.h"

#include "absl/strings/str_cat.h"

namespace tokengate {

absl::Status CreateTopicIfMissing(rd_kafka_t* client, const std::string& topic, int partitions,
                                  absl::Duration timeout) {
  char error[256];
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof(error));
  if (new_topic == nullptr) return absl::InvalidArgumentError(error);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, error, sizeof(error));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  rd_kafka_CreateTopics(client, &new_topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 1000);

  absl::Status status = absl::UnavailableError(absl::StrCat("creating ", topic, ": no answer"));
  if (event != nullptr && rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status =
        absl::UnavailableError(absl::StrCat("creating ", topic, ": ", rd_kafka_event_error_string(event)));
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
      status = absl::UnavailableError(
          absl::StrCat("creating ", topic, ": ", message != nullptr ? message : rd_kafka_err2str(code)));
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(new_topic);
  return status;
}

}  // namespace tokengate
