#include "tests/integration/consumer/kafka_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tokengate::testing {

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "-", getpid(), "-", counter++, "-", absl::ToUnixMillis(absl::Now()));
}

void CreateTopic(const std::string& bootstrap, const std::string& topic, int partitions) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  ASSERT_NE(rk, nullptr) << error;
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof(error));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  ASSERT_NE(event, nullptr) << "no answer creating " << topic;
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_topic_result_error_string(results[0]);
  rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  rd_kafka_destroy(rk);
}

TestProducer::TestProducer(const std::string& bootstrap) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", bootstrap, error);
  conf->set("enable.idempotence", "true", error);
  conf->set("linger.ms", "5", error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  EXPECT_NE(producer_, nullptr) << error;
}

TestProducer::~TestProducer() {
  if (producer_ != nullptr) producer_->flush(10000);
}

void TestProducer::Send(const std::string& topic, const std::string& key, const std::string& value,
                        const std::map<std::string, std::string>& headers) {
  RdKafka::Headers* kafka_headers = RdKafka::Headers::create();
  for (const auto& [name, text] : headers) kafka_headers->add(name, text);
  while (true) {
    const RdKafka::ErrorCode code = producer_->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
        value.size(), key.data(), key.size(), 0, kafka_headers, nullptr);
    if (code == RdKafka::ERR_NO_ERROR) return;
    if (code != RdKafka::ERR__QUEUE_FULL) {
      delete kafka_headers;
      ADD_FAILURE() << "produce: " << RdKafka::err2str(code);
      return;
    }
    producer_->poll(50);  // Let deliveries drain the local queue.
  }
}

void TestProducer::Flush() {
  EXPECT_EQ(producer_->flush(30000), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(producer_->outq_len(), 0);
}

std::vector<ReadMessage> ReadTopic(const std::string& bootstrap, const std::string& topic, size_t count,
                                   std::chrono::milliseconds deadline, int partitions) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", bootstrap, error);
  conf->set("group.id", UniqueName("tg-test-reader"), error);
  conf->set("enable.auto.commit", "false", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  std::vector<ReadMessage> messages;
  if (consumer == nullptr) {
    ADD_FAILURE() << error;
    return messages;
  }
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (messages.size() < count && std::chrono::steady_clock::now() < end) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(100));
    if (message->err() != RdKafka::ERR_NO_ERROR) continue;
    ReadMessage read;
    if (message->key() != nullptr) read.key = *message->key();
    read.value.assign(static_cast<const char*>(message->payload()), message->len());
    if (RdKafka::Headers* headers = message->headers()) {
      for (const auto& header : headers->get_all()) {
        read.headers[header.key()] = std::string(header.value_string(), header.value_size());
      }
    }
    messages.push_back(std::move(read));
  }
  consumer->close();
  return messages;
}

std::string SparkRunEvent(const std::string& run_id, const std::string& event_type,
                          const std::string& event_time, const std::string& job_name,
                          const std::string& input, const std::string& output) {
  return absl::StrCat(
      R"({"eventTime":")", event_time, R"(","eventType":")", event_type,
      R"(","producer":"https://github.com/OpenLineage/OpenLineage/tree/1.19.0/integration/spark",)",
      R"("schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",)",
      R"("run":{"runId":")", run_id, R"(","facets":{"spark_applicationDetails":{)",
      R"("applicationId":"application_1720000000000_)", run_id.substr(0, 8),
      R"(","master":"yarn","appName":"bench"}}},)", R"("job":{"namespace":"yarn://cluster","name":")",
      job_name, R"(","facets":{"jobType":{"integration":"SPARK","jobType":"APPLICATION",)",
      R"("processingType":"BATCH"}}},)", R"("inputs":[{"namespace":"hdfs://nn:8020","name":")", input,
      R"("}],)", R"("outputs":[{"namespace":"postgres://db:5432","name":")", output, R"("}]})");
}

std::string RunKey(const std::string& job_name) { return absl::StrCat("run:yarn://cluster/", job_name); }

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  (void)!write(fd, request.data(), request.size());
  // Read up to the end of the body: Pistache announces "Connection: Close"
  // but may keep the socket open.
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
    response.append(buffer, static_cast<size_t>(n));
    const size_t end_of_headers = response.find("\r\n\r\n");
    const size_t length_at = response.find("Content-Length: ");
    if (end_of_headers != std::string::npos && length_at != std::string::npos && length_at < end_of_headers) {
      const size_t length = std::stoul(response.substr(length_at + 16));
      if (response.size() >= end_of_headers + 4 + length) break;
    }
  }
  close(fd);
  return response;
}

}  // namespace tokengate::testing
