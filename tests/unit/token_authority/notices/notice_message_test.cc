#include "services/token_authority/notices/notice_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/token_authority/notices/notice_config.h"
#include "services/token_authority/notices/webhook_sender.h"

namespace tokengate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Notice Sample(NoticeKind kind = NoticeKind::kExpiry) {
  return Notice{.id = 42,
                .kind = kind,
                .threshold_days = 7,
                .channel = "email",
                .attempts = 1,
                .token_id = "01938e2a-0000-7000-8000-000000000001",
                .token_name = "nightly-etl",
                .user_name = "mia",
                .email = "mia@example.org",
                .until = absl::CivilDay(2026, 12, 5)};
}

TEST(NoticeMessageTest, ExpiryMailNamesTokenOwnerDateAndLink) {
  const std::string mail = NoticeMail(Sample(), "Tokengate <noreply@example.org>", "https://t.example/",
                                      absl::FromUnixSeconds(1795900000));
  EXPECT_THAT(mail, HasSubstr("Subject: Your personal token \"nightly-etl\" expires after 2026-12-05\r\n"));
  EXPECT_THAT(mail, HasSubstr("To: mia@example.org\r\n"));
  EXPECT_THAT(mail, HasSubstr("Message-ID: <notice-42.01938e2a-0000-7000-8000-000000000001@tokengate>\r\n"));
  EXPECT_THAT(mail, HasSubstr("Hello mia,\r\n"));
  EXPECT_THAT(mail, HasSubstr("https://t.example/\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\n\r\n"));  // Headers end before the body.
}

TEST(NoticeMessageTest, LeakMailSaysRevoked) {
  EXPECT_EQ(NoticeSubject(Sample(NoticeKind::kLeak)),
            "Your personal token \"nightly-etl\" was reported leaked and revoked");
}

TEST(NoticeMessageTest, LineBreaksInATokenNameCannotAddHeaders) {
  Notice notice = Sample();
  notice.token_name = "x\r\nBcc: victim@example.org";
  const std::string mail = NoticeMail(notice, "a@example.org", "https://t.example/", absl::UnixEpoch());
  EXPECT_THAT(mail, Not(HasSubstr("\r\nBcc:")));
  EXPECT_THAT(mail, HasSubstr("Subject: Your personal token \"x  Bcc: victim@example.org\""));
}

TEST(NoticeMessageTest, NonAsciiSubjectIsAnEncodedWord) {
  Notice notice = Sample();
  notice.token_name = "ночной";
  const std::string mail = NoticeMail(notice, "a@example.org", "https://t.example/", absl::UnixEpoch());
  EXPECT_THAT(mail, HasSubstr("Subject: =?UTF-8?B?"));
}

TEST(NoticeMessageTest, WebhookJsonCarriesTheNoticeFields) {
  EXPECT_EQ(
      NoticeJson(Sample(), "https://t.example/"),
      R"({"id":42,"event":"token.expiry_notice","threshold_days":7,)"
      R"("token":{"id":"01938e2a-0000-7000-8000-000000000001","name":"nightly-etl","until":"2026-12-05",)"
      R"("expires_at":1796515200},"user":{"name":"mia"},"link":"https://t.example/",)"
      R"("message":"Your personal token \"nightly-etl\" expires after 2026-12-05"})");
}

TEST(WebhookSignatureTest, IsHmacSha256OverTimestampDotBody) {
  // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
  EXPECT_EQ(WebhookSignature("key", 1700000000, R"({"a":1})"),
            "t=1700000000,v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03");
}

TEST(ExpiryDaysTest, ParsesSortsAndRejects) {
  EXPECT_EQ(*ParseExpiryDays("7,1"), (std::vector<int>{1, 7}));
  EXPECT_EQ(*ParseExpiryDays(" 30 , 7 "), (std::vector<int>{7, 30}));
  EXPECT_TRUE(ParseExpiryDays("")->empty());
  EXPECT_FALSE(ParseExpiryDays("7,7").ok());
  EXPECT_FALSE(ParseExpiryDays("0").ok());
  EXPECT_FALSE(ParseExpiryDays("seven").ok());
}

}  // namespace
}  // namespace tokengate
