// libpq, thinly wrapped: RAII results, parameterised queries returning
// absl::Status, and a small connection pool that reconnects by itself.
// A parameter holding a NUL byte is INVALID_ARGUMENT before anything is sent
// (libpq would cut it there). Errors map to codes once, here: connection
// loss → UNAVAILABLE, unique or exclusion violation → ALREADY_EXISTS,
// deadlock or serialization failure → ABORTED (worth running again), anything
// else → INTERNAL.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokengate {

// Connections that could not be made or were lost (every UNAVAILABLE this file
// returned) since the process started, for the metrics.
uint64_t DatabaseUnavailableErrors();

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  absl::string_view Get(int row, int column) const {
    return absl::string_view(PQgetvalue(result_.get(), row, column),
                             static_cast<size_t>(PQgetlength(result_.get(), row, column)));
  }
  int64_t GetInt(int row, int column) const;
  const PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

using PgParam = std::optional<std::string>;  // nullopt is SQL NULL.

class PgConnection {
 public:
  // UNAVAILABLE when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& url);

  absl::StatusOr<PgResult> Exec(absl::string_view sql, const std::vector<PgParam>& params = {});
  // Several statements, no parameters (simple query protocol): migrations.
  absl::Status ExecScript(const std::string& sql);
  // False once the connection is known broken; the pool then drops it.
  bool Healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  PGconn* raw() { return conn_.get(); }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn, &PQfinish) {}
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
};

// Runs BEGIN … COMMIT around `body`; ROLLBACK when it fails.
template <typename Body>
auto InTransaction(PgConnection& conn, Body body) -> decltype(body()) {
  if (auto begin = conn.Exec("BEGIN"); !begin.ok()) return begin.status();
  auto result = body();
  if (!result.ok()) {
    (void)conn.Exec("ROLLBACK");
    return result;
  }
  if (auto commit = conn.Exec("COMMIT"); !commit.ok()) return commit.status();
  return result;
}

class PgPool {
 public:
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    PgConnection* operator->() { return conn_.get(); }
    PgConnection& operator*() { return *conn_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  PgPool(std::string url, int size) : url_(std::move(url)), size_(size) {}
  // Waits up to `wait` for a free connection; opens one when under `size`.
  absl::StatusOr<Lease> Acquire(std::chrono::milliseconds wait = std::chrono::milliseconds(2000));
  const std::string& url() const { return url_; }

 private:
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const int size_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
};

}  // namespace tokengate
