// Test fixture: a fresh database and a real token-authority process on a
// free port, with a gRPC stub to it. Tests may start more processes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/test_database.h"
#include "tokengate/v1/token_authority.grpc.pb.h"

namespace tokengate::testing {

inline const std::string kTestSecret = "test-secret-0123456789-0123456789-abcdef";

class AuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Environment of an authority on this test's database; `extra` overrides.
  std::map<std::string, std::string> AuthorityEnv(std::map<std::string, std::string> extra = {}) const;
  // Starts another authority process; fails the test if it does not come up.
  std::unique_ptr<ChildProcess> StartAuthority(std::map<std::string, std::string> extra = {});
  static std::unique_ptr<v1::TokenAuthority::Stub> StubFor(int port);

  v1::IssueTokenResponse Issue(const std::string& user, const std::string& name,
                               const std::string& until = "");
  v1::VerifyTokenResponse Verify(const std::string& token, v1::TokenAuthority::Stub* stub = nullptr);
  grpc::Status Revoke(const std::string& user, const std::string& id);

  TestDatabase db_;
  std::unique_ptr<ChildProcess> authority_;
  std::unique_ptr<v1::TokenAuthority::Stub> stub_;
};

// A context with a 5 s deadline (every RPC has one).
std::unique_ptr<grpc::ClientContext> Context();
// The trailing metadata value `key` of a finished call, or "".
std::string Trailer(const grpc::ClientContext& context, const std::string& key);

}  // namespace tokengate::testing
