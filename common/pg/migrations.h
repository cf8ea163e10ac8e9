// Plain-SQL migrations, applied in name order, each once, recorded in
// schema_migrations. An advisory lock lets replicas start at the same time.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/pg/postgres.h"

namespace tokengate {

struct Migration {
  std::string name;  // File name, e.g. "0001_personal_tokens.sql".
  std::string sql;
};

// The files of deploy/migrations/, compiled into the binary.
const std::vector<Migration>& EmbeddedMigrations();

// Applies those not yet recorded; returns how many ran through `applied`.
absl::Status ApplyMigrations(PgConnection& conn, const std::vector<Migration>& migrations,
                             int* applied = nullptr);

}  // namespace tokengate
