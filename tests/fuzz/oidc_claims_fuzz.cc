// Feeds arbitrary bytes as the claims JSON of an identity provider's token
// to the OpenID Connect claim checks (issuer, audience, time window, nonce,
// token kind, user name, admin role at a nested claim path), as an ID token
// and as an access token. Whatever the numbers, nothing may overflow, and a
// token that passes must carry everything the checks asked for.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/api/auth/oidc/claims.h"
#include "services/api/auth/oidc/role_claim.h"
#include "tests/fuzz/fuzz_check.h"

namespace tokengate {
namespace {

using fuzz::Require;

constexpr char kIssuer[] = "https://idp.test/realms/tokengate";
constexpr int64_t kNow = 1700000000;

// What a passing token must hold, read again on its own.
void CheckPassed(absl::string_view json, const ClaimRules& rules, const TokenClaims& claims, absl::Time now) {
  Require(!claims.user_name.empty(), "a passing token names a user");
  Require(now <= claims.expires_at + rules.clock_skew, "a passing token has not expired");
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  Require(parser.parse(json.data(), json.size()).get_object().get(object) == simdjson::SUCCESS,
          "a passing token is a JSON object");
  std::string_view issuer;
  Require(object["iss"].get_string().get(issuer) == simdjson::SUCCESS && issuer == rules.issuer,
          "a passing token is from the issuer");
  // The time window, in the claims' own numbers.
  const double now_s = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  const double skew_s = absl::ToDoubleSeconds(rules.clock_skew);
  double seconds;
  Require(object["exp"].get_double().get(seconds) == simdjson::SUCCESS && now_s <= seconds + skew_s,
          "a passing token's exp is not past");
  for (const char* name : {"nbf", "iat"}) {
    if (object[name].get_double().get(seconds) == simdjson::SUCCESS) {
      Require(seconds <= now_s + skew_s, "a passing token's nbf and iat are not in the future");
    }
  }
  if (rules.nonce) {
    std::string_view nonce;
    Require(object["nonce"].get_string().get(nonce) == simdjson::SUCCESS && nonce == *rules.nonce,
            "a passing ID token carries the login's nonce");
  }
  Require(claims.admin == ClaimHasRole(object, rules.admin_claim, rules.admin_role),
          "admin is the role claim's answer");
}

}  // namespace
}  // namespace tokengate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokengate;
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(kNow);
  const ClaimRules id_token{.issuer = kIssuer,
                            .client_id = "tokengate",
                            .use = TokenUse::kIdToken,
                            .nonce = "n-1",
                            .admin_claim = "realm_access.roles",
                            .admin_role = "tokengate-admin"};
  const ClaimRules access_token{.issuer = kIssuer,
                                .client_id = "tokengate",
                                .use = TokenUse::kAccessToken,
                                .admin_claim = "https://example.com/roles",
                                .admin_role = "admin"};
  for (const ClaimRules& rules : {id_token, access_token}) {
    auto claims = CheckClaims(json, rules, now);
    if (claims.ok()) {
      CheckPassed(json, rules, *claims, now);
    } else {
      Require(absl::IsUnauthenticated(claims.status()), "a refused token is UNAUTHENTICATED");
    }
  }
  return 0;
}
