#include "services/api/auth/oidc/jws.h"

#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include <cjose/jws.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/base64url.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

absl::Status Invalid(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

struct JwsHeader {
  JwsAlg alg;
  std::string kid;
};

absl::StatusOr<JwsHeader> ParseHeader(absl::string_view encoded) {
  auto json = Base64UrlDecode(encoded);
  if (!json) return Invalid("Malformed token");
  simdjson::dom::parser parser;
  simdjson::dom::object header;
  if (parser.parse(*json).get_object().get(header) != simdjson::SUCCESS) return Invalid("Malformed token");
  // RFC 7515 §4: names are unique, or a parser must take the last. cjose's
  // parser takes the last and simdjson's lookup the first, so that the two
  // never disagree on alg or kid a repeated name is refused.
  std::vector<std::string_view> names;
  for (const auto& member : header) {
    if (std::find(names.begin(), names.end(), member.key) != names.end()) return Invalid("Malformed token");
    names.push_back(member.key);
  }
  std::string_view alg, kid;
  if (header["alg"].get_string().get(alg) != simdjson::SUCCESS) return Invalid("Token has no algorithm");
  JwsHeader out;
  if (alg == "RS256") {
    out.alg = JwsAlg::kRs256;
  } else if (alg == "ES256") {
    out.alg = JwsAlg::kEs256;
  } else {
    return Invalid("Token algorithm is not accepted (RS256 or ES256 only)");
  }
  // RFC 7515 §4.1.11: an extension we do not understand must not be ignored.
  if (header["crit"].error() != simdjson::NO_SUCH_FIELD) return Invalid("Token has critical extensions");
  if (header["kid"].get_string().get(kid) != simdjson::SUCCESS || kid.empty()) {
    return Invalid("Token has no key id");
  }
  out.kid = std::string(kid);
  return out;
}

}  // namespace

absl::StatusOr<std::string> VerifyJws(absl::string_view compact, JwksCache& keys) {
  const std::vector<absl::string_view> parts = absl::StrSplit(compact, '.');
  if (parts.size() != 3 || parts[2].empty()) return Invalid("Malformed token");
  // Debian's cjose 0.6.1 aborts the process on some malformed base64url (an
  // '=' inside a part) instead of failing, so cjose sees no part our strict
  // decoder refuses. The header is decoded by ParseHeader.
  auto payload = Base64UrlDecode(parts[1]);
  if (!payload || !Base64UrlDecode(parts[2])) return Invalid("Malformed token");
  TG_ASSIGN_OR_RETURN(auto header, ParseHeader(parts[0]));
  TG_ASSIGN_OR_RETURN(auto key, keys.KeyFor(header.kid));
  if (key->alg() != header.alg) return Invalid("Token algorithm does not match its key");

  cjose_err err;
  std::unique_ptr<cjose_jws_t, decltype(&cjose_jws_release)> jws(
      cjose_jws_import(compact.data(), compact.size(), &err), &cjose_jws_release);
  if (!jws) return Invalid("Malformed token");
  if (!cjose_jws_verify(jws.get(), key->key(), &err)) return Invalid("Signature verification failed");
  return *std::move(payload);
}

}  // namespace tokengate
