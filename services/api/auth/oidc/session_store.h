// Server-side state of browser logins, in this process's memory: logins in
// progress (by `state`, single use, ten minutes) and sessions (by a random
// id that is the cookie's whole content). The IdP's tokens stay here and
// never reach the browser; ending a session here makes its cookie worthless
// at once. Both maps are bounded, so unauthenticated requests cannot grow
// them without limit.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"

namespace tokengate {

struct PendingLogin {
  std::string nonce;
  std::string code_verifier;
  std::string next;  // Where the browser goes after the login (a path here).
  absl::Time expires_at;
};

struct Session {
  std::string user_name;
  std::string email;   // From the IdP's claims, re-read at each refresh.
  bool admin = false;  // Likewise.
  std::vector<std::string> managed_service_accounts;  // Likewise (the group claim).
  std::string refresh_token;
  std::string id_token;  // For the IdP's logout (id_token_hint).
  absl::Time access_expires_at;  // Then refresh: the IdP says whether the session still lives.
  absl::Time ends_at;            // This api's own upper bound.
};

struct SessionStoreLimits {
  size_t max_pending = 10000;
  size_t max_sessions = 100000;
  absl::Duration pending_lifetime = absl::Minutes(10);
};

class SessionStore {
 public:
  SessionStore(SessionStoreLimits limits, const Clock* clock) : limits_(limits), clock_(clock) {}

  // A new random state for `login` (its expires_at is set here).
  std::string StartLogin(PendingLogin login);
  // The login of `state`, removed (a state works once); nullopt when unknown or expired.
  std::optional<PendingLogin> TakeLogin(absl::string_view state);

  // A new random session id.
  std::string Create(Session session);
  std::optional<Session> Find(absl::string_view id) const;
  // Replaces a live session's tokens after a refresh; false when it ended meanwhile.
  bool Update(absl::string_view id, const Session& session);
  std::optional<Session> Remove(absl::string_view id);
  size_t size() const;

 private:
  void DropExpiredLocked(absl::Time now);

  const SessionStoreLimits limits_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PendingLogin> pending_;
  // Keyed by SHA-256 of the id, so a lookup's timing says nothing about ids.
  std::unordered_map<std::string, Session> sessions_;
};

// 32 random bytes, base64url (43 characters).
std::string RandomToken();
// PKCE S256 challenge of a code verifier (RFC 7636 §4.2).
std::string CodeChallengeS256(absl::string_view verifier);

}  // namespace tokengate
