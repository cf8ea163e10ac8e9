// RequestFramer: what frames, what is refused (and with which status), and
// that nothing after a refusal or a closing request is ever framed.
#include "common/http/request_framer.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace tokengate {
namespace {

struct Outcome {
  std::vector<FramedRequest> requests;
  bool failed = false;
  FramingError error;
};

Outcome FrameAll(const std::string& bytes, FramerLimits limits = {}, size_t piece = 0) {
  RequestFramer framer(limits);
  Outcome out;
  auto drain = [&] {
    while (true) {
      FramedRequest request;
      FramingError error;
      const auto result = framer.Next(&request, &error);
      if (result == RequestFramer::Result::kNeedMore) return;
      if (result == RequestFramer::Result::kError) {
        out.failed = true;
        out.error = error;
        return;
      }
      out.requests.push_back(std::move(request));
    }
  };
  if (piece == 0) piece = bytes.size();
  for (size_t i = 0; i < bytes.size(); i += piece) {
    framer.Feed(absl::string_view(bytes).substr(i, piece));
    drain();
  }
  return out;
}

int StatusOf(const std::string& bytes, FramerLimits limits = {}) {
  const Outcome out = FrameAll(bytes, limits);
  return out.failed ? out.error.status : 0;
}

constexpr char kGet[] = "GET /monitoring/ping HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(RequestFramerTest, PipelinedRequestsFrameInOrder) {
  const Outcome out =
      FrameAll(std::string(kGet) + "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + kGet);
  ASSERT_FALSE(out.failed);
  ASSERT_EQ(out.requests.size(), 3u);
  EXPECT_EQ(out.requests[1].body, "abc");
  EXPECT_THAT(out.requests[1].head, ::testing::StartsWith("POST /a HTTP/1.1\r\n"));
  EXPECT_TRUE(out.requests[2].keep_alive);
}

TEST(RequestFramerTest, ByteByByteGivesTheSameRequests) {
  const std::string stream = std::string(kGet) +
                             "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3;name=\"v\"\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n" +
                             kGet;
  const Outcome out = FrameAll(stream, {}, 1);
  ASSERT_FALSE(out.failed) << out.error.message;
  ASSERT_EQ(out.requests.size(), 3u);
  EXPECT_EQ(out.requests[1].body, "abcde");
}

TEST(RequestFramerTest, TheParseLocatesMethodTargetAndFields) {
  const Outcome out = FrameAll(
      "GET /a/b%20c?x=1&x=2 HTTP/1.1\r\nHost: h\r\nX-A:  one \t\r\nx-a: two\r\n"
      "Authorization: Bearer t\r\nX-Empty:\r\n\r\n");
  ASSERT_FALSE(out.failed) << out.error.message;
  const FramedRequest& request = out.requests[0];
  EXPECT_EQ(request.method(), "GET");
  EXPECT_EQ(request.target(), "/a/b%20c?x=1&x=2");
  ASSERT_EQ(request.fields.size(), 5u);
  EXPECT_EQ(request.View(request.fields[1].name), "X-A");
  // Values without surrounding whitespace; the first of repeats; names case-insensitive.
  EXPECT_EQ(request.FieldValue("x-a"), "one");
  EXPECT_EQ(request.FieldValue("AUTHORIZATION"), "Bearer t");
  EXPECT_EQ(request.FieldValue("x-empty"), "");
  EXPECT_EQ(request.FieldValue("Cookie"), std::nullopt);
  // Spans are offsets, so they survive moving the request.
  FramedRequest moved = out.requests[0];
  EXPECT_EQ(moved.FieldValue("host"), "h");
}

TEST(RequestFramerTest, ExpectContinueIsOfferedOnceWhileTheBodyIsAwaited) {
  FramedRequest request;
  FramingError error;
  for (const char* framing : {"Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n"}) {
    RequestFramer framer({});
    framer.Feed(std::string("POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n") + framing + "\r\n");
    EXPECT_EQ(framer.Next(&request, &error), RequestFramer::Result::kNeedMore);
    EXPECT_TRUE(framer.TakeContinue()) << framing;
    EXPECT_FALSE(framer.TakeContinue()) << "once per request";
  }
  // The body came with the head, there is no body, HTTP/1.0, another expectation: nothing to offer.
  for (const char* head :
       {"POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
        "POST /a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        "POST /a HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 3\r\n\r\n"}) {
    RequestFramer framer({});
    framer.Feed(head);
    framer.Next(&request, &error);
    EXPECT_FALSE(framer.TakeContinue()) << head;
  }
}

TEST(RequestFramerTest, ConnectionSemanticsFollowRfc9112) {
  EXPECT_TRUE(FrameAll(kGet).requests[0].keep_alive);
  EXPECT_FALSE(FrameAll("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").requests[0].keep_alive);
  EXPECT_FALSE(FrameAll("GET / HTTP/1.0\r\n\r\n").requests[0].keep_alive);
  EXPECT_TRUE(FrameAll("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests[0].keep_alive);
}

TEST(RequestFramerTest, NothingAfterAClosingRequestIsFramed) {
  const Outcome out = FrameAll(std::string("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") + kGet);
  EXPECT_EQ(out.requests.size(), 1u);
}

TEST(RequestFramerTest, NothingAfterAnErrorIsFramed) {
  const Outcome out = FrameAll(std::string("BREW / HTTP/1.1\r\nHost: x\r\n\r\n") + kGet);
  EXPECT_TRUE(out.failed);
  EXPECT_TRUE(out.requests.empty());
}

TEST(RequestFramerTest, StandardQueryAndWebDavMethodsAreFramedForTheRouterToAnswer) {
  for (const char* method : {"TRACE", "CONNECT", "QUERY", "PROPFIND", "MKCOL", "UNLOCK"}) {
    const Outcome out =
        FrameAll(absl::StrCat(method, " /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}") + kGet);
    EXPECT_FALSE(out.failed) << method;
    ASSERT_EQ(out.requests.size(), 2u) << method;
    EXPECT_EQ(out.requests[0].method(), method);
    EXPECT_EQ(out.requests[0].body, "{}");
  }
}

TEST(RequestFramerTest, APendingHeadIsVisibleBeforeItsBody) {
  RequestFramer framer(FramerLimits{});
  framer.Feed("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc");
  FramedRequest request;
  FramingError error;
  EXPECT_EQ(framer.Next(&request, &error), RequestFramer::Result::kNeedMore);
  ASSERT_TRUE(framer.head_complete());
  EXPECT_EQ(framer.pending_head().target(), "/x");
  EXPECT_EQ(framer.declared_body_bytes(), 1000u);
  EXPECT_EQ(framer.buffered_bytes(), 3u);
  framer.Stop();
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(RequestFramerTest, DesyncVectorsAreRefusedWithTheirStatus) {
  EXPECT_EQ(StatusOf("BREW /x HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
  EXPECT_EQ(StatusOf("G@T /x HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET  /x HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(StatusOf("GET /x HTTX/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\nHost: x\n\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x\r HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(
      StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
      400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 501);
  EXPECT_EQ(
      StatusOf(
          "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
      400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 ;\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"x\r\n"), 400);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n"), 400);
}

TEST(RequestFramerTest, LimitsGiveTheirStatus) {
  FramerLimits limits{
      .max_request_line_bytes = 64, .max_header_bytes = 256, .max_header_count = 3, .max_body_bytes = 10};
  EXPECT_EQ(StatusOf("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n", limits), 414);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(300, 'a'), limits), 431);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\n\r\n", limits), 431);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits), 413);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n",
                     limits),
            413);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", limits), 0);
}

// Found by tests/fuzz/request_framer_fuzz: the limits were checked on a head
// still arriving but not on a whole one, so the same bytes got another status
// (or, for a long trailer, no request) depending on where TCP cut them.
TEST(RequestFramerTest, WhereTheStreamIsCutNeverChangesTheAnswer) {
  const FramerLimits tiny{
      .max_request_line_bytes = 64, .max_header_bytes = 256, .max_header_count = 3, .max_body_bytes = 10};
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const struct {
    std::string stream;
    FramerLimits limits;
  } cases[] = {
      // A request line over its limit, then a bare LF: 414 whichever comes first.
      {"GET /" + std::string(100, 'a') + " HTTP/1.1\nHost: x\r\n\r\n", tiny},
      // A request line over its limit in a head over its limit: 414 both ways.
      {"GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", tiny},
      // A head over its limit whose end is a bare LF: 431 both ways.
      {"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(300, 'a') + "\n\r\n", tiny},
      // A trailer field longer than a chunk-size line may be, within the head limit: a request.
      {chunked + "0\r\nX-T: " + std::string(2000, 't') + "\r\n\r\n", {}},
      // A chunk-size line over its limit, then a bare LF: the length answers both ways.
      {chunked + std::string(1100, '0') + "1\nx\r\n0\r\n\r\n", {}},
      // More empty lines before a request than allowed, one per packet: still refused.
      {std::string("\r\n\r\n\r\n") + kGet, {}},
  };
  for (const auto& c : cases) {
    const Outcome whole = FrameAll(c.stream, c.limits);
    const Outcome bytewise = FrameAll(c.stream, c.limits, 1);
    EXPECT_EQ(whole.requests.size(), bytewise.requests.size()) << c.stream.substr(0, 80);
    EXPECT_EQ(whole.failed, bytewise.failed) << c.stream.substr(0, 80);
    EXPECT_EQ(whole.error.status, bytewise.error.status) << c.stream.substr(0, 80);
    EXPECT_EQ(whole.error.reason, bytewise.error.reason) << c.stream.substr(0, 80);
  }
}

TEST(RequestFramerTest, OneEmptyLineBeforeARequestIsSkipped) {
  const Outcome out = FrameAll(std::string("\r\n") + kGet);
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(out.requests.size(), 1u);
}

TEST(RequestFramerTest, MidRequestTracksPartialBytes) {
  RequestFramer framer({});
  EXPECT_FALSE(framer.mid_request());
  framer.Feed("GET / HTTP/1.1\r\nHo");
  FramedRequest request;
  FramingError error;
  EXPECT_EQ(framer.Next(&request, &error), RequestFramer::Result::kNeedMore);
  EXPECT_TRUE(framer.mid_request());
  EXPECT_FALSE(framer.head_complete());
  framer.Feed("st: x\r\n\r\n");
  EXPECT_EQ(framer.Next(&request, &error), RequestFramer::Result::kRequest);
  EXPECT_FALSE(framer.mid_request());
}

}  // namespace
}  // namespace tokengate
