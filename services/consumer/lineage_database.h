// The consumer's one PostgreSQL connection: opened lazily (migrations applied
// on first contact), dropped when it breaks, reopened on the next call. The
// consumer loop decides when to retry; this class never sleeps.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/postgres.h"
#include "services/consumer/event_parser.h"

namespace tokengate {

class LineageDatabase {
 public:
  explicit LineageDatabase(std::string url) : url_(std::move(url)) {}

  // Connects (and migrates) if not connected yet. UNAVAILABLE while the
  // server cannot be reached.
  absl::Status Connect();
  // WriteLineageBatch on the connection; rows written.
  absl::StatusOr<int64_t> Write(const std::vector<const RunEventFacts*>& events);

 private:
  const std::string url_;
  std::unique_ptr<PgConnection> conn_;
  bool migrated_ = false;
};

}  // namespace tokengate
