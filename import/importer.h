// Bulk import of event data and curated facts into a store.
//
// Three formats (docs/import.md):
//   - TSV: ICEWS-style events, header `date\tsource\trelation\ttarget`; the
//     relation is a CAMEO event name or code (graph/cameo.h).
//   - CSV: a header naming the columns (date, source, target, event or type,
//     summary, quantity, unit, measure, claimant), RFC 4180 quoting.
//   - JSON Lines: one v1::Fact per line in the proto JSON mapping (the
//     seeds' format).
// Actor names (TSV, CSV) resolve to existing entities by exact name or alias
// ("Iran" -> IRN); others become ORGANIZATION entities ("Government (Iran)",
// linked to IRN by state_id). Every fact is validated whole before anything
// of its line is written, and applied atomically through the store's one
// apply path (Store::ApplyBatch), in batches. Fact ids are content-derived
// and the locator is "line N", so importing the same file twice adds
// nothing.
#ifndef ENTENTE_IMPORT_IMPORTER_H_
#define ENTENTE_IMPORT_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/store.h"

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
  int64_t bytes = 0;        // bytes of the file read so far
  int64_t total_bytes = 0;  // size of the file
  absl::Duration elapsed;
};

struct ImportOptions {
  // Default: by the file's extension.
  Format format = Format::kAuto;
  // Stop at the first bad line (nothing after it is applied). Default:
  // false — report bad lines and import the rest.
  bool strict = false;
  // The Source the facts name in provenance.source_id; created when missing.
  // Default: the file's name ("events.tsv").
  std::string source_id;
  // Lines applied per store batch. Default: 1000.
  size_t batch_lines = 1000;
  // How many error messages the summary keeps. Default: 100.
  size_t max_errors = 100;
  // Called at most every `progress_interval` while importing.
  std::function<void(const Progress&)> progress;
  absl::Duration progress_interval = absl::Milliseconds(500);
};

struct ImportSummary {
  std::string path;
  Format format = Format::kAuto;
  std::string source_id;
  int64_t lines = 0;             // data lines read (header and blank lines excluded)
  int64_t facts_created = 0;
  int64_t unchanged = 0;         // facts the store already held
  int64_t rejected = 0;          // bad lines, including a bad header
  int64_t entities_created = 0;
  bool stopped = false;          // a strict import stopped at a bad line
  // "FILE:LINE: reason", the first max_errors of them, in file order.
  std::vector<std::string> errors;
  absl::Duration elapsed;
  double lines_per_second() const;
};

// Imports one file. Bad lines are reported in the summary; a non-OK status
// means the import could not start or the store failed (nothing after the
// failing batch is applied): an unreadable file, an unknown format, an
// invalid source id.
absl::StatusOr<ImportSummary> ImportFile(storage::Store& store, const std::string& path,
                                         const ImportOptions& options = {});

// A human-readable summary: one line of counts, then the errors.
std::string DescribeSummary(const ImportSummary& summary);

// The id an actor name gets when it becomes a new entity: lowercase, runs
// of anything but ASCII letters and digits as "_" ("Government (Iran)" ->
// "government_iran"), at most 100 bytes.
std::string SlugOf(absl::string_view name);

}  // namespace entente::importer

#endif  // ENTENTE_IMPORT_IMPORTER_H_
