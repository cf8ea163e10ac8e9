// Human login behind one interface, chosen by config, so a real provider
// (OIDC, LDAP…) can replace the dummy one without touching the endpoints.
// Providers answer who the person is; they do not mint tokens.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

class AuthProvider {
 public:
  virtual ~AuthProvider() = default;
  // The user name to act as, or UNAUTHENTICATED for wrong credentials.
  virtual absl::StatusOr<std::string> Authenticate(absl::string_view username,
                                                   absl::string_view password) const = 0;
};

// Accepts any user name with any password, as Data.Rentgen's dummy provider
// does: for local use and tests only.
class DummyAuthProvider final : public AuthProvider {
 public:
  absl::StatusOr<std::string> Authenticate(absl::string_view username,
                                           absl::string_view password) const override;
};

// The provider named `name` ("dummy"), or INVALID_ARGUMENT.
absl::StatusOr<std::unique_ptr<AuthProvider>> MakeAuthProvider(absl::string_view name);

}  // namespace tokengate
