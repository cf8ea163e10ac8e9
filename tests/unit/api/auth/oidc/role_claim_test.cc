// The admin role from IdP claims: a claim path into nested objects, whose
// value is a list of strings or a string; and the email/admin of CheckClaims.
#include "services/api/auth/oidc/role_claim.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/api/auth/oidc/claims.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

bool Has(const std::string& json, absl::string_view path, absl::string_view role = "tokengate-admin") {
  simdjson::dom::parser parser;
  simdjson::dom::object claims;
  EXPECT_EQ(parser.parse(json).get_object().get(claims), simdjson::SUCCESS) << json;
  return ClaimHasRole(claims, path, role);
}

TEST(RoleClaimTest, KeycloakRealmRolesList) {
  const std::string claims =
      R"({"realm_access":{"roles":["offline_access","tokengate-admin","uma_authorization"]}})";
  EXPECT_TRUE(Has(claims, "realm_access.roles"));
  EXPECT_FALSE(Has(claims, "realm_access.roles", "tokengate-auditor"));
}

TEST(RoleClaimTest, UserWithoutTheRoleIsNoAdmin) {
  EXPECT_FALSE(Has(R"({"realm_access":{"roles":["offline_access"]}})", "realm_access.roles"));
  EXPECT_FALSE(Has(R"({"realm_access":{"roles":[]}})", "realm_access.roles"));
}

TEST(RoleClaimTest, MissingClaimIsNoAdmin) {
  EXPECT_FALSE(Has(R"({"preferred_username":"bob"})", "realm_access.roles"));
  EXPECT_FALSE(Has(R"({"realm_access":{}})", "realm_access.roles"));
  EXPECT_FALSE(Has(R"({"realm_access":"tokengate-admin"})", "realm_access.roles"));
}

TEST(RoleClaimTest, GroupsClaimAsListOrSingleString) {
  EXPECT_TRUE(Has(R"({"groups":["staff","tokengate-admin"]})", "groups"));
  EXPECT_TRUE(Has(R"({"groups":"tokengate-admin"})", "groups"));
  EXPECT_FALSE(Has(R"({"groups":"tokengate-admins"})", "groups"));
  // Keycloak's group mapper with full paths: the configured role must say so.
  EXPECT_TRUE(Has(R"({"groups":["/ops/tokengate-admin"]})", "groups", "/ops/tokengate-admin"));
}

TEST(RoleClaimTest, ValuesOfOtherTypesNeverMatch) {
  EXPECT_FALSE(Has(R"({"groups":[1,true,null,{"name":"tokengate-admin"},["tokengate-admin"]]})", "groups"));
  EXPECT_FALSE(Has(R"({"groups":{"tokengate-admin":true}})", "groups"));
  EXPECT_FALSE(Has(R"({"groups":true})", "groups"));
}

TEST(RoleClaimTest, ComparisonIsExact) {
  EXPECT_FALSE(Has(R"({"groups":["TOKENGATE-ADMIN"," tokengate-admin"]})", "groups"));
}

TEST(RoleClaimTest, NamespacedClaimWithDotsIsFoundWhole) {
  EXPECT_TRUE(Has(R"({"https://example.com/roles":["tokengate-admin"]})", "https://example.com/roles"));
  EXPECT_TRUE(Has(R"({"resource_access":{"tokengate":{"roles":["tokengate-admin"]}}})",
                  "resource_access.tokengate.roles"));
}

TEST(RoleClaimTest, EmptyPathOrRoleNeverMatches) {
  EXPECT_FALSE(Has(R"({"":["tokengate-admin"]})", ""));
  EXPECT_FALSE(Has(R"({"groups":[""]})", "groups", ""));
}

TEST(ClaimsAdminTest, CheckClaimsReadsEmailAndAdmin) {
  constexpr int64_t kNow = 1700000000;
  const std::string json = absl::StrCat(R"({"iss":"https://idp.test/r","aud":"tokengate","exp":)", kNow + 300,
                                        R"(,"preferred_username":"carol","email":"carol@example.com",)",
                                        R"("realm_access":{"roles":["tokengate-admin"]}})");
  ClaimRules rules{.issuer = "https://idp.test/r",
                   .client_id = "tokengate",
                   .use = TokenUse::kAccessToken,
                   .admin_claim = "realm_access.roles",
                   .admin_role = "tokengate-admin"};
  auto claims = CheckClaims(json, rules, absl::FromUnixSeconds(kNow));
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->email, "carol@example.com");
  EXPECT_TRUE(claims->admin);
  rules.admin_role = "other";
  claims = CheckClaims(json, rules, absl::FromUnixSeconds(kNow));
  ASSERT_THAT(claims, IsOk());
  EXPECT_FALSE(claims->admin);
}

std::vector<std::string> Managed(const std::string& json, absl::string_view pattern = "tokengate-sa-{name}",
                                 absl::string_view path = "groups") {
  simdjson::dom::parser parser;
  simdjson::dom::object claims;
  EXPECT_EQ(parser.parse(json).get_object().get(claims), simdjson::SUCCESS) << json;
  return ClaimServiceAccounts(claims, path, pattern);
}

TEST(ServiceAccountGroupsTest, GroupsMatchingThePatternNameTheAccountsSortedOnce) {
  EXPECT_EQ(
      Managed(
          R"({"groups":["tokengate-sa-etl-prod","staff","tokengate-sa-airflow","tokengate-sa-etl-prod"]})"),
      (std::vector<std::string>{"airflow", "etl-prod"}));
}

TEST(ServiceAccountGroupsTest, KeycloakFullGroupPathsMatchByTheirLastSegment) {
  EXPECT_EQ(Managed(R"({"groups":["/teams/data/tokengate-sa-etl-prod","/tokengate-sa-spark"]})"),
            (std::vector<std::string>{"etl-prod", "spark"}));
}

TEST(ServiceAccountGroupsTest, ASuffixAfterTheNameIsMatchedToo) {
  EXPECT_EQ(Managed(R"({"groups":["sa-etl-managers","sa--managers","sa-x"]})", "sa-{name}-managers"),
            (std::vector<std::string>{"etl"}));
}

TEST(ServiceAccountGroupsTest, NothingWithoutTheClaimAPatternOrAName) {
  EXPECT_TRUE(Managed(R"({"preferred_username":"carol"})").empty());
  EXPECT_TRUE(Managed(R"({"groups":["tokengate-sa-"]})").empty()) << "an empty name is no account";
  EXPECT_TRUE(Managed(R"({"groups":["tokengate-sa-etl"]})", "").empty());
  EXPECT_TRUE(Managed(R"({"groups":["tokengate-sa-etl"]})", "tokengate-sa-").empty());
  EXPECT_TRUE(Managed(R"({"groups":["tokengate-sa-etl"]})", "tokengate-sa-{name}", "").empty());
}

TEST(ServiceAccountGroupsTest, CheckClaimsCarriesTheGroupsAccounts) {
  constexpr int64_t kNow = 1700000000;
  const std::string json =
      absl::StrCat(R"({"iss":"https://idp.test/r","aud":"tokengate","exp":)", kNow + 300,
                   R"(,"preferred_username":"carol","groups":["/tokengate-sa-etl-prod"]})");
  auto claims = CheckClaims(json,
                            ClaimRules{.issuer = "https://idp.test/r",
                                       .client_id = "tokengate",
                                       .use = TokenUse::kAccessToken,
                                       .group_claim = "groups",
                                       .group_pattern = "tokengate-sa-{name}"},
                            absl::FromUnixSeconds(kNow));
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->managed_service_accounts, std::vector<std::string>{"etl-prod"});
}

}  // namespace
}  // namespace tokengate
