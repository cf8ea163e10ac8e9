// A token's limits: namespace patterns, networks, the checks of what a client
// sends and of narrowing, and what an edge allows.
#include "common/token/token_limits.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokengate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(NamespaceMatchesTest, ExactUnlessAStarStandsForAnyCharacters) {
  EXPECT_TRUE(NamespaceMatches("airflow-team-a", "airflow-team-a"));
  EXPECT_FALSE(NamespaceMatches("airflow-team-a", "airflow-team-ab"));
  EXPECT_FALSE(NamespaceMatches("airflow-team-a", "Airflow-team-a"));
  EXPECT_TRUE(NamespaceMatches("spark-*", "spark-"));
  EXPECT_TRUE(NamespaceMatches("spark-*", "spark-etl"));
  EXPECT_FALSE(NamespaceMatches("spark-*", "pyspark-etl"));
  EXPECT_TRUE(NamespaceMatches("s3://bucket-a*", "s3://bucket-a/x/y"));
  EXPECT_TRUE(NamespaceMatches("*://db-*:5432", "postgres://db-1:5432"));
  EXPECT_FALSE(NamespaceMatches("*://db-*:5432", "postgres://db-1:5433"));
  EXPECT_TRUE(NamespaceMatches("*", ""));
  EXPECT_FALSE(NamespaceMatches("a", ""));
}

TEST(NamespaceMatchesTest, PercentAndUnderscoreAreOrdinaryCharacters) {
  EXPECT_FALSE(NamespaceMatches("team_%", "team-a"));
  EXPECT_TRUE(NamespaceMatches("team_%", "team_%"));
}

TEST(PatternCoversTest, NarrowerPatternsAreWithinWiderOnes) {
  EXPECT_TRUE(PatternCovers("spark-*", "spark-etl-*"));
  EXPECT_TRUE(PatternCovers("spark-*", "spark-etl"));
  EXPECT_TRUE(PatternCovers("team-a", "team-a"));
  EXPECT_TRUE(PatternCovers("*", "anything-*"));
  EXPECT_TRUE(PatternCovers("*-a", "x*-a"));
  EXPECT_FALSE(PatternCovers("spark-etl-*", "spark-*"));
  EXPECT_FALSE(PatternCovers("team-a", "team-*"));
  EXPECT_FALSE(PatternCovers("team-a", "team-b"));
  EXPECT_FALSE(PatternCovers("a*b", "a*"));
}

std::vector<std::string> Codes(const std::vector<FieldIssue>& issues) {
  std::vector<std::string> codes;
  for (const auto& issue : issues) codes.push_back(issue.location.back() + ":" + issue.code);
  return codes;
}

TEST(CheckScopesTest, UnknownIsEnumAtItsIndexAndDuplicateIsAValueError) {
  EXPECT_THAT(CheckScopes({"all:read", "all:write"}), IsEmpty());
  auto unknown = CheckScopes({"all:read", "all:admin"});
  ASSERT_THAT(Codes(unknown), ElementsAre("scopes:enum"));
  EXPECT_EQ(unknown[0].location_index, 1);
  EXPECT_EQ(unknown[0].message, "Input should be 'all:read' or 'all:write'");
  EXPECT_THAT(Codes(CheckScopes({"all:read", "all:read"})), ElementsAre("scopes:value_error"));
}

TEST(CheckNamespacesTest, LengthsCountAndControlCharacters) {
  EXPECT_THAT(CheckNamespaces({"spark-*", std::string(255, 'a')}), IsEmpty());
  EXPECT_THAT(Codes(CheckNamespaces({""})), ElementsAre("namespaces:string_too_short"));
  EXPECT_THAT(Codes(CheckNamespaces({std::string(256, 'a')})), ElementsAre("namespaces:string_too_long"));
  EXPECT_THAT(CheckNamespaces({std::string(255, 'a') + "é"})[0].code, "string_too_long");
  EXPECT_THAT(Codes(CheckNamespaces({"ok", "new\nline"})), ElementsAre("namespaces:string_pattern_mismatch"));
  EXPECT_EQ(CheckNamespaces({"ok", "new\nline"})[0].location_index, 1);
  EXPECT_THAT(Codes(CheckNamespaces({"a", "a"})), ElementsAre("namespaces:value_error"));
  std::vector<std::string> many(21, "x");
  auto too_many = CheckNamespaces(many);
  ASSERT_THAT(Codes(too_many), ElementsAre("namespaces:too_long"));
  EXPECT_EQ(too_many[0].context_json, R"({"field_type":"List","max_length":20,"actual_length":21})");
}

TEST(CheckNetworksTest, CidrsAndAddressesBecomeCanonical) {
  std::vector<std::string> canonical;
  EXPECT_THAT(CheckNetworks({"10.0.0.0/8", "192.0.2.7", "2001:DB8::/32", "::1"}, &canonical), IsEmpty());
  EXPECT_THAT(canonical, ElementsAre("10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"));
}

TEST(CheckNetworksTest, BadPrefixHostBitsGarbageAndDuplicatesAreRefused) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.1/8", "not-an-address", "10.0.0.0/", "::/129", "10.0.0.0/-1",
                          "host.example"}) {
    auto issues = CheckNetworks({"127.0.0.1", bad});
    ASSERT_THAT(Codes(issues), ElementsAre("networks:value_error")) << bad;
    EXPECT_EQ(issues[0].location_index, 1) << bad;
  }
  auto duplicate = CheckNetworks({"10.0.0.0/8", "10.0.0.0/8"});
  ASSERT_THAT(Codes(duplicate), ElementsAre("networks:value_error"));
  EXPECT_FALSE(duplicate[0].location_index.has_value());
}

TEST(WiderTest, NarrowingPassesAndWideningNamesTheEntry) {
  EXPECT_FALSE(WiderScopes({"all:read", "all:write"}, {"all:write"}));
  auto scopes = WiderScopes({"all:write"}, {"all:read"});
  ASSERT_TRUE(scopes);
  EXPECT_EQ(scopes->message,
            "Value error, scopes would be wider than the token's: 'all:read' is not among them");
  EXPECT_FALSE(WiderNamespaces({}, {"team-a"}));
  EXPECT_FALSE(WiderNamespaces({"spark-*", "team-a"}, {"spark-etl", "team-a"}));
  EXPECT_TRUE(WiderNamespaces({"team-a"}, {"team-a", "team-b"}));
  EXPECT_FALSE(WiderNetworks({}, {"10.0.0.0/8"}));
  EXPECT_FALSE(WiderNetworks({"10.0.0.0/8", "::1/128"}, {"10.1.0.0/16", "::1/128"}));
  EXPECT_TRUE(WiderNetworks({"10.1.0.0/16"}, {"10.0.0.0/8"}));
  EXPECT_TRUE(WiderNetworks({"10.0.0.0/8"}, {"::/0"}));
}

TEST(TokenLimitsTest, NoLimitsAllowEverything) {
  TokenRestrictions none;
  EXPECT_TRUE(none.AllowsNamespace("anything"));
  EXPECT_TRUE(none.AllowsAddress("203.0.113.9"));
  EXPECT_TRUE(none.AllowsAddress("not an address"));
}

TEST(TokenLimitsTest, NetworksAllowOnlyTheirAddressesIpv4MappedCountingAsIpv4) {
  TokenRestrictions limits({}, {"127.0.0.2/32", "2001:db8::/32"});
  EXPECT_TRUE(limits.AllowsAddress("127.0.0.2"));
  EXPECT_TRUE(limits.AllowsAddress("::ffff:127.0.0.2"));
  EXPECT_TRUE(limits.AllowsAddress("2001:db8::7"));
  EXPECT_FALSE(limits.AllowsAddress("127.0.0.1"));
  EXPECT_FALSE(limits.AllowsAddress("2001:db9::7"));
  EXPECT_FALSE(limits.AllowsAddress(""));
  EXPECT_TRUE(limits.AllowsNamespace("anything"));
}

TEST(TokenLimitsTest, UnreadableNetworksFailClosed) {
  TokenRestrictions limits({}, {"garbage"});
  EXPECT_TRUE(limits.limits_networks());
  EXPECT_FALSE(limits.AllowsAddress("127.0.0.1"));
}

TEST(TokenLimitsTest, NamespacesAllowOnlyMatchingOnes) {
  TokenRestrictions limits({"tg-ns-*", "airflow"}, {});
  EXPECT_TRUE(limits.AllowsNamespace("tg-ns-a"));
  EXPECT_TRUE(limits.AllowsNamespace("airflow"));
  EXPECT_FALSE(limits.AllowsNamespace("other"));
  EXPECT_TRUE(limits.AllowsAddress("198.51.100.1"));
}

}  // namespace
}  // namespace tokengate
