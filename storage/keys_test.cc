#include "storage/keys.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace entente::storage::keys {
namespace {

TEST(KeysTest, EncodedDaysSortLikeTheDays) {
  std::vector<DayNumber> days = {kMinDay, -800000, -1, 0, 1, 11000, 20000, 2900000, kMaxDay};
  std::vector<std::string> encoded;
  for (DayNumber d : days) {
    std::string e;
    AppendDay(&e, d);
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(DecodeDay(e), d);
    encoded.push_back(e);
  }
  std::vector<std::string> sorted = encoded;
  std::mt19937 rng(7);
  std::shuffle(sorted.begin(), sorted.end(), rng);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, encoded);
}

TEST(KeysTest, ActorPrefixDoesNotMatchLongerIds) {
  const std::string ir = ActorPrefix("IR");
  const std::string irn = ActorPrefix("IRN");
  EXPECT_FALSE(irn.starts_with(ir));
  EXPECT_LT(ir, irn);
}

TEST(KeysTest, TimeKeysSortByEntityThenClassThenStartThenId) {
  const std::string id_a(kFactIdBytes, '\x01');
  const std::string id_b(kFactIdBytes, '\x02');
  std::vector<std::string> expected = {
      TimeKey(ActorPrefix("IR"), SpanClass::kLong, 0, id_a),
      TimeKey(ActorPrefix("IRN"), SpanClass::kShort, -5, id_b),
      TimeKey(ActorPrefix("IRN"), SpanClass::kShort, 11000, id_a),
      TimeKey(ActorPrefix("IRN"), SpanClass::kShort, 11000, id_b),
      TimeKey(ActorPrefix("IRN"), SpanClass::kShort, 11001, id_a),
      TimeKey(ActorPrefix("IRN"), SpanClass::kLong, kMinDay, id_a),
      TimeKey(ActorPrefix("RUS"), SpanClass::kShort, 0, id_a),
  };
  std::vector<std::string> shuffled = expected;
  std::reverse(shuffled.begin(), shuffled.end());
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, expected);
}

TEST(KeysTest, DyadKeysKeepPairsApart) {
  // "A","BC" and "AB","C" must not collide or interleave.
  EXPECT_NE(DyadPrefix("A", "BC"), DyadPrefix("AB", "C"));
  EXPECT_LT(DyadPrefix("A", "BC"), DyadPrefix("AB", "C"));
}

TEST(KeysTest, TimeKeyRoundTrips) {
  const std::string id(kFactIdBytes, '\x7f');
  const std::string prefix = DyadPrefix("IRN", "RUS");
  const std::string key = TimeKey(prefix, SpanClass::kLong, -42, id);
  auto parts = ParseTimeKey(key, prefix.size());
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->span_class, SpanClass::kLong);
  EXPECT_EQ(parts->start, -42);
  EXPECT_EQ(parts->fact_id, id);
  EXPECT_FALSE(ParseTimeKey(key.substr(0, key.size() - 1), prefix.size()).has_value());
}

TEST(KeysTest, FactIdTextRoundTripsAndRejectsBadText) {
  std::string binary;
  for (int i = 0; i < 16; ++i) binary.push_back(static_cast<char>(i * 17));
  const std::string text = FactIdToText(binary);
  EXPECT_EQ(text, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(FactIdFromText(text), binary);
  EXPECT_FALSE(FactIdFromText("00112233445566778899AABBCCDDEEFF").has_value());
  EXPECT_FALSE(FactIdFromText("0011").has_value());
  EXPECT_FALSE(FactIdFromText("zz112233445566778899aabbccddeeff").has_value());
}

TEST(KeysTest, IndexValueRoundTrips) {
  auto v = DecodeIndexValue(EncodeIndexValue({12345, v1::FACT_TYPE_TRADE}));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->last_day, 12345);
  EXPECT_EQ(v->type, v1::FACT_TYPE_TRADE);
  EXPECT_FALSE(DecodeIndexValue("abc").has_value());
}

TEST(KeysTest, SpanClassSplitsEventsFromLongIntervals) {
  EXPECT_EQ(ClassOf({100, 100}), SpanClass::kShort);
  EXPECT_EQ(ClassOf({0, kShortSpanDays - 1}), SpanClass::kShort);
  EXPECT_EQ(ClassOf({0, kShortSpanDays}), SpanClass::kLong);
  EXPECT_EQ(ClassOf({100, kMaxDay}), SpanClass::kLong);
  EXPECT_EQ(ClassOf({kMinDay, 100}), SpanClass::kLong);
}

}  // namespace
}  // namespace entente::storage::keys
