// An INVALID_ARGUMENT that names the bad field and a machine-readable code
// (pydantic's words: "date_future", "less_than_equal", …), so the REST edge can
// build DESIGN §6's 422 details. Carried as absl::Status payloads inside a
// process and as gRPC trailing metadata between processes.
#pragma once

#include "absl/strings/string_view.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace tokengate {

inline constexpr absl::string_view kFieldPayload = "tokengate.field";
inline constexpr absl::string_view kCodePayload = "tokengate.code";
inline constexpr char kFieldMetadata[] = "tokengate-field";
inline constexpr char kCodeMetadata[] = "tokengate-code";
// The code of an UNAVAILABLE that comes from the database, not the service.
inline constexpr absl::string_view kDatabaseUnavailableCode = "database_unavailable";

inline absl::Status InvalidField(absl::string_view field, absl::string_view code,
                                 absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kFieldPayload, absl::Cord(field));
  status.SetPayload(kCodePayload, absl::Cord(code));
  return status;
}

inline std::optional<std::string> PayloadOf(const absl::Status& status, absl::string_view key) {
  auto payload = status.GetPayload(key);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace tokengate
