// RevocationLog against a real PostgreSQL: the reads every WatchRevocations
// stream makes after each revocation, all at once, share one query instead of
// one each (1,000 streams exhausted the pool and failed RevokeToken itself),
// and each still sees every revocation committed before it asked.
#include "services/token_authority/revocation/revocation_log.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pg/migrations.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

constexpr int kReaders = 16;
constexpr int kPoolSize = 8;

class RevocationLogReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = PgConnection::Connect(db_.url());
    ASSERT_THAT(conn, IsOk());
    int applied = 0;
    ASSERT_THAT(ApplyMigrations(**conn, EmbeddedMigrations(), &applied), IsOk());
  }

  void Log(int n) {
    db_.Query(absl::StrCat(
        "INSERT INTO revocation_log (token_id, revoked_at, expires_at) SELECT gen_random_uuid(), "
        "now(), now() + interval '1 day' FROM generate_series(1, ",
        n, ")"));
  }

  // Queries of revocation_log waiting for a lock, as pg_stat_activity shows them.
  int WaitingReads() const {
    return std::stoi(db_.Query(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM revocation_log_state%'"));
  }

  testing::TestDatabase db_;
};

TEST_F(RevocationLogReadsTest, ConcurrentReadsShareOneQuery) {
  Log(3);
  RevocationLog log(std::make_shared<PgPool>(db_.url(), kPoolSize));
  // A transaction holding the log makes every read that reaches PostgreSQL wait where the test can count it.
  auto locker = PgConnection::Connect(db_.url());
  ASSERT_THAT(locker, IsOk());
  ASSERT_THAT((*locker)->Exec("BEGIN"), IsOk());
  ASSERT_THAT((*locker)->Exec("LOCK TABLE revocation_log IN ACCESS EXCLUSIVE MODE"), IsOk());

  std::atomic<int> calling{0};
  std::vector<absl::StatusOr<RevocationLogSlice>> slices(kReaders, absl::UnknownError("not read"));
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      calling.fetch_add(1);
      slices[i] = log.ReadAfter(1, 10);
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((calling.load() < kReaders || WaitingReads() == 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(WaitingReads(), 1) << "no read reached PostgreSQL";
  // A read each would have filled the pool within milliseconds; watch for a while that none comes.
  int most = 0;
  for (const absl::Time until = absl::Now() + absl::Milliseconds(300); absl::Now() < until;) {
    most = std::max(most, WaitingReads());
  }
  ASSERT_THAT((*locker)->Exec("COMMIT"), IsOk());
  for (auto& reader : readers) reader.join();

  EXPECT_EQ(most, 1) << "the readers queried PostgreSQL each on their own";
  for (const auto& slice : slices) {
    ASSERT_THAT(slice, IsOk());
    ASSERT_EQ(slice->items.size(), 2u);
    EXPECT_EQ(slice->items[0].position, 2);
    EXPECT_EQ(slice->head, 3);
  }
}

TEST_F(RevocationLogReadsTest, AReadSeesWhatWasCommittedBeforeIt) {
  RevocationLog log(std::make_shared<PgPool>(db_.url(), kPoolSize));
  Log(1);
  auto first = log.ReadAfter(0, 10);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->items.size(), 1u);
  Log(1);
  auto second = log.ReadAfter(0, 10);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->head, 2);
}

TEST_F(RevocationLogReadsTest, AClientFarBehindIsServedBeyondTheSharedRead) {
  RevocationLog log(std::make_shared<PgPool>(db_.url(), kPoolSize));
  Log(1500);
  auto slice = log.ReadAfter(10, 500);
  ASSERT_THAT(slice, IsOk());
  ASSERT_EQ(slice->items.size(), 500u);
  EXPECT_EQ(slice->items.front().position, 11);
  EXPECT_EQ(slice->items.back().position, 510);
  auto near_head = log.ReadAfter(1490, 500);
  ASSERT_THAT(near_head, IsOk());
  EXPECT_EQ(near_head->items.size(), 10u);
  EXPECT_EQ(near_head->head, 1500);
}

}  // namespace
}  // namespace tokengate
