// The CLI's output helpers: tables, timestamps, token states, redaction.
#include "services/cli/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokengate::cli {
namespace {

TEST(CliTableTest, PadsColumnsToTheWidestCellWithoutTrailingBlanks) {
  Table table({"ID", "NAME"});
  table.AddRow({"1", "a-long-name"});
  table.AddRow({"12345", ""});
  EXPECT_EQ(table.Render(), "ID     NAME\n1      a-long-name\n12345\n");
}

TEST(CliFormatTest, UnixTimesAreRfc3339InUtcAndZeroIsNever) {
  EXPECT_EQ(FormatUnix(1764288000), "2025-11-28T00:00:00Z");
  EXPECT_EQ(FormatUnix(0), "");
  EXPECT_EQ(FormatUnixMs(1764288000123), "2025-11-28T00:00:00.123Z");
}

TEST(CliTokenStateTest, RevokedThenExpiredThenActive) {
  const absl::Time now = absl::FromUnixSeconds(1764331200);  // 2025-11-28T12:00Z
  v1::PersonalToken token;
  token.set_until("2025-11-28");
  EXPECT_EQ(TokenState(token, now), "active");
  token.set_until("2025-11-27");
  EXPECT_EQ(TokenState(token, now), "expired");
  token.set_revoked_at_unix(1);
  EXPECT_EQ(TokenState(token, now), "revoked");
}

TEST(CliRedactTokensTest, CutsEveryTokenDownToItsPrefix) {
  EXPECT_EQ(RedactTokens("bad personal_token_eyJa.b-c.d_e= here, PERSONAL_TOKEN_x."),
            "bad personal_token_<redacted> here, personal_token_<redacted>");
  EXPECT_EQ(RedactTokens("nothing secret"), "nothing secret");
}

TEST(CliTokenJsonTest, AbsentTimesAndAddressesAreNull) {
  v1::PersonalToken token;
  token.set_id("0193");
  token.set_name("ci");
  token.add_scopes("all:read");
  token.set_since("2025-11-28");
  token.set_until("2026-11-28");
  JsonWriter json;
  WriteTokenJson(json, token, absl::FromUnixSeconds(1764331200));
  EXPECT_EQ(
      json.str(),
      R"({"id":"0193","name":"ci","user_name":null,"scopes":["all:read"],"namespaces":[],"networks":[],)"
      R"("since":"2025-11-28","until":"2026-11-28","state":"active","revoked_at":null,"last_used_at":null,)"
      R"("last_used_from":null})");
}

TEST(CliTokenJsonTest, LimitsAreListed) {
  v1::PersonalToken token;
  token.add_namespaces("spark-*");
  token.add_networks("10.0.0.0/8");
  token.add_networks("::1/128");
  JsonWriter json;
  WriteTokenJson(json, token, absl::FromUnixSeconds(1764331200));
  EXPECT_THAT(json.str(),
              testing::HasSubstr(R"("namespaces":["spark-*"],"networks":["10.0.0.0/8","::1/128"])"));
}

TEST(CliLimitsTest, NoLimitIsAnyAndListsAreCommaSeparated) {
  v1::PersonalToken token;
  EXPECT_EQ(LimitText(token.namespaces()), "any");
  token.add_namespaces("spark-*");
  token.add_namespaces("airflow");
  EXPECT_EQ(LimitText(token.namespaces()), "spark-*,airflow");
}

}  // namespace
}  // namespace tokengate::cli
