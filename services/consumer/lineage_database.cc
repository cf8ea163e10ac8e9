#include "services/consumer/lineage_database.h"

#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/pg/migrations.h"
#include "services/consumer/lineage_writer.h"

namespace tokengate {
namespace {

// libpq's messages span lines; log records and Kafka headers must not.
absl::Status OneLine(const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(status.message()),
                                                         {{"\n\t", " "}, {"\n", " "}}));
}

}  // namespace

absl::Status LineageDatabase::Connect() {
  if (conn_ != nullptr && conn_->Healthy()) return absl::OkStatus();
  conn_.reset();
  auto conn = PgConnection::Connect(url_);
  if (!conn.ok()) return OneLine(conn.status());
  if (!migrated_) {
    int applied = 0;
    if (auto status = ApplyMigrations(**conn, EmbeddedMigrations(), &applied); !status.ok()) {
      return OneLine(status);
    }
    TG_LOG(Info) << "migrations up to date (" << applied << " applied now)";
    migrated_ = true;
  }
  conn_ = *std::move(conn);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LineageDatabase::Write(const std::vector<const RunEventFacts*>& events) {
  TG_RETURN_IF_ERROR(Connect());
  auto written = WriteLineageBatch(*conn_, events);
  // A broken connection is reopened on the next call; a failed transaction
  // on a live one was rolled back and the connection stays usable.
  if (!written.ok() && (!conn_->Healthy() || PQtransactionStatus(conn_->raw()) != PQTRANS_IDLE)) {
    conn_.reset();
  }
  if (!written.ok()) return OneLine(written.status());
  return written;
}

}  // namespace tokengate
