// Feeds arbitrary bytes to the OpenID Connect JWS check (header, alg/key
// match, cjose's import and signature math) against a fixed JWK set, and to
// the JWK set parser. The keys' private halves were thrown away after signing
// the seeds, so no input the fuzzer makes may verify unless it keeps the
// signed bytes (header and payload) of a seed: a new one would be a forgery.
// Every refusal must be UNAUTHENTICATED (the set is always at hand).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/base/base64url.h"
#include "common/base/clock.h"
#include "services/api/auth/oidc/jwks.h"
#include "services/api/auth/oidc/jws.h"
#include "tests/fuzz/fuzz_check.h"

namespace tokengate {
namespace {

using fuzz::Require;

// An RSA 2048 key "rsa-1" (RS256) and an EC P-256 key "ec-1" (ES256).
constexpr absl::string_view kJwks =
    R"({"keys":[{"kty":"RSA","kid":"rsa-1","e":"AQAB","n":"n3AHThptcojxfBa06MU20X2oFMAUO82y1vNK)"
    R"(DzCMLSXPA5bnQyhlmns-dW4sxkFA9FZmTDvlI9TyQDFno9gqW_QxVry0Clvh8uMZpJV5MPLdH7_VJvy6AYxq-TD5)"
    R"(x5d5Mm5yaZqsQc1Hg2OS7w_FfbY7kM2jN3LL435r3UP46gdqm3sWSr391Rpc5SpDYWXtnL7DfgGFWpc_2zMay3iY)"
    R"(ExDix1CMNqYG65l7LIAlo4KqUIWauP-6F9kXii1ObSt1Zg7_NT3HtQXbXPys3YaH17dPbkmzS-WmID_b1ALPySpA)"
    R"(NjhCZ3zfGnr8H1ZEAEuOcnWzxnOXJ2GBahs-Fr08GQ"},{"kty":"EC","kid":"ec-1","crv":"P-256","x":)"
    R"("AzQOTiQbtCsLjwTFc-aDPSPhALCJ5JCzSRN8Im13krE","y":"GzczuoZYuYj-j7HatEJNb8wz-Bp8J5gZTwW6N)"
    R"(p_doYk"}]})";

// What the seeds' signatures cover: "header.payload" of an RS256 and an ES256 token.
constexpr absl::string_view kSignedParts[] = {
    R"(eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.eyJpc3MiOiJodHRwczovL2lkcC50ZXN0L3JlYWxtcy90b2tl)"
    R"(bmdhdGUiLCJhdWQiOiJ0b2tlbmdhdGUiLCJhenAiOiJ0b2tlbmdhdGUiLCJleHAiOjE3MDAwMDAzMDAsImlhdCI6)"
    R"(MTcwMDAwMDAwMCwibm9uY2UiOiJuLTEiLCJ0eXAiOiJJRCIsInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJ0b2tl)"
    R"(bmdhdGUtYWRtaW4iXX0sInByZWZlcnJlZF91c2VybmFtZSI6ImFsaWNlIn0)",
    R"(eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjLTEifQ.eyJpc3MiOiJodHRwczovL2lkcC50ZXN0L3JlYWxtcy90b2tlb)"
    R"(mdhdGUiLCJhdWQiOiJ0b2tlbmdhdGUiLCJhenAiOiJ0b2tlbmdhdGUiLCJleHAiOjE3MDAwMDAzMDAsImlhdCI6M)"
    R"(TcwMDAwMDAwMCwibm9uY2UiOiJuLTEiLCJ0eXAiOiJJRCIsInJlYWxtX2FjY2VzcyI6eyJyb2xlcyI6WyJ0b2tlb)"
    R"(mdhdGUtYWRtaW4iXX0sInByZWZlcnJlZF91c2VybmFtZSI6ImFsaWNlIn0)",
};

JwksCache& Keys() {
  static const FakeClock clock(absl::FromUnixSeconds(1700000000));
  // The clock stands still, so the set is fetched once: unknown kids never refetch.
  static JwksCache cache([] { return absl::StatusOr<std::string>(std::string(kJwks)); }, absl::Hours(1),
                         &clock);
  return cache;
}

}  // namespace
}  // namespace tokengate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokengate;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto payload = VerifyJws(input, Keys());
  if (payload.ok()) {
    const absl::string_view signed_part = input.substr(0, input.rfind('.'));
    bool known = false;
    for (absl::string_view seed : kSignedParts) known = known || signed_part == seed;
    Require(known, "only a seed's signed bytes verify");
    const std::vector<absl::string_view> parts = absl::StrSplit(input, '.');
    Require(Base64UrlDecode(parts[1]) == *payload, "the payload is the token's second part");
  } else {
    Require(absl::IsUnauthenticated(payload.status()), "a refused token is UNAUTHENTICATED");
  }
  // The same bytes as a JWK set: any keys it yields are signing keys named by their kid.
  if (auto keys = ParseJwks(input); keys.ok()) {
    for (const auto& [kid, key] : *keys) Require(!kid.empty() && key->kid() == kid, "keys are named by kid");
  }
  return 0;
}
