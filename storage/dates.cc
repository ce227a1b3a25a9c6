#include "storage/dates.h"

#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "proto/date_text.h"

namespace entente::storage {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace

DayNumber ToDayNumber(int year, int month, int day) {
  return static_cast<DayNumber>(absl::CivilDay(year, month, day) - kEpoch);
}

absl::Status ValidateDate(const v1::Date& date, absl::string_view field) {
  if (date.year() < 1 || date.year() > 9999) {
    return Invalid(field, absl::StrCat("year ", date.year(), " is outside 1..9999"));
  }
  switch (date.precision()) {
    case v1::PRECISION_YEAR:
      if (date.month() != 0 || date.day() != 0) {
        return Invalid(field, "a YEAR-precision date must leave month and day unset");
      }
      return absl::OkStatus();
    case v1::PRECISION_MONTH:
      if (date.month() < 1 || date.month() > 12) {
        return Invalid(field, absl::StrCat("month ", date.month(), " is outside 1..12"));
      }
      if (date.day() != 0) {
        return Invalid(field, "a MONTH-precision date must leave day unset");
      }
      return absl::OkStatus();
    case v1::PRECISION_DAY: {
      if (date.month() < 1 || date.month() > 12) {
        return Invalid(field, absl::StrCat("month ", date.month(), " is outside 1..12"));
      }
      const absl::CivilDay civil(date.year(), date.month(), date.day());
      if (date.day() < 1 || civil.month() != date.month() || civil.day() != date.day()) {
        return Invalid(field, absl::StrFormat("%04d-%02d-%02d is not a calendar day",
                                              date.year(), date.month(), date.day()));
      }
      return absl::OkStatus();
    }
    case v1::PRECISION_UNSPECIFIED:
      return Invalid(field, "precision is missing (DAY, MONTH or YEAR)");
    default:
      return Invalid(field, absl::StrCat("unknown precision ", date.precision()));
  }
}

absl::Status ValidateTimeSpan(const v1::TimeSpan& span, absl::string_view field) {
  if (span.open_start() && span.has_start()) {
    return Invalid(field, "open_start is set together with a start date");
  }
  if (span.open_end() && span.has_end()) {
    return Invalid(field, "open_end is set together with an end date");
  }
  if (!span.open_start() && !span.has_start()) {
    return Invalid(absl::StrCat(field, ".start"), "is missing (set it, or open_start)");
  }
  if (span.open_start() && !span.has_end() && !span.open_end()) {
    return Invalid(absl::StrCat(field, ".end"), "is required when the start is open");
  }
  if (span.has_start()) {
    if (auto s = ValidateDate(span.start(), absl::StrCat(field, ".start")); !s.ok()) return s;
  }
  if (span.has_end()) {
    if (auto s = ValidateDate(span.end(), absl::StrCat(field, ".end")); !s.ok()) return s;
  }
  if (span.has_start() && span.has_end() &&
      DateRange(span.end()).last < DateRange(span.start()).first) {
    return Invalid(absl::StrCat(field, ".end"),
                   absl::StrCat("ends (", date_text::FormatDate(span.end()), ") before it starts (",
                                date_text::FormatDate(span.start()), ")"));
  }
  return absl::OkStatus();
}

DayRange DateRange(const v1::Date& date) {
  switch (date.precision()) {
    case v1::PRECISION_YEAR:
      return {ToDayNumber(date.year(), 1, 1), ToDayNumber(date.year(), 12, 31)};
    case v1::PRECISION_MONTH: {
      const absl::CivilMonth month(date.year(), date.month());
      const absl::CivilDay first(month);
      const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
      return {static_cast<DayNumber>(first - kEpoch), static_cast<DayNumber>(last - kEpoch)};
    }
    default: {
      const DayNumber d = ToDayNumber(date.year(), date.month(), date.day());
      return {d, d};
    }
  }
}

DayRange SpanRange(const v1::TimeSpan& span) {
  DayRange range;
  if (span.has_start()) range = DateRange(span.start());
  if (span.has_end()) {
    range.last = DateRange(span.end()).last;
  } else if (span.open_end()) {
    range.last = kMaxDay;
  }
  // A point event keeps the last day of its start date.
  return range;
}

namespace {

// A window bound without a precision takes the finest its fields give.
v1::Date WithImpliedPrecision(const v1::Date& date) {
  if (date.precision() != v1::PRECISION_UNSPECIFIED) return date;
  return date_text::MakeDate(date.year(), date.month(), date.day());
}

}  // namespace

absl::StatusOr<DayRange> WindowRange(const v1::TimeWindow& window, absl::string_view field) {
  DayRange range;
  if (window.has_from()) {
    const v1::Date from = WithImpliedPrecision(window.from());
    if (auto s = ValidateDate(from, absl::StrCat(field, ".from")); !s.ok()) return s;
    range.first = DateRange(from).first;
  }
  if (window.has_to()) {
    const v1::Date to = WithImpliedPrecision(window.to());
    if (auto s = ValidateDate(to, absl::StrCat(field, ".to")); !s.ok()) return s;
    range.last = DateRange(to).last;
  }
  if (range.last < range.first) {
    return Invalid(field, absl::StrCat("is reversed: to (",
                                       date_text::FormatDate(WithImpliedPrecision(window.to())),
                                       ") is before from (",
                                       date_text::FormatDate(WithImpliedPrecision(window.from())), ")"));
  }
  return range;
}

v1::Date DateOfDay(DayNumber day) {
  const absl::CivilDay civil = kEpoch + day;
  v1::Date date;
  date.set_year(static_cast<int32_t>(civil.year()));
  date.set_month(civil.month());
  date.set_day(civil.day());
  date.set_precision(v1::PRECISION_DAY);
  return date;
}

}  // namespace entente::storage
