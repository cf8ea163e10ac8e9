// The JSON form of an audit record on the Kafka topic (docs/audit-events.md,
// schema_version 1). Pure: no Kafka, no database.
#pragma once

#include <string>

#include "services/token_authority/audit/audit_record.h"

namespace tokengate {

inline constexpr int kAuditSchemaVersion = 1;

std::string AuditEventJson(const AuditEntry& entry);

}  // namespace tokengate
