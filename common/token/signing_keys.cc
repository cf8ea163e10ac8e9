#include "common/token/signing_keys.h"

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

constexpr size_t kMinSecretBytes = 32;

absl::Status CheckSecret(absl::string_view kid, absl::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key '", kid, "' is shorter than ", kMinSecretBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SigningKeyring> SigningKeyring::Parse(absl::string_view single, absl::string_view multi) {
  std::vector<SigningKey> keys;
  if (!multi.empty()) {
    absl::flat_hash_set<std::string> seen;
    for (absl::string_view entry : absl::StrSplit(multi, ',', absl::SkipWhitespace())) {
      entry = absl::StripAsciiWhitespace(entry);
      const size_t colon = entry.find(':');
      if (colon == absl::string_view::npos || colon == 0) {
        return absl::InvalidArgumentError("signing keys must look like kid1:secret1,kid2:secret2");
      }
      SigningKey key{std::string(entry.substr(0, colon)), std::string(entry.substr(colon + 1))};
      TG_RETURN_IF_ERROR(CheckSecret(key.kid, key.secret));
      if (!seen.insert(key.kid).second) {
        return absl::InvalidArgumentError(absl::StrCat("signing key id '", key.kid, "' is listed twice"));
      }
      keys.push_back(std::move(key));
    }
  } else if (!single.empty()) {
    TG_RETURN_IF_ERROR(CheckSecret("(single)", single));
    keys.push_back(SigningKey{"", std::string(single)});
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("no signing key: set TOKENGATE_SECRET_KEY or TOKENGATE_SIGNING_KEYS");
  }
  return SigningKeyring(std::move(keys));
}

const SigningKey* SigningKeyring::Find(absl::string_view kid) const {
  for (const auto& key : keys_) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

}  // namespace tokengate
