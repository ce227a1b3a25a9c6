#include "import/records.h"

#include "absl/strings/str_cat.h"

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

}  // namespace entente::importer::internal
