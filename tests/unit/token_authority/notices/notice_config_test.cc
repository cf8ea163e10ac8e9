#include "services/token_authority/notices/notice_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "tests/support/status_matchers.h"

ABSL_DECLARE_FLAG(std::string, expiry_notice_days);
ABSL_DECLARE_FLAG(std::string, public_url);
ABSL_DECLARE_FLAG(std::string, smtp_url);
ABSL_DECLARE_FLAG(std::string, smtp_from);
ABSL_DECLARE_FLAG(std::string, smtp_username);
ABSL_DECLARE_FLAG(std::string, smtp_starttls);
ABSL_DECLARE_FLAG(std::string, webhook_url);
ABSL_DECLARE_FLAG(std::string, webhook_secret);
ABSL_DECLARE_FLAG(int, notice_max_attempts);

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

using ::testing::HasSubstr;

class NoticeConfigTest : public ::testing::Test {
 protected:
  std::string Error() {
    auto config = NoticeConfigFromFlags();
    return config.ok() ? "" : std::string(config.status().message());
  }

 private:
  absl::FlagSaver saver_;  // Each test starts from the defaults.
};

TEST_F(NoticeConfigTest, OffByDefaultWithSevenAndOneDays) {
  auto config = NoticeConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  EXPECT_FALSE(config->enabled());
  EXPECT_EQ(config->expiry_days, (std::vector<int>{1, 7}));
  EXPECT_TRUE(config->smtp_starttls_required);
}

TEST_F(NoticeConfigTest, EachBadValueIsNamed) {
  absl::SetFlag(&FLAGS_expiry_notice_days, "7,x");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_EXPIRY_NOTICE_DAYS"));
  absl::SetFlag(&FLAGS_expiry_notice_days, "7,1");

  absl::SetFlag(&FLAGS_public_url, "https://tokens.example.org/");
  absl::SetFlag(&FLAGS_smtp_url, "http://mail.example.org");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_SMTP_URL: must start with smtp:// or smtps://"));
  absl::SetFlag(&FLAGS_smtp_url, "smtp://mail.example.org:587");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_SMTP_FROM"));
  absl::SetFlag(&FLAGS_smtp_from, "noreply@example.org");
  absl::SetFlag(&FLAGS_smtp_username, "notices");
  EXPECT_THAT(Error(), HasSubstr("username and password go together"));
  absl::SetFlag(&FLAGS_smtp_username, "");
  absl::SetFlag(&FLAGS_smtp_starttls, "maybe");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_SMTP_STARTTLS"));
  absl::SetFlag(&FLAGS_smtp_starttls, "none");
  EXPECT_EQ(Error(), "");

  absl::SetFlag(&FLAGS_webhook_url, "https://hooks.example.org/tokens");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_WEBHOOK_SECRET"));
  absl::SetFlag(&FLAGS_webhook_secret, "0123456789abcdef");
  EXPECT_EQ(Error(), "");
  absl::SetFlag(&FLAGS_notice_max_attempts, 0);
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_NOTICE_MAX_ATTEMPTS"));
}

TEST_F(NoticeConfigTest, NoticesNeedThePublicUrlForTheirLink) {
  absl::SetFlag(&FLAGS_webhook_url, "https://hooks.example.org/tokens");
  absl::SetFlag(&FLAGS_webhook_secret, "0123456789abcdef");
  EXPECT_THAT(Error(), HasSubstr("TOKENGATE_PUBLIC_URL"));
  absl::SetFlag(&FLAGS_public_url, "https://tokens.example.org/");
  auto config = NoticeConfigFromFlags();
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->public_url, "https://tokens.example.org");  // The link appends "/".
}

}  // namespace
}  // namespace tokengate
