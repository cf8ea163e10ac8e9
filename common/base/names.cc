#include "common/base/names.h"

#include "absl/strings/str_format.h"
#include "common/base/field_error.h"

namespace tokengate {
namespace {

// What a pydantic model would declare to the same effect (and so report).
constexpr absl::string_view kNoControlMessage = "String should match pattern '^[^\\x00-\\x1f\\x7f-\\x9f]*$'";
constexpr absl::string_view kNoControlContext = R"({"pattern":"^[^\\x00-\\x1f\\x7f-\\x9f]*$"})";

}  // namespace

bool HasControlCharacter(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

std::string EscapeControlCharacters(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto after = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // U+0080–U+009F
      absl::StrAppendFormat(&out, "\\u%04x", next);
      ++i;
    } else if (c == 0xe2 && next == 0x80 && (after == 0xa8 || after == 0xa9)) {  // U+2028, U+2029
      absl::StrAppendFormat(&out, "\\u%04x", 0x2000 + (after - 0x80));
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

absl::Status CheckNoControlCharacters(absl::string_view field, absl::string_view text) {
  if (!HasControlCharacter(text)) return absl::OkStatus();
  return InvalidField(field, "string_pattern_mismatch", kNoControlMessage, kNoControlContext);
}

}  // namespace tokengate
