// lineage-consumer as a real process against the real broker and PostgreSQL:
// what it stores, idempotence, out-of-order events, the malformed-message
// side topic, SIGTERM, SIGKILL and a PostgreSQL restart under load.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/uuid.h"
#include "common/pg/postgres.h"
#include "tests/integration/consumer/kafka_test_util.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace tokengate::testing {
namespace {

using ::tokengate::testing::IsOk;

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Iso(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone()); }

// Timestamps are compared as Unix milliseconds: SQL side Ms(column), test side Ms(time).
std::string Ms(absl::string_view column) {
  return absl::StrCat("(extract(epoch FROM ", column, ") * 1000)::bigint");
}
std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

int Occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class LineageConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = RequiredEnv("TOKENGATE_TEST_KAFKA");
    topic_ = UniqueName("tg-runs");
    group_ = UniqueName("tg-lineage");
    CreateTopic(bootstrap_, topic_, 3);
  }

  std::unique_ptr<ChildProcess> NewConsumer(const std::string& database_url,
                                            std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {{"TOKENGATE_DATABASE_URL", database_url},
                                              {"TOKENGATE_KAFKA_BOOTSTRAP_SERVERS", bootstrap_},
                                              {"TOKENGATE_KAFKA_TOPIC", topic_},
                                              {"TOKENGATE_KAFKA_GROUP_ID", group_},
                                              {"TOKENGATE_HTTP_LISTEN", "127.0.0.1:0"},
                                              {"TOKENGATE_BATCH_WAIT_MS", "50"},
                                              {"TOKENGATE_KAFKA_SESSION_TIMEOUT_MS", "6000"},
                                              {"TOKENGATE_RETRY_MAX_MS", "1000"}};
    for (auto& [key, value] : extra) env[key] = value;
    return std::make_unique<ChildProcess>(BinaryPath("lineage-consumer"), env);
  }

  // Starts it and waits until it consumes (so the tables exist).
  void Start(ChildProcess& consumer) {
    const int before = Occurrences(consumer.Log(), "consuming ");
    ASSERT_GT(consumer.StartAndWaitForPort(), 0) << consumer.Log();
    ASSERT_TRUE(Eventually([&] { return Occurrences(consumer.Log(), "consuming ") > before; }, 30s))
        << consumer.Log();
  }

  void SendEvent(TestProducer& producer, const std::string& run_id, const std::string& type, absl::Time at,
                 const std::string& job = "etl_app", const std::string& input = "/warehouse/in",
                 const std::string& output = "analytics.public.out") {
    producer.Send(topic_, RunKey(job), SparkRunEvent(run_id, type, Iso(at), job, input, output),
                  {{"content-type", "application/json"},
                   {"correlation_id", UniqueName("req")},
                   {"reported-by-user-name", "alice"}});
  }

  static std::string Metric(int port, const std::string& sample) {
    const std::string text = HttpGet(port, "/metrics");
    const size_t at = text.find("\n" + sample + " ");
    if (at == std::string::npos) return "";
    const size_t start = at + sample.size() + 2;
    return text.substr(start, text.find('\n', start) - start);
  }

  std::string bootstrap_;
  std::string topic_;
  std::string group_;
};

TEST_F(LineageConsumerTest, StoresSparkRunWithItsLocationsDatasetsJobAndStatus) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  TestProducer producer(bootstrap_);
  const absl::Time t0 = absl::FromUnixMillis(1720170253000), t1 = t0 + absl::Seconds(42);
  const std::string run = NewUuidV7(absl::ToUnixMillis(t0));
  SendEvent(producer, run, "START", t0);
  SendEvent(producer, run, "COMPLETE", t1);
  producer.Flush();

  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT status FROM run") == "1"; }, 30s)) << consumer->Log();
  EXPECT_EQ(db.Query("SELECT string_agg(type || ' ' || name, ',' ORDER BY type) FROM location"),
            "hdfs nn:8020,postgres db:5432,yarn cluster");
  EXPECT_EQ(db.Query("SELECT string_agg(url, ',' ORDER BY url) FROM address"),
            "hdfs://nn:8020,postgres://db:5432,yarn://cluster");
  EXPECT_EQ(db.Query("SELECT string_agg(name, ',' ORDER BY name) FROM dataset"),
            "/warehouse/in,analytics.public.out");
  EXPECT_EQ(db.Query("SELECT name || ' ' || type FROM job"), "etl_app SPARK_APPLICATION");
  EXPECT_EQ(db.Query(absl::StrCat("SELECT concat_ws(' ', ", Ms("created_at"), ", ", Ms("started_at"), ", ",
                                  Ms("ended_at"), ") FROM run")),
            absl::StrCat(Ms(t0), " ", Ms(t0), " ", Ms(t1)));
  EXPECT_EQ(db.Query("SELECT external_id FROM run"),
            absl::StrCat("application_1720000000000_", run.substr(0, 8)));
  EXPECT_EQ(db.Query("SELECT d.name FROM input i JOIN dataset d ON d.id = i.dataset_id"), "/warehouse/in");
  EXPECT_EQ(db.Query("SELECT d.name FROM output o JOIN dataset d ON d.id = o.dataset_id"),
            "analytics.public.out");
}

TEST_F(LineageConsumerTest, ReplayedEventsChangeNoRow) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  TestProducer producer(bootstrap_);
  const absl::Time t0 = absl::Now();
  const std::string run = NewUuidV7(absl::ToUnixMillis(t0));
  SendEvent(producer, run, "START", t0);
  SendEvent(producer, run, "COMPLETE", t0 + absl::Seconds(1));
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT status FROM run") == "1"; }, 30s));
  // Row counts of every table, plus the row versions (xmin) of the run and job.
  const std::string snapshot_sql =
      "SELECT concat_ws(',', (SELECT count(*) FROM location), (SELECT count(*) FROM address), "
      "(SELECT count(*) FROM dataset), (SELECT count(*) FROM input WHERE run_id = '" +
      run +
      "'), "
      "(SELECT count(*) FROM output WHERE run_id = '" +
      run +
      "'), "
      "(SELECT xmin FROM job), (SELECT xmin FROM run WHERE id = '" +
      run + "'))";
  const std::string before = db.Query(snapshot_sql);

  for (int i = 0; i < 3; ++i) {
    SendEvent(producer, run, "START", t0);
    SendEvent(producer, run, "COMPLETE", t0 + absl::Seconds(1));
  }
  const std::string marker = NewUuidV7(absl::ToUnixMillis(t0) + 1);
  SendEvent(producer, marker, "START",
            t0);  // Consumed after the replays (same key, same partition).
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "2"; }, 30s));
  EXPECT_EQ(db.Query(snapshot_sql), before);
}

TEST_F(LineageConsumerTest, CompleteBeforeStartInOneBatchEndsSucceededWithBothTimes) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url(), {{"TOKENGATE_BATCH_WAIT_MS", "1000"}});
  Start(*consumer);
  TestProducer producer(bootstrap_);
  const absl::Time t0 = absl::FromUnixMillis(1720170253000), t1 = t0 + absl::Minutes(5);
  const std::string run = NewUuidV7(absl::ToUnixMillis(t0));
  SendEvent(producer, run, "COMPLETE", t1);
  SendEvent(producer, run, "RUNNING", t0 + absl::Minutes(1));
  SendEvent(producer, run, "START", t0);
  producer.Flush();

  const std::string state_sql =
      absl::StrCat("SELECT concat_ws(' ', status, ", Ms("started_at"), ", ", Ms("ended_at"), ") FROM run");
  const std::string expected = absl::StrCat("1 ", Ms(t0), " ", Ms(t1));
  EXPECT_TRUE(Eventually([&] { return db.Query(state_sql) == expected; }, 30s)) << db.Query(state_sql);
}

TEST_F(LineageConsumerTest, TerminalStatusSurvivesAStartArrivingInALaterBatch) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  TestProducer producer(bootstrap_);
  const absl::Time t0 = absl::FromUnixMillis(1720170253000), t1 = t0 + absl::Minutes(5);
  const std::string run = NewUuidV7(absl::ToUnixMillis(t0));
  SendEvent(producer, run, "FAIL", t1);
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT status FROM run") == "2"; }, 30s));

  SendEvent(producer, run, "START", t0);
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(started_at) FROM run") == "1"; }, 30s));
  EXPECT_EQ(db.Query(absl::StrCat("SELECT concat_ws(' ', status, ", Ms("started_at"), ", ", Ms("ended_at"),
                                  ") FROM run")),
            absl::StrCat("2 ", Ms(t0), " ", Ms(t1)));
}

TEST_F(LineageConsumerTest, ParentRunAndJobAreStoredFromTheParentFacet) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  TestProducer producer(bootstrap_);
  const std::string parent = NewUuidV7(1720170253000), child = NewUuidV7(1720170254000);
  producer.Send(topic_, "run:airflow://scheduler/dag",
                absl::StrCat(R"({"eventTime":"2024-07-05T09:04:14Z","eventType":"START",
                  "run":{"runId":")",
                             child, R"(","facets":{"parent":{"run":{"runId":")", parent,
                             R"("},"job":{"namespace":"airflow://scheduler","name":"dag"}}}},
                  "job":{"namespace":"airflow://scheduler","name":"dag.task",
                         "facets":{"jobType":{"integration":"AIRFLOW","jobType":"TASK"}}}})"));
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "2"; }, 30s));
  EXPECT_EQ(db.Query(absl::StrCat("SELECT parent_run_id FROM run WHERE id = '", child, "'")), parent);
  EXPECT_EQ(db.Query(absl::StrCat("SELECT j.name || ' ' || j.type || ' ' || r.status FROM run r "
                                  "JOIN job j ON j.id = r.job_id WHERE r.id = '",
                                  parent, "'")),
            "dag UNKNOWN -1");
  EXPECT_EQ(db.Query("SELECT count(*) FROM location"), "1");
}

TEST_F(LineageConsumerTest, MalformedMessagesGoToTheSideTopicWithTheReasonAndTheLoopGoesOn) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  TestProducer producer(bootstrap_);
  producer.Send(topic_, "run:a/b", "{not json", {{"correlation_id", "req-1"}});
  producer.Send(topic_, "run:a/b",
                R"({"eventTime":"2024-07-05T09:04:14Z","eventType":"START","run":{},)"
                R"("job":{"namespace":"a","name":"b"}})",
                {{"correlation_id", "req-2"}});
  const std::string run = NewUuidV7(absl::ToUnixMillis(absl::Now()));
  SendEvent(producer, run, "START", absl::Now());
  producer.Flush();

  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "1"; }, 30s))
      << consumer->Log();
  const auto side = ReadTopic(bootstrap_, topic_ + "__malformed", 2, 30s);
  ASSERT_EQ(side.size(), 2u);
  std::map<std::string, ReadMessage> by_request;
  for (const auto& message : side) by_request[message.headers.at("correlation_id")] = message;
  EXPECT_EQ(by_request["req-1"].value, "{not json");
  EXPECT_EQ(by_request["req-1"].key, "run:a/b");
  EXPECT_THAT(by_request["req-1"].headers["error"], HasSubstr("invalid JSON"));
  EXPECT_THAT(by_request["req-2"].headers["error"], HasSubstr("run.runId: is required"));
  // Counted once their batch commits, which may follow the reads above.
  EXPECT_TRUE(Eventually(
      [&] { return Metric(consumer->port(), R"(lineage_consumer_events_total{result="malformed"})") == "2"; },
      10s));
}

TEST_F(LineageConsumerTest, EventThePostgresRefusesGoesToTheSideTopicAndTheRestIsStored) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url(), {{"TOKENGATE_BATCH_WAIT_MS", "1000"}});
  Start(*consumer);
  // A rule the parser does not know about stands in for any refusal.
  db.Query("ALTER TABLE dataset ADD CONSTRAINT tg_test_refuse CHECK (name <> 'refused')");
  TestProducer producer(bootstrap_);
  const absl::Time now = absl::Now();
  const std::string good1 = NewUuidV7(absl::ToUnixMillis(now)), bad = NewUuidV7(absl::ToUnixMillis(now) + 1),
                    good2 = NewUuidV7(absl::ToUnixMillis(now) + 2);
  SendEvent(producer, good1, "START", now, "etl_app", "in1", "out1");
  SendEvent(producer, bad, "START", now, "etl_app", "in2", "refused");
  SendEvent(producer, good2, "START", now, "etl_app", "in3", "out3");
  producer.Flush();

  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "2"; }, 30s))
      << consumer->Log();
  EXPECT_EQ(db.Query(absl::StrCat("SELECT count(*) FROM run WHERE id IN ('", good1, "', '", good2, "')")),
            "2");
  const auto side = ReadTopic(bootstrap_, topic_ + "__malformed", 1, 30s);
  ASSERT_EQ(side.size(), 1u);
  EXPECT_THAT(side[0].value, HasSubstr(bad));
  EXPECT_THAT(side[0].headers.at("error"), HasSubstr("database refused"));
  EXPECT_EQ(side[0].headers.at("reported-by-user-name"), "alice");
}

TEST_F(LineageConsumerTest, PingAndMetricsAnswerOnTheHttpPort) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url());
  Start(*consumer);
  const std::string ping = HttpGet(consumer->port(), "/monitoring/ping");
  EXPECT_THAT(ping, HasSubstr("200 OK"));
  EXPECT_THAT(ping, HasSubstr(R"({"status":"ok"})"));
  const std::string metrics = HttpGet(consumer->port(), "/metrics");
  for (const char* family : {"lineage_consumer_events_total", "lineage_consumer_rows_written_total",
                             "lineage_consumer_batch_duration_seconds", "lineage_consumer_lag_messages"}) {
    EXPECT_THAT(metrics, HasSubstr(absl::StrCat("# TYPE ", family))) << family;
  }
}

TEST_F(LineageConsumerTest, SigtermCommitsWhatItStoredAndExitsZero) {
  TestDatabase db;
  auto first = NewConsumer(db.url());
  Start(*first);
  TestProducer producer(bootstrap_);
  const absl::Time now = absl::Now();
  for (int i = 0; i < 50; ++i) SendEvent(producer, NewUuidV7(absl::ToUnixMillis(now) + i), "START", now);
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "50"; }, 30s));
  EXPECT_EQ(first->Terminate(), 0) << first->Log();
  EXPECT_THAT(first->Log(), HasSubstr("left the consumer group"));

  // The next member of the group starts after the committed offsets: it
  // stores the one new event and re-reads none of the 50.
  auto second = NewConsumer(db.url());
  Start(*second);
  SendEvent(producer, NewUuidV7(absl::ToUnixMillis(now) + 100), "START", now);
  producer.Flush();
  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "51"; }, 30s));
  // Counted when the batch's offsets are committed, just after the rows.
  std::string stored;
  EXPECT_TRUE(Eventually(
      [&] {
        stored = Metric(second->port(), R"(lineage_consumer_events_total{result="stored"})");
        return stored != "0";
      },
      10s));
  EXPECT_EQ(stored, "1");
}

// The consumer on the broker's SASL_PLAINTEXT listener (PLAIN), as on a managed
// Kafka; the test itself produces and reads through the plaintext listener.
std::map<std::string, std::string> SaslEnv(const std::string& password) {
  return {{"TOKENGATE_KAFKA_BOOTSTRAP_SERVERS", RequiredEnv("TOKENGATE_TEST_KAFKA_SASL")},
          {"TOKENGATE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"},
          {"TOKENGATE_KAFKA_SASL_MECHANISM", "PLAIN"},
          {"TOKENGATE_KAFKA_SASL_USERNAME", RequiredEnv("TOKENGATE_TEST_KAFKA_SASL_USER")},
          {"TOKENGATE_KAFKA_SASL_PASSWORD", password}};
}

TEST_F(LineageConsumerTest, ConsumesThroughASaslListenerAndItsSideTopicToo) {
  TestDatabase db;
  const std::string password = RequiredEnv("TOKENGATE_TEST_KAFKA_SASL_PASSWORD");
  auto consumer = NewConsumer(db.url(), SaslEnv(password));
  Start(*consumer);
  TestProducer producer(bootstrap_);
  producer.Send(topic_, "run:a/b", "{not json", {{"correlation_id", "req-1"}});
  const std::string run = NewUuidV7(absl::ToUnixMillis(absl::Now()));
  SendEvent(producer, run, "START", absl::Now());
  producer.Flush();

  ASSERT_TRUE(Eventually([&] { return db.Query("SELECT count(*) FROM run") == "1"; }, 30s))
      << consumer->Log();
  const auto side = ReadTopic(bootstrap_, topic_ + "__malformed", 1, 30s);
  ASSERT_EQ(side.size(), 1u) << consumer->Log();
  EXPECT_EQ(side[0].value, "{not json");
  EXPECT_THAT(consumer->Log(), HasSubstr("config TOKENGATE_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"));
  EXPECT_THAT(consumer->Log(), HasSubstr("config TOKENGATE_KAFKA_SASL_PASSWORD=<set>"));
  EXPECT_THAT(consumer->Log(), Not(HasSubstr(password)));
}

TEST_F(LineageConsumerTest, WrongSaslPasswordIsSaidInTheLogAndNothingIsStored) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url(), SaslEnv("not-the-password"));
  ASSERT_GT(consumer->StartAndWaitForPort(), 0) << consumer->Log();
  TestProducer producer(bootstrap_);
  SendEvent(producer, NewUuidV7(absl::ToUnixMillis(absl::Now())), "START", absl::Now());
  producer.Flush();

  // Said on every attempt; the second one shows it keeps refusing to go on.
  ASSERT_TRUE(Eventually([&] { return Occurrences(consumer->Log(), "Authentication failed") >= 2; }, 30s))
      << consumer->Log();
  EXPECT_THAT(consumer->Log(), Not(HasSubstr("consuming ")));
  EXPECT_EQ(db.Query("SELECT count(*) FROM run"), "0");
  EXPECT_EQ(consumer->Terminate(), 0) << consumer->Log();
}

TEST_F(LineageConsumerTest, SaslWithoutItsPasswordStopsWithOneLineNamingTheVariable) {
  TestDatabase db;
  auto consumer = NewConsumer(db.url(), SaslEnv(""));
  EXPECT_EQ(consumer->StartAndWaitForPort(), -1);
  EXPECT_EQ(consumer->WaitForExit(10s), 2);
  EXPECT_THAT(consumer->Log(), HasSubstr("invalid configuration: TOKENGATE_KAFKA_SASL_USERNAME: "
                                         "SASL PLAIN needs the user name and the password"));
}

// N runs, each a START and a COMPLETE with its own input and output dataset.
class LineageConsumerLoadTest : public LineageConsumerTest {
 protected:
  void Send(TestProducer& producer, int first, int count) {
    const absl::Time t0 = absl::FromUnixMillis(1720170253000);
    for (int i = first; i < first + count; ++i) {
      const std::string run = NewUuidV7(1720170253000 + i);
      const std::string job = absl::StrCat("job_", i % 50);
      SendEvent(producer, run, "START", t0 + absl::Milliseconds(i), job, absl::StrCat("in_", i),
                absl::StrCat("out_", i));
      SendEvent(producer, run, "COMPLETE", t0 + absl::Milliseconds(i) + absl::Seconds(1), job,
                absl::StrCat("in_", i), absl::StrCat("out_", i));
    }
  }

  // Exactly `runs` runs, all SUCCEEDED, each with one input and one output.
  static void ExpectExactly(const std::function<std::string(const std::string&)>& query, int runs) {
    EXPECT_EQ(query("SELECT count(*) FROM run"), absl::StrCat(runs));
    EXPECT_EQ(query("SELECT count(*) FROM run WHERE status = 1 AND started_at IS NOT NULL "
                    "AND ended_at IS NOT NULL"),
              absl::StrCat(runs));
    EXPECT_EQ(query("SELECT count(*) FROM input"), absl::StrCat(runs));
    EXPECT_EQ(query("SELECT count(*) FROM output"), absl::StrCat(runs));
    EXPECT_EQ(query("SELECT count(*) FROM dataset"), absl::StrCat(2 * runs));
    EXPECT_EQ(query("SELECT count(*) FROM job"), "50");
  }
};

TEST_F(LineageConsumerLoadTest, KilledMidBatchAndRestartedLosesNothingAndDoublesNothing) {
  constexpr int kRuns = 5000;
  TestDatabase db;
  TestProducer producer(bootstrap_);
  Send(producer, 0, kRuns);
  producer.Flush();

  auto consumer = NewConsumer(db.url(), {{"TOKENGATE_BATCH_SIZE", "100"}});
  Start(*consumer);
  ASSERT_TRUE(Eventually(
      [&] { return std::stoi("0" + db.Query("SELECT count(*) FROM output")) >= kRuns / 10; }, 60s));
  consumer->Kill();
  const int at_kill = std::stoi(db.Query("SELECT count(*) FROM run WHERE status = 1"));
  ASSERT_LT(at_kill, kRuns) << "the consumer finished before it could be killed";

  Start(*consumer);
  ASSERT_TRUE(Eventually(
      [&] { return db.Query("SELECT count(*) FROM run WHERE status = 1") == absl::StrCat(kRuns); }, 120s))
      << consumer->Log();
  ExpectExactly([&](const std::string& sql) { return db.Query(sql); }, kRuns);
}

// A PostgreSQL cluster of its own (deploy/local/postgres.sh), so stopping it
// disturbs no other test.
class OwnPostgres {
 public:
  OwnPostgres() {
    char dir[] = "/tmp/tg-consumer-pg-XXXXXX";
    dir_ = mkdtemp(dir);
    port_ = FreePort();
    Control("start");
    auto conn = PgConnection::Connect(Url("postgres"));
    EXPECT_THAT(conn, IsOk());
    if (conn.ok()) {
      EXPECT_THAT((*conn)->Exec("CREATE DATABASE lineage"), IsOk());
    }
  }
  ~OwnPostgres() {
    Control("stop");
    std::filesystem::remove_all(dir_);
  }
  void Control(const std::string& command) {
    const std::string script = RequiredEnv("TOKENGATE_ROOT") + "/deploy/local/postgres.sh";
    const std::string line = absl::StrCat("PG_DIR=", dir_, " PG_PORT=", port_, " PG_FSYNC=off ", script, " ",
                                          command, " >/dev/null");
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }
  std::string Url(const std::string& database) const {
    return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", database);
  }
  std::string Query(const std::string& sql) const {
    auto conn = PgConnection::Connect(Url("lineage"));
    if (!conn.ok()) return "";
    auto result = (*conn)->Exec(sql);
    return result.ok() && result->rows() > 0 ? std::string(result->Get(0, 0)) : "";
  }

 private:
  std::string dir_;
  int port_ = 0;
};

TEST_F(LineageConsumerLoadTest, PostgresRestartedUnderLoadLosesNothingAndDoublesNothing) {
  constexpr int kRuns = 4000;
  OwnPostgres postgres;
  auto consumer = NewConsumer(postgres.Url("lineage"), {{"TOKENGATE_BATCH_SIZE", "200"}});
  Start(*consumer);

  // Producing goes on, in slices, while PostgreSQL stops and starts again.
  std::atomic<bool> sending_done{false};
  std::thread sender([&] {
    TestProducer producer(bootstrap_);
    for (int first = 0; first < kRuns; first += 200) {
      Send(producer, first, 200);
      producer.Flush();
      std::this_thread::sleep_for(100ms);  // Pacing the load, not synchronisation.
    }
    sending_done = true;
  });
  ASSERT_TRUE(
      Eventually([&] { return std::stoi("0" + postgres.Query("SELECT count(*) FROM run")) > 0; }, 60s));
  postgres.Control("stop");
  EXPECT_TRUE(consumer->WaitForLog("paused consumption", 30s)) << consumer->Log();
  // Down long enough for several attempts to fail while events keep coming.
  EXPECT_TRUE(Eventually([&] { return Occurrences(consumer->Log(), "not stored") >= 4; }, 30s));
  postgres.Control("start");
  EXPECT_TRUE(consumer->WaitForLog("resumed consumption", 60s)) << consumer->Log();
  sender.join();
  ASSERT_TRUE(sending_done);

  ASSERT_TRUE(Eventually(
      [&] { return postgres.Query("SELECT count(*) FROM run WHERE status = 1") == absl::StrCat(kRuns); },
      120s))
      << consumer->Log();
  ExpectExactly([&](const std::string& sql) { return postgres.Query(sql); }, kRuns);
  EXPECT_TRUE(consumer->Running());
}

}  // namespace
}  // namespace tokengate::testing
