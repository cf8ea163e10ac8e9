#include "services/api/tokens/pydantic_date.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace tokengate {
namespace {

constexpr absl::string_view kParsing = "date_from_datetime_parsing";

DateIssue Parsing(absl::string_view why) {
  return DateIssue{.code = std::string(kParsing),
                   .message = absl::StrCat("Input should be a valid date or datetime, ", why)};
}

bool Digits(absl::string_view text) {
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int Number(absl::string_view digits) {
  int value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

int DaysIn(int year, int month) {
  const absl::CivilDay first(year, month, 1);
  return static_cast<int>(absl::CivilDay(first.year(), first.month() + 1, 1) - first);
}

}  // namespace

DateIssue CheckDateAsPydantic(absl::string_view text) {
  // Checked left to right, reporting the first thing wrong, as pydantic does.
  if (text.size() < 10) return Parsing("input is too short");
  if (!Digits(text.substr(0, 4))) return Parsing("invalid character in year");
  if (text[4] != '-') return Parsing("invalid date separator, expected `-`");
  if (!Digits(text.substr(5, 2))) return Parsing("invalid character in month");
  const int month = Number(text.substr(5, 2));
  if (month < 1 || month > 12) return Parsing("month value is outside expected range of 1-12");
  if (text[7] != '-') return Parsing("invalid date separator, expected `-`");
  if (!Digits(text.substr(8, 2))) return Parsing("invalid character in day");
  const int day = Number(text.substr(8, 2));
  if (day < 1 || day > DaysIn(Number(text.substr(0, 4)), month)) {
    return Parsing("day value is outside expected range");
  }
  if (text.size() == 10) return DateIssue{};
  const char separator = text[10];
  if (separator != 'T' && separator != 't' && separator != '_' && separator != ' ') {
    return Parsing("invalid datetime separator, expected `T`, `t`, `_` or space");
  }
  return DateIssue{.code = "date_from_datetime_inexact",
                   .message = "Datetimes provided to dates should have zero time - e.g. be exact dates"};
}

}  // namespace tokengate
