// Feeds arbitrary bytes as an OpenLineage event body to the validator that
// decides what reaches Kafka, and as a date-time to its eventTime parser.
// Every error must be one a 422 can carry (a location under "body", a code,
// a message, JSON context and input); a valid event has its Kafka key and a
// timestamp Kafka accepts; the reused parser answers the same bytes the same.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/http2kafka/event_validator.h"
#include "tests/fuzz/fuzz_check.h"

namespace tokengate {
namespace {

using fuzz::Require;

bool IsJson(const std::string& text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  return parser.parse(text).get(ignored) == simdjson::SUCCESS;
}

void CheckResult(const EventCheck& check) {
  for (const FieldIssue& error : check.errors) {
    Require(!error.location.empty() && error.location[0] == "body", "an error's location is under body");
    Require(!error.code.empty() && !error.message.empty(), "an error has a code and a message");
    Require(IsJson(error.context_json), "an error's context is JSON");
    Require(IsJson(error.input_json), "an error's input is JSON");
  }
  if (check.ok()) {
    Require(absl::StartsWith(check.kafka_key, "run:") && absl::StrContains(check.kafka_key, "/"),
            "a valid event has a run:{namespace}/{name} key");
    Require(check.timestamp_ms >= 0, "a valid event's timestamp is not before 1970");
  }
}

bool SameResult(const EventCheck& a, const EventCheck& b) {
  if (a.kafka_key != b.kafka_key || a.timestamp_ms != b.timestamp_ms || a.errors.size() != b.errors.size()) {
    return false;
  }
  for (size_t i = 0; i < a.errors.size(); ++i) {
    const FieldIssue& x = a.errors[i];
    const FieldIssue& y = b.errors[i];
    if (x.location != y.location || x.code != y.code || x.message != y.message ||
        x.context_json != y.context_json || x.input_json != y.input_json) {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace tokengate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokengate;
  static EventValidator validator;
  const std::string unpadded(reinterpret_cast<const char*>(data), size);
  std::string padded = unpadded;
  padded.reserve(size + simdjson::SIMDJSON_PADDING);
  const EventCheck first = validator.Check(unpadded);
  CheckResult(first);
  Require(SameResult(first, validator.Check(padded)), "the same bytes are checked the same");

  int64_t unix_ms = 0;
  std::string why;
  if (ParseEventTime(unpadded, &unix_ms, &why)) {
    Require(unix_ms >= 0, "an accepted date-time is not before 1970");
  } else {
    Require(!why.empty(), "a refused date-time says why");
  }
  return 0;
}
