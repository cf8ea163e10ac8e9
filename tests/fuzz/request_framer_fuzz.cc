// Feeds arbitrary bytes to the HTTP/1.1 request framer, the one place that
// decides where a request ends. Beyond not crashing, the framing must not
// depend on how the bytes arrive: the stream in one piece, cut at a few
// points and byte by byte gives the same requests and the same error; every
// request is made of bytes of the stream, in order; nothing follows an error
// or a closing request. Runs with the default limits and with tiny ones.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/http/request_framer.h"
#include "tests/fuzz/fuzz_check.h"

namespace tokengate {
namespace {

using fuzz::Require;

struct Trace {
  std::vector<FramedRequest> requests;
  std::optional<FramingError> error;
};

// Each request on its own is well formed as far as the framer vouches for it.
void CheckRequest(const FramedRequest& request, const FramerLimits& limits) {
  const absl::string_view head = request.head;
  Require(absl::EndsWith(head, "\r\n\r\n"), "a head ends with an empty line");
  Require(head.size() <= limits.max_header_bytes, "a head is within max_header_bytes");
  Require(request.body.size() <= limits.max_body_bytes, "a body is within max_body_bytes");
  Require(request.fields.size() <= limits.max_header_count, "fields are within max_header_count");
  for (size_t i = head.find('\n'); i != absl::string_view::npos; i = head.find('\n', i + 1)) {
    Require(i > 0 && head[i - 1] == '\r', "every LF of a head ends a CRLF");
  }
  auto within = [&](HeadSpan span) { return size_t{span.begin} + span.size <= head.size(); };
  Require(within(request.method_span) && within(request.target_span), "spans lie in the head");
  for (const FramedRequest::Field& field : request.fields) {
    Require(within(field.name) && within(field.value), "field spans lie in the head");
  }
  Require(request.method_span.begin == 0 && !request.method().empty(), "the head starts with the method");
  Require(
      absl::StartsWith(head.substr(request.method().size()), absl::StrCat(" ", request.target(), " HTTP/1.")),
      "the method is followed by the target and the version");
}

// Frames `input` fed in pieces ending at `cuts` (ascending, the last the size).
Trace Frame(absl::string_view input, const FramerLimits& limits, const std::vector<size_t>& cuts) {
  RequestFramer framer(limits);
  Trace trace;
  size_t from = 0;
  for (size_t cut : cuts) {
    framer.Feed(input.substr(from, cut - from));
    from = cut;
    while (!trace.error) {
      FramedRequest request;
      FramingError error;
      const RequestFramer::Result result = framer.Next(&request, &error);
      if (result == RequestFramer::Result::kNeedMore) break;
      if (result == RequestFramer::Result::kError) {
        Require(framer.done(), "an error ends the stream");
        Require(error.status >= 400 && error.status < 600, "an error has an error status");
        trace.error = error;
        break;
      }
      CheckRequest(request, limits);
      Require(!framer.done() || !request.keep_alive, "only a closing request ends the stream");
      Require(request.keep_alive || framer.done(), "a closing request ends the stream");
      trace.requests.push_back(std::move(request));
    }
  }
  if (framer.done()) {
    // Whatever comes after the end is never framed, even a perfect request.
    framer.Feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    FramedRequest request;
    FramingError error;
    Require(framer.Next(&request, &error) == RequestFramer::Result::kNeedMore,
            "nothing is framed after an error or a closing request");
    Require(!framer.mid_request(), "a finished framer holds no request");
  }
  return trace;
}

// The requests are the stream's bytes in order: each head is found after the
// previous request, and a Content-Length body is exactly the bytes after its
// head, so together they never consume more than the input.
void CheckConsumption(absl::string_view input, const Trace& trace) {
  size_t cursor = 0;
  bool exact = true;  // Whether `cursor` is where the previous request ended, not a lower bound.
  for (const FramedRequest& request : trace.requests) {
    const size_t at = input.find(request.head, cursor);
    Require(at != absl::string_view::npos, "a head is bytes of the stream, after the previous request");
    const size_t body_at = at + request.head.size();
    if (exact) {
      // Between requests only the empty lines the framer skips.
      for (size_t i = cursor; i < at; ++i)
        Require(input[i] == '\r' || input[i] == '\n', "no bytes are skipped");
    }
    exact = !request.FieldValue("transfer-encoding");
    if (exact) {
      Require(input.substr(body_at, request.body.size()) == request.body,
              "a Content-Length body is the bytes after its head");
    }
    cursor = body_at + request.body.size();
    Require(cursor <= input.size(), "requests never consume more than the input");
  }
}

bool SameRequest(const FramedRequest& a, const FramedRequest& b) {
  return a.head == b.head && a.body == b.body && a.keep_alive == b.keep_alive && a.http10 == b.http10 &&
         a.method() == b.method() && a.target() == b.target() && a.fields.size() == b.fields.size();
}

void RequireSameTrace(const Trace& a, const Trace& b, const char* how) {
  Require(a.requests.size() == b.requests.size(), how);
  for (size_t i = 0; i < a.requests.size(); ++i) Require(SameRequest(a.requests[i], b.requests[i]), how);
  Require(a.error.has_value() == b.error.has_value(), how);
  if (a.error) Require(a.error->status == b.error->status && a.error->reason == b.error->reason, how);
}

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

}  // namespace
}  // namespace tokengate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokengate;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const FramerLimits defaults;
  const FramerLimits tiny{
      .max_request_line_bytes = 64, .max_header_bytes = 256, .max_header_count = 3, .max_body_bytes = 10};
  // Cut points the input decides (a hash, so every input is also a plain stream).
  uint64_t h = Fnv1a(input);
  std::vector<size_t> cuts;
  for (int i = 0; i < 3 && size > 0; ++i, h >>= 16) cuts.push_back((h & 0xFFFF) % size);
  cuts.push_back(size);
  std::sort(cuts.begin(), cuts.end());
  std::vector<size_t> bytewise;
  if (size <= 512) {
    for (size_t i = 1; i <= size; ++i) bytewise.push_back(i);
  }
  for (const FramerLimits& limits : {defaults, tiny}) {
    const Trace whole = Frame(input, limits, {size});
    CheckConsumption(input, whole);
    RequireSameTrace(whole, Frame(input, limits, cuts), "cut in pieces, the stream frames the same");
    if (!bytewise.empty()) {
      RequireSameTrace(whole, Frame(input, limits, bytewise), "byte by byte, the stream frames the same");
    }
  }
  return 0;
}
