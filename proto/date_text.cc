#include "proto/date_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace entente::date_text {
namespace {

// `count` ASCII digits and nothing else.
bool Digits(absl::string_view text, size_t count, int* out) {
  if (text.size() != count) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return absl::SimpleAtoi(text, out);
}

}  // namespace

absl::StatusOr<v1::Date> ParseDate(absl::string_view text, absl::string_view field) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  int year = 0, month = 0, day = 0;
  v1::Precision precision = v1::PRECISION_UNSPECIFIED;
  if (Digits(text, 4, &year)) {
    precision = v1::PRECISION_YEAR;
  } else if (text.size() == 7 && text[4] == '-' && Digits(text.substr(0, 4), 4, &year) &&
             Digits(text.substr(5, 2), 2, &month)) {
    precision = v1::PRECISION_MONTH;
  } else if (text.size() == 10 && text[4] == '-' && text[7] == '-' &&
             Digits(text.substr(0, 4), 4, &year) && Digits(text.substr(5, 2), 2, &month) &&
             Digits(text.substr(8, 2), 2, &day)) {
    precision = v1::PRECISION_DAY;
  }
  const bool month_ok = precision == v1::PRECISION_YEAR || (month >= 1 && month <= 12);
  // CivilDay normalizes 2014-02-30 to March 2nd; a real day survives as is.
  const absl::CivilDay civil(year, month_ok ? month : 1, day);
  const bool day_ok = precision != v1::PRECISION_DAY ||
                      (day >= 1 && civil.month() == month && civil.day() == day);
  if (precision == v1::PRECISION_UNSPECIFIED || year < 1 || !month_ok || !day_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", text, "\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"));
  }
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  date.set_precision(precision);
  return date;
}

v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  date.set_precision(day != 0     ? v1::PRECISION_DAY
                     : month != 0 ? v1::PRECISION_MONTH
                                  : v1::PRECISION_YEAR);
  return date;
}

std::string FormatDate(const v1::Date& date) {
  const v1::Precision precision = date.precision() != v1::PRECISION_UNSPECIFIED
                                      ? date.precision()
                                      : MakeDate(date.year(), date.month(), date.day()).precision();
  switch (precision) {
    case v1::PRECISION_YEAR:
      return absl::StrFormat("%04d", date.year());
    case v1::PRECISION_MONTH:
      return absl::StrFormat("%04d-%02d", date.year(), date.month());
    default:
      return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
  }
}

}  // namespace entente::date_text
