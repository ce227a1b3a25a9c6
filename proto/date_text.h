// The text form of entente.v1 dates: "2001" (a year), "2001-03" (a month)
// or "2001-03-12" (a day). Shared by every side of the API — the store's
// messages, the importers and the clients — so it depends on the generated
// messages only.
#ifndef ENTENTE_PROTO_DATE_TEXT_H_
#define ENTENTE_PROTO_DATE_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "entente/v1/time.pb.h"

namespace entente::date_text {

// "YYYY", "YYYY-MM" or "YYYY-MM-DD" (surrounding spaces ignored) as a date
// of YEAR, MONTH or DAY precision. INVALID_ARGUMENT starting with `field`
// otherwise, also for days that do not exist (2014-02-30) and year 0.
absl::StatusOr<v1::Date> ParseDate(absl::string_view text, absl::string_view field);

// A date at the precision its fields give: MakeDate(2001) is the year,
// MakeDate(2001, 3) March 2001, MakeDate(2001, 3, 12) that day.
v1::Date MakeDate(int year, int month = 0, int day = 0);

// "2001", "2001-03" or "2001-03-12": as precise as the date is, never a
// made-up day. A date without a precision is shown to the finest of its
// fields that is set.
std::string FormatDate(const v1::Date& date);

}  // namespace entente::date_text

#endif  // ENTENTE_PROTO_DATE_TEXT_H_
