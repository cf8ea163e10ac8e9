// Mutual TLS between callers and the real token-authority binary: a
// throw-away PKI (tests/support/make-test-pki.sh) per test, an authority on
// port 0 with TOKENGATE_TLS_*, and callers that differ only by certificate.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate::testing {
namespace {

constexpr char kSecret[] = "mtls-test-secret-0123456789-0123456789";
constexpr char kPlaintextWarning[] = "gRPC is plaintext on";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return context;
}

class AuthorityMtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/tokengate-pki-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    pki_ = dir;
    const std::string command = absl::StrCat(TG_MAKE_TEST_PKI, " ", pki_, " >", pki_, "/make.log 2>&1");
    ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(pki_ + "/make.log");
  }

  void TearDown() override { std::filesystem::remove_all(pki_); }

  std::map<std::string, std::string> Env(const std::string& listen, bool tls) const {
    std::map<std::string, std::string> env = {
        {"TOKENGATE_DATABASE_URL", db_.url()},
        {"TOKENGATE_SECRET_KEY", kSecret},
        {"TOKENGATE_GRPC_LISTEN", listen},
        {"TOKENGATE_WATCH_HEARTBEAT_SECONDS", "1"},
    };
    if (tls) {
      env["TOKENGATE_TLS_CERT_FILE"] = Pki("server.crt");
      env["TOKENGATE_TLS_KEY_FILE"] = Pki("server.key");
      env["TOKENGATE_TLS_CA_FILE"] = Pki("ca.crt");
    }
    return env;
  }

  // Starts an authority; returns its port, or -1 with a test failure.
  int Start(const std::string& listen, bool tls, std::map<std::string, std::string> extra = {}) {
    auto env = Env(listen, tls);
    env.merge(extra);
    authority_ = std::make_unique<ChildProcess>(BinaryPath("token-authority"), env);
    const int port = authority_->StartAndWaitForPort();
    EXPECT_GT(port, 0) << "authority did not start:\n" << authority_->Log();
    return port;
  }

  int StartTls() { return Start("127.0.0.1:0", true); }

  std::string Pki(const std::string& file) const { return pki_ + "/" + file; }

  // A stub that trusts the test CA and presents `client` (a PKI name), or no
  // certificate when `client` is empty.
  std::unique_ptr<v1::TokenAuthority::Stub> StubAs(int port, const std::string& client) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(Pki("ca.crt"));
    if (!client.empty()) {
      options.pem_private_key = ReadFile(Pki(client + ".key"));
      options.pem_cert_chain = ReadFile(Pki(client + ".crt"));
    }
    return v1::TokenAuthority::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options)));
  }

  static grpc::Status Issue(v1::TokenAuthority::Stub& stub, v1::IssueTokenResponse* response) {
    v1::IssueTokenRequest request;
    request.set_user_name("alice");
    request.set_name("mtls");
    return stub.IssueToken(Context().get(), request, response);
  }

  static grpc::Status Verify(v1::TokenAuthority::Stub& stub, const std::string& token,
                             v1::VerifyTokenResponse* response) {
    v1::VerifyTokenRequest request;
    request.set_token(token);
    return stub.VerifyToken(Context().get(), request, response);
  }

  // A token issued through the api identity, for the Verify tests.
  std::string IssuedToken(int port) {
    v1::IssueTokenResponse issued;
    auto status = Issue(*StubAs(port, "api"), &issued);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return issued.content();
  }

  TestDatabase db_;
  std::string pki_;
  std::unique_ptr<ChildProcess> authority_;
};

TEST_F(AuthorityMtlsTest, ApiIdentityMayIssueTokens) {
  const int port = StartTls();
  v1::IssueTokenResponse issued;
  const grpc::Status status = Issue(*StubAs(port, "api"), &issued);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_FALSE(issued.content().empty());
}

TEST_F(AuthorityMtlsTest, ApiIdentityMayVerifyTokens) {
  const int port = StartTls();
  const std::string token = IssuedToken(port);
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "api"), token, &verified);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_TRUE(verified.valid()) << verified.reason();
}

TEST_F(AuthorityMtlsTest, Http2kafkaIdentityMayVerifyTokens) {
  const int port = StartTls();
  const std::string token = IssuedToken(port);
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "http2kafka"), token, &verified);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_TRUE(verified.valid()) << verified.reason();
}

TEST_F(AuthorityMtlsTest, Http2kafkaIdentityMayWatchRevocations) {
  const int port = StartTls();
  auto stub = StubAs(port, "http2kafka");
  auto context = Context();
  auto stream = stub->WatchRevocations(context.get(), v1::WatchRevocationsRequest());
  v1::RevocationEvent heartbeat;
  ASSERT_TRUE(stream->Read(&heartbeat)) << "stream ended: " << stream->Finish().error_message();
  EXPECT_TRUE(heartbeat.token_id().empty());
  context->TryCancel();
}

TEST_F(AuthorityMtlsTest, Http2kafkaIdentityMayNotIssueTokens) {
  const int port = StartTls();
  v1::IssueTokenResponse issued;
  const grpc::Status status = Issue(*StubAs(port, "http2kafka"), &issued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token"), "0");
}

TEST_F(AuthorityMtlsTest, Http2kafkaIdentityMayNotRevokeAUsersTokensAndTheAttemptIsAudited) {
  const int port = StartTls();
  IssuedToken(port);
  v1::RevokeUserTokensRequest request;
  request.set_user_name("alice");
  v1::RevokeUserTokensResponse response;
  const grpc::Status status =
      StubAs(port, "http2kafka")->RevokeUserTokens(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(db_.Query("SELECT count(*) FROM personal_token WHERE revoked_at IS NOT NULL"), "0");
  EXPECT_EQ(db_.Query("SELECT actor_kind || ' ' || actor_name || ' ' || detail FROM audit_event "
                      "WHERE event = 'management.failed'"),
            "admin tokengate-http2kafka RevokeUserTokens: caller 'tokengate-http2kafka' may not call "
            "RevokeUserTokens");
  v1::AdminListTokensResponse listed;
  EXPECT_EQ(StubAs(port, "http2kafka")
                ->AdminListTokens(Context().get(), v1::AdminListTokensRequest(), &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthorityMtlsTest, IdentityGrantedTheAdminRpcsMayOffboardButNotIssue) {
  const int port =
      Start("127.0.0.1:0", true,
            {{"TOKENGATE_TLS_CLIENT_POLICY", "tokengate-api=*;stranger=AdminListTokens|RevokeUserTokens"}});
  ASSERT_GT(port, 0);
  IssuedToken(port);
  auto admin = StubAs(port, "stranger");
  v1::RevokeUserTokensRequest request;
  request.set_user_name("alice");
  v1::RevokeUserTokensResponse response;
  const grpc::Status status = admin->RevokeUserTokens(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.revoked_count(), 1);
  // Without an Actor in the request, the audit trail names the certificate.
  EXPECT_EQ(
      db_.Query("SELECT actor_kind || ' ' || actor_name FROM audit_event WHERE event = 'token.revoked'"),
      "admin stranger");
  v1::IssueTokenResponse issued;
  EXPECT_EQ(Issue(*admin, &issued).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthorityMtlsTest, IdentityMayComeFromDnsSubjectAltName) {
  const int port = StartTls();
  const std::string token = IssuedToken(port);
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "san-http2kafka"), token, &verified);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_TRUE(verified.valid()) << verified.reason();
}

TEST_F(AuthorityMtlsTest, UnknownIdentityMayNotVerifyTokens) {
  const int port = StartTls();
  const std::string token = IssuedToken(port);
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "stranger"), token, &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_FALSE(verified.valid());
}

TEST_F(AuthorityMtlsTest, ClientWithoutCertificateIsRefused) {
  const int port = StartTls();
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, ""), "personal_token_x.y.z", &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(AuthorityMtlsTest, ExpiredClientCertificateIsRefused) {
  const int port = StartTls();
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "expired"), "personal_token_x.y.z", &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(AuthorityMtlsTest, ClientCertificateFromAnotherCaIsRefused) {
  const int port = StartTls();
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*StubAs(port, "foreign"), "personal_token_x.y.z", &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(AuthorityMtlsTest, PlaintextClientIsRefusedOnTheTlsPort) {
  const int port = StartTls();
  auto stub = v1::TokenAuthority::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  v1::VerifyTokenResponse verified;
  const grpc::Status status = Verify(*stub, "personal_token_x.y.z", &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(AuthorityMtlsTest, PlaintextOnAllInterfacesLogsAWarning) {
  ASSERT_GT(Start("0.0.0.0:0", false), 0);
  EXPECT_NE(authority_->Log().find(kPlaintextWarning), std::string::npos) << authority_->Log();
}

TEST_F(AuthorityMtlsTest, PlaintextOnLoopbackLogsNoWarning) {
  ASSERT_GT(Start("127.0.0.1:0", false), 0);
  EXPECT_EQ(authority_->Log().find(kPlaintextWarning), std::string::npos) << authority_->Log();
}

}  // namespace
}  // namespace tokengate::testing
