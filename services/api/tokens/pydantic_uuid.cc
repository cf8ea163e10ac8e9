#include "services/api/tokens/pydantic_uuid.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tokengate {
namespace {

constexpr std::array<size_t, 5> kGroupLengths = {8, 4, 4, 4, 12};
constexpr absl::string_view kUrnPrefix = "urn:uuid:";

bool IsHex(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }

// The 32 hex digits of a hyphenated 8-4-4-4-12 text, or "" if it is not one.
std::string HyphenatedDigits(absl::string_view text) {
  if (text.size() != 36) return "";
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position != (text[i] == '-')) return "";
    if (!dash_position) {
      if (!IsHex(text[i])) return "";
      digits += absl::ascii_tolower(static_cast<unsigned char>(text[i]));
    }
  }
  return digits;
}

std::string Canonical(const std::string& digits) {
  return absl::StrCat(digits.substr(0, 8), "-", digits.substr(8, 4), "-", digits.substr(12, 4), "-",
                      digits.substr(16, 4), "-", digits.substr(20));
}

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for stray bytes).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

UuidParse Error(absl::string_view why) {
  return UuidParse{.error = absl::StrCat("Input should be a valid UUID, ", why)};
}

}  // namespace

UuidParse ParseUuidAsPydantic(absl::string_view text) {
  // The body between the decorations, and where it starts in `text`
  // (positions in messages count from 1 in the whole input).
  absl::string_view body = text;
  size_t offset = 0;
  bool plain = true;
  if (body.size() >= 2 && body.front() == '{' && body.back() == '}') {
    body = body.substr(1, body.size() - 2);
    offset = 1;
    plain = false;
  } else if (absl::StartsWith(body, kUrnPrefix)) {
    body.remove_prefix(kUrnPrefix.size());
    offset = kUrnPrefix.size();
    plain = false;
  }

  std::string digits = HyphenatedDigits(body);
  if (digits.empty() && plain && body.size() == 32) {
    bool all_hex = true;
    for (const char c : body) all_hex = all_hex && IsHex(c);
    if (all_hex) digits = absl::AsciiStrToLower(body);
  }
  if (!digits.empty()) return UuidParse{.canonical = Canonical(digits)};

  std::vector<size_t> hyphens;
  for (size_t i = 0; i < body.size();) {
    const auto lead = static_cast<unsigned char>(body[i]);
    const size_t length = std::min(SequenceLength(lead), body.size() - i);
    if (length > 1 || (!IsHex(body[i]) && body[i] != '-')) {
      return Error(
          absl::StrCat("invalid character: found `", body.substr(i, length), "` at ", offset + i + 1));
    }
    if (body[i] == '-') hyphens.push_back(i);
    i += length;
  }
  if (hyphens.empty() && plain) {
    return Error(absl::StrCat("invalid length: expected length 32 for simple format, found ", text.size()));
  }
  if (hyphens.size() != kGroupLengths.size() - 1) {
    return Error(absl::StrCat("invalid group count: expected 5, found ", hyphens.size() + 1));
  }
  size_t start = 0;
  for (size_t group = 0; group < kGroupLengths.size(); ++group) {
    const size_t end = group < hyphens.size() ? hyphens[group] : body.size();
    if (end - start != kGroupLengths[group]) {
      return Error(absl::StrCat("invalid group length in group ", group, ": expected ", kGroupLengths[group],
                                ", found ", end - start));
    }
    start = end + 1;
  }
  return Error("invalid format");  // Unreachable: five groups of the right lengths of hex digits parse.
}

}  // namespace tokengate
