// The request id that ties an HTTP request to its log lines and, in
// http2kafka, to the Kafka message (`correlation_id`): the client's
// X-Request-ID when it is a sane token, otherwise a fresh random UUID.
#pragma once

#include <optional>
#include <string>

namespace tokengate {

inline constexpr char kRequestIdHeader[] = "X-Request-ID";

// At most 128 characters of [A-Za-z0-9._:-] are accepted from clients, so
// the value is safe in logs and headers.
std::string RequestIdFrom(const std::optional<std::string>& client_value);
// A random version-4 UUID string.
std::string NewRequestId();

}  // namespace tokengate
