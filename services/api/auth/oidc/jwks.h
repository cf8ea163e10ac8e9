// The identity provider's signing keys (a JWK set, RFC 7517), imported with
// cjose and cached. An unknown `kid` triggers one refetch, at most once per
// `min_refresh_interval`, so a key rotation at the IdP needs no restart here
// while a flood of made-up kids cannot turn into a flood of JWKS requests.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"

struct _cjose_jwk_int;

namespace tokengate {

// Only the two algorithms we accept; anything else is refused before a key is used.
enum class JwsAlg { kRs256, kEs256 };

// One public signing key.
class Jwk {
 public:
  Jwk(std::string kid, JwsAlg alg, _cjose_jwk_int* key);
  ~Jwk();
  Jwk(const Jwk&) = delete;
  Jwk& operator=(const Jwk&) = delete;

  const std::string& kid() const { return kid_; }
  // The algorithm this key is for (RSA → RS256, EC P-256 → ES256).
  JwsAlg alg() const { return alg_; }
  const _cjose_jwk_int* key() const { return key_; }

 private:
  std::string kid_;
  JwsAlg alg_;
  _cjose_jwk_int* key_;
};

using JwkSet = std::map<std::string, std::shared_ptr<const Jwk>, std::less<>>;

// The signing keys of a JWKS document by kid. Keys for encryption
// ("use": "enc"), without a kid, of another type or curve, RSA below 2048
// bits, or whose "alg" is not RS256/ES256 are left out. INVALID_ARGUMENT when
// the document is not a JWK set.
absl::StatusOr<JwkSet> ParseJwks(absl::string_view json);

class JwksCache {
 public:
  // Returns the JWKS document, or UNAVAILABLE.
  using Fetch = std::function<absl::StatusOr<std::string>()>;

  JwksCache(Fetch fetch, absl::Duration min_refresh_interval, const Clock* clock);

  // The key named `kid`: UNAUTHENTICATED when the IdP does not have it,
  // UNAVAILABLE when it could not be asked.
  absl::StatusOr<std::shared_ptr<const Jwk>> KeyFor(absl::string_view kid);

 private:
  std::shared_ptr<const Jwk> Cached(absl::string_view kid) const;

  Fetch fetch_;
  const absl::Duration min_refresh_interval_;
  const Clock* clock_;
  mutable std::mutex fetch_mu_;  // Held across a fetch; guards the fields below it.
  absl::Time last_fetch_ = absl::InfinitePast();
  absl::Status last_error_;  // Of the last fetch: repeated until the next one is allowed.
  mutable std::mutex mu_;    // Guards keys_ only, never held across a fetch.
  JwkSet keys_;
};

}  // namespace tokengate
