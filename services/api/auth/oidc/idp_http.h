// The api's HTTP client towards the identity provider (discovery, JWKS, token
// and logout endpoints), on libcurl. Transport failures and 5xx answers are
// UNAVAILABLE (the caller fails closed with 503); other answers are returned
// as they are. Never logs bodies: they carry tokens.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokengate {

struct IdpHttpOptions {
  bool verify_tls = true;
  std::string ca_file;  // Empty: the system's trust store.
  absl::Duration timeout = absl::Seconds(5);
};

struct IdpReply {
  long status = 0;
  std::string body;
};

class IdpHttp {
 public:
  explicit IdpHttp(IdpHttpOptions options) : options_(std::move(options)) {}

  absl::StatusOr<IdpReply> Get(const std::string& url) const;
  // POST application/x-www-form-urlencoded, with HTTP Basic client
  // authentication when `client_id` is not empty (client_secret_basic).
  absl::StatusOr<IdpReply> PostForm(const std::string& url, absl::string_view form,
                                    absl::string_view client_id, absl::string_view client_secret) const;

 private:
  absl::StatusOr<IdpReply> Perform(void* curl, const std::string& url) const;

  const IdpHttpOptions options_;
};

// curl_global_init, once per process, before any thread uses IdpHttp.
void InitIdpHttp();

}  // namespace tokengate
