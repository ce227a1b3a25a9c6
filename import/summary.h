// The vocabulary of an import that its clients share with the importer:
// formats, progress, the summary and their text and proto forms. Kept apart
// from importer.h so that clients of the Import RPC (the `entente` tool)
// describe a summary exactly as `entented --import` does without linking the
// store.
#ifndef ENTENTE_IMPORT_SUMMARY_H_
#define ENTENTE_IMPORT_SUMMARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "entente/v1/write_service.pb.h"

namespace entente::importer {

enum class Format { kAuto, kTsv, kCsv, kJsonl };

// "tsv", "csv", "jsonl" (also "auto"); INVALID_ARGUMENT otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view name);
absl::string_view FormatName(Format format);
// The format of `path` by its extension (.tsv, .csv, .jsonl); `format`
// when it is not kAuto. INVALID_ARGUMENT for an unknown extension.
absl::StatusOr<Format> DetectFormat(const std::string& path, Format format = Format::kAuto);

struct Progress {
  int64_t lines = 0;        // data lines read so far
  int64_t bytes = 0;        // bytes of the input read so far
  int64_t total_bytes = 0;  // size of the input; 0 when unknown
  absl::Duration elapsed;
};

// "12000 rows, 25000 rows/s, ETA 3 s" (the ETA from the bytes still to
// read, when the size is known).
std::string DescribeProgress(const Progress& progress);

struct ImportSummary {
  std::string path;  // the input as named in errors
  Format format = Format::kAuto;
  std::string source_id;
  int64_t lines = 0;             // data lines read (header and blank lines excluded)
  int64_t facts_created = 0;
  int64_t unchanged = 0;         // facts the store already held
  int64_t rejected = 0;          // bad lines, including a bad header
  int64_t entities_created = 0;
  // Of the entities created: affiliated with a state by this import, and
  // not (the two add up to entities_created).
  int64_t actors_affiliated = 0;
  int64_t actors_unaffiliated = 0;
  bool stopped = false;          // a strict import stopped at a bad line
  // "FILE:LINE: reason", the first max_errors of them, in file order.
  std::vector<std::string> errors;
  absl::Duration elapsed;
  double lines_per_second() const;
};

// A human-readable summary: one line of counts, then the errors.
std::string DescribeSummary(const ImportSummary& summary);

// The summary as the Import RPC replies with it, and back. The reply's
// strings are UTF-8: bytes of the file name and errors that are not (errors
// quote the input) are written \xNN.
v1::ImportResponse ToProto(const ImportSummary& summary);
ImportSummary FromProto(const v1::ImportResponse& response);
v1::ImportFormat ToProto(Format format);
Format FromProto(v1::ImportFormat format);

}  // namespace entente::importer

#endif  // ENTENTE_IMPORT_SUMMARY_H_
