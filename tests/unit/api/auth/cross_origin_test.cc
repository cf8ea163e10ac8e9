// CrossOriginGuard's verdicts on requests framed from raw bytes, and the
// parsing of TOKENGATE_ALLOWED_ORIGINS. (Every route over real HTTP, and a
// real browser: tests/integration/api/test_api_cross_origin.py and
// tests/e2e/browser/cross_origin.test.mjs.)
#include "services/api/auth/cross_origin.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/http/request_framer.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::testing::HasSubstr;
using ::tokengate::testing::IsOk;

class CrossOriginGuardTest : public ::testing::Test {
 protected:
  // `fields`: header lines after Host, each ending in CRLF.
  FramedRequest Frame(const std::string& method, const std::string& fields, const std::string& body = "") {
    RequestFramer framer(FramerLimits{});
    framer.Feed(method + " /v1/personal-tokens HTTP/1.1\r\nHost: api.example:8000\r\n" + fields +
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    FramedRequest request;
    FramingError error;
    EXPECT_EQ(framer.Next(&request, &error), RequestFramer::Result::kRequest) << error.message;
    return request;
  }

  std::optional<HttpResponse> Session(HttpMethod method, const std::string& fields,
                                      const std::string& body = "") {
    const FramedRequest raw = Frame(method == HttpMethod::kGet ? "GET" : "POST", fields, body);
    return guard_.CheckSessionRequest(HttpRequest(raw, method, route_, {}, "req-1"));
  }

  std::optional<HttpResponse> Login(const std::string& fields) {
    const FramedRequest raw = Frame("POST", fields, "username=a&password=b");
    return guard_.CheckLoginForm(HttpRequest(raw, HttpMethod::kPost, route_, {}, "req-1"));
  }

  const std::string route_ = "/v1/personal-tokens";
  const CrossOriginGuard guard_{{"https://ui.example"}};
};

TEST_F(CrossOriginGuardTest, SafeMethodsAreNeverRefused) {
  EXPECT_EQ(Session(HttpMethod::kGet, "Origin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\n"),
            std::nullopt);
}

TEST_F(CrossOriginGuardTest, SameOriginFetchMetadataIsServed) {
  EXPECT_EQ(Session(HttpMethod::kPost, "Sec-Fetch-Site: same-origin\r\n"), std::nullopt);
}

TEST_F(CrossOriginGuardTest, SameSiteIsNotSameOrigin) {
  auto refused =
      Session(HttpMethod::kPost, "Sec-Fetch-Site: same-site\r\nOrigin: http://api.example:8000\r\n");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  EXPECT_THAT(refused->body, HasSubstr("Cross-origin request refused"));
  EXPECT_THAT(refused->body, HasSubstr("Sec-Fetch-Site: same-site"));
}

TEST_F(CrossOriginGuardTest, OriginOfTheHostItWasReachedByIsServedWhateverTheScheme) {
  EXPECT_EQ(Session(HttpMethod::kPost, "Origin: http://api.example:8000\r\n"), std::nullopt);
  EXPECT_EQ(Session(HttpMethod::kPost, "Origin: https://API.example:8000\r\n"), std::nullopt);
}

TEST_F(CrossOriginGuardTest, AnotherPortOrAnOpaqueOriginIsRefused) {
  for (const char* origin : {"http://api.example:8002", "null", "api.example:8000"}) {
    auto refused = Session(HttpMethod::kPost, std::string("Origin: ") + origin + "\r\n");
    ASSERT_TRUE(refused.has_value()) << origin;
    EXPECT_EQ(refused->status, 403) << origin;
  }
}

TEST_F(CrossOriginGuardTest, AnAllowedOriginIsServedEvenCrossSite) {
  EXPECT_EQ(Session(HttpMethod::kPost, "Origin: https://UI.example\r\nSec-Fetch-Site: cross-site\r\n"),
            std::nullopt);
}

TEST_F(CrossOriginGuardTest, ASessionRequestWithoutBrowserHeadersIsRefused) {
  auto refused = Session(HttpMethod::kPost, "");
  ASSERT_TRUE(refused.has_value());
  EXPECT_THAT(refused->body, HasSubstr("neither Origin nor Sec-Fetch-Site"));
}

TEST_F(CrossOriginGuardTest, ABodyMustBeDeclaredJson) {
  const std::string same = "Sec-Fetch-Site: same-origin\r\n";
  EXPECT_EQ(Session(HttpMethod::kPost, same + "Content-Type: application/json\r\n", "{}"), std::nullopt);
  EXPECT_EQ(Session(HttpMethod::kPost, same + "Content-Type: Application/JSON; charset=UTF-8\r\n", "{}"),
            std::nullopt);
  for (const char* type : {"text/plain", "application/jsonx", "application/x-www-form-urlencoded"}) {
    auto refused = Session(HttpMethod::kPost, same + "Content-Type: " + type + "\r\n", "{}");
    ASSERT_TRUE(refused.has_value()) << type;
    EXPECT_THAT(refused->body, HasSubstr("Unsupported content type")) << type;
  }
  auto untyped = Session(HttpMethod::kPost, same, "{}");
  ASSERT_TRUE(untyped.has_value());
  EXPECT_THAT(untyped->body, HasSubstr("Unsupported content type"));
}

TEST_F(CrossOriginGuardTest, LoginFormIsRefusedOnlyWhenTheBrowserShowsAnotherOrigin) {
  EXPECT_EQ(Login(""), std::nullopt);  // curl, scripts.
  EXPECT_EQ(Login("Origin: http://api.example:8000\r\n"), std::nullopt);
  EXPECT_TRUE(Login("Origin: http://api.example:8002\r\n").has_value());
  EXPECT_TRUE(Login("Sec-Fetch-Site: same-site\r\n").has_value());
}

TEST(ParseAllowedOriginsTest, ListsOriginsLowerCased) {
  auto origins = ParseAllowedOrigins(" https://UI.example , http://127.0.0.1:3000,");
  ASSERT_THAT(origins, IsOk());
  EXPECT_THAT(*origins, ::testing::ElementsAre("https://ui.example", "http://127.0.0.1:3000"));
  EXPECT_THAT(*ParseAllowedOrigins(""), ::testing::IsEmpty());
}

TEST(ParseAllowedOriginsTest, NamesAnEntryThatIsNotAnOrigin) {
  for (const char* entry :
       {"ui.example", "ftp://ui.example", "https://ui.example/", "https://u@ui.example", "https://"}) {
    auto origins = ParseAllowedOrigins(std::string("https://ok.example,") + entry);
    ASSERT_FALSE(origins.ok()) << entry;
    EXPECT_EQ(origins.status().message(),
              std::string("'") + entry + "' is not an origin (scheme://host[:port], http or https)");
  }
}

}  // namespace
}  // namespace tokengate
