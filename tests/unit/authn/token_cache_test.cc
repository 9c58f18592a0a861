// The per-worker token cache: a cached token gets the same results as an uncached one. Time,
// issuer and audience are checked on every use, and a signature outcome only holds for the key
// set it was computed with.
#include "authn/token_cache.h"

#include <gtest/gtest.h>

#include "authn_test_util.h"

namespace portcullis::authn::testing {
namespace {

using jwt::Status;

TEST(TokenCache, SecondLookupHits) {
  TokenCache cache(8);
  CachedToken* first = cache.slotFor("a.b.c");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.slotFor("a.b.c"), first);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(TokenCache, NewSlotIsEmpty) {
  TokenCache cache(8);
  CachedToken* slot = cache.slotFor("a.b.c");
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(slot->parse_status, Status::Ok);
  EXPECT_EQ(slot->jwt, nullptr);
  EXPECT_EQ(slot->verified_with, nullptr);
  EXPECT_EQ(slot->rejected_by, nullptr);
}

TEST(TokenCache, SkipsEmptyAndLongTokens) {
  TokenCache cache(8, 16);
  EXPECT_EQ(cache.slotFor(""), nullptr);
  EXPECT_EQ(cache.slotFor(std::string(17, 'a')), nullptr);
  EXPECT_NE(cache.slotFor(std::string(16, 'a')), nullptr);
}

TEST(TokenCache, CollisionReplacesEntry) {
  // With one slot every token collides, and the newcomer starts empty.
  TokenCache cache(1);
  CachedToken* slot = cache.slotFor("first");
  slot->parse_status = Status::JwtBadFormat;
  CachedToken* other = cache.slotFor("second");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->parse_status, Status::Ok);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(CachedAuthentication, RepeatedTokenStillAccepted) {
  TokenCache cache;
  Gateway gateway({demoRule()});
  gateway.useCache(&cache);
  ASSERT_EQ(gateway.sendBearer(demoToken()).result.status, Status::Ok);
  const AuthnRun again = gateway.sendBearer(demoToken());
  EXPECT_EQ(again.result.status, Status::Ok);
  ASSERT_NE(again.result.identity, nullptr);
  EXPECT_EQ(again.result.identity->sub, "testing@secure.istio.io");
  EXPECT_GE(cache.hits(), 1u);
}

TEST(CachedAuthentication, RepeatedBadSignatureStillRejected) {
  TokenCache cache;
  Gateway gateway({demoRule()});
  gateway.useCache(&cache);
  const std::string token = withBadSignature(demoToken());
  ASSERT_EQ(gateway.sendBearer(token).result.status, Status::JwtVerificationFail);
  EXPECT_EQ(gateway.sendBearer(token).result.status, Status::JwtVerificationFail);
}

TEST(CachedAuthentication, RepeatedMalformedTokenStillRejected) {
  TokenCache cache;
  Gateway gateway({demoRule()});
  gateway.useCache(&cache);
  ASSERT_EQ(gateway.sendBearer("abc.def").result.status, Status::JwtBadFormat);
  EXPECT_EQ(gateway.sendBearer("abc.def").result.status, Status::JwtBadFormat);
}

TEST(CachedAuthentication, CachedTokenExpires) {
  TokenCache cache;
  Gateway gateway({demoRule()});
  gateway.useCache(&cache);
  const std::string token = tokenOf(kDemoIssuer, {{"exp", kNow + 10}});
  ASSERT_EQ(gateway.send(Gateway::bearer(token), "/", false, kNow).result.status, Status::Ok);
  EXPECT_EQ(gateway.send(Gateway::bearer(token), "/", false, kNow + 100).result.status,
            Status::JwtExpired);
}

TEST(CachedAuthentication, KeyRotationVerifiesAgain) {
  TokenCache cache;
  Gateway gateway({demoRule()});
  gateway.useCache(&cache);
  ASSERT_EQ(gateway.sendBearer(demoToken()).result.status, Status::Ok);
  gateway.keys()[0] = istioTestJwks();  // the demo key is gone
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::JwksKidAlgMismatch);
}

TEST(CachedAuthentication, NewKeyAcceptsPreviouslyRejectedToken) {
  TokenCache cache;
  Gateway gateway({istioTestRule(kDemoIssuer)});
  gateway.useCache(&cache);
  ASSERT_EQ(gateway.sendBearer(demoToken()).result.status, Status::JwksKidAlgMismatch);
  gateway.keys()[0] = demoJwks();
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::Ok);
}

TEST(CachedAuthentication, EachProviderUsesItsOwnKeySet) {
  // Two rules of one issuer: the first key set rejects the token, the second verifies it. The
  // cached outcome of one must not leak into the other, in either order of requests.
  TokenCache cache;
  Gateway gateway({istioTestRule(kDemoIssuer), demoRule()});
  gateway.useCache(&cache);
  for (int round = 0; round < 3; ++round) {
    const AuthnRun run = gateway.sendBearer(demoToken());
    ASSERT_EQ(run.result.status, Status::Ok) << "round " << round;
    EXPECT_EQ(run.result.provider->key_slot, 1u);
  }
}

TEST(CachedAuthentication, AudienceCheckedOnEveryUse) {
  // One cache shared by two listeners whose rules differ only in audiences.
  TokenCache cache;
  config::JwtRule open = demoRule();
  config::JwtRule strict = demoRule();
  strict.audiences = {"other"};
  Gateway open_gateway({open});
  Gateway strict_gateway({strict});
  open_gateway.useCache(&cache);
  strict_gateway.useCache(&cache);
  ASSERT_EQ(open_gateway.sendBearer(demoToken()).result.status, Status::Ok);
  EXPECT_EQ(strict_gateway.sendBearer(demoToken()).result.status, Status::JwtAudienceNotAllowed);
}

TEST(CachedAuthentication, IssuerCheckedOnEveryUse) {
  TokenCache cache;
  Gateway demo_gateway({demoRule()});
  Gateway other_gateway({ruleOf("https://a.example.com", demoJwksText())});
  demo_gateway.useCache(&cache);
  other_gateway.useCache(&cache);
  ASSERT_EQ(demo_gateway.sendBearer(demoToken()).result.status, Status::Ok);
  EXPECT_EQ(other_gateway.sendBearer(demoToken()).result.status, Status::JwtUnknownIssuer);
}

}  // namespace
}  // namespace portcullis::authn::testing
