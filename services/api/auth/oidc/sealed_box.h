// Authenticated encryption of the secrets a session keeps in PostgreSQL (the
// IdP's refresh and ID tokens, a login's PKCE verifier): AES-256-GCM under a
// key derived from the api's session secret, bound to the row it belongs to,
// so a database reader sees neither and cannot move one to another row.
// It must not be used for anything the browser holds: cookies stay random ids.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

class SealedBox {
 public:
  // Any secret of at least 32 bytes; every replica must have the same one.
  explicit SealedBox(absl::string_view secret);

  // nonce (12 bytes) || ciphertext || tag (16 bytes). `row` is authenticated, not stored.
  std::string Seal(absl::string_view plain, absl::string_view row) const;
  // INVALID_ARGUMENT when `sealed` was not sealed for `row` under this key
  // (another replica's random key, a swapped or altered row).
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view row) const;

 private:
  std::array<unsigned char, 32> key_;
};

// Several strings as one, for sealing together: each length-prefixed.
std::string PackFields(const std::vector<absl::string_view>& fields);
// The fields of PackFields; INVALID_ARGUMENT unless there are exactly `count`.
absl::StatusOr<std::vector<std::string>> UnpackFields(absl::string_view packed, size_t count);

}  // namespace tokengate
