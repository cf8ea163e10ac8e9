// The authority's HMAC keys, each with a `kid`. The first is the newest and
// signs new tokens; every listed key still verifies. Never log a secret.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

struct SigningKey {
  std::string kid;  // Empty for the single-key form (tokens carry no `kid` then).
  std::string secret;
};

class SigningKeyring {
 public:
  // `multi` is "kid1:secret1,kid2:secret2" (newest first) and wins over
  // `single` (one secret, no kid). Secrets shorter than 32 bytes are refused:
  // HS256 with a short key is brute-forceable offline.
  static absl::StatusOr<SigningKeyring> Parse(absl::string_view single, absl::string_view multi);

  const SigningKey& Newest() const { return keys_.front(); }
  // nullptr when no listed key has this kid.
  const SigningKey* Find(absl::string_view kid) const;
  const std::vector<SigningKey>& keys() const { return keys_; }

 private:
  explicit SigningKeyring(std::vector<SigningKey> keys) : keys_(std::move(keys)) {}
  std::vector<SigningKey> keys_;
};

}  // namespace tokengate
