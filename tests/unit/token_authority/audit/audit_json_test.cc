#include "services/token_authority/audit/audit_json.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(AuditJsonTest, WritesTheDocumentedSchema) {
  AuditEntry entry{.id = 42, .at_unix_ms = 1764288000123};
  entry.record = AuditRecord{.event = "token.refreshed",
                             .actor = AuditActor{.kind = "user",
                                                 .name = "alice",
                                                 .client_address = "10.0.0.7",
                                                 .user_agent = "curl/8 \"x\"",
                                                 .request_id = "r1"},
                             .user_id = 7,
                             .user_name = "alice",
                             .token_id = "new",
                             .token_name = "etl",
                             .previous_token_id = "old",
                             .detail = "replaces token old"};
  EXPECT_EQ(
      AuditEventJson(entry),
      R"({"schema_version":1,"id":42,"time":"2025-11-28T00:00:00.123Z","event":"token.refreshed",)"
      R"("actor":{"kind":"user","name":"alice","client_address":"10.0.0.7","user_agent":"curl/8 \"x\"",)"
      R"("request_id":"r1"},"user":{"id":7,"name":"alice"},)"
      R"("token":{"id":"new","name":"etl","previous_id":"old"},"detail":"replaces token old"})");
}

TEST(AuditJsonTest, UnknownUserIdIsNull) {
  AuditEntry entry;
  entry.record.event = "management.failed";
  EXPECT_NE(AuditEventJson(entry).find(R"("user":{"id":null,"name":""})"), std::string::npos);
}

}  // namespace
}  // namespace tokengate
