// Signature check of a compact JWS (RFC 7515) from the identity provider:
// only RS256 and ES256, the header's alg must be the one its key is for, so
// "none", HMAC with a public key as secret and other alg confusions are
// refused before any cryptography runs. cjose does the signature math.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/api/auth/oidc/jwks.h"

namespace tokengate {

// The payload (claims JSON) of `compact` when its signature verifies with
// the key its header names; UNAUTHENTICATED with a reason safe to show
// otherwise, UNAVAILABLE when the keys could not be fetched.
absl::StatusOr<std::string> VerifyJws(absl::string_view compact, JwksCache& keys);

}  // namespace tokengate
