// Test support: a fresh database per test on the test PostgreSQL server
// (TOKENGATE_TEST_DATABASE_URL), dropped afterwards, so tests never share rows.
#pragma once

#include <string>

namespace tokengate::testing {

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // libpq URI of this test's database.
  const std::string& url() const { return url_; }
  // Runs SQL and returns the first column of the first row ("" if none).
  std::string Query(const std::string& sql) const;
  // Runs SQL on the server's admin database (e.g. ALTER DATABASE on this one).
  void AdminExec(const std::string& sql) const;
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// admin URI with its database name replaced.
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace tokengate::testing
