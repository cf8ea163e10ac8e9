// IP networks: parsing (strict and lenient), containment, coverage, text.
#include "common/base/ip_network.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

IpAddress Ip(const char* text) {
  auto ip = ParseIpAddress(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress{});
}

TEST(IpNetworkTest, ContainsIpv4AndIpv6ByPrefix) {
  auto v4 = IpNetwork::Parse("10.1.0.0/16", true);
  ASSERT_THAT(v4, IsOk());
  EXPECT_TRUE(v4->Contains(Ip("10.1.255.3")));
  EXPECT_FALSE(v4->Contains(Ip("10.2.0.1")));
  auto v6 = IpNetwork::Parse("2001:db8::/33", true);
  ASSERT_THAT(v6, IsOk());
  EXPECT_TRUE(v6->Contains(Ip("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->Contains(Ip("2001:db8:8000::1")));
  EXPECT_FALSE(v6->Contains(Ip("10.1.0.1")));
}

TEST(IpNetworkTest, StrictRefusesHostBitsLenientDropsThem) {
  EXPECT_FALSE(IpNetwork::Parse("10.0.0.1/8", true).ok());
  auto lenient = IpNetwork::Parse("10.0.0.1/8", false);
  ASSERT_THAT(lenient, IsOk());
  EXPECT_EQ(lenient->ToString(), "10.0.0.0/8");
}

TEST(IpNetworkTest, BareAddressIsOneHostAndTextIsCanonical) {
  EXPECT_EQ(IpNetwork::Parse("192.0.2.7", true)->ToString(), "192.0.2.7/32");
  EXPECT_EQ(IpNetwork::Parse("2001:DB8:0::1", true)->ToString(), "2001:db8::1/128");
  EXPECT_EQ(IpNetwork::Parse("::ffff:192.0.2.7", true)->ToString(), "192.0.2.7/32");
}

TEST(IpNetworkTest, ErrorsQuoteTheTextAndSayWhatIsWrong) {
  EXPECT_EQ(IpNetwork::Parse("10.0.0.0/33", true).status().message(),
            "'10.0.0.0/33' has a bad prefix length");
  EXPECT_EQ(IpNetwork::Parse("nope", true).status().message(), "'nope' is not an IP address or CIDR");
  EXPECT_EQ(IpNetwork::Parse("10.0.0.1/8", true).status().message(), "'10.0.0.1/8' has host bits set");
}

TEST(IpNetworkTest, CoversOnlySmallerNetworksInsideItOfTheSameFamily) {
  const IpNetwork wide = *IpNetwork::Parse("10.0.0.0/8", true);
  EXPECT_TRUE(wide.Covers(*IpNetwork::Parse("10.1.0.0/16", true)));
  EXPECT_TRUE(wide.Covers(wide));
  EXPECT_FALSE(IpNetwork::Parse("10.1.0.0/16", true)->Covers(wide));
  EXPECT_FALSE(wide.Covers(*IpNetwork::Parse("11.0.0.0/16", true)));
  EXPECT_FALSE(IpNetwork::Parse("::/0", true)->Covers(wide));
}

}  // namespace
}  // namespace tokengate
