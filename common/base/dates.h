// Calendar days in UTC, as personal tokens count them: a token is valid from
// the start of its `since` day to the start of the day after `until`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tokengate {

absl::CivilDay UtcDay(absl::Time t);
int64_t StartOfDayUnix(absl::CivilDay day);
std::string FormatDay(absl::CivilDay day);  // "YYYY-MM-DD"
// Strict "YYYY-MM-DD" only (no time part, no other forms).
std::optional<absl::CivilDay> ParseDay(absl::string_view text);

}  // namespace tokengate
