#include "common/base/dates.h"

#include "absl/strings/str_format.h"

namespace tokengate {

absl::CivilDay UtcDay(absl::Time t) { return absl::ToCivilDay(t, absl::UTCTimeZone()); }

int64_t StartOfDayUnix(absl::CivilDay day) {
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone()));
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::optional<absl::CivilDay> ParseDay(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &day)) {
    return std::nullopt;
  }
  // ParseCivilTime normalises 2026-02-30 to March; a real date round-trips.
  if (FormatDay(day) != text) return std::nullopt;
  return day;
}

}  // namespace tokengate
