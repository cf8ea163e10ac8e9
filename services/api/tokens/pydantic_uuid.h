// UUID parsing as Data.Rentgen's REST layer (pydantic) does it: which forms
// are accepted (hyphenated, 32 hex digits, braced, urn:uuid:, any case) and,
// for anything else, pydantic's words for what is wrong, so 422 details match
// Data.Rentgen's to the letter. Pure; no I/O.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tokengate {

struct UuidParse {
  std::string canonical;  // Lowercase 8-4-4-4-12; empty when `error` is set.
  std::string error;      // e.g. "Input should be a valid UUID, invalid group count: expected 5, found 4".
};

UuidParse ParseUuidAsPydantic(absl::string_view text);

}  // namespace tokengate
