#include "services/api/auth/access_token.h"

#include <simdjson.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/base64url.h"
#include "common/base/json_writer.h"

namespace tokengate {
namespace {

absl::Status Invalid(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

}  // namespace

AccessTokenCodec::AccessTokenCodec(std::string secret, absl::Duration lifetime, const Clock* clock)
    : secret_(std::move(secret)), lifetime_(lifetime), clock_(clock) {}

std::string AccessTokenCodec::Sign(absl::string_view payload) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

AccessToken AccessTokenCodec::Issue(absl::string_view user_name) const {
  const int64_t expires_at = absl::ToUnixSeconds(clock_->Now() + lifetime_);
  JsonWriter json;
  json.BeginObject();
  json.Field("sub", user_name);
  json.Field("exp", expires_at);
  json.EndObject();
  const std::string payload = Base64UrlEncode(json.str());
  return AccessToken{.token = absl::StrCat(kAccessTokenPrefix, payload, ".", Base64UrlEncode(Sign(payload))),
                     .user_name = std::string(user_name),
                     .expires_at_unix = expires_at};
}

absl::StatusOr<AccessToken> AccessTokenCodec::Verify(absl::string_view token) const {
  if (!absl::StartsWith(token, kAccessTokenPrefix)) return Invalid("Invalid token prefix");
  const absl::string_view body = token.substr(kAccessTokenPrefix.size());
  const size_t dot = body.find('.');
  if (dot == absl::string_view::npos) return Invalid("Invalid token structure");
  const absl::string_view payload = body.substr(0, dot);
  auto signature = Base64UrlDecode(body.substr(dot + 1));
  if (!signature) return Invalid("Invalid token structure");
  const std::string expected = Sign(payload);
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return Invalid("Signature verification failed");
  }
  auto json = Base64UrlDecode(payload);
  if (!json) return Invalid("Invalid token structure");
  // Signed by us, so malformed JSON here means a key shared with something else.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view sub;
  int64_t exp = 0;
  if (parser.parse(*json).get(root) != simdjson::SUCCESS || root["sub"].get(sub) != simdjson::SUCCESS ||
      root["exp"].get(exp) != simdjson::SUCCESS || sub.empty()) {
    return Invalid("Invalid token payload");
  }
  if (absl::ToUnixSeconds(clock_->Now()) >= exp) return Invalid("Token has expired");
  return AccessToken{.user_name = std::string(sub), .expires_at_unix = exp};
}

}  // namespace tokengate
