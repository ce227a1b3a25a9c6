#include "graph/cameo.h"

#include "gtest/gtest.h"

namespace entente::graph {
namespace {

TEST(CameoTest, FindsEventsByCodeAndIcewsName) {
  const CameoEvent* visit = FindCameoByName("Make a visit");
  ASSERT_NE(visit, nullptr);
  EXPECT_STREQ(visit->code, "042");
  EXPECT_EQ(visit->type, v1::FACT_TYPE_VISIT);
  EXPECT_DOUBLE_EQ(visit->goldstein, 1.9);
  EXPECT_EQ(FindCameoByName("make A VISIT"), visit);
  const CameoEvent* agreement = FindCameoByCode("057");
  ASSERT_NE(agreement, nullptr);
  EXPECT_EQ(agreement->type, v1::FACT_TYPE_AGREEMENT_SIGNED);
  EXPECT_DOUBLE_EQ(agreement->goldstein, 8.0);
  EXPECT_EQ(FindCameoByName("Juggle"), nullptr);
  EXPECT_EQ(FindCameoByCode("999"), nullptr);
}

TEST(CameoTest, GoldsteinFallsBackToParentsThenToTheFactType) {
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_FIGHT, "190"), -10.0);
  // An unlisted 4-digit code takes its 3-digit parent's value.
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_VISIT, "0429"), 1.9);
  // No code: the type's representative code.
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_AGREEMENT_SIGNED, ""), 8.0);
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_SANCTION, ""), -8.0);
  // Types with no direction score 0.
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_ROLE, ""), 0.0);
  EXPECT_DOUBLE_EQ(GoldsteinOf(v1::FACT_TYPE_CASUALTIES, ""), 0.0);
}

}  // namespace
}  // namespace entente::graph
