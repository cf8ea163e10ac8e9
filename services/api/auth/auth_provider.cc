#include "services/api/auth/auth_provider.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokengate {

absl::StatusOr<std::string> DummyAuthProvider::Authenticate(absl::string_view username,
                                                            absl::string_view) const {
  if (username.empty()) return absl::UnauthenticatedError("Wrong credentials");
  return std::string(username);
}

absl::StatusOr<std::unique_ptr<AuthProvider>> MakeAuthProvider(absl::string_view name) {
  if (name == "dummy") return std::make_unique<DummyAuthProvider>();
  return absl::InvalidArgumentError(absl::StrCat("unknown auth provider '", name, "'"));
}

}  // namespace tokengate
