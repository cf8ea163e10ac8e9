// The PostgreSQL layer against a real server: a parameter holding a NUL is
// refused before anything is sent, never cut short (libpq reads C strings,
// so `victim\0x` would have become `victim`).
#include "common/pg/postgres.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = PgConnection::Connect(db_.url());
    ASSERT_THAT(conn, IsOk());
    conn_ = *std::move(conn);
    ASSERT_THAT(conn_->Exec("CREATE TABLE person (name text PRIMARY KEY)"), IsOk());
    ASSERT_THAT(conn_->Exec("INSERT INTO person VALUES ('victim')"), IsOk());
  }

  testing::TestDatabase db_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PostgresTest, ParameterWithNulIsRefusedNotTruncated) {
  const std::string hostile("victim\0x", 8);
  auto found = conn_->Exec("SELECT name FROM person WHERE name = $1", {hostile});
  EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument) << found.status();
  EXPECT_NE(found.status().message().find("$1"), std::string_view::npos) << found.status();

  auto inserted = conn_->Exec("INSERT INTO person VALUES ($1)", {hostile});
  EXPECT_THAT(inserted, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(db_.Query("SELECT count(*) FROM person"), "1") << "nothing may be written";
}

TEST_F(PostgresTest, TheConnectionStaysUsableAfterARefusal) {
  (void)conn_->Exec("SELECT $1::text", {std::string("a\0b", 3)});
  auto found = conn_->Exec("SELECT name FROM person WHERE name = $1", {"victim"});
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->rows(), 1);
  auto null_param = conn_->Exec("SELECT $1::text IS NULL", {PgParam()});
  ASSERT_THAT(null_param, IsOk());
  EXPECT_EQ(null_param->Get(0, 0), "t");
}

}  // namespace
}  // namespace tokengate
