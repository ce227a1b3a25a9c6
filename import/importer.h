// Bulk import of event data and curated facts into a store.
//
// Three formats (docs/import.md):
//   - TSV: ICEWS-style events, header `date\tsource\trelation\ttarget`; the
//     relation is a CAMEO event name or code (graph/cameo.h).
//   - CSV: a header naming the columns (date, end_date, source, target, event
//     or type, summary, quantity, unit, measure, claimant, source_state,
//     target_state), RFC 4180 quoting; rows of type AFFILIATION tie source to
//     the state in target.
//   - JSON Lines: one v1::Fact per line in the proto JSON mapping (the
//     seeds' format).
// Actor names (TSV, CSV) join an existing entity only when they are its id,
// name or an alias character for character ("Iran" -> IRN); others become
// ORGANIZATION entities. A new "Sector (Country)" actor whose Country is a
// state's name or alias as written ("Government (Iran)") gets that sector
// and an AFFILIATION fact with the state, queued with the line that creates
// it. Every fact of a line is validated before anything of the line is
// queued; new entities go through the store's apply path
// (Store::ApplyBatch) and facts through a storage::FactLoader, in batches.
// Fact ids are content-derived and the locator is "line N", so importing the
// same file twice adds nothing.
#ifndef ENTENTE_IMPORT_IMPORTER_H_
#define ENTENTE_IMPORT_IMPORTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "import/summary.h"
#include "storage/store.h"

namespace entente::importer {

struct ImportOptions {
  // Default: by the input's extension.
  Format format = Format::kAuto;
  // Stop at the first bad line (nothing after it is applied). Default:
  // false — report bad lines and import the rest.
  bool strict = false;
  // The Source the facts name in provenance.source_id; created when missing.
  // Default: the input's file name ("events.tsv").
  std::string source_id;
  // Lines applied per store batch. Default: 1000.
  size_t batch_lines = 1000;
  // How many error messages the summary keeps. Default: 100.
  size_t max_errors = 100;
  // A longer line (or CSV record) is rejected and skipped, so that input
  // without line breaks cannot fill the memory. Default: 1 MiB.
  size_t max_line_bytes = 1 << 20;
  // Called at most every `progress_interval` while importing.
  std::function<void(const Progress&)> progress;
  absl::Duration progress_interval = absl::Milliseconds(500);
};

// Imports one input that arrives in pieces of any size — a file read in
// blocks, the chunks of an Import RPC. Lines (and quoted CSV fields) may
// span pieces, line breaks are \n or \r\n, and a last line without a line
// break is read too. Complete lines are applied in batches as they arrive.
class Importer {
 public:
  // Detects the format from `name`'s extension unless options.format names
  // it and creates the source (default id: `name`'s file name) when it is
  // missing. `name` names the input in errors ("events.tsv:12: ...") and in
  // the summary. INVALID_ARGUMENT for an unknown format or invalid source
  // id; the store's error when it fails.
  static absl::StatusOr<std::unique_ptr<Importer>> Start(storage::Store& store,
                                                         ImportOptions options,
                                                         std::string name);
  ~Importer();

  // Reads the next bytes of the input. A non-OK status means the store
  // failed: the failing batch and everything after it are not applied, and
  // the importer keeps returning that status.
  absl::Status Feed(absl::string_view bytes);
  // True once the rest of the input would be ignored: a strict import met a
  // bad line, or the header names no usable columns.
  bool stopped() const;
  // Data lines read so far (applied or still in the batch being built).
  int64_t lines() const;
  // Reads the last line, applies what is pending and returns the summary.
  // Call once; the importer is done afterwards.
  absl::StatusOr<ImportSummary> Finish();

 private:
  class Impl;
  explicit Importer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Imports one file through an Importer. Bad lines are reported in the
// summary; a non-OK status means the import could not start or the store
// failed (nothing after the failing batch is applied): an unreadable file,
// an unknown format, an invalid source id.
absl::StatusOr<ImportSummary> ImportFile(storage::Store& store, const std::string& path,
                                         ImportOptions options = {});

// The id an actor name gets when it becomes a new entity: lowercase, runs
// of anything but ASCII letters and digits as "_" ("Government (Iran)" ->
// "government_iran"), at most 100 bytes.
std::string SlugOf(absl::string_view name);

// "Sector (Country)", split at its last parentheses.
struct SectorName {
  std::string sector;
  std::string country;
};

// "Military (Russia)" -> {"Military", "Russia"}; "Member of Legislative
// (Govt) (Iran)" -> {"Member of Legislative (Govt)", "Iran"}. The country is
// kept as written: only an exact state name or alias affiliates.
std::optional<SectorName> ParseSectorName(absl::string_view name);

}  // namespace entente::importer

#endif  // ENTENTE_IMPORT_IMPORTER_H_
