// Personal token codec: "personal_token_" + a compact JWS (HS256 by default)
// with Data.Rentgen's claim set. Pure: no I/O, no clock (time is passed in).
// Verification stops at the first failure in docs/design.md §3's order and reports a
// reason that is safe to show; it never echoes the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/token/signing_keys.h"

namespace tokengate {

inline constexpr absl::string_view kPersonalTokenPrefix = "personal_token_";
// Far above any real token (~400 bytes); cuts garbage before any parsing.
inline constexpr size_t kMaxTokenBytes = 4096;

struct TokenClaims {
  std::string issuer;      // iss
  std::string token_id;    // jti (UUIDv7)
  std::string token_name;  // token_name
  int64_t user_id = 0;     // sub_id
  std::string user_name;   // preferred_username
  std::string scope;       // scope, space-separated
  int64_t issued_at = 0;   // iat
  int64_t not_before = 0;  // nbf
  int64_t expires_at = 0;  // exp
};

enum class JwsAlgorithm { kHS256, kHS384, kHS512 };
absl::StatusOr<JwsAlgorithm> ParseJwsAlgorithm(absl::string_view name);
absl::string_view JwsAlgorithmName(JwsAlgorithm algorithm);

// Signs with `key`; the header carries `kid` when the key has one.
std::string EncodePersonalToken(const TokenClaims& claims, const SigningKey& key, JwsAlgorithm algorithm);

struct VerifyOptions {
  JwsAlgorithm algorithm = JwsAlgorithm::kHS256;
  std::string issuer;
  int64_t now_unix = 0;
  // false: `exp` is left to the caller (the authority reads the token's id
  // from an expired token, to name it in its answer).
  bool check_expiry = true;
};

// The reasons, as Data.Rentgen words them where it has one.
inline constexpr absl::string_view kReasonInvalidToken = "Invalid token";
inline constexpr absl::string_view kReasonBadSignature = "Signature verification failed";
inline constexpr absl::string_view kReasonExpired = "Token has expired";
inline constexpr absl::string_view kReasonNotYetValid = "Token is not valid yet";
inline constexpr absl::string_view kReasonBadIssuer = "Invalid issuer";
inline constexpr absl::string_view kReasonBadAlgorithm = "Token algorithm is not allowed";
// "PersonalToken name='N', id=ID is revoked", Data.Rentgen's wording.
std::string RevokedTokenReason(absl::string_view token_name, absl::string_view token_id);

// UNAUTHENTICATED with one of the reasons above when the token is not
// acceptable; the claims otherwise. Checks prefix, structure, header `alg`
// (exactly the configured one), `kid`, signature (constant time), `iss`,
// `nbf`/`exp`. Whether the token row exists is the caller's business.
absl::StatusOr<TokenClaims> VerifyPersonalToken(absl::string_view token, const SigningKeyring& keys,
                                                const VerifyOptions& options);

}  // namespace tokengate
