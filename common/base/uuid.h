// UUID helpers: UUIDv7 generation (token ids sort by time and carry `iat`)
// and strict parsing of client-supplied ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace tokengate {

// A UUIDv7 string (lowercase, 8-4-4-4-12) whose timestamp is `unix_ms`.
std::string NewUuidV7(int64_t unix_ms);
// The lowercase canonical form, or nullopt when `text` is not a UUID.
std::optional<std::string> CanonicalUuid(absl::string_view text);
// The millisecond timestamp of a UUIDv7, or nullopt for any other UUID version.
std::optional<int64_t> UuidV7UnixMs(absl::string_view uuid);

}  // namespace tokengate
