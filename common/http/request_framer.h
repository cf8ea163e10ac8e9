// Splits one connection's byte stream into HTTP/1.1 requests (RFC 9112) before
// anything else reads it: strict request line and field syntax, exactly one way
// to find the body's end (Content-Length or chunked), and limits. Whatever it
// cannot frame with certainty is an error after which it accepts nothing more,
// so no byte after a doubtful request can ever be read as a new request.
// Knows nothing of sockets or Pistache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace tokengate {

struct FramerLimits {
  size_t max_request_line_bytes = 8 << 10;  // 414 above
  size_t max_header_bytes = 32 << 10;       // request line + fields; 431 above
  size_t max_header_count = 100;            // 431 above
  size_t max_body_bytes = 1 << 20;          // 413 above (decoded size for chunked)
};

// Where a part of a request head lies, as an offset into `FramedRequest::head`
// (offsets, not views, so moving the request keeps them valid).
struct HeadSpan {
  uint32_t begin = 0;
  uint32_t size = 0;
};

// One complete request: its head exactly as received (request line and
// fields, ending in the empty line), where the framer found its parts, and
// its body, de-chunked. The framer's parse is the only one: handlers read
// method, target and fields from here.
struct FramedRequest {
  struct Field {
    HeadSpan name;
    HeadSpan value;  // Without the surrounding whitespace.
  };

  absl::string_view method() const { return View(method_span); }
  // The request target as sent (origin-form: path and query, or "*").
  absl::string_view target() const { return View(target_span); }
  absl::string_view View(HeadSpan span) const {
    return absl::string_view(head).substr(span.begin, span.size);
  }
  // The first field of that name (case-insensitive), or nullopt.
  std::optional<absl::string_view> FieldValue(absl::string_view name) const;

  std::string head;
  std::string body;
  HeadSpan method_span;
  HeadSpan target_span;
  absl::InlinedVector<Field, 12> fields;  // In the order received.
  bool http10 = false;
  // Whether the connection may carry another request after this one
  // (RFC 9112 §9.3: 1.1 unless "close", 1.0 only with "keep-alive").
  bool keep_alive = true;
};

// Why a stream cannot be framed: the status to answer with, a message for the
// client, and a short label for metrics.
struct FramingError {
  int status = 400;
  std::string message;
  std::string reason;
};

class RequestFramer {
 public:
  enum class Result { kNeedMore, kRequest, kError };

  explicit RequestFramer(FramerLimits limits) : limits_(limits) {}

  // Adds received bytes. After an error or a request that ends the
  // connection, bytes are dropped unread.
  void Feed(absl::string_view bytes);
  // The next complete request (consumed from the buffer), the error that ends
  // the stream, or kNeedMore.
  Result Next(FramedRequest* request, FramingError* error);
  // True when some bytes of a request not yet complete are buffered.
  bool mid_request() const { return !done_ && pos_ < buffer_.size(); }
  // Accepts nothing more and releases what is buffered (the connection ends).
  void Stop();
  // True once the head of the pending request is complete (only its body is missing).
  bool head_complete() const { return state_ != State::kHead; }
  // That request's head (no body yet) while head_complete(), for checks that
  // can answer before the body is read.
  const FramedRequest& pending_head() const { return current_; }
  // The body length the pending head declared (Content-Length); nullopt for
  // chunked or when no head is pending.
  std::optional<size_t> declared_body_bytes() const {
    if (state_ != State::kLengthBody) return std::nullopt;
    return content_length_;
  }
  // Bytes received and not yet handed out as requests (what this stream holds in memory).
  size_t buffered_bytes() const { return done_ ? 0 : buffer_.size() - pos_ + current_.body.size(); }
  // True once nothing more will be framed (error, or "close" seen).
  bool done() const { return done_; }
  // True once for a pending HTTP/1.1 request whose head asked for
  // "Expect: 100-continue" and whose body has not all arrived: the client
  // waits for an interim 100 before sending it (RFC 9110 §10.1.1).
  bool TakeContinue() { return std::exchange(continue_pending_, false); }

 private:
  enum class State { kHead, kLengthBody, kChunkSize, kChunkData, kTrailer };

  Result Fail(int status, absl::string_view message, absl::string_view reason, FramingError* error);
  // 414/431 when the head so far (whole or still arriving) breaks a limit, else kNeedMore.
  Result CheckHeadLimits(absl::string_view head, FramingError* error);
  Result ParseHead(absl::string_view head, FramingError* error);
  Result ReadChunked(FramingError* error);
  void Compact();

  const FramerLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;          // Start of unconsumed bytes.
  size_t head_scan_ = 0;    // Where the search for the head's end resumes.
  size_t empty_lines_ = 0;  // Skipped before the pending request.
  State state_ = State::kHead;
  bool done_ = false;
  bool continue_pending_ = false;
  FramedRequest current_;
  size_t content_length_ = 0;
  size_t chunk_left_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace tokengate
