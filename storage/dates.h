// Civil dates with precision, and the day ranges they cover.
//
// A Date at MONTH or YEAR precision stands for every day of its month or
// year; all overlap tests use these day ranges. A window that starts
// mid-month therefore still matches a fact dated to that month.
#ifndef ENTENTE_STORAGE_DATES_H_
#define ENTENTE_STORAGE_DATES_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "entente/v1/time.pb.h"

namespace entente::storage {

// Days since 1970-01-01 in the proleptic Gregorian calendar.
using DayNumber = int32_t;
inline constexpr DayNumber kMinDay = std::numeric_limits<DayNumber>::min();
inline constexpr DayNumber kMaxDay = std::numeric_limits<DayNumber>::max();

// An inclusive range of days. Open ends use kMinDay / kMaxDay.
struct DayRange {
  DayNumber first = kMinDay;
  DayNumber last = kMaxDay;
  bool Overlaps(const DayRange& other) const {
    return first <= other.last && other.first <= last;
  }
  friend bool operator==(const DayRange&, const DayRange&) = default;
};

// OK when `date` is a real calendar date whose fields agree with its
// precision; otherwise INVALID_ARGUMENT naming `field`.
absl::Status ValidateDate(const v1::Date& date, absl::string_view field);

// OK when `span` is well formed: a start (or open_start), an end not before
// the start, valid dates. Errors name `field` and the offending part.
absl::Status ValidateTimeSpan(const v1::TimeSpan& span, absl::string_view field);

// The days a valid date covers: one day, a whole month or a whole year.
DayRange DateRange(const v1::Date& date);

// The days a valid span covers: from the first day of its start to the last
// day of its end (or of its start, for a point event).
DayRange SpanRange(const v1::TimeSpan& span);

// The days a query window covers; an unset bound is open. A bound without a
// precision takes the finest its fields give ({year: 2022} is the year,
// {year: 2022, month: 3} the month). Errors name `field` (e.g. "window.to")
// for an invalid date or a reversed window.
absl::StatusOr<DayRange> WindowRange(const v1::TimeWindow& window,
                                     absl::string_view field);

DayNumber ToDayNumber(int year, int month, int day);

// A DAY-precision date for a day number.
v1::Date DateOfDay(DayNumber day);

}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_DATES_H_
