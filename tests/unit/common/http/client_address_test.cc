#include "common/http/client_address.h"

#include <vector>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace tokengate {
namespace {

using ::tokengate::testing::IsOk;

TrustedProxies Trust(absl::string_view list) {
  auto proxies = TrustedProxies::Parse(list);
  EXPECT_THAT(proxies, IsOk());
  return *proxies;
}

std::string From(absl::string_view peer, std::vector<absl::string_view> xff, absl::string_view trusted) {
  return ClientAddress(peer, xff, Trust(trusted));
}

TEST(TrustedProxiesTest, ParsesCidrsAndSingleAddresses) {
  TrustedProxies proxies = Trust(" 10.0.0.0/8 , 192.168.1.7,2001:db8::/32, ::1");
  EXPECT_TRUE(proxies.Contains("10.200.3.4"));
  EXPECT_TRUE(proxies.Contains("192.168.1.7"));
  EXPECT_FALSE(proxies.Contains("192.168.1.8"));
  EXPECT_TRUE(proxies.Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(proxies.Contains("2001:db9::1"));
  EXPECT_TRUE(proxies.Contains("::1"));
  EXPECT_FALSE(proxies.Contains("11.0.0.1"));
}

TEST(TrustedProxiesTest, OddPrefixLengthsMaskPartialBytes) {
  TrustedProxies proxies = Trust("172.16.0.0/12");
  EXPECT_TRUE(proxies.Contains("172.31.255.255"));
  EXPECT_FALSE(proxies.Contains("172.32.0.0"));
  EXPECT_TRUE(Trust("0.0.0.0/0").Contains("8.8.8.8"));
}

TEST(TrustedProxiesTest, Ipv4MappedIpv6PeerMatchesIpv4Network) {
  EXPECT_TRUE(Trust("127.0.0.0/8").Contains("::ffff:127.0.0.1"));
}

TEST(TrustedProxiesTest, EmptyListTrustsNobody) {
  TrustedProxies proxies = Trust("");
  EXPECT_TRUE(proxies.empty());
  EXPECT_FALSE(proxies.Contains("127.0.0.1"));
}

TEST(TrustedProxiesTest, BadEntriesAreRefusedWithTheirText) {
  for (absl::string_view bad :
       {"10.0.0.0/33", "10.0.0.0/", "nope", "10.0.0.0/8,300.1.1.1", "::1/129", "10.0.0.0/-1", "1.2.3.4/8x"}) {
    auto proxies = TrustedProxies::Parse(bad);
    EXPECT_FALSE(proxies.ok()) << bad;
    EXPECT_EQ(proxies.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(TrustedProxies::Parse("10.0.0.0/8,nope").status().message().find("'nope'"), std::string::npos);
}

TEST(ClientAddressTest, WithoutTrustedProxiesTheHeaderIsIgnored) {
  EXPECT_EQ(From("198.51.100.4", {"203.0.113.9"}, ""), "198.51.100.4");
}

TEST(ClientAddressTest, SpoofedHeaderFromUntrustedPeerIsIgnored) {
  EXPECT_EQ(From("198.51.100.4", {"1.1.1.1, 127.0.0.1"}, "127.0.0.1"), "198.51.100.4");
}

TEST(ClientAddressTest, TrustedPeerGivesTheRightMostUntrustedHop) {
  // The client forged "6.6.6.6" in front; the proxy appended what it saw.
  EXPECT_EQ(From("127.0.0.1", {"6.6.6.6, 203.0.113.9"}, "127.0.0.1"), "203.0.113.9");
}

TEST(ClientAddressTest, ChainsOfTrustedProxiesAreSkipped) {
  EXPECT_EQ(From("10.0.0.2", {"6.6.6.6, 203.0.113.9, 10.0.0.5, 10.0.0.3"}, "10.0.0.0/8"), "203.0.113.9");
}

TEST(ClientAddressTest, RepeatedHeaderFieldsAreOneListInOrder) {
  EXPECT_EQ(From("10.0.0.2", {"6.6.6.6", "203.0.113.9", "10.0.0.5"}, "10.0.0.0/8"), "203.0.113.9");
}

TEST(ClientAddressTest, TrustedPeerWithoutHeaderIsThePeer) {
  EXPECT_EQ(From("127.0.0.1", {}, "127.0.0.1"), "127.0.0.1");
}

TEST(ClientAddressTest, AllHopsTrustedGivesTheLeftMost) {
  EXPECT_EQ(From("10.0.0.2", {"10.0.0.9, 10.0.0.5"}, "10.0.0.0/8"), "10.0.0.9");
}

TEST(ClientAddressTest, MalformedEntryStopsAtTheHopThatSentIt) {
  EXPECT_EQ(From("127.0.0.1", {"203.0.113.9, garbage"}, "127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(From("10.0.0.2", {"203.0.113.9, unknown, 10.0.0.7"}, "10.0.0.0/8"), "10.0.0.7");
  EXPECT_EQ(From("127.0.0.1", {"203.0.113.9,,"}, "127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(From("127.0.0.1", {"999.1.1.1"}, "127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(From("127.0.0.1", {"203.0.113.9\x01"}, "127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(From("127.0.0.1", {std::string(5000, '1')}, "127.0.0.1"), "127.0.0.1");
}

TEST(ClientAddressTest, PortsAndBracketsAreUnderstoodAndDropped) {
  EXPECT_EQ(From("127.0.0.1", {"203.0.113.9:4711"}, "127.0.0.1"), "203.0.113.9");
  EXPECT_EQ(From("127.0.0.1", {"[2001:db8::1]:443"}, "127.0.0.1"), "2001:db8::1");
  EXPECT_EQ(From("127.0.0.1", {"[2001:DB8:0::1]"}, "127.0.0.1"), "2001:db8::1");
  EXPECT_EQ(From("127.0.0.1", {"2001:db8::1"}, "127.0.0.1"), "2001:db8::1");
  EXPECT_EQ(From("127.0.0.1", {"203.0.113.9:99999"}, "127.0.0.1"), "127.0.0.1");
}

TEST(ClientAddressTest, Ipv4MappedPeerIsReportedAsIpv4) {
  EXPECT_EQ(From("::ffff:198.51.100.4", {"6.6.6.6"}, ""), "198.51.100.4");
  EXPECT_EQ(From("::ffff:127.0.0.1", {"203.0.113.9"}, "127.0.0.1"), "203.0.113.9");
}

}  // namespace
}  // namespace tokengate
