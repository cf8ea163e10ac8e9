// The verdict deadline of the KafkaPublisher, against librdkafka's in-process
// mock cluster: a broker that answers slower than the deadline (a fault the
// real broker cannot be made to produce on demand) still gets the client a
// verdict by the deadline, and exactly one.
#include "services/http2kafka/kafka_publisher.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

constexpr char kTopic[] = "events";

class KafkaPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char error[256];
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error, sizeof(error));
    ASSERT_NE(host_, nullptr) << error;
    cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    ASSERT_NE(cluster_, nullptr);
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, kTopic, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void TearDown() override {
    publisher_.reset();
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (host_ != nullptr) rd_kafka_destroy(host_);
  }

  KafkaPublisher& Publisher() {
    auto publisher = KafkaPublisher::Create(
        KafkaPublisherOptions{.bootstrap_servers = rd_kafka_mock_cluster_bootstraps(cluster_),
                              .topic = kTopic,
                              // Longer than the slow broker's answers: only the deadline can answer early.
                              .message_timeout = absl::Seconds(5),
                              .verdict_deadline = absl::Milliseconds(1500)});
    EXPECT_THAT(publisher, IsOk());
    publisher_ = *std::move(publisher);
    return *publisher_;
  }

  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::unique_ptr<KafkaPublisher> publisher_;
};

DeliveryReport PublishAndWait(KafkaPublisher& publisher, std::atomic<int>* calls) {
  DeliveryReport report;
  auto done = std::make_shared<absl::Notification>();
  EXPECT_TRUE(publisher
                  .Publish(KafkaMessage{.value = "{}", .key = "k"},
                           [&report, done, calls](const DeliveryReport& r) {
                             if (calls->fetch_add(1) == 0) {
                               report = r;
                               done->Notify();
                             }
                           })
                  .ok());
  EXPECT_TRUE(done->WaitForNotificationWithTimeout(absl::Seconds(10)));
  return report;
}

TEST_F(KafkaPublisherTest, SlowBrokerGetsTheClientAVerdictByTheDeadlineAndOnlyOne) {
  KafkaPublisher& publisher = Publisher();
  std::atomic<int> warm_calls{0};
  ASSERT_TRUE(PublishAndWait(publisher, &warm_calls).status.ok());  // Connected, metadata known.

  // Every answer of the broker now takes longer than the verdict deadline.
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_, 1, 2500), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::atomic<int> calls{0};
  const DeliveryReport late = PublishAndWait(publisher, &calls);

  EXPECT_EQ(late.status.code(), absl::StatusCode::kUnavailable) << late.status;
  EXPECT_GE(late.latency, absl::Milliseconds(1500));
  EXPECT_LT(late.latency, absl::Milliseconds(2300)) << "the deadline did not answer";
  // librdkafka's own verdict (the write succeeds at 2.5 s) must not call again.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (publisher.QueueDepth() > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(publisher.QueueDepth(), 0);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace tokengate
