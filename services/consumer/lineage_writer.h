// Writes parsed run events to the lineage tables: one transaction per batch,
// a handful of set-based upserts (not one statement per event). Idempotent:
// writing the same events again changes no row, and the merged state of a run
// does not depend on the order its events arrive in.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/postgres.h"
#include "services/consumer/event_parser.h"

namespace tokengate {

// Returns how many rows were inserted or changed. UNAVAILABLE when the
// database went away (retry the whole batch); any other error means the
// database rejected something in it.
absl::StatusOr<int64_t> WriteLineageBatch(PgConnection& conn,
                                          const std::vector<const RunEventFacts*>& events);

}  // namespace tokengate
