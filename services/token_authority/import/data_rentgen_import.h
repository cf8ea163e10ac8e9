// `token-authority import-data-rentgen --from <libpq URL>`: copies a
// Data.Rentgen database's users and personal tokens into tokengate's tables,
// keeping their ids (a token's `jti` and `sub_id`), so that with the same
// secret and issuer every token it issued keeps working here and every revoked
// one stays revoked — a move without rotating the ETL jobs' tokens.
// One transaction on the target; running it again changes nothing except
// revocations made in Data.Rentgen since. Never reads or writes token content.
// Each token added and each revocation carried over is audited (actor kind
// "system", name "import-data-rentgen") in the same transaction.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/pg/postgres.h"

namespace tokengate {

struct DataRentgenImportCounts {
  int64_t users_added = 0;
  int64_t users_present = 0;  // Same id and name here already.
  int64_t tokens_added = 0;
  int64_t tokens_revoked = 0;  // Live here, revoked in Data.Rentgen since the last import.
  int64_t tokens_present = 0;  // Nothing to change.
};

// "users: 2 added, 0 already here; personal tokens: 5 added, 0 newly revoked, 0 already here".
std::string FormatCounts(const DataRentgenImportCounts& counts);

// Reads `source` (a Data.Rentgen database, in one consistent snapshot) and
// writes `target` (tokengate's, migrated) in one transaction. Fails, changing
// nothing, when an id or name clashes with different data here: a user id
// with another name, a user name with another id, a token id of another
// user, or a live token overlapping a live one of the same name and user.
absl::StatusOr<DataRentgenImportCounts> ImportFromDataRentgen(PgConnection& source, PgConnection& target);

}  // namespace tokengate
