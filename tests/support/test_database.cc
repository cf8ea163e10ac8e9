#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/pg/postgres.h"
#include "tests/support/process.h"

namespace tokengate::testing {
namespace {

void Exec(const std::string& url, const std::string& sql) {
  auto conn = PgConnection::Connect(url);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto result = (*conn)->Exec(sql);
  ASSERT_TRUE(result.ok()) << result.status();
}

}  // namespace

std::string WithDatabase(const std::string& url, const std::string& database) {
  const size_t slash = url.rfind('/');
  const size_t query = url.find('?', slash);
  return absl::StrCat(url.substr(0, slash + 1), database,
                      query == std::string::npos ? "" : url.substr(query));
}

TestDatabase::TestDatabase() : admin_url_(RequiredEnv("TOKENGATE_TEST_DATABASE_URL")) {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("tg_test_", getpid(), "_", counter++);
  url_ = WithDatabase(admin_url_, name_);
  Exec(admin_url_, absl::StrCat("DROP DATABASE IF EXISTS ", name_));
  Exec(admin_url_, absl::StrCat("CREATE DATABASE ", name_));
}

TestDatabase::~TestDatabase() {
  auto conn = PgConnection::Connect(admin_url_);
  if (conn.ok()) (void)(*conn)->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
}

void TestDatabase::AdminExec(const std::string& sql) const { Exec(admin_url_, sql); }

std::string TestDatabase::Query(const std::string& sql) const {
  auto conn = PgConnection::Connect(url_);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.status();
    return "";
  }
  auto result = (*conn)->Exec(sql);
  if (!result.ok()) {
    ADD_FAILURE() << result.status();
    return "";
  }
  return result->rows() > 0 ? std::string(result->Get(0, 0)) : "";
}

}  // namespace tokengate::testing
