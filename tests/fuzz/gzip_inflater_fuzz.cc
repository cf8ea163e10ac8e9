// Feeds arbitrary bytes to the gzip inflater of request bodies, with a small
// and a large limit, and gzips arbitrary bytes to inflate them back. The
// output never exceeds the limit; the limit only cuts, never changes what is
// inflated; a stream refused as corrupt is refused whatever the limit; and
// the gzip of data within the limit (one member or two) round-trips exactly.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/http2kafka/gzip_inflater.h"
#include "tests/fuzz/fuzz_check.h"

namespace tokengate {
namespace {

using fuzz::Require;

constexpr size_t kSmall = 1024;
constexpr size_t kLarge = 256 << 10;
constexpr size_t kSpare = 64;  // As the route asks for simdjson's padding.

std::string Gzip(absl::string_view data, int level) {
  z_stream s{};
  Require(deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
          "zlib deflate starts");
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  Require(deflate(&s, Z_FINISH) == Z_STREAM_END, "zlib deflate finishes");
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// The input taken as a gzip body.
void InflateAsBody(absl::string_view input) {
  const auto small = InflateGzip(input, kSmall, kSpare);
  const auto large = InflateGzip(input, kLarge);
  if (large.ok()) Require(large->size() <= kLarge, "output stays within the limit");
  if (small.ok()) {
    Require(small->size() <= kSmall, "output stays within the limit");
    Require(small->capacity() >= small->size() + kSpare, "the spare capacity is there");
    Require(large.ok() && *large == *small, "a higher limit inflates the same bytes");
  } else if (absl::IsResourceExhausted(small.status())) {
    // Cut at the limit: the whole stream is larger, or fails further on.
    Require(!large.ok() || large->size() > kSmall, "too large means larger than the limit");
  } else {
    Require(large.status().code() == small.status().code(), "a refusal does not depend on the limit");
  }
}

// The input taken as the content of a body.
void RoundTrip(absl::string_view content) {
  const int level = static_cast<int>(content.size() % 10);
  const std::string gz = Gzip(content, level);
  const auto exact = InflateGzip(gz, content.size());
  Require(exact.ok() && *exact == content, "gzip of data at the limit round-trips");
  if (!content.empty()) {
    Require(absl::IsResourceExhausted(InflateGzip(gz, content.size() - 1).status()),
            "one byte over the limit is too large");
  }
  const size_t half = content.size() / 2;
  const std::string two =
      absl::StrCat(Gzip(content.substr(0, half), level), Gzip(content.substr(half), level));
  const auto joined = InflateGzip(two, content.size());
  Require(joined.ok() && *joined == content, "two gzip members inflate to their contents joined");
  Require(!InflateGzip(absl::string_view(gz).substr(0, gz.size() - 1), kLarge).ok(),
          "a truncated stream is refused");
}

}  // namespace
}  // namespace tokengate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  tokengate::InflateAsBody(input);
  if (size <= tokengate::kSmall) tokengate::RoundTrip(input);
  return 0;
}
