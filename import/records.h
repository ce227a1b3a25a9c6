// Private to import/: splitting delimited records and parsing dates.
#ifndef ENTENTE_IMPORT_RECORDS_H_
#define ENTENTE_IMPORT_RECORDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "entente/v1/time.pb.h"

namespace entente::importer::internal {

// True when `record` ends inside a quoted CSV field, so that the record
// continues on the next physical line (RFC 4180 allows line breaks in
// quoted fields).
bool EndsInsideQuotes(absl::string_view record);

// The fields of one CSV record (RFC 4180: comma-separated; a field in
// double quotes may hold commas, line breaks and "" for a quote).
// INVALID_ARGUMENT for an unterminated quote or text after a closing quote.
absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view record);

}  // namespace entente::importer::internal

#endif  // ENTENTE_IMPORT_RECORDS_H_
