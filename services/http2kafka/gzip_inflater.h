// Inflates a gzip request body (RFC 1952, concatenated members allowed) with
// zlib, never holding more than `max_bytes` of output: a gzip bomb is cut off
// at the limit instead of being expanded, whatever its compression ratio.
// Not a general decompressor: no zlib/deflate/brotli streams, no partial results.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

// The inflated bytes, with at least `spare_capacity` unused bytes reserved after
// them (so a parser that reads past the end, like simdjson, needs no copy).
// Errors: kResourceExhausted ("too large") once the output would exceed
// `max_bytes`; kInvalidArgument for a truncated or corrupt stream.
absl::StatusOr<std::string> InflateGzip(absl::string_view compressed, size_t max_bytes,
                                        size_t spare_capacity = 0);

}  // namespace tokengate
