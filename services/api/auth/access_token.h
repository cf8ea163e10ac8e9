// Access tokens for humans logged in through the auth provider:
// "access_token_<payload>.<signature>", payload = base64url JSON {"sub", "exp"},
// signature = HMAC-SHA256 under the api's own key (never the authority's), so
// the api checks them locally without an RPC. Distinct prefix from personal
// tokens; never accepted where a personal token is required, nor vice versa.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"

namespace tokengate {

inline constexpr absl::string_view kAccessTokenPrefix = "access_token_";

struct AccessToken {
  std::string token;  // Set by Issue only.
  std::string user_name;
  int64_t expires_at_unix = 0;
};

class AccessTokenCodec {
 public:
  AccessTokenCodec(std::string secret, absl::Duration lifetime, const Clock* clock);

  AccessToken Issue(absl::string_view user_name) const;
  // UNAUTHENTICATED with a reason safe to show ("Signature verification
  // failed", "Token has expired", …); never echoes the token.
  absl::StatusOr<AccessToken> Verify(absl::string_view token) const;

 private:
  std::string Sign(absl::string_view payload) const;

  const std::string secret_;
  const absl::Duration lifetime_;
  const Clock* clock_;
};

}  // namespace tokengate
