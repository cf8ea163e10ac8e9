#include "services/http2kafka/gzip_inflater.h"

#include <sys/resource.h>
#include <zlib.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

using ::testing::HasSubstr;

std::string Gzip(const std::string& data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// `zeros` zero bytes, compressed chunk by chunk so the test itself never holds them.
std::string GzipOfZeros(size_t zeros) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  const std::string chunk(1 << 20, '\0');
  std::string out;
  char buffer[1 << 16];
  size_t left = zeros;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    const size_t n = std::min(left, chunk.size());
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    s.avail_in = static_cast<uInt>(n);
    do {
      s.next_out = reinterpret_cast<Bytef*>(buffer);
      s.avail_out = sizeof(buffer);
      deflate(&s, flush);
      out.append(buffer, sizeof(buffer) - s.avail_out);
    } while (s.avail_out == 0);
  }
  deflateEnd(&s);
  return out;
}

TEST(GzipInflaterTest, InflatesAnEventBackToItsBytes) {
  const std::string event = R"({"eventType":"START","eventTime":"2024-07-05T09:04:13Z"})";
  auto inflated = InflateGzip(Gzip(event), 1024);
  ASSERT_THAT(inflated, IsOk());
  EXPECT_EQ(*inflated, event);
}

TEST(GzipInflaterTest, BodyExactlyAtTheLimitIsAccepted) {
  const std::string data(4096, 'x');
  auto inflated = InflateGzip(Gzip(data), 4096);
  ASSERT_THAT(inflated, IsOk());
  EXPECT_EQ(inflated->size(), 4096u);
}

TEST(GzipInflaterTest, OneByteOverTheLimitIsTooLarge) {
  auto inflated = InflateGzip(Gzip(std::string(4097, 'x')), 4096);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(inflated.status().message(), HasSubstr("too large"));
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(GzipInflaterTest, GigabyteBombStopsAtTheLimitWithoutAllocatingIt) {
  const std::string bomb = GzipOfZeros(size_t{1} << 30);
  ASSERT_LT(bomb.size(), 2u << 20) << "the bomb should be small when compressed";
  const long before = PeakRssKib();
  auto inflated = InflateGzip(bomb, 10 << 20);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kResourceExhausted));
  // The peak may grow by the 10 MiB limit (and allocator slack), never by the gigabyte.
  EXPECT_LT(PeakRssKib() - before, 64 * 1024);
}

TEST(GzipInflaterTest, TruncatedStreamIsRefused) {
  const std::string gz = Gzip(std::string(10000, 'a') + "tail");
  auto inflated = InflateGzip(gz.substr(0, gz.size() - 6), 1 << 20);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(inflated.status().message(), HasSubstr("truncated"));
}

TEST(GzipInflaterTest, StreamCutInsideTheHeaderIsRefused) {
  auto inflated = InflateGzip(Gzip("{}").substr(0, 4), 1024);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GzipInflaterTest, EmptyBodyIsTruncated) {
  auto inflated = InflateGzip("", 1024);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GzipInflaterTest, CorruptDataIsRefused) {
  std::string gz = Gzip(std::string(1000, 'z') + "0123456789");
  gz[gz.size() / 2] ^= 0x55;
  auto inflated = InflateGzip(gz, 1 << 20);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GzipInflaterTest, WrongTrailerChecksumIsRefused) {
  std::string gz = Gzip("{\"a\":1}");
  gz[gz.size() - 8] ^= 0x01;  // CRC32 of the trailer.
  auto inflated = InflateGzip(gz, 1024);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(inflated.status().message(), HasSubstr("corrupt"));
}

TEST(GzipInflaterTest, PlainJsonIsNotGzip) {
  auto inflated = InflateGzip(R"({"eventType":"START"})", 1024);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GzipInflaterTest, ConcatenatedMembersInflateToTheirConcatenation) {
  auto inflated = InflateGzip(Gzip("{\"a\":") + Gzip("1}"), 1024);
  ASSERT_THAT(inflated, IsOk());
  EXPECT_EQ(*inflated, "{\"a\":1}");
}

TEST(GzipInflaterTest, GarbageAfterTheStreamIsRefused) {
  auto inflated = InflateGzip(Gzip("{}") + "garbage", 1024);
  EXPECT_THAT(inflated, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GzipInflaterTest, SpareCapacityIsReserved) {
  auto inflated = InflateGzip(Gzip("{}"), 1024, 64);
  ASSERT_THAT(inflated, IsOk());
  EXPECT_GE(inflated->capacity(), inflated->size() + 64);
}

}  // namespace
}  // namespace tokengate
