#include "services/api/auth/oidc/session_store.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/base/base64url.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

std::string Sha256(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace

std::string RandomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    TG_LOG(Error) << "RAND_bytes failed: cannot make session secrets";
    std::abort();
  }
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string CodeChallengeS256(absl::string_view verifier) { return Base64UrlEncode(Sha256(verifier)); }

void SessionStore::DropExpiredLocked(absl::Time now) {
  std::erase_if(pending_, [now](const auto& entry) { return entry.second.expires_at <= now; });
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.ends_at <= now; });
}

std::string SessionStore::StartLogin(PendingLogin login) {
  const absl::Time now = clock_->Now();
  login.expires_at = now + limits_.pending_lifetime;
  std::string state = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_.size() >= limits_.max_pending) DropExpiredLocked(now);
  // Still full: the oldest login in progress gives way (its browser starts again).
  if (pending_.size() >= limits_.max_pending) {
    auto oldest = pending_.begin();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.expires_at < oldest->second.expires_at) oldest = it;
    }
    pending_.erase(oldest);
  }
  pending_.emplace(state, std::move(login));
  return state;
}

std::optional<PendingLogin> SessionStore::TakeLogin(absl::string_view state) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(std::string(state));
  if (it == pending_.end()) return std::nullopt;
  PendingLogin login = std::move(it->second);
  pending_.erase(it);
  if (login.expires_at <= clock_->Now()) return std::nullopt;
  return login;
}

std::string SessionStore::Create(Session session) {
  std::string id = RandomToken();
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= limits_.max_sessions) DropExpiredLocked(clock_->Now());
  if (sessions_.size() >= limits_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.ends_at < oldest->second.ends_at) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_.emplace(Sha256(id), std::move(session));
  return id;
}

std::optional<Session> SessionStore::Find(absl::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(Sha256(id));
  if (it == sessions_.end() || it->second.ends_at <= clock_->Now()) return std::nullopt;
  return it->second;
}

bool SessionStore::Update(absl::string_view id, const Session& session) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(Sha256(id));
  if (it == sessions_.end()) return false;
  it->second = session;
  return true;
}

std::optional<Session> SessionStore::Remove(absl::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(Sha256(id));
  if (it == sessions_.end()) return std::nullopt;
  Session session = std::move(it->second);
  sessions_.erase(it);
  return session;
}

size_t SessionStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace tokengate
