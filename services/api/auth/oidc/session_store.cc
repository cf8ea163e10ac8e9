#include "services/api/auth/oidc/session_store.h"

#include <cstdlib>
#include <vector>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/base64url.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace tokengate {
namespace {

// The transaction advisory lock that lets one api replica prune at a time.
constexpr int64_t kPruneLock = 7305412291;

std::string Sha256(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// A row's key as libpq's text parameters carry it (decode($n, 'hex') in SQL).
std::string RowKey(absl::string_view secret_value) { return absl::BytesToHexString(Sha256(secret_value)); }

// Times travel as whole microseconds, so the injected clock decides what has expired.
std::string Micros(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }
absl::Time FromMicros(absl::string_view text) {
  int64_t micros = 0;
  (void)absl::SimpleAtoi(text, &micros);
  return absl::FromUnixMicros(micros);
}
std::string At(int param) {
  return absl::StrCat("('epoch'::timestamptz + $", param, "::bigint * interval '1 microsecond')");
}
std::string MicrosOf(absl::string_view column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

const std::string& SessionColumns() {
  static const std::string kColumns =
      absl::StrCat("user_name, email, admin, encode(sealed_tokens, 'hex'), ", MicrosOf("access_expires_at"),
                   ", ", MicrosOf("ends_at"), ", managed_service_accounts");
  return kColumns;
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

SessionStore::SessionStore(PgPool* pool, absl::string_view secret, SessionStoreLimits limits,
                           const Clock* clock)
    : pool_(pool), box_(secret), limits_(limits), clock_(clock) {}

absl::StatusOr<std::string> SessionStore::StartLogin(PendingLogin login) {
  const absl::Time now = clock_->Now();
  std::string state = RandomToken();
  const std::string key = RowKey(state);
  const std::string sealed = box_.Seal(PackFields({login.nonce, login.code_verifier, login.next}), key);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  // Full: the oldest logins give way (their browsers start again); expired ones are the oldest.
  TG_RETURN_IF_ERROR(conn->Exec(
      absl::StrCat(
          "WITH gone AS (DELETE FROM oidc_login WHERE state_hash IN (SELECT state_hash FROM oidc_login "
          "ORDER BY expires_at LIMIT greatest((SELECT count(*) FROM oidc_login) - $4::bigint + 1, 0))) "
          "INSERT INTO oidc_login (state_hash, sealed, expires_at) "
          "VALUES (decode($1, 'hex'), decode($2, 'hex'), ",
          At(3), ")"),
      {key, absl::BytesToHexString(sealed), Micros(now + limits_.pending_lifetime),
       absl::StrCat(limits_.max_pending)}));
  return state;
}

absl::StatusOr<std::optional<PendingLogin>> SessionStore::TakeLogin(absl::string_view state) {
  const std::string key = RowKey(state);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(auto taken,
                      conn->Exec(absl::StrCat("DELETE FROM oidc_login WHERE state_hash = decode($1, 'hex') "
                                              "RETURNING encode(sealed, 'hex'), ",
                                              MicrosOf("expires_at")),
                                 {key}));
  if (taken.rows() == 0) return std::nullopt;
  const absl::Time expires_at = FromMicros(taken.Get(0, 1));
  if (expires_at <= clock_->Now()) return std::nullopt;
  auto plain = box_.Open(Unhex(taken.Get(0, 0)), key);
  if (!plain.ok()) {
    TG_LOG(Warning) << "a login started under another session secret was refused (do all api replicas share "
                       "TOKENGATE_SESSION_SECRET?)";
    return std::nullopt;
  }
  auto fields = UnpackFields(*plain, 3);
  if (!fields.ok()) return std::nullopt;
  return PendingLogin{
      .nonce = (*fields)[0], .code_verifier = (*fields)[1], .next = (*fields)[2], .expires_at = expires_at};
}

absl::StatusOr<std::string> SessionStore::Create(const Session& session) {
  std::string id = RandomToken();
  const std::string key = RowKey(id);
  const std::string sealed = box_.Seal(PackFields({session.refresh_token, session.id_token}), key);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_RETURN_IF_ERROR(conn->Exec(
      absl::StrCat(
          "INSERT INTO session (id_hash, user_name, email, admin, sealed_tokens, access_expires_at, ends_at, "
          "managed_service_accounts) VALUES (decode($1, 'hex'), $2, $3, $4, decode($5, 'hex'), ",
          At(6), ", ", At(7), ", $8)"),
      {key, session.user_name, session.email, session.admin ? "true" : "false",
       absl::BytesToHexString(sealed), Micros(session.access_expires_at), Micros(session.ends_at),
       absl::StrJoin(session.managed_service_accounts, ",")}));
  return id;
}

absl::StatusOr<std::optional<Session>> SessionStore::SessionOfRow(const PgResult& result,
                                                                  absl::string_view key) const {
  if (result.rows() == 0) return std::nullopt;
  auto plain = box_.Open(Unhex(result.Get(0, 3)), key);
  if (!plain.ok()) {
    TG_LOG(Warning) << "a session sealed under another session secret was refused (do all api replicas share "
                       "TOKENGATE_SESSION_SECRET?)";
    return std::nullopt;
  }
  auto tokens = UnpackFields(*plain, 2);
  if (!tokens.ok()) return std::nullopt;
  return Session{.user_name = std::string(result.Get(0, 0)),
                 .email = std::string(result.Get(0, 1)),
                 .admin = result.Get(0, 2) == "t",
                 .managed_service_accounts = absl::StrSplit(result.Get(0, 6), ',', absl::SkipEmpty()),
                 .refresh_token = (*tokens)[0],
                 .id_token = (*tokens)[1],
                 .access_expires_at = FromMicros(result.Get(0, 4)),
                 .ends_at = FromMicros(result.Get(0, 5))};
}

absl::StatusOr<std::optional<Session>> SessionStore::Find(absl::string_view id) {
  const std::string key = RowKey(id);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(auto found, conn->Exec(absl::StrCat("SELECT ", SessionColumns(),
                                                          " FROM session WHERE id_hash = decode($1, 'hex') "
                                                          "AND ends_at > ",
                                                          At(2)),
                                             {key, Micros(clock_->Now())}));
  return SessionOfRow(found, key);
}

absl::StatusOr<bool> SessionStore::Update(absl::string_view id, const Session& session) {
  const std::string key = RowKey(id);
  const std::string sealed = box_.Seal(PackFields({session.refresh_token, session.id_token}), key);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  auto updated =
      conn->Exec(absl::StrCat("UPDATE session SET email = $2, admin = $3, sealed_tokens = decode($4, 'hex'), "
                              "access_expires_at = ",
                              At(5),
                              ", managed_service_accounts = $7 "
                              "WHERE id_hash = decode($1, 'hex') AND ends_at > ",
                              At(6), " RETURNING 1"),
                 {key, session.email, session.admin ? "true" : "false", absl::BytesToHexString(sealed),
                  Micros(session.access_expires_at), Micros(clock_->Now()),
                  absl::StrJoin(session.managed_service_accounts, ",")});
  if (!updated.ok()) return updated.status();
  return updated->rows() == 1;
}

absl::StatusOr<std::optional<Session>> SessionStore::Remove(absl::string_view id) {
  const std::string key = RowKey(id);
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  TG_ASSIGN_OR_RETURN(
      auto removed,
      conn->Exec(
          absl::StrCat("DELETE FROM session WHERE id_hash = decode($1, 'hex') RETURNING ", SessionColumns()),
          {key}));
  return SessionOfRow(removed, key);
}

absl::StatusOr<int64_t> SessionStore::PruneOnce() {
  TG_ASSIGN_OR_RETURN(auto conn, pool_->Acquire());
  const std::string now = Micros(clock_->Now());
  int64_t pruned = 0;
  absl::Status status = InTransaction(*conn, [&]() -> absl::Status {
    TG_ASSIGN_OR_RETURN(auto locked,
                        conn->Exec("SELECT pg_try_advisory_xact_lock($1)", {absl::StrCat(kPruneLock)}));
    if (locked.Get(0, 0) != "t") return absl::OkStatus();
    for (absl::string_view table_and_end : {"session WHERE ends_at", "oidc_login WHERE expires_at"}) {
      TG_ASSIGN_OR_RETURN(auto deleted,
                          conn->Exec(absl::StrCat("WITH gone AS (DELETE FROM ", table_and_end, " <= ", At(1),
                                                  " RETURNING 1) SELECT count(*) FROM gone"),
                                     {now}));
      pruned += deleted.GetInt(0, 0);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pruned;
}

void SessionStore::StartPruning(absl::Duration interval) {
  pruner_.Start(interval, [this] {
    auto pruned = PruneOnce();
    if (!pruned.ok()) {
      TG_LOG(Warning) << "ended sessions not pruned, will retry: " << pruned.status().message();
    } else if (*pruned > 0) {
      TG_LOG(Info) << "pruned " << *pruned << " ended sessions and expired logins";
    }
  });
}

}  // namespace tokengate
