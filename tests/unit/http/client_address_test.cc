// The trusted client address (Istio's remote.ip): the TCP peer, or with numTrustedProxies N the
// N-th X-Forwarded-For entry counted from the right, as Envoy computes it with
// use_remote_address and xff_num_trusted_hops.
#include "http/client_address.h"

#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

namespace ip = boost::asio::ip;

const ip::address kPeer = ip::make_address("10.0.0.9");

// The example of Istio's network topology guide.
constexpr std::string_view kDocsChain = "56.5.6.7, 72.9.5.6, 98.1.2.3";

boost::beast::http::fields withXff(std::string_view value) {
  boost::beast::http::fields headers;
  headers.insert("X-Forwarded-For", value);
  return headers;
}

std::string trusted(const boost::beast::http::fields& headers, uint32_t hops) {
  return trustedClientAddress(headers, kPeer, hops).to_string();
}

TEST(TrustedClientAddress, ZeroHopsIsPeer) {
  EXPECT_EQ(trusted(withXff(kDocsChain), 0), "10.0.0.9");
}

TEST(TrustedClientAddress, CountsFromRight) {
  const auto headers = withXff(kDocsChain);
  EXPECT_EQ(trusted(headers, 1), "98.1.2.3");
  EXPECT_EQ(trusted(headers, 2), "72.9.5.6");
  EXPECT_EQ(trusted(headers, 3), "56.5.6.7");
}

TEST(TrustedClientAddress, SingleEntryWithOneHop) {
  EXPECT_EQ(trusted(withXff("192.168.1.7"), 1), "192.168.1.7");
}

TEST(TrustedClientAddress, FewerEntriesFallsBackToPeer) {
  EXPECT_EQ(trusted(withXff(kDocsChain), 4), "10.0.0.9");
  EXPECT_EQ(trusted(withXff("1.2.3.4"), 2), "10.0.0.9");
}

TEST(TrustedClientAddress, MissingHeaderFallsBackToPeer) {
  EXPECT_EQ(trusted(boost::beast::http::fields{}, 1), "10.0.0.9");
}

TEST(TrustedClientAddress, JoinsHeaderLines) {
  boost::beast::http::fields headers;
  headers.insert("x-forwarded-for", "1.1.1.1");
  headers.insert("X-Forwarded-For", "2.2.2.2, 3.3.3.3");
  EXPECT_EQ(trusted(headers, 1), "3.3.3.3");
  EXPECT_EQ(trusted(headers, 2), "2.2.2.2");
  EXPECT_EQ(trusted(headers, 3), "1.1.1.1");
  EXPECT_EQ(trusted(headers, 4), "10.0.0.9");
}

TEST(TrustedClientAddress, TrimsSpacesAndTabs) {
  EXPECT_EQ(trusted(withXff("1.1.1.1,\t 2.2.2.2 \t"), 1), "2.2.2.2");
  EXPECT_EQ(trusted(withXff("1.1.1.1,2.2.2.2"), 2), "1.1.1.1");
}

TEST(TrustedClientAddress, InvalidEntryFallsBackToPeer) {
  EXPECT_EQ(trusted(withXff("1.1.1.1, unknown"), 1), "10.0.0.9");
  EXPECT_EQ(trusted(withXff("1.1.1.1, 2.2.2.2:8080"), 1), "10.0.0.9");
}

TEST(TrustedClientAddress, ValidEntryLeftOfInvalidOneStillCounts) {
  EXPECT_EQ(trusted(withXff("1.1.1.1, unknown"), 2), "1.1.1.1");
}

TEST(TrustedClientAddress, AcceptsIpv6Entry) {
  EXPECT_EQ(trusted(withXff("2001:db8::7, 1.1.1.1"), 2), "2001:db8::7");
}

TEST(TrustedClientAddress, UnmapsIpv4MappedEntry) {
  const ip::address address = trustedClientAddress(withXff("::ffff:10.1.2.3"), kPeer, 1);
  EXPECT_TRUE(address.is_v4());
  EXPECT_EQ(address.to_string(), "10.1.2.3");
}

TEST(ParseIp, AcceptsIpv4AndIpv6) {
  ip::address out;
  ASSERT_TRUE(parseIp("203.0.113.5", out));
  EXPECT_EQ(out.to_string(), "203.0.113.5");
  ASSERT_TRUE(parseIp("::1", out));
  EXPECT_TRUE(out.is_v6());
}

TEST(ParseIp, UnmapsIpv4MappedIpv6) {
  ip::address out;
  ASSERT_TRUE(parseIp("::ffff:192.0.2.1", out));
  EXPECT_TRUE(out.is_v4());
  EXPECT_EQ(out.to_string(), "192.0.2.1");
}

TEST(ParseIp, RejectsNonAddresses) {
  ip::address out;
  EXPECT_FALSE(parseIp("", out));
  EXPECT_FALSE(parseIp("1.2.3", out));
  EXPECT_FALSE(parseIp("1.2.3.256", out));
  EXPECT_FALSE(parseIp("1.2.3.4:80", out));
  EXPECT_FALSE(parseIp("[::1]", out));
  EXPECT_FALSE(parseIp("example.com", out));
  EXPECT_FALSE(parseIp(" 1.2.3.4", out));
}

TEST(ParseIp, LeavesOutputOnFailure) {
  ip::address out = ip::make_address("192.0.2.1");
  EXPECT_FALSE(parseIp("bogus", out));
  EXPECT_EQ(out.to_string(), "192.0.2.1");
}

TEST(Unmapped, ConvertsOnlyMappedAddresses) {
  EXPECT_EQ(unmapped(ip::make_address("::ffff:198.51.100.4")).to_string(), "198.51.100.4");
  EXPECT_EQ(unmapped(ip::make_address("2001:db8::1")).to_string(), "2001:db8::1");
  EXPECT_EQ(unmapped(ip::make_address("198.51.100.4")).to_string(), "198.51.100.4");
}

}  // namespace
}  // namespace portcullis::http
