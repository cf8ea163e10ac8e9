// VerifyToken over real gRPC: answers for good and bad tokens, key rotation,
// and the standard health service.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "common/token/token_codec.h"
#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

using ::testing::ElementsAre;

const std::string kKey1(40, '1');
const std::string kKey2(40, '2');

TEST_F(AuthorityTest, ValidTokenAnswersWithOwnerScopesAndBoundedTtl) {
  const auto issued = Issue("alice", "etl");
  const auto answer = Verify(issued.content());
  EXPECT_TRUE(answer.valid());
  EXPECT_EQ(answer.token_id(), issued.token().id());
  EXPECT_EQ(answer.user_name(), "alice");
  EXPECT_GT(answer.user_id(), 0);
  EXPECT_THAT(answer.scopes(), ElementsAre("all:read", "all:write"));
  EXPECT_GT(answer.expires_at_unix(), absl::ToUnixSeconds(absl::Now()));
  EXPECT_GT(answer.cache_ttl_seconds(), 0);
  EXPECT_LE(answer.cache_ttl_seconds(), 60);
}

TEST_F(AuthorityTest, GarbageIsAnAnswerNotAnError) {
  for (const std::string& token : {std::string(""), std::string("personal_token_x"),
                                   std::string("Bearer abc"), std::string(100000, 'x')}) {
    const auto answer = Verify(token);
    EXPECT_FALSE(answer.valid());
    EXPECT_EQ(answer.reason(), "Invalid token");
    EXPECT_GT(answer.cache_ttl_seconds(), 0);
  }
}

TEST_F(AuthorityTest, TokenSignedWithAnotherKeyFailsSignature) {
  const auto issued = Issue("alice", "etl");
  TokenClaims claims{.issuer = "tokengate",
                     .token_id = issued.token().id(),
                     .token_name = "etl",
                     .user_id = Verify(issued.content()).user_id(),
                     .user_name = "alice",
                     .scope = "all:read all:write",
                     .issued_at = 0,
                     .not_before = 0,
                     .expires_at = absl::ToUnixSeconds(absl::Now()) + 3600};
  const auto other = *SigningKeyring::Parse(kKey1, "");
  const auto answer = Verify(EncodePersonalToken(claims, other.Newest(), JwsAlgorithm::kHS256));
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), "Signature verification failed");
}

TEST_F(AuthorityTest, ForgedClaimsCannotImpersonateAnotherUser) {
  const auto issued = Issue("alice", "etl");
  // Even with the key, a token id belongs to its row's user only.
  TokenClaims claims{.issuer = "tokengate",
                     .token_id = issued.token().id(),
                     .token_name = "etl",
                     .user_id = 999999,
                     .user_name = "mallory",
                     .scope = "all:read all:write",
                     .issued_at = 0,
                     .not_before = 0,
                     .expires_at = absl::ToUnixSeconds(absl::Now()) + 3600};
  const auto keys = *SigningKeyring::Parse(kTestSecret, "");
  EXPECT_FALSE(Verify(EncodePersonalToken(claims, keys.Newest(), JwsAlgorithm::kHS256)).valid());
}

TEST_F(AuthorityTest, RotatedKeysKeepOldTokensAndRemovedKeysDropThem) {
  auto v1_authority = StartAuthority({{"TOKENGATE_SIGNING_KEYS", absl::StrCat("k1:", kKey1)}});
  ASSERT_NE(v1_authority, nullptr);
  stub_ = StubFor(v1_authority->port());
  const auto old_token = Issue("alice", "old");

  auto rotated = StartAuthority({{"TOKENGATE_SIGNING_KEYS", absl::StrCat("k2:", kKey2, ",k1:", kKey1)}});
  ASSERT_NE(rotated, nullptr);
  stub_ = StubFor(rotated->port());
  const auto new_token = Issue("alice", "new");
  EXPECT_TRUE(Verify(old_token.content()).valid());
  EXPECT_TRUE(Verify(new_token.content()).valid());

  auto pruned = StartAuthority({{"TOKENGATE_SIGNING_KEYS", absl::StrCat("k2:", kKey2)}});
  ASSERT_NE(pruned, nullptr);
  auto pruned_stub = StubFor(pruned->port());
  EXPECT_EQ(Verify(old_token.content(), pruned_stub.get()).reason(), "Signature verification failed");
  EXPECT_TRUE(Verify(new_token.content(), pruned_stub.get()).valid());
}

TEST_F(AuthorityTest, HealthServiceSaysServing) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", authority_->port()), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  // HealthCheckRequest{service=""} is the empty message; SERVING is field 1 = 1.
  grpc::Slice empty(std::string(""));
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  auto context = Context();
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mutex);
                   status = s;
                   done = true;
                   done_cv.notify_all();
                 });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

}  // namespace
}  // namespace tokengate::testing
