// Why a `until` string is not a date, in pydantic's words as Data.Rentgen
// answers them ("Input should be a valid date or datetime, month value is
// outside expected range of 1-12", …), for 422 details that match its own.
// Only the YYYY-MM-DD form is accepted: pydantic also takes datetimes at
// midnight, which tokengate refuses with its "inexact" answer. Pure.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tokengate {

struct DateIssue {
  std::string code;  // "date_from_datetime_parsing" or "date_from_datetime_inexact"
  std::string message;
};

// Empty code when `text` is a real YYYY-MM-DD date.
DateIssue CheckDateAsPydantic(absl::string_view text);

}  // namespace tokengate
