#include "services/http2kafka/event_validator.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace tokengate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kRunId[] = "01908a6e-0a2b-7c3d-8e4f-5a6b7c8d9e0f";

std::string Event(const std::string& facets = "{}") {
  return absl::StrCat(R"({"eventTime":"2024-07-05T09:04:13.979Z","eventType":"START",)",
                      R"("producer":"https://example.com/producer","schemaURL":"https://example.com/s",)",
                      R"("run":{"runId":")", kRunId, R"(","facets":)", facets, "},",
                      R"("job":{"namespace":"ns","name":"etl"},"inputs":[],"outputs":[]})");
}

std::string ParentFacet(const std::string& root = "") {
  return absl::StrCat(R"({"parent":{"_producer":"p","_schemaURL":"s",)",
                      R"("run":{"runId":"01908a6e-0000-7000-8000-000000000001"},)",
                      R"("job":{"namespace":"airflow","name":"dag.task"})",
                      root.empty() ? "" : absl::StrCat(R"(,"root":)", root), "}}");
}

constexpr char kRoot[] =
    R"({"run":{"runId":"01908a6e-0000-7000-8000-000000000002"},"job":{"namespace":"airflow","name":"dag"}})";

EventCheck Check(const std::string& json) {
  EventValidator validator;
  return validator.Check(json);
}

// For failure messages: every error on one line each.
std::string Describe(const std::vector<FieldIssue>& errors) {
  std::string out;
  for (const FieldIssue& e : errors) {
    absl::StrAppend(&out, absl::StrJoin(e.location, "."), " ", e.code, ": ", e.message, "\n");
  }
  return out;
}

std::vector<std::string> Locations(const EventCheck& check) {
  std::vector<std::string> out;
  for (const FieldIssue& e : check.errors) out.push_back(absl::StrJoin(e.location, "."));
  return out;
}

TEST(EventValidatorTest, ValidEventPassesWithJobKeyAndTimestamp) {
  EventCheck check = Check(Event());
  ASSERT_TRUE(check.ok()) << Describe(check.errors);
  EXPECT_EQ(check.kafka_key, "run:ns/etl");
  EXPECT_EQ(check.timestamp_ms, 1720170253979);
}

TEST(EventValidatorTest, JobNamespaceIsTheEventsOwnJobsNotTheParents) {
  // A token limited to namespaces is checked against the job that emits the
  // event, never against its parent's or root's (another team may own those).
  EXPECT_EQ(Check(Event()).job_namespace, "ns");
  EXPECT_EQ(Check(Event(ParentFacet(kRoot))).job_namespace, "ns");
}

TEST(EventValidatorTest, KeyComesFromTheParentJobWhenThereIsNoRoot) {
  EventCheck check = Check(Event(ParentFacet()));
  ASSERT_TRUE(check.ok()) << Describe(check.errors);
  EXPECT_EQ(check.kafka_key, "run:airflow/dag.task");
}

TEST(EventValidatorTest, KeyComesFromTheRootJobFirst) {
  EventCheck check = Check(Event(ParentFacet(kRoot)));
  ASSERT_TRUE(check.ok()) << Describe(check.errors);
  EXPECT_EQ(check.kafka_key, "run:airflow/dag");
}

TEST(EventValidatorTest, NullParentAndRootCountAsAbsent) {
  EXPECT_EQ(Check(Event(R"({"parent":null})")).kafka_key, "run:ns/etl");
  EXPECT_EQ(Check(Event(ParentFacet("null"))).kafka_key, "run:airflow/dag.task");
}

struct MissingCase {
  std::string remove;    // Text removed from the valid event.
  std::string location;  // Where the 422 says the field is missing.
};

class MissingFieldTest : public ::testing::TestWithParam<MissingCase> {};

TEST_P(MissingFieldTest, IsReportedAtItsLocation) {
  const std::string event = absl::StrReplaceAll(Event(ParentFacet(kRoot)), {{GetParam().remove, ""}});
  ASSERT_NE(event, Event(ParentFacet(kRoot))) << "the case removes nothing";
  EventCheck check = Check(event);
  ASSERT_THAT(check.errors, SizeIs(1)) << Describe(check.errors);
  EXPECT_EQ(Locations(check)[0], GetParam().location);
  EXPECT_EQ(check.errors[0].code, "missing");
  EXPECT_EQ(check.errors[0].message, "Field required");
}

INSTANTIATE_TEST_SUITE_P(
    EveryRequiredField, MissingFieldTest,
    ::testing::Values(
        MissingCase{R"("eventTime":"2024-07-05T09:04:13.979Z",)", "body.eventTime"},
        MissingCase{R"("eventType":"START",)", "body.eventType"},
        MissingCase{R"(,"job":{"namespace":"ns","name":"etl"})", "body.job"},
        MissingCase{R"("namespace":"ns",)", "body.job.namespace"},
        MissingCase{R"(,"name":"etl")", "body.job.name"},
        MissingCase{absl::StrCat(R"("runId":")", kRunId, R"(",)"), "body.run.runId"},
        MissingCase{R"("run":{"runId":"01908a6e-0000-7000-8000-000000000001"},)",
                    "body.run.facets.parent.run"},
        MissingCase{R"("runId":"01908a6e-0000-7000-8000-000000000001")", "body.run.facets.parent.run.runId"},
        MissingCase{R"(,"job":{"namespace":"airflow","name":"dag.task"})", "body.run.facets.parent.job"},
        MissingCase{R"(,"name":"dag.task")", "body.run.facets.parent.job.name"},
        MissingCase{R"(,"job":{"namespace":"airflow","name":"dag"})", "body.run.facets.parent.root.job"},
        MissingCase{R"(,"name":"dag")", "body.run.facets.parent.root.job.name"},
        MissingCase{R"("runId":"01908a6e-0000-7000-8000-000000000002")",
                    "body.run.facets.parent.root.run.runId"}));

bool IsJsonOfType(const std::string& json, simdjson::dom::element_type type) {
  simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  return parser.parse(json).get(parsed) == simdjson::SUCCESS && parsed.type() == type;
}

TEST(EventValidatorTest, ErrorsCarryDataRentgensDetailFields) {
  EventCheck check = Check(R"({"eventType":"START","run":{"runId":"x"},"job":{"namespace":"n","name":"j"}})");
  ASSERT_THAT(check.errors, SizeIs(2)) << Describe(check.errors);
  const FieldIssue& missing = check.errors[0];
  EXPECT_THAT(missing.location, ElementsAre("body", "eventTime"));
  EXPECT_EQ(missing.code, "missing");
  EXPECT_EQ(missing.message, "Field required");
  EXPECT_TRUE(IsJsonOfType(missing.context_json, simdjson::dom::element_type::OBJECT));
  // pydantic echoes the object the field is missing from.
  EXPECT_TRUE(IsJsonOfType(missing.input_json, simdjson::dom::element_type::OBJECT));
  const FieldIssue& uuid = check.errors[1];
  EXPECT_THAT(uuid.location, ElementsAre("body", "run", "runId"));
  EXPECT_EQ(uuid.code, "uuid_parsing");
  EXPECT_EQ(uuid.message, "Input should be a valid UUID");
  EXPECT_TRUE(IsJsonOfType(uuid.context_json, simdjson::dom::element_type::OBJECT));
  EXPECT_EQ(uuid.input_json, R"("x")");
}

TEST(EventValidatorTest, UnknownEventTypeNamesTheAllowedValues) {
  EventCheck check = Check(absl::StrReplaceAll(Event(), {{R"("START")", R"("BEGIN")"}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(check.errors[0].code, "enum");
  EXPECT_THAT(check.errors[0].context_json,
              HasSubstr("'START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL' or 'OTHER'"));
  EXPECT_EQ(check.errors[0].input_json, R"("BEGIN")");
}

TEST(EventValidatorTest, EveryEventTypeIsAccepted) {
  for (const char* type : {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}) {
    EXPECT_TRUE(Check(absl::StrReplaceAll(Event(), {{"START", type}})).ok()) << type;
  }
}

TEST(EventValidatorTest, WrongTypesAreNamed) {
  EventCheck check = Check(
      absl::StrCat(R"({"eventTime":17,"eventType":1,"run":{"runId":5},"job":{"namespace":[],"name":"j"}})"));
  EXPECT_THAT(Locations(check),
              ElementsAre("body.eventTime", "body.eventType", "body.job.namespace", "body.run.runId"));
  EXPECT_EQ(check.errors[0].code, "string_type");
  EXPECT_EQ(check.errors[1].code, "enum");
  EXPECT_EQ(check.errors[2].code, "string_type");
  EXPECT_EQ(check.errors[3].code, "uuid_type");
}

TEST(EventValidatorTest, NonObjectJobIsAModelTypeError) {
  EventCheck check = Check(absl::StrReplaceAll(Event(), {{R"({"namespace":"ns","name":"etl"})", "[1]"}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(Locations(check)[0], "body.job");
  EXPECT_EQ(check.errors[0].code, "model_attributes_type");
  EXPECT_EQ(check.errors[0].input_json, "[1]");
}

TEST(EventValidatorTest, BadEventTimeIsADatetimeError) {
  EventCheck check = Check(absl::StrReplaceAll(Event(), {{"2024-07-05T09:04:13.979Z", "yesterday"}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(Locations(check)[0], "body.eventTime");
  EXPECT_EQ(check.errors[0].code, "datetime_parsing");
  EXPECT_THAT(check.errors[0].message, HasSubstr("Input should be a valid datetime"));
}

TEST(EventValidatorTest, BodyThatIsNotAnObjectIsRefused) {
  EventCheck check = Check("[1,2,3]");
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(Locations(check)[0], "body");
  EXPECT_EQ(check.errors[0].code, "model_attributes_type");
}

TEST(EventValidatorTest, EmptyBodyIsAMissingBody) {
  EventCheck check = Check("");
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(Locations(check)[0], "body");
  EXPECT_EQ(check.errors[0].code, "missing");
}

TEST(EventValidatorTest, BrokenJsonIsAJsonError) {
  EventCheck check = Check(Event().substr(0, 40));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(check.errors[0].code, "json_invalid");
  EXPECT_EQ(check.errors[0].message, "JSON decode error");
  EXPECT_THAT(check.errors[0].context_json, HasSubstr(R"("error":)"));
}

TEST(EventValidatorTest, DeeplyNestedJsonIsRefusedWithoutCrashing) {
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  EventCheck check =
      Check(absl::StrReplaceAll(Event(), {{R"("inputs":[])", absl::StrCat(R"("inputs":)", nested)}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(check.errors[0].code, "json_invalid");
}

TEST(EventValidatorTest, InvalidUtf8IsRefused) {
  EventCheck check = Check(absl::StrReplaceAll(Event(), {{"etl", "e\xff\xfel"}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(check.errors[0].code, "json_invalid");
}

TEST(EventValidatorTest, LargeInputsAreNotEchoed) {
  const std::string big(5000, 'x');
  EventCheck check = Check(absl::StrReplaceAll(Event(), {{kRunId, big}}));
  ASSERT_THAT(check.errors, SizeIs(1));
  EXPECT_EQ(check.errors[0].input_json, "null");
  // A missing field echoes its parent, which is small here.
  EventCheck missing = Check(
      R"({"eventTime":"2024-07-05T09:04:13Z","eventType":"START","run":{},"job":{"namespace":"n","name":"j"}})");
  ASSERT_THAT(missing.errors, SizeIs(1));
  EXPECT_EQ(missing.errors[0].input_json, "{}");
}

TEST(EventValidatorTest, ValidatorIsReusableAfterALargeEvent) {
  EventValidator validator;
  const std::string large = absl::StrReplaceAll(
      Event(), {{R"("inputs":[])", absl::StrCat(R"("inputs":[")", std::string(3 << 20, 'a'), R"("])")}});
  EXPECT_TRUE(validator.Check(large).ok());
  EventCheck small = validator.Check(Event());
  EXPECT_TRUE(small.ok());
  EXPECT_EQ(small.kafka_key, "run:ns/etl");
}

TEST(EventValidatorTest, UppercaseAndUnhyphenatedUuidsAreAccepted) {
  EXPECT_TRUE(Check(absl::StrReplaceAll(Event(), {{kRunId, "01908A6E-0A2B-7C3D-8E4F-5A6B7C8D9E0F"}})).ok());
  EXPECT_TRUE(Check(absl::StrReplaceAll(Event(), {{kRunId, "01908a6e0a2b7c3d8e4f5a6b7c8d9e0f"}})).ok());
}

int64_t Ms(const char* text) {
  int64_t ms = -1;
  std::string why;
  EXPECT_TRUE(ParseEventTime(text, &ms, &why)) << text << ": " << why;
  return ms;
}

bool Refused(const char* text) {
  int64_t ms = 0;
  std::string why;
  return !ParseEventTime(text, &ms, &why) && !why.empty();
}

TEST(EventTimeTest, IsoFormsGiveMillisecondsSinceTheEpoch) {
  EXPECT_EQ(Ms("2024-07-05T09:04:13Z"), 1720170253000);
  EXPECT_EQ(Ms("2024-07-05T09:04:13.979349Z"), 1720170253979);
  EXPECT_EQ(Ms("2024-07-05T09:04:13.9Z"), 1720170253900);
  EXPECT_EQ(Ms("2024-07-05T09:04:13.123456789+00:00"), 1720170253123);
  EXPECT_EQ(Ms("2024-07-05T12:04:13+03:00"), 1720170253000);
  EXPECT_EQ(Ms("2024-07-05T07:34:13-0130"), 1720170253000);
  EXPECT_EQ(Ms("2024-07-05 09:04:13"), 1720170253000);
  EXPECT_EQ(Ms("2024-07-05T09:04"), 1720170240000);
  EXPECT_EQ(Ms("2024-07-05"), 1720137600000);
  EXPECT_EQ(Ms("1970-01-01T00:00:00Z"), 0);
}

TEST(EventTimeTest, NonsenseAndOutOfRangeAreRefused) {
  EXPECT_TRUE(Refused("yesterday"));
  EXPECT_TRUE(Refused("2024-02-30T00:00:00Z"));
  EXPECT_TRUE(Refused("2024-07-05T25:00:00Z"));
  EXPECT_TRUE(Refused("2024-07-05T09:04:13.Z"));
  EXPECT_TRUE(Refused("2024-07-05T09:04:13Zjunk"));
  EXPECT_TRUE(Refused("2024-07-05T09:04:13+3"));
  EXPECT_TRUE(Refused("2024-07-05X09:04:13Z"));
  EXPECT_TRUE(Refused("1969-12-31T23:59:59Z"));
  EXPECT_TRUE(Refused(""));
}

}  // namespace
}  // namespace tokengate
