#include "tests/integration/token_authority/authority_fixture.h"

#include "absl/strings/str_cat.h"

namespace tokengate::testing {

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return context;
}

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

void AuthorityTest::SetUp() {
  authority_ = StartAuthority();
  ASSERT_NE(authority_, nullptr);
  stub_ = StubFor(authority_->port());
}

std::map<std::string, std::string> AuthorityTest::AuthorityEnv(
    std::map<std::string, std::string> extra) const {
  std::map<std::string, std::string> env = {
      {"TOKENGATE_DATABASE_URL", db_.url()},      {"TOKENGATE_SECRET_KEY", kTestSecret},
      {"TOKENGATE_GRPC_LISTEN", "127.0.0.1:0"},   {"TOKENGATE_USAGE_FLUSH_SECONDS", "1"},
      {"TOKENGATE_WATCH_HEARTBEAT_SECONDS", "1"},
  };
  for (auto& [key, value] : extra) env[key] = value;
  return env;
}

std::unique_ptr<ChildProcess> AuthorityTest::StartAuthority(std::map<std::string, std::string> extra) {
  auto process =
      std::make_unique<ChildProcess>(BinaryPath("token-authority"), AuthorityEnv(std::move(extra)));
  if (process->StartAndWaitForPort() <= 0) {
    ADD_FAILURE() << "authority did not start:\n" << process->Log();
    return nullptr;
  }
  return process;
}

std::unique_ptr<v1::TokenAuthority::Stub> AuthorityTest::StubFor(int port) {
  return v1::TokenAuthority::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
}

v1::IssueTokenResponse AuthorityTest::Issue(const std::string& user, const std::string& name,
                                            const std::string& until) {
  v1::IssueTokenRequest request;
  request.set_user_name(user);
  request.set_name(name);
  request.set_until(until);
  v1::IssueTokenResponse response;
  auto status = stub_->IssueToken(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::VerifyTokenResponse AuthorityTest::Verify(const std::string& token, v1::TokenAuthority::Stub* stub) {
  v1::VerifyTokenRequest request;
  request.set_token(token);
  v1::VerifyTokenResponse response;
  auto status = (stub ? stub : stub_.get())->VerifyToken(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

grpc::Status AuthorityTest::Revoke(const std::string& user, const std::string& id) {
  v1::RevokeTokenRequest request;
  request.set_user_name(user);
  request.set_token_id(id);
  v1::RevokeTokenResponse response;
  return stub_->RevokeToken(Context().get(), request, &response);
}

}  // namespace tokengate::testing
