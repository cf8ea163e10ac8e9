// Router: the checks that run on a request's head before its body is read
// (the route's own body limit, the route's HeadCheck), and 405 with Allow for
// a method the framer knows but no route serves.
#include "common/http/router.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/http/request_framer.h"

namespace tokengate {
namespace {

// The framer's parse of `head` (a complete head; its body is not needed).
FramedRequest HeadOf(const std::string& head) {
  RequestFramer framer(FramerLimits{});
  framer.Feed(head);
  FramedRequest request;
  FramingError error;
  if (framer.Next(&request, &error) == RequestFramer::Result::kRequest) return request;
  EXPECT_TRUE(framer.head_complete()) << error.message;
  return framer.pending_head();
}

HttpResponse DispatchOf(const Router& router, const std::string& request) {
  HttpResponse answer;
  router.Dispatch(HeadOf(request), "rid", Responder([&](HttpResponse r) { answer = std::move(r); }));
  return answer;
}

class RouterHeadCheckTest : public ::testing::Test {
 protected:
  RouterHeadCheckTest() : router_(RouterOptions{.max_body_bytes = 1024}) {
    router_.AddAsync(
        HttpMethod::kPost, "/events",
        [](const HttpRequest&, Responder respond) { respond(HttpResponse::NoContent()); },
        /*max_body_bytes=*/4096,
        [this](const HttpRequest& head) -> std::optional<HttpResponse> {
          ++checks_;
          if (head.Header("Authorization")) return std::nullopt;
          return HttpResponse::Json(401, "{}");
        });
    router_.Add(HttpMethod::kGet, "/ping", [](const HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  }

  Router router_;
  int checks_ = 0;
};

TEST(HttpMethodTest, NamesRoundTripAndOnlyExactTokensParse) {
  for (HttpMethod method :
       {HttpMethod::kGet, HttpMethod::kHead, HttpMethod::kPost, HttpMethod::kPut, HttpMethod::kPatch,
        HttpMethod::kDelete, HttpMethod::kOptions, HttpMethod::kTrace, HttpMethod::kConnect}) {
    EXPECT_EQ(ParseHttpMethod(HttpMethodName(method)), method) << HttpMethodName(method);
  }
  EXPECT_EQ(HttpMethodName(HttpMethod::kPatch), "PATCH");
  // Methods are case-sensitive (RFC 9110 §9.1); the framer's others (QUERY, WebDAV's) have no route.
  EXPECT_EQ(ParseHttpMethod("get"), std::nullopt);
  EXPECT_EQ(ParseHttpMethod("QUERY"), std::nullopt);
  EXPECT_EQ(ParseHttpMethod(""), std::nullopt);
}

TEST_F(RouterHeadCheckTest, TheRoutesHeadCheckRefusesBeforeTheBody) {
  const auto refusal = router_.CheckHead(
      HeadOf("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"), 100, "rid");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 401);
  EXPECT_EQ(checks_, 1);
}

TEST_F(RouterHeadCheckTest, AnAcceptedHeadLetsTheBodyCome) {
  EXPECT_FALSE(router_.CheckHead(
      HeadOf("POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: y\r\nContent-Length: 100\r\n\r\n"), 100,
      "rid"));
  EXPECT_EQ(checks_, 1);
}

TEST_F(RouterHeadCheckTest, ContentLengthOverTheRoutesOwnLimitIs413FromTheHead) {
  const auto refusal =
      router_.CheckHead(HeadOf("GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n"), 2048, "rid");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 413);
  const auto larger_route = router_.CheckHead(
      HeadOf("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"), 5000, "rid");
  ASSERT_TRUE(larger_route.has_value());
  EXPECT_EQ(larger_route->status, 413);
  EXPECT_EQ(checks_, 0);  // The limit is decided first; the route's check is not asked.
}

TEST_F(RouterHeadCheckTest, UnknownRoutesAndMethodsPassTheHeadCheck) {
  EXPECT_FALSE(
      router_.CheckHead(HeadOf("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n"), 9, "rid"));
  EXPECT_FALSE(
      router_.CheckHead(HeadOf("QUERY /events HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n"), 9, "rid"));
  EXPECT_EQ(checks_, 0);
}

TEST_F(RouterHeadCheckTest, AKnownMethodNoRouteServesIs405WithAllow) {
  for (const char* method : {"PUT", "TRACE", "CONNECT", "PROPFIND", "QUERY"}) {
    const HttpResponse answer =
        DispatchOf(router_, std::string(method) + " /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(answer.status, 405) << method;
    ASSERT_EQ(answer.headers.size(), 1u) << method;
    EXPECT_EQ(answer.headers[0], std::make_pair(std::string("Allow"), std::string("GET, HEAD"))) << method;
  }
}

}  // namespace
}  // namespace tokengate
