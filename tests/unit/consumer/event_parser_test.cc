#include "services/consumer/event_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRunId[] = "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d";
constexpr char kParentRunId[] = "01908224-7000-7abc-8def-0123456789ab";

// A Spark-like COMPLETE event, as the OpenLineage Spark integration sends it.
std::string SparkEvent(absl::string_view event_type = "COMPLETE") {
  return absl::StrReplaceAll(R"({
    "eventTime": "2024-07-05T09:04:13.979Z",
    "eventType": "EVENT_TYPE",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.19.0/integration/spark",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {
      "runId": "01908224-8410-7D2C-A2C1-4A3E2F3B9C0D",
      "facets": {
        "parent": {
          "run": {"runId": "01908224-7000-7abc-8def-0123456789ab"},
          "job": {"namespace": "yarn://Cluster", "name": "my_app"}
        },
        "spark_applicationDetails": {
          "applicationId": "application_1720000000000_0042",
          "uiWebUrl": "http://driver:4040",
          "historyUrl": "http://history:18081/history/application_1720000000000_0042"
        }
      }
    },
    "job": {
      "namespace": "yarn://cluster",
      "name": "my_app.execute_insert_into_hadoop_fs_relation_command",
      "facets": {"jobType": {"integration": "SPARK", "jobType": "SQL_JOB",
                             "processingType": "BATCH"}}
    },
    "inputs": [{"namespace": "hdfs://nn:8020", "name": "/warehouse/in", "facets": {}}],
    "outputs": [{"namespace": "postgres://db:5432", "name": "analytics.public.out"}]
  })",
                             {{"EVENT_TYPE", event_type}});
}

// A START event; `run_facets` and `job` are raw JSON, `extra_members` is
// appended to the top-level object.
std::string MinimalEvent(absl::string_view extra_members = "", absl::string_view run_facets = "{}",
                         absl::string_view job = R"({"namespace": "airflow", "name": "dag.task"})") {
  return absl::StrCat(R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START", "run": {"runId": ")",
                      kRunId, R"(", "facets": )", run_facets, R"(}, "job": )", job, extra_members, "}");
}

TEST(DatasetLocationTest, HdfsNamespaceIsTypeHdfsNamedByHostAndPort) {
  const LocationFact location = DatasetLocation("hdfs://nn:8020");
  EXPECT_EQ(location.type, "hdfs");
  EXPECT_EQ(location.name, "nn:8020");
  EXPECT_THAT(location.addresses, ElementsAre("hdfs://nn:8020"));
}

TEST(DatasetLocationTest, PostgresKafkaAndS3NamespacesKeepTheirScheme) {
  EXPECT_EQ(DatasetLocation("postgres://host:5432"),
            (LocationFact{"postgres", "host:5432", {"postgres://host:5432"}}));
  EXPECT_EQ(DatasetLocation("kafka://broker:9092"),
            (LocationFact{"kafka", "broker:9092", {"kafka://broker:9092"}}));
  EXPECT_EQ(DatasetLocation("s3://bucket"), (LocationFact{"s3", "bucket", {"s3://bucket"}}));
}

TEST(DatasetLocationTest, PlainFileMeansLocalFiles) {
  EXPECT_EQ(DatasetLocation("file"), (LocationFact{"file", "unknown", {"file://unknown"}}));
}

TEST(DatasetLocationTest, EveryListedHostBecomesAnAddressOfTheFirstHostsLocation) {
  const LocationFact location = DatasetLocation("kafka://b1:9092,b2:9092");
  EXPECT_EQ(location.name, "b1:9092");
  EXPECT_THAT(location.addresses, ElementsAre("kafka://b1:9092", "kafka://b2:9092"));
}

TEST(DatasetLocationTest, SchemeAndHostAreLowerCased) {
  EXPECT_EQ(DatasetLocation("HDFS://NameNode:8020"),
            (LocationFact{"hdfs", "namenode:8020", {"hdfs://namenode:8020"}}));
}

TEST(DatasetLocationTest, PathAfterTheHostIsNotPartOfTheLocation) {
  EXPECT_EQ(DatasetLocation("hdfs://nn:8020/warehouse").name, "nn:8020");
}

TEST(DatasetLocationTest, CredentialsInANamespaceAreNeverKept) {
  const LocationFact location = DatasetLocation("postgres://user:secret@db:5432");
  EXPECT_EQ(location.name, "db:5432");
  EXPECT_THAT(location.addresses, ElementsAre("postgres://db:5432"));
}

TEST(JobLocationTest, BareNamespaceIsOfUnknownType) {
  EXPECT_EQ(JobLocation("my_namespace"),
            (LocationFact{"unknown", "my_namespace", {"unknown://my_namespace"}}));
}

TEST(JobLocationTest, CommaIsPartOfAJobLocationName) { EXPECT_EQ(JobLocation("yarn://a,b").name, "a,b"); }

TEST(JobLocationTest, HttpAirflowUrlIsNamedByItsHost) {
  EXPECT_EQ(JobLocation("http://airflow.example.com:8080"),
            (LocationFact{"http", "airflow.example.com:8080", {"http://airflow.example.com:8080"}}));
}

TEST(ParseRunEventTest, SparkEventYieldsRunJobParentAndDatasets) {
  auto facts = ParseRunEvent(SparkEvent());
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(facts->run_id, "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d");  // Canonical lower case.
  EXPECT_EQ(facts->status, RunStatus::kSucceeded);
  EXPECT_EQ(facts->job.name, "my_app.execute_insert_into_hadoop_fs_relation_command");
  EXPECT_EQ(facts->job.type, "SPARK_JOB");  // SQL_JOB and RDD_JOB are JOB, as in Data.Rentgen.
  EXPECT_EQ(facts->job.location, (LocationFact{"yarn", "cluster", {"yarn://cluster"}}));
  ASSERT_TRUE(facts->parent.has_value());
  EXPECT_EQ(facts->parent->run_id, kParentRunId);
  EXPECT_EQ(facts->parent->job.name, "my_app");
  EXPECT_EQ(facts->parent->job.type, "UNKNOWN");
  EXPECT_EQ(facts->parent->job.location.name, "cluster");
  EXPECT_EQ(facts->external_id, "application_1720000000000_0042");
  EXPECT_EQ(facts->running_log_url, "http://driver:4040");
  EXPECT_EQ(facts->persistent_log_url, "http://history:18081/history/application_1720000000000_0042");
  ASSERT_EQ(facts->inputs.size(), 1u);
  EXPECT_EQ(facts->inputs[0].name, "/warehouse/in");
  EXPECT_EQ(facts->inputs[0].location.type, "hdfs");
  ASSERT_EQ(facts->outputs.size(), 1u);
  EXPECT_EQ(facts->outputs[0].name, "analytics.public.out");
  EXPECT_EQ(facts->outputs[0].location.name, "db:5432");
}

TEST(ParseRunEventTest, EventTypesMapToDataRentgenStatuses) {
  const std::pair<const char*, RunStatus> cases[] = {
      {"START", RunStatus::kStarted}, {"RUNNING", RunStatus::kStarted}, {"COMPLETE", RunStatus::kSucceeded},
      {"FAIL", RunStatus::kFailed},   {"ABORT", RunStatus::kKilled},    {"OTHER", RunStatus::kUnknown}};
  for (const auto& [type, status] : cases) {
    auto facts = ParseRunEvent(SparkEvent(type));
    ASSERT_THAT(facts, IsOk());
    EXPECT_EQ(facts->status, status) << type;
  }
}

TEST(ParseRunEventTest, OnlyStartSetsStartedAtAndOnlyTerminalEventsSetEndedAt) {
  const absl::Time at = absl::FromUnixMillis(1720170253979);
  auto start = ParseRunEvent(SparkEvent("START"));
  auto running = ParseRunEvent(SparkEvent("RUNNING"));
  auto fail = ParseRunEvent(SparkEvent("FAIL"));
  ASSERT_TRUE(start.ok() && running.ok() && fail.ok());
  EXPECT_EQ(start->started_at, at);
  EXPECT_FALSE(start->ended_at.has_value());
  EXPECT_FALSE(running->started_at.has_value());
  EXPECT_FALSE(running->ended_at.has_value());
  EXPECT_EQ(fail->ended_at, at);
  EXPECT_FALSE(fail->started_at.has_value());
}

TEST(ParseRunEventTest, StatusNamesAreDataRentgens) {
  EXPECT_EQ(RunStatusName(RunStatus::kUnknown), "UNKNOWN");
  EXPECT_EQ(RunStatusName(RunStatus::kStarted), "STARTED");
  EXPECT_EQ(RunStatusName(RunStatus::kSucceeded), "SUCCEEDED");
  EXPECT_EQ(RunStatusName(RunStatus::kFailed), "FAILED");
  EXPECT_EQ(RunStatusName(RunStatus::kKilled), "KILLED");
}

TEST(ParseRunEventTest, JobWithoutTypeFacetIsUnknownAndHasNoDatasets) {
  auto facts = ParseRunEvent(MinimalEvent());
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(facts->job.type, "UNKNOWN");
  EXPECT_TRUE(facts->inputs.empty());
  EXPECT_TRUE(facts->outputs.empty());
  EXPECT_FALSE(facts->parent.has_value());
}

TEST(ParseRunEventTest, AirflowTaskFacetGivesExternalIdAndAttempt) {
  auto facts = ParseRunEvent(MinimalEvent("", R"({"airflow": {"dagRun": {"run_id": "manual__2024-07-05"},
      "taskInstance": {"try_number": 2, "log_url": "http://airflow/log"}}})"));
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(facts->external_id, "manual__2024-07-05");
  EXPECT_EQ(facts->attempt, "2");
  EXPECT_EQ(facts->persistent_log_url, "http://airflow/log");
}

TEST(ParseRunEventTest, JobTypeWithoutJobTypeFieldIsTheIntegration) {
  auto facts = ParseRunEvent(MinimalEvent("", "{}",
                                          R"({"namespace": "airflow", "name": "dag",
          "facets": {"jobType": {"integration": "airflow"}}})"));
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(facts->job.type, "AIRFLOW");
}

TEST(ParseRunEventTest, NotJsonIsRejectedWithReason) {
  auto facts = ParseRunEvent("{not json");
  EXPECT_THAT(facts, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(facts.status().message(), HasSubstr("invalid JSON"));
}

TEST(ParseRunEventTest, InvalidUtf8IsRejected) {
  auto facts = ParseRunEvent(MinimalEvent(", \"x\": \"\xff\xfe\""));
  EXPECT_THAT(facts.status().message(), HasSubstr("invalid JSON"));
}

TEST(ParseRunEventTest, EmptyMessageIsRejected) { EXPECT_FALSE(ParseRunEvent("").ok()); }

TEST(ParseRunEventTest, JsonThatIsNotAnObjectIsRejected) {
  EXPECT_THAT(ParseRunEvent("[1,2]").status().message(), HasSubstr("must be a JSON object"));
}

TEST(ParseRunEventTest, MissingRequiredFieldsAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"eventType": "START", "run": {"runId": "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d"},
          "job": {"namespace": "a", "name": "b"}})",
       "eventTime"},
      {R"({"eventTime": "2024-07-05T09:04:13Z",
          "run": {"runId": "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d"},
          "job": {"namespace": "a", "name": "b"}})",
       "eventType"},
      {R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START",
          "job": {"namespace": "a", "name": "b"}})",
       "run"},
      {R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START", "run": {},
          "job": {"namespace": "a", "name": "b"}})",
       "run.runId"},
      {R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START",
          "run": {"runId": "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d"}, "job": {"name": "b"}})",
       "job.namespace"},
      {R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START",
          "run": {"runId": "01908224-8410-7d2c-a2c1-4a3e2f3b9c0d"},
          "job": {"namespace": "a", "name": ""}})",
       "job.name"},
  };
  for (const auto& [json, field] : cases) {
    auto facts = ParseRunEvent(json);
    EXPECT_EQ(facts.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(facts.status().message(), HasSubstr(absl::StrCat(field, ": "))) << field;
  }
}

TEST(ParseRunEventTest, RunIdMustBeAUuid) {
  auto facts = ParseRunEvent(R"({"eventTime": "2024-07-05T09:04:13Z", "eventType": "START",
    "run": {"runId": "not-a-uuid"}, "job": {"namespace": "a", "name": "b"}})");
  EXPECT_THAT(facts.status().message(), HasSubstr("run.runId: must be a UUID"));
}

TEST(ParseRunEventTest, UnknownEventTypeIsRejected) {
  auto facts = ParseRunEvent(SparkEvent("FINISHED"));
  EXPECT_THAT(facts.status().message(), HasSubstr("eventType"));
}

TEST(ParseRunEventTest, IncompleteParentFacetIsRejected) {
  auto facts = ParseRunEvent(
      MinimalEvent("", R"({"parent": {"run": {"runId": "01908224-7000-7abc-8def-0123456789ab"}}})"));
  EXPECT_THAT(facts.status().message(), HasSubstr("run.facets.parent.job"));
}

TEST(ParseRunEventTest, DatasetWithoutNameIsRejected) {
  auto facts = ParseRunEvent(MinimalEvent(R"(, "inputs": [{"namespace": "hdfs://nn:8020"}])"));
  EXPECT_THAT(facts.status().message(), HasSubstr("inputs[0].name"));
}

TEST(ParseRunEventTest, NulInANameIsRejectedBecausePostgresCannotStoreIt) {
  auto facts = ParseRunEvent(MinimalEvent(R"(, "outputs": [{"namespace": "s3://b", "name": "a\u0000b"}])"));
  EXPECT_THAT(facts.status().message(), HasSubstr("outputs[0].name: contains NUL"));
}

TEST(ParseRunEventTest, OverlongNameIsRejectedBeforeItReachesAnIndex) {
  auto facts = ParseRunEvent(MinimalEvent(absl::StrCat(R"(, "outputs": [{"namespace": "s3://b", "name": ")",
                                                       std::string(kMaxNameBytes + 1, 'x'), R"("}])")));
  EXPECT_THAT(facts.status().message(), HasSubstr("outputs[0].name: longer than"));
}

TEST(ParseRunEventTest, UnicodeNamesAreKeptAsSent) {
  auto facts =
      ParseRunEvent(MinimalEvent(R"(, "outputs": [{"namespace": "s3://b", "name": "Ärger/日本語"}])"));
  ASSERT_THAT(facts, IsOk());
  EXPECT_EQ(facts->outputs[0].name, "Ärger/日本語");
}

TEST(ParseEventTimeTest, AcceptsTheFormsClientsSend) {
  const absl::Time expected = absl::FromUnixMicros(1720170253979349);
  EXPECT_EQ(ParseEventTime("2024-07-05T09:04:13.979349+00:00"), expected);
  EXPECT_EQ(ParseEventTime("2024-07-05T09:04:13.979349Z"), expected);
  EXPECT_EQ(ParseEventTime("2024-07-05T11:04:13.979349+02:00"), expected);
  EXPECT_EQ(ParseEventTime("2024-07-05T09:04:13.979349"), expected);  // Naive: UTC.
  EXPECT_EQ(ParseEventTime("2024-07-05T09:04:13Z"), absl::FromUnixSeconds(1720170253));
}

TEST(ParseEventTimeTest, RejectsWhatIsNotADateTime) {
  EXPECT_FALSE(ParseEventTime("yesterday").has_value());
  EXPECT_FALSE(ParseEventTime("2024-07-05").has_value());
  EXPECT_FALSE(ParseEventTime("2024-13-05T09:04:13Z").has_value());
  EXPECT_FALSE(ParseEventTime("99999-07-05T09:04:13Z").has_value());
}

}  // namespace
}  // namespace tokengate
