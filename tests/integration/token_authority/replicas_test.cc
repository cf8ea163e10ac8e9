// Two authority replicas on one database agree on revocations within a
// second (LISTEN/NOTIFY), and the watch stream carries them.
#include <gmock/gmock.h>

#include "tests/integration/token_authority/authority_fixture.h"

namespace tokengate::testing {
namespace {

TEST_F(AuthorityTest, RevocationOnOneReplicaIsSeenByTheOtherWithinASecond) {
  auto replica = StartAuthority();
  ASSERT_NE(replica, nullptr);
  auto replica_stub = StubFor(replica->port());
  const auto issued = Issue("alice", "etl");
  ASSERT_TRUE(Verify(issued.content(), replica_stub.get()).valid());  // Now cached there.

  ASSERT_TRUE(Revoke("alice", issued.token().id()).ok());
  EXPECT_TRUE(Eventually([&] { return Verify(issued.content(), replica_stub.get()).revoked(); },
                         std::chrono::seconds(1)));
}

TEST_F(AuthorityTest, WatchStreamOfAReplicaDeliversRevocations) {
  auto replica = StartAuthority();
  ASSERT_NE(replica, nullptr);
  auto replica_stub = StubFor(replica->port());
  const auto issued = Issue("alice", "etl");

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = replica_stub->WatchRevocations(&context, v1::WatchRevocationsRequest());
  v1::RevocationEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.token_id(), "");  // The opening heartbeat.

  ASSERT_TRUE(Revoke("alice", issued.token().id()).ok());
  const auto revoked_at = absl::Now();
  std::string seen;
  while (seen.empty() && reader->Read(&event)) seen = event.token_id();
  EXPECT_EQ(seen, issued.token().id());
  EXPECT_LT(absl::Now() - revoked_at, absl::Seconds(1));
  context.TryCancel();
}

TEST_F(AuthorityTest, ManualSqlRevocationAlsoReachesReplicas) {
  const auto issued = Issue("alice", "etl");
  ASSERT_TRUE(Verify(issued.content()).valid());
  db_.Query("UPDATE personal_token SET revoked_at = now() WHERE id = '" + issued.token().id() + "'");
  EXPECT_TRUE(Eventually([&] { return Verify(issued.content()).revoked(); }, std::chrono::seconds(1)));
}

}  // namespace
}  // namespace tokengate::testing
