#include "services/api/auth/oidc/jwks.h"

#include <simdjson.h>

#include <algorithm>
#include <iterator>

#include <cjose/jwk.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/base64url.h"

namespace tokengate {
namespace {

constexpr size_t kMinRsaBits = 2048;
// Members cjose decodes as base64url (RFC 7518 §6).
constexpr std::string_view kBase64UrlMembers[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};

// Debian's cjose 0.6.1 aborts the process on some malformed base64url (an '='
// inside a value) instead of failing, so a key reaches it only when each such
// member passes our strict decoder. Every member is looked at, repeats too:
// cjose's JSON parser keeps the last of a repeated name, simdjson's lookup the first.
bool MembersDecode(simdjson::dom::element entry) {
  simdjson::dom::object members;
  if (entry.get_object().get(members) != simdjson::SUCCESS) return false;
  for (const auto& member : members) {
    std::string_view value;
    if (std::find(std::begin(kBase64UrlMembers), std::end(kBase64UrlMembers), member.key) ==
            std::end(kBase64UrlMembers) ||
        member.value.get_string().get(value) != simdjson::SUCCESS) {
      continue;
    }
    if (!Base64UrlDecode(absl::string_view(value.data(), value.size()))) return false;
  }
  return true;
}

// The algorithm a JWK is for, or nullopt when we do not accept it.
std::optional<JwsAlg> AlgOf(const cjose_jwk_t* key, std::string_view declared_alg) {
  cjose_err err;
  std::optional<JwsAlg> alg;
  switch (cjose_jwk_get_kty(key, &err)) {
    case CJOSE_JWK_KTY_RSA:
      if (cjose_jwk_get_keysize(key, &err) >= kMinRsaBits) alg = JwsAlg::kRs256;
      break;
    case CJOSE_JWK_KTY_EC:
      if (cjose_jwk_EC_get_curve(key, &err) == CJOSE_JWK_EC_P_256) alg = JwsAlg::kEs256;
      break;
    default: break;
  }
  if (!alg || declared_alg.empty()) return alg;
  const std::string_view expected = *alg == JwsAlg::kRs256 ? "RS256" : "ES256";
  if (declared_alg != expected) return std::nullopt;
  return alg;
}

}  // namespace

Jwk::Jwk(std::string kid, JwsAlg alg, cjose_jwk_t* key) : kid_(std::move(kid)), alg_(alg), key_(key) {}

Jwk::~Jwk() { cjose_jwk_release(key_); }

absl::StatusOr<JwkSet> ParseJwks(absl::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("JWKS is not JSON");
  }
  simdjson::dom::array keys;
  if (doc["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("JWKS has no \"keys\" array");
  }
  JwkSet out;
  for (simdjson::dom::element entry : keys) {
    std::string_view kid, use, declared_alg;
    if (entry["kid"].get_string().get(kid) != simdjson::SUCCESS || kid.empty()) continue;
    if (entry["use"].get_string().get(use) == simdjson::SUCCESS && use != "sig") continue;
    if (entry["alg"].get_string().get(declared_alg) != simdjson::SUCCESS) declared_alg = {};
    if (!MembersDecode(entry)) continue;
    const std::string text = simdjson::minify(entry);
    cjose_err err;
    cjose_jwk_t* key = cjose_jwk_import(text.data(), text.size(), &err);
    if (key == nullptr) continue;
    const std::optional<JwsAlg> alg = AlgOf(key, declared_alg);
    if (!alg) {
      cjose_jwk_release(key);
      continue;
    }
    out.emplace(std::string(kid), std::make_shared<const Jwk>(std::string(kid), *alg, key));
  }
  return out;
}

JwksCache::JwksCache(Fetch fetch, absl::Duration min_refresh_interval, const Clock* clock)
    : fetch_(std::move(fetch)), min_refresh_interval_(min_refresh_interval), clock_(clock) {}

std::shared_ptr<const Jwk> JwksCache::Cached(absl::string_view kid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<const Jwk>> JwksCache::KeyFor(absl::string_view kid) {
  if (auto key = Cached(kid)) return key;
  // Misses queue here, so one request serves them all; known kids never wait for it.
  std::lock_guard<std::mutex> fetching(fetch_mu_);
  if (auto key = Cached(kid)) return key;
  const absl::Time now = clock_->Now();
  if (now - last_fetch_ < min_refresh_interval_) {
    if (!last_error_.ok()) return last_error_;
    return absl::UnauthenticatedError("Token is signed with an unknown key");
  }
  last_fetch_ = now;
  absl::StatusOr<JwkSet> parsed = absl::UnavailableError("");
  if (auto document = fetch_(); !document.ok()) {
    parsed = absl::UnavailableError(document.status().message());
  } else if (parsed = ParseJwks(*document); !parsed.ok()) {
    parsed = absl::UnavailableError(
        absl::StrCat("identity provider's JWKS is unusable: ", parsed.status().message()));
  }
  last_error_ = parsed.status();
  if (!parsed.ok()) return parsed.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys_ = *std::move(parsed);
  }
  if (auto key = Cached(kid)) return key;
  return absl::UnauthenticatedError("Token is signed with an unknown key");
}

}  // namespace tokengate
