// Checks an OpenLineage RunEvent the way Data.Rentgen's model does (docs/design.md §6)
// and extracts what its Kafka message needs: the key and the timestamp.
// It only reads the bytes (the message value is the event exactly as received)
// and reports every bad field at once, in pydantic's words, for a 422.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/base/field_error.h"
#include "simdjson.h"

namespace tokengate {

struct EventCheck {
  std::vector<FieldIssue> errors;  // Empty: the event is valid.
  // `run:{namespace}/{name}` of run.facets.parent.root.job, else
  // run.facets.parent.job, else job (the OpenLineage Kafka transport's key).
  std::string kafka_key;
  int64_t timestamp_ms = 0;  // eventTime, milliseconds since the Unix epoch.
  // job.namespace, for tokens limited to namespaces (from this same parse).
  std::string job_namespace;

  bool ok() const { return errors.empty(); }
};

// Holds a reusable simdjson parser, so keep one per thread; not thread-safe.
class EventValidator {
 public:
  EventValidator();

  // `json` is parsed in place when it has simdjson's padding as spare capacity.
  EventCheck Check(const std::string& json);

 private:
  // A fresh small parser; a big one would keep a large event's buffers.
  void Reset();

  simdjson::dom::parser parser_;
};

// An ISO 8601 date-time ("2024-07-05T09:04:13.979Z", "…+03:00", a space for
// "T", no offset = UTC, or a date alone = midnight UTC) in ms since the epoch.
// False when the text is not such a date-time or lies before 1970 (Kafka
// refuses negative timestamps).
bool ParseEventTime(absl::string_view text, int64_t* unix_ms, std::string* why);

}  // namespace tokengate
