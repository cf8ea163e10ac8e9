#include "services/http2kafka/gzip_inflater.h"

#include <zlib.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokengate {
namespace {

// 16 + MAX_WBITS: expect a gzip header and trailer, not a raw zlib stream.
constexpr int kGzipWindowBits = 16 + MAX_WBITS;
constexpr size_t kFirstChunk = 64 * 1024;

// One inflate state per thread, reset between bodies: zlib's state and its
// 32 KiB window are allocated once instead of per request.
class ZStream {
 public:
  ZStream() { ok_ = inflateInit2(&stream_, kGzipWindowBits) == Z_OK; }
  ~ZStream() {
    if (ok_) inflateEnd(&stream_);
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;

  bool ok() const { return ok_; }
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

absl::StatusOr<std::string> InflateGzip(absl::string_view compressed, size_t max_bytes,
                                        size_t spare_capacity) {
  if (compressed.empty()) return absl::InvalidArgumentError("gzip body is empty (truncated)");
  thread_local ZStream z;
  if (!z.ok() || inflateReset(z.get()) != Z_OK) return absl::InternalError("cannot initialise zlib");
  z_stream* s = z.get();
  s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  s->avail_in = static_cast<uInt>(compressed.size());

  // One byte past the limit is room enough to learn that the limit is exceeded.
  const size_t hard_cap = max_bytes + 1;
  std::string out;
  // The trailer's ISIZE (RFC 1952 §2.3.1) usually gives the exact size: one
  // buffer, no growth. It is the sender's word, so it only sizes the first
  // buffer, never beyond the limit.
  size_t first = kFirstChunk;
  if (compressed.size() >= 18) {
    const auto* trailer = reinterpret_cast<const unsigned char*>(compressed.data() + compressed.size() - 4);
    first =
        (size_t{trailer[0]} | size_t{trailer[1]} << 8 | size_t{trailer[2]} << 16 | size_t{trailer[3]} << 24) +
        1;
  }
  first = std::min(hard_cap, std::max<size_t>(first, 1));
  out.reserve(first + spare_capacity);
  out.resize(first);
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() == hard_cap) {
        return absl::ResourceExhaustedError(
            absl::StrCat("body is too large: more than ", max_bytes, " bytes once inflated"));
      }
      out.resize(std::min(hard_cap, out.size() * 2));
    }
    s->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    s->avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = inflate(s, Z_NO_FLUSH);
    produced = out.size() - s->avail_out;
    if (produced > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("body is too large: more than ", max_bytes, " bytes once inflated"));
    }
    if (rc == Z_STREAM_END) {
      if (s->avail_in == 0) break;
      // Another gzip member follows (RFC 1952 §2.2): its content is appended.
      if (inflateReset(s) != Z_OK) return absl::InternalError("cannot reset zlib");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && s->avail_in == 0 && s->avail_out > 0) {
      return absl::InvalidArgumentError("gzip body is truncated");
    }
    if (rc == Z_BUF_ERROR) continue;  // Output full: grow and go on.
    if (rc == Z_MEM_ERROR) return absl::InternalError("zlib is out of memory");
    return absl::InvalidArgumentError(
        absl::StrCat("gzip body is corrupt: ", s->msg != nullptr ? s->msg : "invalid data"));
  }
  out.resize(produced);
  if (spare_capacity > 0) out.reserve(produced + spare_capacity);
  return out;
}

}  // namespace tokengate
