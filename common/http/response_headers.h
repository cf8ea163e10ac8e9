// Response headers as Pistache typed headers. Pistache 0.0.5 silently drops
// headers added with addRaw() from responses (upstream issue #967), so every
// header we send (Retry-After, Set-Cookie, WWW-Authenticate, X-Request-ID,
// Content-Type, Allow, …) goes through OutgoingHeader.
#pragma once

#include <pistache/http.h>
#include <pistache/http_header.h>

#include <string>

#include "common/http/response.h"

namespace tokengate {

// A response header whose name is known only at run time: writes
// "name: value" verbatim. Values must not contain CR or LF (checked by the
// writer, which drops such a header rather than split the response).
class OutgoingHeader final : public Pistache::Http::Header::Header {
 public:
  OutgoingHeader(std::string name, std::string value);
  const char* name() const override { return name_.c_str(); }
  uint64_t hash() const override { return hash_; }
  void write(std::ostream& stream) const override { stream << value_; }

 private:
  std::string name_;
  std::string value_;
  uint64_t hash_;
};

// Sends `response` with its headers, plus X-Request-ID when `request_id`
// is not empty; the promise settles once the bytes are written (or not).
Pistache::Async::Promise<ssize_t> WriteResponse(const HttpResponse& response, const std::string& request_id,
                   Pistache::Http::ResponseWriter& writer);

}  // namespace tokengate
