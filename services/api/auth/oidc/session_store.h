// Server-side state of browser logins, in PostgreSQL (tables oidc_login and
// session, migration 0007) so that every api replica serves every browser:
// logins in progress (by `state`, single use, ten minutes) and sessions (by a
// random id that is the cookie's whole content). Rows are keyed by SHA-256 of
// those values; the IdP's tokens and the PKCE verifier are sealed (SealedBox)
// and never reach the browser, a log or a row in clear. Ending a session here
// makes its cookie worthless on every replica at once. Logins in progress are
// bounded, so unauthenticated requests cannot grow the table without limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/periodic_task.h"
#include "common/pg/postgres.h"
#include "services/api/auth/oidc/sealed_box.h"

namespace tokengate {

struct PendingLogin {
  std::string nonce;
  std::string code_verifier;
  std::string next;  // Where the browser goes after the login (a path here).
  absl::Time expires_at;
};

struct Session {
  std::string user_name;
  std::string email;                                  // From the IdP's claims, re-read at each refresh.
  bool admin = false;                                 // Likewise.
  std::vector<std::string> managed_service_accounts;  // Likewise (the group claim).
  std::string refresh_token;
  std::string id_token;          // For the IdP's logout (id_token_hint).
  absl::Time access_expires_at;  // Then refresh: the IdP says whether the session still lives.
  absl::Time ends_at;            // This api's own upper bound.
};

struct SessionStoreLimits {
  // Sessions need a successful IdP login and are pruned when they end, so
  // only logins in progress (anyone can start one) have a cap.
  size_t max_pending = 10000;
  absl::Duration pending_lifetime = absl::Minutes(10);
};

// Every method fails UNAVAILABLE when PostgreSQL cannot be reached.
class SessionStore {
 public:
  // `secret`: the session secret (>= 32 bytes), the same on every replica.
  SessionStore(PgPool* pool, absl::string_view secret, SessionStoreLimits limits, const Clock* clock);

  // A new random state for `login` (its expires_at is set here).
  absl::StatusOr<std::string> StartLogin(PendingLogin login);
  // The login of `state`, removed (a state works once); nullopt when unknown or expired.
  absl::StatusOr<std::optional<PendingLogin>> TakeLogin(absl::string_view state);

  // A new random session id.
  absl::StatusOr<std::string> Create(const Session& session);
  // nullopt when unknown, ended, or sealed under another secret.
  absl::StatusOr<std::optional<Session>> Find(absl::string_view id);
  // Replaces a live session's tokens and claims after a refresh; false when it ended meanwhile.
  absl::StatusOr<bool> Update(absl::string_view id, const Session& session);
  absl::StatusOr<std::optional<Session>> Remove(absl::string_view id);

  // Deletes ended sessions and expired logins; 0 when another replica is at it.
  absl::StatusOr<int64_t> PruneOnce();
  // PruneOnce every `interval` on a thread of its own, until destruction.
  void StartPruning(absl::Duration interval);

 private:
  absl::StatusOr<std::optional<Session>> SessionOfRow(const PgResult& result,
                                                      absl::string_view id_hash) const;

  PgPool* pool_;
  const SealedBox box_;
  const SessionStoreLimits limits_;
  const Clock* clock_;
  PeriodicTask pruner_;  // Last: stops before the members it uses go.
};

// 32 random bytes, base64url (43 characters).
std::string RandomToken();
// PKCE S256 challenge of a code verifier (RFC 7636 §4.2).
std::string CodeChallengeS256(absl::string_view verifier);

}  // namespace tokengate
