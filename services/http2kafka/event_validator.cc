#include "services/http2kafka/event_validator.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/json_writer.h"

namespace tokengate {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using Path = std::vector<std::string>;

constexpr size_t kInitialCapacity = 64 * 1024;
// Past this, a parser that grew for one large event is replaced by a small one.
constexpr size_t kKeptCapacity = 1024 * 1024;
// Deeper documents are refused as invalid JSON; real events nest a few levels.
constexpr size_t kMaxDepth = 256;
// Offending inputs are echoed back up to this size (pydantic echoes them whole).
constexpr size_t kEchoBudget = 1024;

constexpr absl::string_view kEventTypes[] = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"};
constexpr char kExpectedEventTypes[] = "'START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL' or 'OTHER'";

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool EchoBounded(element value, size_t budget, std::string* out);

bool EchoObject(object value, size_t budget, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (auto field : value) {
    if (!first) out->push_back(',');
    first = false;
    out->append(JsonQuote(View(field.key)));
    out->push_back(':');
    if (out->size() > budget || !EchoBounded(field.value, budget, out)) return false;
  }
  out->push_back('}');
  return out->size() <= budget;
}

// The JSON of `value` if it fits `budget`, else false (the caller echoes null).
bool EchoBounded(element value, size_t budget, std::string* out) {
  switch (value.type()) {
    case element_type::ARRAY: {
      out->push_back('[');
      bool first = true;
      const simdjson::dom::array items = value.get_array().value_unsafe();
      for (element item : items) {
        if (!first) out->push_back(',');
        first = false;
        if (out->size() > budget || !EchoBounded(item, budget, out)) return false;
      }
      out->push_back(']');
      break;
    }
    case element_type::OBJECT: {
      const object fields = value.get_object().value_unsafe();
      return EchoObject(fields, budget, out);
    }
    case element_type::STRING: {
      const std::string_view text = value.get_string().value_unsafe();
      if (text.size() > budget) return false;
      out->append(JsonQuote(View(text)));
      break;
    }
    default: out->append(simdjson::minify(value));
  }
  return out->size() <= budget;
}

std::string Echo(element value) {
  std::string out;
  return EchoBounded(value, kEchoBudget, &out) ? out : "null";
}

std::string Echo(object value) {
  std::string out;
  return EchoObject(value, kEchoBudget, &out) ? out : "null";
}

Path Child(const Path& path, absl::string_view key) {
  Path child = path;
  child.emplace_back(key);
  return child;
}

bool IsHex(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }

// Hyphenated 8-4-4-4-12 or 32 hex digits, as pydantic's UUID type accepts.
bool IsUuid(std::string_view text) {
  if (text.size() == 32) {
    for (char c : text) {
      if (!IsHex(c)) return false;
    }
    return true;
  }
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !IsHex(text[i])) return false;
  }
  return true;
}

// Walks the event, recording each problem as pydantic would word it.
class Checker {
 public:
  explicit Checker(std::vector<FieldIssue>* errors) : errors_(errors) {}

  void Add(Path location, absl::string_view code, absl::string_view message, std::string input_json,
           std::string context_json = "{}") {
    errors_->push_back(FieldIssue{.location = std::move(location),
                                  .code = std::string(code),
                                  .message = std::string(message),
                                  .context_json = std::move(context_json),
                                  .input_json = std::move(input_json)});
  }

  // The member `key` of `parent`; a missing one is recorded unless optional.
  std::optional<element> Member(object parent, const Path& path, absl::string_view key,
                                bool required = true) {
    element value;
    if (parent.at_key(std::string_view(key.data(), key.size())).get(value) != simdjson::SUCCESS) {
      if (required) Add(Child(path, key), "missing", "Field required", Echo(parent));
      return std::nullopt;
    }
    return value;
  }

  std::optional<object> AsObject(element value, const Path& path) {
    object result;
    if (value.get_object().get(result) != simdjson::SUCCESS) {
      Add(path, "model_attributes_type",
          "Input should be a valid dictionary or object to extract fields from", Echo(value));
      return std::nullopt;
    }
    return result;
  }

  std::optional<object> ObjectMember(object parent, const Path& path, absl::string_view key) {
    auto value = Member(parent, path, key);
    if (!value) return std::nullopt;
    return AsObject(*value, Child(path, key));
  }

  std::optional<std::string_view> StringMember(object parent, const Path& path, absl::string_view key) {
    auto value = Member(parent, path, key);
    if (!value) return std::nullopt;
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
      Add(Child(path, key), "string_type", "Input should be a valid string", Echo(*value));
      return std::nullopt;
    }
    return text;
  }

  void UuidMember(object parent, const Path& path, absl::string_view key) {
    auto value = Member(parent, path, key);
    if (!value) return;
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
      Add(Child(path, key), "uuid_type", "UUID input should be a string, bytes or UUID object", Echo(*value));
    } else if (!IsUuid(text)) {
      Add(Child(path, key), "uuid_parsing", "Input should be a valid UUID", Echo(*value),
          R"({"error":"expected 32 hexadecimal digits, optionally in 8-4-4-4-12 groups"})");
    }
  }

  // A {namespace, name} job; returns "run:{namespace}/{name}" when both are
  // strings, and the namespace in `job_namespace` when asked for.
  std::optional<std::string> JobKey(object parent, const Path& path, std::string* job_namespace = nullptr) {
    auto job = ObjectMember(parent, path, "job");
    if (!job) return std::nullopt;
    const Path job_path = Child(path, "job");
    auto ns = StringMember(*job, job_path, "namespace");
    auto name = StringMember(*job, job_path, "name");
    if (!ns || !name) return std::nullopt;
    if (job_namespace != nullptr) job_namespace->assign(ns->data(), ns->size());
    return absl::StrCat("run:", View(*ns), "/", View(*name));
  }

  // {job, run: {runId}}, the shape of a parent facet and of its root.
  std::optional<std::string> RunReference(object parent, const Path& path) {
    auto key = JobKey(parent, path);
    if (auto run = ObjectMember(parent, path, "run")) UuidMember(*run, Child(path, "run"), "runId");
    return key;
  }

 private:
  std::vector<FieldIssue>* errors_;
};

bool IsNull(element value) { return value.type() == element_type::NULL_VALUE; }

bool ReadDigits(absl::string_view text, size_t* pos, size_t count, int* value) {
  if (*pos + count > text.size()) return false;
  int result = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *pos += count;
  *value = result;
  return true;
}

bool Expect(absl::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

bool ParseEventTime(absl::string_view text, int64_t* unix_ms, std::string* why) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t millis = 0;
  int offset_minutes = 0;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &month) ||
      !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &day)) {
    *why = "expected a date YYYY-MM-DD";
    return false;
  }
  if (pos < text.size()) {
    const char separator = text[pos++];
    if (separator != 'T' && separator != 't' && separator != ' ') {
      *why = "expected 'T' between date and time";
      return false;
    }
    if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &minute)) {
      *why = "expected a time HH:MM[:SS[.fff]]";
      return false;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, &pos, 2, &second)) {
        *why = "expected two digits of seconds";
        return false;
      }
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        const size_t start = pos;
        int scale = 100;
        for (; pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
        }
        if (pos == start) {
          *why = "expected digits after the decimal point";
          return false;
        }
      }
    }
    if (pos < text.size()) {
      const char sign = text[pos++];
      if (sign == 'Z' || sign == 'z') {
        if (pos != text.size()) {
          *why = "unexpected text after 'Z'";
          return false;
        }
      } else if (sign == '+' || sign == '-') {
        int offset_hours = 0, offset_mins = 0;
        if (!ReadDigits(text, &pos, 2, &offset_hours)) {
          *why = "expected a UTC offset ±HH:MM";
          return false;
        }
        if (pos < text.size()) {
          Expect(text, &pos, ':');
          if (!ReadDigits(text, &pos, 2, &offset_mins) || pos != text.size()) {
            *why = "expected a UTC offset ±HH:MM";
            return false;
          }
        }
        if (offset_hours > 23 || offset_mins > 59) {
          *why = "UTC offset out of range";
          return false;
        }
        offset_minutes = (sign == '-' ? -1 : 1) * (offset_hours * 60 + offset_mins);
      } else {
        *why = "expected 'Z' or a UTC offset after the time";
        return false;
      }
    }
  }
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalises (Feb 30 → Mar 2); a changed field means out of range.
  if (civil.year() != year || civil.month() != month || civil.day() != day || civil.hour() != hour ||
      civil.minute() != minute || civil.second() != second) {
    *why = "date or time out of range";
    return false;
  }
  const absl::Time at = absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Minutes(offset_minutes);
  const int64_t result = absl::ToUnixMillis(at) + millis;
  if (result < 0) {
    *why = "before 1970-01-01T00:00:00Z, which a Kafka timestamp cannot express";
    return false;
  }
  *unix_ms = result;
  return true;
}

EventValidator::EventValidator() { Reset(); }

void EventValidator::Reset() {
  parser_ = simdjson::dom::parser();
  // On failure the parser allocates on first use, with the default depth.
  if (parser_.allocate(kInitialCapacity, kMaxDepth) != simdjson::SUCCESS) parser_ = simdjson::dom::parser();
}

EventCheck EventValidator::Check(const std::string& json) {
  EventCheck check;
  Checker checker(&check.errors);
  element root;
  const simdjson::error_code error = parser_.parse(json).get(root);
  if (error == simdjson::EMPTY) {
    checker.Add({"body"}, "missing", "Field required", "null");
  } else if (error != simdjson::SUCCESS) {
    checker.Add({"body"}, "json_invalid", "JSON decode error", "{}",
                absl::StrCat(R"({"error":)", JsonQuote(simdjson::error_message(error)), "}"));
  } else if (auto event = checker.AsObject(root, {"body"})) {
    const Path body = {"body"};
    if (auto time = checker.StringMember(*event, body, "eventTime")) {
      std::string why;
      if (!ParseEventTime(View(*time), &check.timestamp_ms, &why)) {
        checker.Add({"body", "eventTime"}, "datetime_parsing",
                    absl::StrCat("Input should be a valid datetime, ", why), JsonQuote(View(*time)),
                    absl::StrCat(R"({"error":)", JsonQuote(why), "}"));
      }
    }
    if (auto type = checker.Member(*event, body, "eventType")) {
      std::string_view text;
      bool known = false;
      if (type->get_string().get(text) == simdjson::SUCCESS) {
        for (absl::string_view candidate : kEventTypes) known = known || View(text) == candidate;
      }
      if (!known) {
        checker.Add({"body", "eventType"}, "enum", absl::StrCat("Input should be ", kExpectedEventTypes),
                    Echo(*type), absl::StrCat(R"({"expected":)", JsonQuote(kExpectedEventTypes), "}"));
      }
    }
    std::optional<std::string> job_key = checker.JobKey(*event, body, &check.job_namespace);
    std::optional<std::string> parent_key;
    std::optional<std::string> root_key;
    if (auto run = checker.ObjectMember(*event, body, "run")) {
      const Path run_path = {"body", "run"};
      checker.UuidMember(*run, run_path, "runId");
      auto facets_value = checker.Member(*run, run_path, "facets", /*required=*/false);
      if (facets_value && !IsNull(*facets_value)) {
        const Path facets_path = Child(run_path, "facets");
        auto facets = checker.AsObject(*facets_value, facets_path);
        auto parent_value = facets ? checker.Member(*facets, facets_path, "parent", false) : std::nullopt;
        if (parent_value && !IsNull(*parent_value)) {
          const Path parent_path = Child(facets_path, "parent");
          if (auto parent = checker.AsObject(*parent_value, parent_path)) {
            parent_key = checker.RunReference(*parent, parent_path);
            auto root_value = checker.Member(*parent, parent_path, "root", false);
            if (root_value && !IsNull(*root_value)) {
              const Path root_path = Child(parent_path, "root");
              if (auto root_object = checker.AsObject(*root_value, root_path)) {
                root_key = checker.RunReference(*root_object, root_path);
              }
            }
          }
        }
      }
    }
    if (check.ok()) check.kafka_key = root_key ? *root_key : parent_key ? *parent_key : *job_key;
  }
  if (parser_.capacity() > kKeptCapacity) Reset();
  return check;
}

}  // namespace tokengate
