#include "import/records.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/dates.h"

namespace entente::importer::internal {

bool EndsInsideQuotes(absl::string_view record) {
  bool inside = false;
  for (char c : record) {
    if (c == '"') inside = !inside;  // "" inside a field toggles twice
  }
  return inside;
}

absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view record) {
  std::vector<std::string> fields;
  size_t i = 0;
  const size_t n = record.size();
  while (true) {
    std::string field;
    if (i < n && record[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (record[i] == '"') {
          if (i + 1 < n && record[i + 1] == '"') {
            field.push_back('"');
            i += 2;
          } else {
            ++i;
            closed = true;
            break;
          }
        } else {
          field.push_back(record[i++]);
        }
      }
      if (!closed) {
        return absl::InvalidArgumentError(absl::StrCat("field ", fields.size() + 1,
                                                       ": the quoted field is not closed"));
      }
      if (i < n && record[i] != ',') {
        return absl::InvalidArgumentError(absl::StrCat(
            "field ", fields.size() + 1, ": text after the closing quote (write \"\" for a quote)"));
      }
    } else {
      const size_t end = record.find(',', i);
      const size_t stop = end == absl::string_view::npos ? n : end;
      field = std::string(record.substr(i, stop - i));
      i = stop;
    }
    fields.push_back(std::move(field));
    if (i >= n) break;
    ++i;  // the comma
    if (i == n) {
      fields.emplace_back();  // a trailing comma ends with an empty field
      break;
    }
  }
  return fields;
}

absl::StatusOr<v1::Date> ParseDate(absl::string_view text, absl::string_view field) {
  text = absl::StripAsciiWhitespace(text);
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", text, "\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"));
  };
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  v1::Date date;
  int year = 0, month = 0, day = 0;
  auto digits = [](absl::string_view s, size_t count, int* out) {
    if (s.size() != count) return false;
    for (char c : s) {
      if (!absl::ascii_isdigit(c)) return false;
    }
    return absl::SimpleAtoi(s, out);
  };
  if (text.size() == 4 && digits(text, 4, &year)) {
    date.set_precision(v1::PRECISION_YEAR);
  } else if (text.size() == 7 && text[4] == '-' && digits(text.substr(0, 4), 4, &year) &&
             digits(text.substr(5, 2), 2, &month)) {
    date.set_precision(v1::PRECISION_MONTH);
  } else if (text.size() == 10 && text[4] == '-' && text[7] == '-' &&
             digits(text.substr(0, 4), 4, &year) && digits(text.substr(5, 2), 2, &month) &&
             digits(text.substr(8, 2), 2, &day)) {
    date.set_precision(v1::PRECISION_DAY);
  } else {
    return bad();
  }
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  if (!storage::ValidateDate(date, field).ok()) return bad();
  return date;
}

}  // namespace entente::importer::internal
