#include "proto/date_text.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace entente::date_text {
namespace {

TEST(DateTextTest, ParsesEachPrecision) {
  EXPECT_EQ(ParseDate("2014", "date")->precision(), v1::PRECISION_YEAR);
  EXPECT_EQ(ParseDate(" 2014-03 ", "date")->precision(), v1::PRECISION_MONTH);
  auto day = ParseDate("2014-03-12", "date");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->precision(), v1::PRECISION_DAY);
  EXPECT_EQ(day->month(), 3);
  EXPECT_EQ(day->day(), 12);
  EXPECT_TRUE(ParseDate("2024-02-29", "date").ok());
}

TEST(DateTextTest, RejectsWhatIsNoDateNamingTheField) {
  for (const char* bad : {"2014-02-30", "2023-02-29", "2014-13", "2014-00", "0000", "14-03-12",
                          "2014/03/12", "2014-3-1", "", "20140312", "2014-03-12x"}) {
    auto parsed = ParseDate(bad, "--from");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(parsed.status().message(), "--from: ")) << parsed.status();
  }
}

TEST(DateTextTest, FormatsAtTheDatesPrecision) {
  EXPECT_EQ(FormatDate(*ParseDate("2001-03", "d")), "2001-03");
  EXPECT_EQ(FormatDate(*ParseDate("2025-01-17", "d")), "2025-01-17");
  EXPECT_EQ(FormatDate(*ParseDate("2014", "d")), "2014");
  v1::Date unspecified;
  unspecified.set_year(2022);
  unspecified.set_month(4);
  EXPECT_EQ(FormatDate(unspecified), "2022-04");
}

}  // namespace
}  // namespace entente::date_text
