// Early returns on an error status, named after Abseil's own
// (ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN of newer releases than
// Debian's), so moving to those is a rename.
//
//   TG_RETURN_IF_ERROR(conn->Exec("BEGIN"));         // absl::Status or StatusOr
//   TG_ASSIGN_OR_RETURN(auto rows, conn->Exec(sql));  // rows: the value
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tokengate::status_internal {

inline const absl::Status& AsStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace tokengate::status_internal

#define TG_RETURN_IF_ERROR(expr)                                                                        \
  do {                                                                                                  \
    if (const absl::Status tg_status = ::tokengate::status_internal::AsStatus(expr); !tg_status.ok()) { \
      return tg_status;                                                                                 \
    }                                                                                                   \
  } while (false)

#define TG_STATUS_CONCAT_INNER(a, b) a##b
#define TG_STATUS_CONCAT(a, b) TG_STATUS_CONCAT_INNER(a, b)
#define TG_ASSIGN_OR_RETURN(lhs, rexpr) \
  TG_ASSIGN_OR_RETURN_IMPL(TG_STATUS_CONCAT(tg_status_or_, __LINE__), lhs, rexpr)
#define TG_ASSIGN_OR_RETURN_IMPL(status_or, lhs, rexpr)      \
  auto status_or = (rexpr);                                  \
  if (!status_or.ok()) return std::move(status_or).status(); \
  lhs = *std::move(status_or)
