#include "common/http/request_framer.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokengate {
namespace {

constexpr absl::string_view kCrlf = "\r\n";
// RFC 9112 §2.2 asks servers to skip at least one empty line before a request.
constexpr size_t kMaxLeadingEmptyLines = 2;
constexpr size_t kMaxChunkSizeLine = 1024;
constexpr size_t kMaxChunkSizeDigits = 15;  // Fits size_t; far above any body limit.
constexpr size_t kMaxContentLengthDigits = 18;

// Character classes as tables: these run over every byte of every head.
struct CharTables {
  std::array<bool, 256> tchar{};        // RFC 9110 §5.6.2
  std::array<bool, 256> field_value{};  // field-vchar / SP / HTAB / obs-text, no CTLs or DEL
};

constexpr CharTables MakeCharTables() {
  CharTables t;
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool special = false;
    for (char s : std::string_view("!#$%&'*+-.^_`|~")) special = special || c == s;
    t.tchar[c] = alnum || special;
    t.field_value[c] = c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7F);
  }
  return t;
}

constexpr CharTables kChars = MakeCharTables();

bool IsTchar(char c) { return kChars.tchar[static_cast<unsigned char>(c)]; }

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

// field-vchar / SP / HTAB (RFC 9110 §5.5); obs-text allowed, CTLs and DEL not.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    if (!kChars.field_value[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 9110's methods, PATCH (RFC 5789), QUERY (the httpbis draft) and
// WebDAV's (RFC 4918). A route that does not serve one of these answers 405
// with Allow; any other method is 501.
bool IsKnownMethod(absl::string_view method) {
  for (absl::string_view known :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "QUERY", "PROPFIND",
        "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"}) {
    if (method == known) return true;
  }
  return false;
}

// Values of Content-Length or Transfer-Encoding: nearly always one.
using FieldList = absl::InlinedVector<std::string, 2>;

// Elements of a comma-separated field value, trimmed and lower-cased; empty
// elements are skipped as RFC 9110 §5.6.1 allows.
void AppendListElements(absl::string_view value, FieldList& out) {
  for (absl::string_view element : absl::StrSplit(value, ',')) {
    element = TrimOws(element);
    if (!element.empty()) out.push_back(absl::AsciiStrToLower(element));
  }
}

// chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1): hex digits, then
// *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ).
bool ParseChunkSizeLine(absl::string_view line, size_t* size, bool* bad_extension) {
  size_t i = 0;
  size_t value = 0;
  while (i < line.size() && absl::ascii_isxdigit(static_cast<unsigned char>(line[i]))) {
    if (i >= kMaxChunkSizeDigits) return false;
    const char c = absl::ascii_tolower(line[i]);
    value = value * 16 + static_cast<size_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++i;
  }
  if (i == 0) return false;
  *size = value;
  auto skip_bws = [&] {
    while (i < line.size() && IsOws(line[i])) ++i;
  };
  auto take_token = [&] {
    const size_t start = i;
    while (i < line.size() && IsTchar(line[i])) ++i;
    return i > start;
  };
  while (true) {
    skip_bws();
    if (i == line.size()) return true;
    *bad_extension = true;
    if (line[i] != ';') return false;
    ++i;
    skip_bws();
    if (!take_token()) return false;
    skip_bws();
    if (i < line.size() && line[i] == '=') {
      ++i;
      skip_bws();
      if (i < line.size() && line[i] == '"') {
        ++i;
        bool closed = false;
        while (i < line.size() && !closed) {
          const auto u = static_cast<unsigned char>(line[i]);
          if (u == '"') {
            closed = true;
          } else if (u == '\\') {
            if (++i == line.size()) return false;
          } else if (!(u == '\t' || u == ' ' || (u >= 0x21 && u != 0x7F))) {
            return false;
          }
          ++i;
        }
        if (!closed) return false;
      } else if (!take_token()) {
        return false;
      }
    }
    *bad_extension = false;
  }
}

}  // namespace

std::optional<absl::string_view> FramedRequest::FieldValue(absl::string_view name) const {
  for (const Field& field : fields) {
    if (absl::EqualsIgnoreCase(View(field.name), name)) return View(field.value);
  }
  return std::nullopt;
}

void RequestFramer::Feed(absl::string_view bytes) {
  if (done_) return;
  buffer_.append(bytes.data(), bytes.size());
}

void RequestFramer::Stop() {
  done_ = true;
  continue_pending_ = false;
  std::string().swap(buffer_);
  pos_ = 0;
  current_ = FramedRequest();
}

RequestFramer::Result RequestFramer::Fail(int status, absl::string_view message, absl::string_view reason,
                                          FramingError* error) {
  done_ = true;
  continue_pending_ = false;
  buffer_.clear();
  pos_ = 0;
  *error = FramingError{.status = status, .message = std::string(message), .reason = std::string(reason)};
  return Result::kError;
}

RequestFramer::Result RequestFramer::CheckHeadLimits(absl::string_view head, FramingError* error) {
  const size_t first_line = std::min(head.find('\r'), head.size());
  if (first_line > limits_.max_request_line_bytes) {
    return Fail(414, "Request line too long", "request_line_too_long", error);
  }
  if (head.size() > limits_.max_header_bytes) {
    return Fail(431, "Request header fields too large", "headers_too_large", error);
  }
  return Result::kNeedMore;
}

void RequestFramer::Compact() {
  if (pos_ == 0) return;
  if (pos_ < buffer_.size() && pos_ < (64 << 10)) return;
  buffer_.erase(0, pos_);
  head_scan_ -= std::min(head_scan_, pos_);
  pos_ = 0;
}

RequestFramer::Result RequestFramer::Next(FramedRequest* request, FramingError* error) {
  if (done_) return Result::kNeedMore;
  if (state_ == State::kHead) {
    // Skip the empty lines a client may send between requests (counted across
    // calls, so sending them one packet at a time does not lift the limit).
    while (absl::StartsWith(absl::string_view(buffer_).substr(pos_), kCrlf)) {
      if (++empty_lines_ > kMaxLeadingEmptyLines) {
        return Fail(400, "Too many empty lines before the request line", "empty_lines", error);
      }
      pos_ += 2;
      head_scan_ = std::max(head_scan_, pos_);
    }
    head_scan_ = std::max(head_scan_, pos_);
    // Find the empty line that ends the head, refusing a bare LF on the way
    // (a bare CR is a control character the line checks below refuse).
    size_t end = std::string::npos;
    for (size_t i = buffer_.find('\n', head_scan_); i != std::string::npos; i = buffer_.find('\n', i + 1)) {
      if (i == pos_ || buffer_[i - 1] != '\r') {
        // The bytes before it were a head still arriving: the limits they
        // break answer first, as they would have had the LF come later.
        if (CheckHeadLimits(absl::string_view(buffer_).substr(pos_, i - pos_), error) == Result::kError) {
          return Result::kError;
        }
        return Fail(400, "Line ends with a bare LF; CRLF is required", "bare_lf", error);
      }
      if (i >= pos_ + 3 && buffer_[i - 2] == '\n') {
        end = i + 1;
        break;
      }
    }
    if (end == std::string::npos) {
      head_scan_ = buffer_.size();
      return CheckHeadLimits(absl::string_view(buffer_).substr(pos_), error);
    }
    const absl::string_view head = absl::string_view(buffer_).substr(pos_, end - pos_);
    if (CheckHeadLimits(head, error) == Result::kError) return Result::kError;
    current_ = FramedRequest();
    const Result parsed = ParseHead(head, error);
    if (parsed == Result::kError) return parsed;
    current_.head.assign(head.data(), head.size());
    pos_ = end;
    head_scan_ = end;
    if (parsed == Result::kRequest) state_ = State::kHead;
    const auto expect = current_.FieldValue("expect");
    continue_pending_ = state_ != State::kHead && !current_.http10 && expect &&
                        absl::EqualsIgnoreCase(*expect, "100-continue");
  }
  if (state_ == State::kLengthBody) {
    if (buffer_.size() - pos_ < content_length_) return Result::kNeedMore;
    current_.body.assign(buffer_, pos_, content_length_);
    pos_ += content_length_;
    state_ = State::kHead;
  } else if (state_ != State::kHead) {
    const Result chunked = ReadChunked(error);
    if (chunked != Result::kRequest) return chunked;
    state_ = State::kHead;
  }
  *request = std::move(current_);
  current_ = FramedRequest();
  continue_pending_ = false;
  empty_lines_ = 0;
  if (!request->keep_alive) {
    done_ = true;
    buffer_.clear();
    pos_ = 0;
  }
  head_scan_ = std::max(head_scan_, pos_);
  Compact();
  return Result::kRequest;
}

RequestFramer::Result RequestFramer::ParseHead(absl::string_view head, FramingError* error) {
  const auto span = [&](absl::string_view part) {
    return HeadSpan{.begin = static_cast<uint32_t>(part.data() - head.data()),
                    .size = static_cast<uint32_t>(part.size())};
  };
  // Every LF in the head ends a CRLF (bare LFs were refused while finding
  // its end), and the head ends in CRLF CRLF.
  const size_t line_end = head.find(kCrlf);
  const absl::string_view request_line = head.substr(0, line_end);
  if (request_line.size() > limits_.max_request_line_bytes) {
    return Fail(414, "Request line too long", "request_line_too_long", error);
  }
  if (static_cast<size_t>(std::count(head.begin(), head.end(), '\n')) - 2 > limits_.max_header_count) {
    return Fail(431, "Too many request header fields", "too_many_headers", error);
  }

  const size_t first_space = request_line.find(' ');
  const size_t second_space = request_line.find(' ', first_space + 1);
  if (first_space == absl::string_view::npos || second_space == absl::string_view::npos ||
      request_line.find(' ', second_space + 1) != absl::string_view::npos) {
    return Fail(400, "Malformed request line", "bad_request_line", error);
  }
  const absl::string_view method = request_line.substr(0, first_space);
  const absl::string_view target = request_line.substr(first_space + 1, second_space - first_space - 1);
  const absl::string_view version = request_line.substr(second_space + 1);
  if (!IsToken(method)) return Fail(400, "Malformed request method", "bad_method", error);
  if (version == "HTTP/1.1") {
    current_.http10 = false;
  } else if (version == "HTTP/1.0") {
    current_.http10 = true;
  } else if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Fail(505, "HTTP version not supported", "bad_version", error);
  } else {
    return Fail(400, "Malformed HTTP version", "bad_version", error);
  }
  if (!IsKnownMethod(method)) {
    return Fail(501, absl::StrCat("Method not implemented: ", method.substr(0, 32)), "unknown_method", error);
  }
  bool target_ok = !target.empty() && (target[0] == '/' || (target == "*" && method == "OPTIONS"));
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) target_ok = false;
  }
  if (!target_ok) return Fail(400, "Malformed request target", "bad_target", error);
  current_.method_span = span(method);
  current_.target_span = span(target);

  FieldList content_lengths, codings;
  bool connection_close = false, connection_keep_alive = false;
  int hosts = 0;
  for (size_t start = line_end + 2; start < head.size() - 2;) {
    const size_t end = head.find(kCrlf, start);
    const absl::string_view line = head.substr(start, end - start);
    start = end + 2;
    if (!line.empty() && IsOws(line[0])) {
      return Fail(400, "Obsolete line folding is not accepted", "obs_fold", error);
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Fail(400, "Malformed header field", "bad_header", error);
    }
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      return Fail(400, "Invalid character in a header field value", "bad_header", error);
    }
    current_.fields.push_back({.name = span(name), .value = span(value)});
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      AppendListElements(value, content_lengths);
      if (value.empty()) content_lengths.emplace_back();
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      AppendListElements(value, codings);
      if (value.empty()) codings.emplace_back();
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      for (absl::string_view option : absl::StrSplit(value, ',')) {
        option = TrimOws(option);
        connection_close = connection_close || absl::EqualsIgnoreCase(option, "close");
        connection_keep_alive = connection_keep_alive || absl::EqualsIgnoreCase(option, "keep-alive");
      }
    } else if (absl::EqualsIgnoreCase(name, "host")) {
      ++hosts;
    }
  }
  if (!current_.http10 && hosts != 1) {
    return Fail(400, hosts == 0 ? "Missing Host header" : "More than one Host header", "bad_host", error);
  }
  if (hosts > 1) return Fail(400, "More than one Host header", "bad_host", error);

  current_.keep_alive = current_.http10 ? connection_keep_alive && !connection_close : !connection_close;

  if (!codings.empty()) {
    if (current_.http10) {
      return Fail(400, "Transfer-Encoding is not allowed in HTTP/1.0", "te_http10", error);
    }
    if (!content_lengths.empty()) {
      return Fail(400, "Content-Length together with Transfer-Encoding", "cl_and_te", error);
    }
    if (codings.back() != "chunked") {
      return Fail(codings.back().empty() ? 400 : 501,
                  "Transfer-Encoding must end in chunked; no other coding is supported",
                  "bad_transfer_encoding", error);
    }
    if (codings.size() > 1) {
      return Fail(std::count(codings.begin(), codings.end(), "chunked") > 1 ? 400 : 501,
                  "Only Transfer-Encoding: chunked is supported", "bad_transfer_encoding", error);
    }
    state_ = State::kChunkSize;
    trailer_bytes_ = 0;
    return Result::kNeedMore;
  }
  if (!content_lengths.empty()) {
    for (const auto& v : content_lengths) {
      if (v != content_lengths[0]) {
        return Fail(400, "Differing Content-Length values", "differing_content_length", error);
      }
    }
    const std::string& v = content_lengths[0];
    uint64_t length = 0;
    if (v.empty() || v.size() > kMaxContentLengthDigits ||
        !std::all_of(v.begin(), v.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(v, &length)) {
      return Fail(400, "Malformed Content-Length", "bad_content_length", error);
    }
    if (length > limits_.max_body_bytes) {
      return Fail(413, absl::StrCat("Request body is larger than ", limits_.max_body_bytes, " bytes"),
                  "body_too_large", error);
    }
    if (length > 0) {
      content_length_ = length;
      state_ = State::kLengthBody;
      return Result::kNeedMore;
    }
  }
  return Result::kRequest;
}

RequestFramer::Result RequestFramer::ReadChunked(FramingError* error) {
  while (true) {
    const absl::string_view rest = absl::string_view(buffer_).substr(pos_);
    if (state_ == State::kChunkData) {
      if (rest.size() < chunk_left_ + 2) return Result::kNeedMore;
      if (rest.substr(chunk_left_, 2) != kCrlf) {
        return Fail(400, "Chunk data is not followed by CRLF", "bad_chunk", error);
      }
      current_.body.append(rest.data(), chunk_left_);
      pos_ += chunk_left_ + 2;
      state_ = State::kChunkSize;
      continue;
    }
    // The length limits hold for a line still arriving and for a whole one
    // alike, and answer before its syntax, so where TCP cut it never matters.
    const size_t lf = rest.find('\n');
    const size_t line_bytes = std::min(lf, rest.size());  // Up to the LF, CR included.
    if (state_ == State::kChunkSize && line_bytes > kMaxChunkSizeLine) {
      return Fail(400, "Chunk size line too long", "bad_chunk_size", error);
    }
    if (state_ == State::kTrailer && trailer_bytes_ + line_bytes > limits_.max_header_bytes) {
      return Fail(431, "Trailer fields too large", "headers_too_large", error);
    }
    if (lf == absl::string_view::npos) return Result::kNeedMore;
    if (lf == 0 || rest[lf - 1] != '\r') {
      return Fail(400, "Line ends with a bare LF; CRLF is required", "bare_lf", error);
    }
    const absl::string_view line = rest.substr(0, lf - 1);
    if (line.find('\r') != absl::string_view::npos) {
      return Fail(400, "Bare CR in chunked framing", "bare_cr", error);
    }
    pos_ += lf + 1;
    if (state_ == State::kTrailer) {
      if (line.empty()) return Result::kRequest;
      trailer_bytes_ += line.size() + 2;
      const size_t colon = line.find(':');
      if (IsOws(line[0]) || colon == absl::string_view::npos || !IsToken(line.substr(0, colon)) ||
          !IsFieldValue(line.substr(colon + 1))) {
        return Fail(400, "Malformed trailer field", "bad_chunk", error);
      }
      continue;
    }
    size_t size = 0;
    bool bad_extension = false;
    if (!ParseChunkSizeLine(line, &size, &bad_extension)) {
      return Fail(400, bad_extension ? "Malformed chunk extension" : "Malformed chunk size",
                  bad_extension ? "bad_chunk_extension" : "bad_chunk_size", error);
    }
    if (size == 0) {
      state_ = State::kTrailer;
      continue;
    }
    if (current_.body.size() + size > limits_.max_body_bytes) {
      return Fail(413, absl::StrCat("Request body is larger than ", limits_.max_body_bytes, " bytes"),
                  "body_too_large", error);
    }
    chunk_left_ = size;
    state_ = State::kChunkData;
  }
}

}  // namespace tokengate
