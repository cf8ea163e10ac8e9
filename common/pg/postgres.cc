#include "common/pg/postgres.h"

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/field_error.h"

namespace tokengate {
namespace {

std::atomic<uint64_t> g_unavailable_errors{0};

// Marked, so the authority can tell its callers that the database is what is down.
absl::Status DatabaseUnavailable(absl::string_view message) {
  g_unavailable_errors.fetch_add(1, std::memory_order_relaxed);
  absl::Status status = absl::UnavailableError(message);
  status.SetPayload(kCodePayload, absl::Cord(kDatabaseUnavailableCode));
  return status;
}

absl::Status StatusFromResult(PGconn* conn, const PGresult* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const absl::string_view sqlstate = state != nullptr ? state : "";
  std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  message = std::string(absl::StripTrailingAsciiWhitespace(message));
  if (PQstatus(conn) != CONNECTION_OK || absl::StartsWith(sqlstate, "08") ||
      absl::StartsWith(sqlstate, "57P") || sqlstate == "53300") {
    return DatabaseUnavailable(absl::StrCat("database unavailable: ", message));
  }
  if (sqlstate == "23505" || sqlstate == "23P01") {
    return absl::AlreadyExistsError(message);
  }
  // Deadlock or serialization failure: the transaction may simply be run again.
  if (sqlstate == "40P01" || sqlstate == "40001") {
    return absl::AbortedError(absl::StrCat("database conflict ", sqlstate, ": ", message));
  }
  return absl::InternalError(absl::StrCat("database error ", sqlstate, ": ", message));
}

}  // namespace

uint64_t DatabaseUnavailableErrors() { return g_unavailable_errors.load(std::memory_order_relaxed); }

int64_t PgResult::GetInt(int row, int column) const {
  int64_t value = 0;
  (void)absl::SimpleAtoi(Get(row, column), &value);
  return value;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
    PQfinish(conn);
    return DatabaseUnavailable(absl::StrCat("database unavailable: ", message));
  }
  // Server NOTICEs ("relation already exists, skipping") are not ours to print.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view sql, const std::vector<PgParam>& params) {
  // libpq reads each parameter as a C string: a NUL would silently cut it
  // (`victim\0x` would be `victim`), so such a value is refused, never sent.
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i] && params[i]->find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter $", i + 1, " contains a NUL byte, which PostgreSQL text cannot hold"));
    }
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  const std::string query(sql);
  PgResult result(PQexecParams(conn_.get(), query.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return StatusFromResult(conn_.get(), result.raw());
}

absl::Status PgConnection::ExecScript(const std::string& sql) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return StatusFromResult(conn_.get(), result.raw());
}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_));
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const bool got = released_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < size_; });
  if (!got) return absl::UnavailableError("database pool exhausted");
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = PgConnection::Connect(url_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    released_.notify_one();
    return conn.status();
  }
  return Lease(this, *std::move(conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->Healthy() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // Broken or mid-transaction: drop it; the next Acquire reconnects.
  }
  released_.notify_one();
}

}  // namespace tokengate
