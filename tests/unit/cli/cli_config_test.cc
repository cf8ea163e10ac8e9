// The command line of `tokengate`: what each command needs, what the
// environment supplies, and that a token is never taken from argv.
#include "services/cli/cli_config.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/cli/token_shaped_text.h"

namespace tokengate::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kToken = TokenShapedText();

EnvLookup Env(std::map<std::string, std::string> values = {}) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<CliConfig> Parse(std::vector<std::string> args, EnvLookup env = Env()) {
  return ParseCommandLine(args, env);
}

const std::vector<std::string> kTls = {"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem"};

std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more = kTls) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(CliConfigTest, VerifyWithMutualTlsParses) {
  auto config = Parse(With({"verify", "--authority", "auth:7000", "--timeout", "2.5"}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->command, Command::kVerify);
  EXPECT_EQ(config->authority, "auth:7000");
  EXPECT_EQ(config->tls_cert_file, "c.pem");
  EXPECT_EQ(config->timeout, absl::Milliseconds(2500));
  EXPECT_FALSE(config->plaintext);
}

TEST(CliConfigTest, FlagsMayComeBeforeTheCommandAndInEqualsForm) {
  auto config = Parse(With({"--json", "--authority=auth:7000", "tokens", "list", "--user=alice"}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->command, Command::kTokensList);
  EXPECT_TRUE(config->json);
  EXPECT_EQ(config->user, "alice");
}

TEST(CliConfigTest, TokenAsPositionalArgumentIsRefusedWithoutRepeatingIt) {
  auto config = Parse(With({"verify", kToken}));
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("refusing a token on the command line"));
  EXPECT_THAT(config.status().message(), Not(HasSubstr("eyJ")));
}

TEST(CliConfigTest, BareJwtAsArgumentIsRefused) {
  auto config = Parse(With({"verify", JwtShapedText()}));
  EXPECT_THAT(config.status().message(), HasSubstr("refusing a token"));
}

TEST(CliConfigTest, TokenAsAFlagValueIsRefused) {
  auto config = Parse(With({"verify", "--token=" + kToken}));
  EXPECT_THAT(config.status().message(), HasSubstr("refusing a token"));
}

TEST(CliConfigTest, UnknownFlagIsNamedWithoutItsValue) {
  auto config = Parse(With({"verify", "--colour=secret-value"}));
  EXPECT_EQ(config.status().message(), "unknown flag --colour");
}

TEST(CliConfigTest, EnvironmentSuppliesTheConnection) {
  auto config = Parse({"verify"}, Env({{"TOKENGATE_AUTHORITY_ADDRESS", "env-host:50051"},
                                       {"TOKENGATE_TLS_CERT_FILE", "c"},
                                       {"TOKENGATE_TLS_KEY_FILE", "k"},
                                       {"TOKENGATE_TLS_CA_FILE", "ca"},
                                       {"TOKENGATE_TIMEOUT", "500ms"},
                                       {"USER", "carol"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->authority, "env-host:50051");
  EXPECT_EQ(config->tls_ca_file, "ca");
  EXPECT_EQ(config->timeout, absl::Milliseconds(500));
  EXPECT_EQ(config->actor_name, "carol");
}

TEST(CliConfigTest, FlagsWinOverTheEnvironment) {
  auto config = Parse(With({"verify", "--authority", "flag-host:1", "--as", "admin-bob"}),
                      Env({{"TOKENGATE_AUTHORITY_ADDRESS", "env-host:2"}, {"USER", "carol"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->authority, "flag-host:1");
  EXPECT_EQ(config->actor_name, "admin-bob");
}

TEST(CliConfigTest, WithoutTlsFilesPlaintextMustBeAskedFor) {
  auto config = Parse({"verify"});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("--tls-cert, --tls-key, --tls-ca"));
  EXPECT_THAT(config.status().message(), HasSubstr("--plaintext"));
  EXPECT_TRUE(Parse({"verify", "--plaintext"}).ok());
  EXPECT_TRUE(Parse({"verify"}, Env({{"TOKENGATE_PLAINTEXT", "true"}})).ok());
}

TEST(CliConfigTest, PartialTlsNamesWhatIsMissing) {
  auto config = Parse({"verify", "--tls-cert", "c.pem"});
  EXPECT_THAT(config.status().message(), HasSubstr("needs --tls-key, --tls-ca"));
}

TEST(CliConfigTest, PlaintextAndTlsFilesExcludeEachOther) {
  auto config = Parse(With({"verify", "--plaintext"}));
  EXPECT_THAT(config.status().message(), HasSubstr("exclude each other"));
}

TEST(CliConfigTest, BadAuthorityAddressIsRefused) {
  EXPECT_THAT(Parse(With({"verify", "--authority", "no-port"})).status().message(), HasSubstr("--authority"));
}

TEST(CliConfigTest, TimeoutMustBePositiveAndBounded) {
  EXPECT_FALSE(Parse(With({"verify", "--timeout", "0"})).ok());
  EXPECT_FALSE(Parse(With({"verify", "--timeout", "11m"})).ok());
  EXPECT_FALSE(Parse(With({"verify", "--timeout", "soon"})).ok());
  EXPECT_FALSE(Parse(With({"verify", "--timeout", "nan"})).ok());
  EXPECT_FALSE(Parse(With({"verify"}), Env({{"TOKENGATE_TIMEOUT", "-1"}})).ok());
}

TEST(CliConfigTest, TokensListNeedsAUserOrAllUsers) {
  EXPECT_THAT(Parse(With({"tokens", "list"})).status().message(), HasSubstr("--user NAME or --all-users"));
  EXPECT_THAT(Parse(With({"tokens", "list", "--user", "a", "--all-users"})).status().message(),
              HasSubstr("exclude each other"));
  auto all = Parse(With({"tokens", "list", "--all-users", "--active", "--page", "2", "--page-size", "50"}));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->all_users);
  EXPECT_TRUE(all->active_only);
  EXPECT_EQ(all->page, 2);
  EXPECT_EQ(all->page_size, 50);
}

TEST(CliConfigTest, PageSizeOutsideOneToFiftyIsRefused) {
  EXPECT_FALSE(Parse(With({"tokens", "list", "--all-users", "--page-size", "51"})).ok());
  EXPECT_FALSE(Parse(With({"tokens", "list", "--all-users", "--page", "0"})).ok());
}

TEST(CliConfigTest, TokensRevokeTakesTheOwnerAndACanonicalisedId) {
  auto config = Parse(With({"tokens", "revoke", "--user", "alice", "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->command, Command::kTokensRevoke);
  EXPECT_EQ(config->token_id, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
}

TEST(CliConfigTest, TokensRevokeRefusesWhatIsNotAnId) {
  EXPECT_THAT(Parse(With({"tokens", "revoke", "--user", "alice", "my-token"})).status().message(),
              HasSubstr("is not a token ID"));
  EXPECT_THAT(Parse(With({"tokens", "revoke", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"})).status().message(),
              HasSubstr("needs --user NAME"));
  EXPECT_THAT(Parse(With({"tokens", "revoke", "--user", "alice"})).status().message(),
              HasSubstr("needs a token ID"));
}

TEST(CliConfigTest, UsersRevokeTokensTakesOneName) {
  auto config = Parse(With({"users", "revoke-tokens", "leaver"}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->command, Command::kUsersRevokeTokens);
  EXPECT_EQ(config->user, "leaver");
  EXPECT_THAT(Parse(With({"users", "revoke-tokens", "a", "b"})).status().message(),
              HasSubstr("unexpected argument 'b'"));
}

TEST(CliConfigTest, AFlagOfAnotherCommandIsRefused) {
  EXPECT_THAT(Parse(With({"verify", "--user", "alice"})).status().message(),
              HasSubstr("--user does not apply"));
  EXPECT_THAT(Parse(With({"tokens", "list", "--user", "a", "--token-file", "t"})).status().message(),
              HasSubstr("--token-file does not apply"));
}

TEST(CliConfigTest, UnknownCommandsAreNamed) {
  EXPECT_THAT(Parse({"issue"}).status().message(), HasSubstr("unknown command 'issue'"));
  EXPECT_THAT(Parse({"tokens", "delete"}).status().message(),
              HasSubstr("unknown sub-command 'tokens delete'"));
  EXPECT_THAT(Parse({"users"}).status().message(), HasSubstr("revoke-tokens"));
  EXPECT_THAT(Parse({}).status().message(), HasSubstr("no command given"));
}

TEST(CliConfigTest, HelpAndVersionNeedNoConnection) {
  EXPECT_EQ(Parse({"--help"})->command, Command::kHelp);
  EXPECT_EQ(Parse({"tokens", "list", "-h"})->command, Command::kHelp);
  EXPECT_EQ(Parse({"--version"})->command, Command::kVersion);
}

TEST(CliConfigTest, TokenFileNamedLikeATokenIsAccepted) {
  auto config = Parse(With({"verify", "--token-file", "/secrets/personal_token_ci.txt"}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token_file, "/secrets/personal_token_ci.txt");
}

TEST(CliConfigTest, BooleanFlagsTakeNoValue) {
  EXPECT_THAT(Parse(With({"verify", "--json=yes"})).status().message(), HasSubstr("--json takes no value"));
}

TEST(CliLooksLikeTokenTest, RecognisesTokensAndLeavesOtherArgumentsAlone) {
  EXPECT_TRUE(LooksLikeToken(kToken));
  EXPECT_TRUE(LooksLikeToken("PERSONAL_TOKEN_a.b.c"));
  EXPECT_TRUE(LooksLikeToken("Bearer personal_token_eyJhbGciOiJIUzI1NiJ9"));
  EXPECT_FALSE(LooksLikeToken("/secrets/personal_token_ci.txt"));
  EXPECT_FALSE(LooksLikeToken("personal_token_ci.txt"));
  EXPECT_FALSE(LooksLikeToken("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
  EXPECT_FALSE(LooksLikeToken("alice"));
  EXPECT_FALSE(LooksLikeToken("auth.example.com:50051"));
}

}  // namespace
}  // namespace tokengate::cli
