#include "common/token/token_codec.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/base64url.h"
#include "common/base/json_writer.h"
#include "simdjson.h"

namespace tokengate {
namespace {

const EVP_MD* Digest(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kHS256: return EVP_sha256();
    case JwsAlgorithm::kHS384: return EVP_sha384();
    case JwsAlgorithm::kHS512: return EVP_sha512();
  }
  return EVP_sha256();
}

// OpenSSL 3's one-shot HMAC() fetches the algorithm and sets the key on
// every call, behind a global lock. The verify path instead keeps, per
// thread, one keyed context per (key, algorithm) and re-initialises it with
// the key it already holds.
EVP_MAC_CTX* KeyedContext(absl::string_view secret, JwsAlgorithm algorithm) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  struct Entry {
    std::string secret;
    JwsAlgorithm algorithm;
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx;
  };
  thread_local std::vector<Entry> cache;
  for (auto& entry : cache) {
    if (entry.algorithm == algorithm && entry.secret == secret) {
      return EVP_MAC_init(entry.ctx.get(), nullptr, 0, nullptr) == 1 ? entry.ctx.get() : nullptr;
    }
  }
  // Keys are few (rotation keeps a handful); a bound keeps a churn of
  // configurations from growing this without limit.
  if (cache.size() >= 16) cache.clear();
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac), &EVP_MAC_CTX_free);
  char digest[16];
  std::snprintf(digest, sizeof(digest), "%s", EVP_MD_get0_name(Digest(algorithm)));
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                                     secret.size(), params) != 1) {
    return nullptr;
  }
  cache.push_back(Entry{std::string(secret), algorithm, std::move(ctx)});
  return cache.back().ctx.get();
}

std::string Sign(absl::string_view signing_input, absl::string_view secret, JwsAlgorithm algorithm) {
  EVP_MAC_CTX* ctx = KeyedContext(secret, algorithm);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (ctx == nullptr ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1 ||
      EVP_MAC_final(ctx, mac, &mac_len, sizeof(mac)) != 1) {
    return std::string();  // Matches no signature: fails closed.
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool SignatureMatches(absl::string_view signing_input, absl::string_view signature, absl::string_view secret,
                      JwsAlgorithm algorithm) {
  const std::string expected = Sign(signing_input, secret, algorithm);
  return !expected.empty() && expected.size() == signature.size() &&
         CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

absl::Status Unauthenticated(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

struct Header {
  std::string alg;
  std::optional<std::string> kid;
};

std::optional<Header> ParseHeader(const std::string& json) {
  simdjson::dom::object object;
  if (ThreadParser().parse(json.data(), json.size()).get_object().get(object)) return std::nullopt;
  Header header;
  bool has_alg = false;
  for (auto field : object) {
    std::string_view value;
    if (field.key == "alg") {
      if (field.value.get_string().get(value)) return std::nullopt;
      header.alg = std::string(value);
      has_alg = true;
    } else if (field.key == "kid") {
      if (field.value.get_string().get(value)) return std::nullopt;
      header.kid = std::string(value);
    } else if (field.key == "crit") {
      return std::nullopt;  // We implement no extensions, so none may be critical.
    }
  }
  if (!has_alg) return std::nullopt;
  return header;
}

bool ReadString(simdjson::dom::object& object, std::string_view key, std::string& out) {
  std::string_view value;
  if (object[key].get_string().get(value)) return false;
  out = std::string(value);
  return true;
}

bool ReadInt(simdjson::dom::object& object, std::string_view key, int64_t& out) {
  return !object[key].get_int64().get(out);
}

enum class Rounding { kDown, kUp };

// An RFC 7519 NumericDate: an integer, or a number with a fraction as
// Data.Rentgen writes `nbf`/`exp` (Python's datetime.timestamp()). A fraction
// is rounded towards the stricter side: `nbf` up, `exp` down, so a token is
// never valid for a moment its issuer did not allow.
bool ReadNumericDate(simdjson::dom::object& object, std::string_view key, Rounding rounding, int64_t& out) {
  simdjson::dom::element value;
  if (object[key].get(value)) return false;
  if (value.is_int64()) return !value.get_int64().get(out);
  double number = 0;
  if (!value.is_double() || value.get_double().get(number)) return false;
  // Beyond ±2^62 s (far past any calendar) is garbage, and would overflow.
  constexpr double kLimit = 4611686018427387904.0;
  if (!std::isfinite(number) || number <= -kLimit || number >= kLimit) return false;
  out = static_cast<int64_t>(rounding == Rounding::kUp ? std::ceil(number) : std::floor(number));
  return true;
}

std::optional<TokenClaims> ParseClaims(const std::string& json) {
  simdjson::dom::object object;
  if (ThreadParser().parse(json.data(), json.size()).get_object().get(object)) return std::nullopt;
  TokenClaims claims;
  const bool ok = ReadString(object, "iss", claims.issuer) && ReadString(object, "jti", claims.token_id) &&
                  ReadString(object, "token_name", claims.token_name) &&
                  ReadInt(object, "sub_id", claims.user_id) &&
                  ReadString(object, "preferred_username", claims.user_name) &&
                  ReadString(object, "scope", claims.scope) &&
                  ReadNumericDate(object, "iat", Rounding::kDown, claims.issued_at) &&
                  ReadNumericDate(object, "nbf", Rounding::kUp, claims.not_before) &&
                  ReadNumericDate(object, "exp", Rounding::kDown, claims.expires_at);
  if (!ok) return std::nullopt;
  return claims;
}

}  // namespace

std::string RevokedTokenReason(absl::string_view token_name, absl::string_view token_id) {
  return absl::StrCat("PersonalToken name='", token_name, "', id=", token_id, " is revoked");
}

absl::StatusOr<JwsAlgorithm> ParseJwsAlgorithm(absl::string_view name) {
  if (name == "HS256") return JwsAlgorithm::kHS256;
  if (name == "HS384") return JwsAlgorithm::kHS384;
  if (name == "HS512") return JwsAlgorithm::kHS512;
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported token algorithm '", name, "' (use HS256, HS384 or HS512)"));
}

absl::string_view JwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kHS256: return "HS256";
    case JwsAlgorithm::kHS384: return "HS384";
    case JwsAlgorithm::kHS512: return "HS512";
  }
  return "HS256";
}

std::string EncodePersonalToken(const TokenClaims& claims, const SigningKey& key, JwsAlgorithm algorithm) {
  JsonWriter header;
  header.BeginObject();
  header.Field("alg", JwsAlgorithmName(algorithm));
  header.Field("typ", "JWT");
  if (!key.kid.empty()) header.Field("kid", key.kid);
  header.EndObject();

  JsonWriter payload;
  payload.BeginObject();
  payload.Field("iss", claims.issuer);
  payload.Field("jti", claims.token_id);
  payload.Field("token_name", claims.token_name);
  payload.Field("sub_id", claims.user_id);
  payload.Field("preferred_username", claims.user_name);
  payload.Field("scope", claims.scope);
  payload.Field("iat", claims.issued_at);
  payload.Field("nbf", claims.not_before);
  payload.Field("exp", claims.expires_at);
  payload.EndObject();

  std::string signing_input =
      absl::StrCat(Base64UrlEncode(header.str()), ".", Base64UrlEncode(payload.str()));
  const std::string signature = Base64UrlEncode(Sign(signing_input, key.secret, algorithm));
  return absl::StrCat(kPersonalTokenPrefix, signing_input, ".", signature);
}

absl::StatusOr<TokenClaims> VerifyPersonalToken(absl::string_view token, const SigningKeyring& keys,
                                                const VerifyOptions& options) {
  if (token.size() > kMaxTokenBytes || !absl::StartsWith(token, kPersonalTokenPrefix)) {
    return Unauthenticated(kReasonInvalidToken);
  }
  const absl::string_view jws = token.substr(kPersonalTokenPrefix.size());
  const size_t first_dot = jws.find('.');
  const size_t last_dot = jws.rfind('.');
  if (first_dot == absl::string_view::npos || first_dot == last_dot ||
      jws.find('.', first_dot + 1) != last_dot) {
    return Unauthenticated(kReasonInvalidToken);
  }
  const absl::string_view signing_input = jws.substr(0, last_dot);
  const auto header_json = Base64UrlDecode(jws.substr(0, first_dot));
  const auto payload_json = Base64UrlDecode(jws.substr(first_dot + 1, last_dot - first_dot - 1));
  if (!header_json || !payload_json) return Unauthenticated(kReasonInvalidToken);

  const auto header = ParseHeader(*header_json);
  if (!header) return Unauthenticated(kReasonInvalidToken);
  if (header->alg != JwsAlgorithmName(options.algorithm)) {
    return Unauthenticated(kReasonBadAlgorithm);
  }

  // A signature that is not even base64url cannot match: Data.Rentgen (PyJWT)
  // reports any broken signature segment this way too.
  const auto signature = Base64UrlDecode(jws.substr(last_dot + 1));
  if (!signature) return Unauthenticated(kReasonBadSignature);

  // A token without `kid` (Data.Rentgen's, or our single-key form) may match
  // any listed key; with a `kid`, only that key is tried.
  bool signature_ok = false;
  if (header->kid.has_value()) {
    const SigningKey* key = keys.Find(*header->kid);
    signature_ok =
        key != nullptr && SignatureMatches(signing_input, *signature, key->secret, options.algorithm);
  } else {
    for (const auto& key : keys.keys()) {
      signature_ok =
          signature_ok || SignatureMatches(signing_input, *signature, key.secret, options.algorithm);
    }
  }
  if (!signature_ok) return Unauthenticated(kReasonBadSignature);

  auto claims = ParseClaims(*payload_json);
  if (!claims) return Unauthenticated(kReasonInvalidToken);
  if (claims->issuer != options.issuer) return Unauthenticated(kReasonBadIssuer);
  if (options.now_unix < claims->not_before) return Unauthenticated(kReasonNotYetValid);
  if (options.check_expiry && options.now_unix >= claims->expires_at) return Unauthenticated(kReasonExpired);
  return *std::move(claims);
}

}  // namespace tokengate
