// A small streaming JSON writer: correct escaping, no DOM. Used for tokens,
// REST bodies and metrics; parsing is simdjson's job.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokengate {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Inside an object: the key of the next value.
  void Key(absl::string_view key);
  void String(absl::string_view value);
  void Int(int64_t value);
  void Bool(bool value);
  void Null();
  // Inserts already-serialized JSON as one value.
  void Raw(absl::string_view json);

  void Field(absl::string_view key, absl::string_view value) {
    Key(key);
    String(value);
  }
  void Field(absl::string_view key, const char* value) {
    Key(key);
    String(value);
  }
  void Field(absl::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void Field(absl::string_view key, int value) {
    Key(key);
    Int(value);
  }
  void Field(absl::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // Per open container: has it a member yet (so the next needs a comma)?
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

// `value` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view value);

}  // namespace tokengate
