// Test support for the consumer's tests against the real broker
// (TOKENGATE_TEST_KAFKA): per-test topics, a producer with headers, and a
// reader that drains a topic from its beginning.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace tokengate::testing {

// A name no other test (or earlier run) uses: "<prefix>-<pid>-<n>-<time>".
std::string UniqueName(const std::string& prefix);

// Creates `topic` with `partitions` through the admin API; fails the test on error.
void CreateTopic(const std::string& bootstrap, const std::string& topic, int partitions);

class TestProducer {
 public:
  explicit TestProducer(const std::string& bootstrap);
  ~TestProducer();
  void Send(const std::string& topic, const std::string& key, const std::string& value,
            const std::map<std::string, std::string>& headers = {});
  // Waits until everything sent is acknowledged; fails the test otherwise.
  void Flush();

 private:
  std::unique_ptr<RdKafka::Producer> producer_;
};

struct ReadMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads `topic` (partition 0..partitions-1) from the beginning until `count`
// messages arrived or `deadline` passed.
std::vector<ReadMessage> ReadTopic(const std::string& bootstrap, const std::string& topic, size_t count,
                                   std::chrono::milliseconds deadline, int partitions = 1);

// An OpenLineage RunEvent as the Spark integration writes it, reading
// hdfs://nn:8020 `input` and writing postgres://db:5432 `output`.
std::string SparkRunEvent(const std::string& run_id, const std::string& event_type,
                          const std::string& event_time, const std::string& job_name,
                          const std::string& input, const std::string& output);
// The message key http2kafka gives such an event.
std::string RunKey(const std::string& job_name);

// GET http://127.0.0.1:port/path; the whole response (status line, headers, body).
std::string HttpGet(int port, const std::string& path);

}  // namespace tokengate::testing
