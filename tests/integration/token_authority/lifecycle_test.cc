// The authority's life: start-up checks, its own PostgreSQL going away and
// coming back, and SIGTERM with streams open.
#include <cstdlib>

#include <gmock/gmock.h>

#include "absl/strings/str_cat.h"
#include "common/pg/migrations.h"
#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

using ::testing::HasSubstr;

// A PostgreSQL cluster of its own, so stopping it disturbs no other test.
class OwnPostgres {
 public:
  OwnPostgres() : port_(FreePort()) {
    char dir[] = "/tmp/tokengate-pg-XXXXXX";
    dir_ = mkdtemp(dir);
    EXPECT_EQ(Run("start"), 0);
  }
  ~OwnPostgres() {
    Run("stop");
    std::system(absl::StrCat("rm -rf ", dir_).c_str());
  }
  int Run(const std::string& command) const {
    const std::string line =
        absl::StrCat("PG_DIR=", dir_, " PG_PORT=", port_, " PG_FSYNC=off ", RequiredEnv("TOKENGATE_ROOT"),
                     "/deploy/local/postgres.sh ", command, " >/dev/null");
    return std::system(line.c_str());
  }
  std::string url() const { return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/postgres"); }

 private:
  std::string dir_;
  int port_;
};

grpc::StatusCode IssueCode(v1::TokenAuthority::Stub* stub, const std::string& name) {
  v1::IssueTokenRequest request;
  request.set_user_name("alice");
  request.set_name(name);
  v1::IssueTokenResponse response;
  return stub->IssueToken(Context().get(), request, &response).error_code();
}

TEST_F(AuthorityTest, DatabaseOutageIsUnavailableAndHealsWithoutRestart) {
  OwnPostgres postgres;
  auto authority = StartAuthority({{"TOKENGATE_DATABASE_URL", postgres.url()}});
  ASSERT_NE(authority, nullptr);
  auto stub = StubFor(authority->port());
  ASSERT_EQ(IssueCode(stub.get(), "before"), grpc::StatusCode::OK);
  v1::IssueTokenRequest issue;
  issue.set_user_name("alice");
  issue.set_name("unseen");
  v1::IssueTokenResponse unseen;
  ASSERT_TRUE(stub->IssueToken(Context().get(), issue, &unseen).ok());

  ASSERT_EQ(postgres.Run("stop"), 0);
  EXPECT_EQ(IssueCode(stub.get(), "during"), grpc::StatusCode::UNAVAILABLE);
  // Fails closed: a token it cannot look up is an error, never "valid".
  v1::VerifyTokenRequest verify;
  verify.set_token(unseen.content());
  v1::VerifyTokenResponse answer;
  EXPECT_EQ(stub->VerifyToken(Context().get(), verify, &answer).error_code(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_EQ(postgres.Run("start"), 0);
  EXPECT_TRUE(Eventually([&] { return IssueCode(stub.get(), "after") == grpc::StatusCode::OK; },
                         std::chrono::seconds(10)));
  EXPECT_TRUE(
      Eventually([&] { return stub->VerifyToken(Context().get(), verify, &answer).ok() && answer.valid(); },
                 std::chrono::seconds(10)));
}

TEST_F(AuthorityTest, SigtermWithAnOpenWatchStreamExitsZero) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub_->WatchRevocations(&context, v1::WatchRevocationsRequest());
  v1::RevocationEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(authority_->Terminate(std::chrono::seconds(10)), 0);
  while (reader->Read(&event)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(authority_->Log(), HasSubstr("stopped"));
}

TEST_F(AuthorityTest, MigrateCommandIsIdempotent) {
  for (int run = 0; run < 2; ++run) {
    ChildProcess migrate(BinaryPath("token-authority"), AuthorityEnv(), {"migrate"});
    migrate.StartAndWaitForPort(std::chrono::milliseconds(1));
    EXPECT_EQ(migrate.WaitForExit(std::chrono::seconds(20)), 0) << migrate.Log();
  }
  EXPECT_EQ(db_.Query("SELECT count(*) FROM schema_migrations"), absl::StrCat(EmbeddedMigrations().size()));
}

TEST_F(AuthorityTest, BadConfigurationIsRefusedWithOneLine) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"TOKENGATE_SECRET_KEY", "short"}}, "shorter than 32 bytes"},
      {{{"TOKENGATE_MAX_DURATION_DAYS", "zero"}}, "TOKENGATE_MAX_DURATION_DAYS"},
      {{{"TOKENGATE_TOKEN_ALGORITHM", "none"}}, "unsupported token algorithm"},
      {{{"TOKENGATE_DATABASE_URL", ""}}, "TOKENGATE_DATABASE_URL: must be set"},
  };
  for (const auto& [env, message] : cases) {
    ChildProcess bad(BinaryPath("token-authority"), AuthorityEnv(env));
    bad.StartAndWaitForPort(std::chrono::milliseconds(1));
    EXPECT_EQ(bad.WaitForExit(std::chrono::seconds(10)), 2);
    EXPECT_THAT(bad.Log(), HasSubstr(message));
    EXPECT_THAT(bad.Log(), ::testing::Not(HasSubstr("short\n")));
  }
}

TEST_F(AuthorityTest, PortInUseIsAClearFailure) {
  ChildProcess second(
      BinaryPath("token-authority"),
      AuthorityEnv({{"TOKENGATE_GRPC_LISTEN", absl::StrCat("127.0.0.1:", authority_->port())}}));
  second.StartAndWaitForPort(std::chrono::milliseconds(1));
  EXPECT_EQ(second.WaitForExit(std::chrono::seconds(10)), 1);
  EXPECT_THAT(second.Log(), HasSubstr("cannot listen"));
}

TEST_F(AuthorityTest, SecretFileIsReadLikeKubernetesMountsIt) {
  char path[] = "/tmp/tokengate-secret-XXXXXX";
  const int fd = mkstemp(path);
  const std::string content = kTestSecret + "\n";
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  const auto issued = Issue("alice", "etl");
  auto env = AuthorityEnv({{"TOKENGATE_SECRET_KEY_FILE", path}});
  env.erase("TOKENGATE_SECRET_KEY");
  ChildProcess from_file(BinaryPath("token-authority"), env);
  ASSERT_GT(from_file.StartAndWaitForPort(), 0) << from_file.Log();
  EXPECT_TRUE(Verify(issued.content(), StubFor(from_file.port()).get()).valid());
  unlink(path);
}

}  // namespace
}  // namespace tokengate::testing
