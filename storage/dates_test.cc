#include "proto/date_text.h"
#include "storage/dates.h"

#include "gtest/gtest.h"

namespace entente::storage {
namespace {

v1::Date Day(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  date.set_precision(v1::PRECISION_DAY);
  return date;
}
v1::Date Month(int y, int m) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_precision(v1::PRECISION_MONTH);
  return date;
}
v1::Date Year(int y) {
  v1::Date date;
  date.set_year(y);
  date.set_precision(v1::PRECISION_YEAR);
  return date;
}

TEST(DatesTest, PrecisionDecidesTheDaysADateCovers) {
  EXPECT_EQ(DateRange(Day(2001, 3, 12)), (DayRange{ToDayNumber(2001, 3, 12), ToDayNumber(2001, 3, 12)}));
  EXPECT_EQ(DateRange(Month(2001, 3)), (DayRange{ToDayNumber(2001, 3, 1), ToDayNumber(2001, 3, 31)}));
  EXPECT_EQ(DateRange(Month(2024, 2)), (DayRange{ToDayNumber(2024, 2, 1), ToDayNumber(2024, 2, 29)}));
  EXPECT_EQ(DateRange(Year(2015)), (DayRange{ToDayNumber(2015, 1, 1), ToDayNumber(2015, 12, 31)}));
  EXPECT_EQ(ToDayNumber(1970, 1, 1), 0);
}

TEST(DatesTest, AMonthFactOverlapsAWindowStartingMidMonth) {
  v1::TimeSpan span;
  *span.mutable_start() = Month(2001, 3);
  v1::TimeWindow window;
  *window.mutable_from() = Day(2001, 3, 20);
  *window.mutable_to() = Day(2001, 6, 1);
  auto range = WindowRange(window, "window");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(SpanRange(span).Overlaps(*range));
  *window.mutable_from() = Day(2001, 4, 1);
  EXPECT_FALSE(SpanRange(span).Overlaps(*WindowRange(window, "window")));
}

TEST(DatesTest, ValidationNamesTheFieldAndTheProblem) {
  v1::Date bad = Day(2023, 2, 29);
  auto s = ValidateDate(bad, "fact.valid_time.start");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "fact.valid_time.start: 2023-02-29 is not a calendar day");

  v1::Date missing;
  missing.set_year(2001);
  EXPECT_EQ(ValidateDate(missing, "d").message(), "d: precision is missing (DAY, MONTH or YEAR)");

  v1::Date month_with_day = Month(2001, 3);
  month_with_day.set_day(4);
  EXPECT_FALSE(ValidateDate(month_with_day, "d").ok());
  EXPECT_FALSE(ValidateDate(Month(2001, 13), "d").ok());
  EXPECT_FALSE(ValidateDate(Year(0), "d").ok());
}

TEST(DatesTest, SpansMustNotEndBeforeTheyStart) {
  v1::TimeSpan span;
  *span.mutable_start() = Month(2002, 3);
  *span.mutable_end() = Year(2001);
  auto s = ValidateTimeSpan(span, "fact.valid_time");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "fact.valid_time.end: ends (2001) before it starts (2002-03)");

  // A YEAR end that contains the MONTH start is fine.
  *span.mutable_end() = Year(2002);
  EXPECT_TRUE(ValidateTimeSpan(span, "v").ok());
}

TEST(DatesTest, OpenEnds) {
  v1::TimeSpan ongoing;
  *ongoing.mutable_start() = Year(2014);
  ongoing.set_open_end(true);
  ASSERT_TRUE(ValidateTimeSpan(ongoing, "v").ok());
  EXPECT_EQ(SpanRange(ongoing).last, kMaxDay);

  v1::TimeSpan unknown_start;
  unknown_start.set_open_start(true);
  *unknown_start.mutable_end() = Month(2024, 12);
  ASSERT_TRUE(ValidateTimeSpan(unknown_start, "v").ok());
  EXPECT_EQ(SpanRange(unknown_start).first, kMinDay);

  v1::TimeSpan nothing;
  EXPECT_EQ(ValidateTimeSpan(nothing, "v").message(), "v.start: is missing (set it, or open_start)");
  v1::TimeSpan both;
  *both.mutable_start() = Year(2014);
  both.set_open_start(true);
  EXPECT_FALSE(ValidateTimeSpan(both, "v").ok());
}

TEST(DatesTest, WindowsRejectReversedBoundsAndKeepOpenSides) {
  v1::TimeWindow reversed;
  *reversed.mutable_from() = Year(2025);
  *reversed.mutable_to() = Year(2001);
  auto r = WindowRange(reversed, "window");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "window: is reversed: to (2001) is before from (2025)");

  v1::TimeWindow open;
  *open.mutable_to() = Year(2001);
  auto o = WindowRange(open, "window");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->first, kMinDay);
  EXPECT_EQ(o->last, ToDayNumber(2001, 12, 31));
}

TEST(DatesTest, FormatKeepsPrecision) {
  EXPECT_EQ(date_text::FormatDate(Month(2001, 3)), "2001-03");
  EXPECT_EQ(date_text::FormatDate(Day(2025, 1, 17)), "2025-01-17");
  EXPECT_EQ(date_text::FormatDate(Year(2014)), "2014");
  EXPECT_EQ(date_text::FormatDate(DateOfDay(ToDayNumber(2022, 4, 27))), "2022-04-27");
}

}  // namespace
}  // namespace entente::storage
