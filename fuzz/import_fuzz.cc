#include "fuzz/import_fuzz.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "fuzz/harness.h"
#include "import/importer.h"

namespace entente::fuzz {
namespace {

// One import of `input` through Start, Feed (in pieces) and Finish; fails
// unless the store took every batch.
importer::ImportSummary ImportOnce(const importer::ImportOptions& options,
                                   const std::string& name, absl::string_view input,
                                   uint64_t seed) {
  auto started = importer::Importer::Start(SeededStore(), options, name);
  Check(started.ok(), absl::StrCat("Importer::Start: ", started.status().ToString()), input);
  importer::Importer& importer = **started;
  for (absl::string_view piece : SplitInput(input, seed, 6)) {
    if (importer.stopped()) break;
    const absl::Status fed = importer.Feed(piece);
    Check(fed.ok(), absl::StrCat("Importer::Feed: ", fed.ToString()), input);
  }
  auto summary = importer.Finish();
  Check(summary.ok(), absl::StrCat("Importer::Finish: ", summary.status().ToString()), input);
  return *std::move(summary);
}

// The "FILE:LINE: " that opens every error, and how many errors are about
// the header (rejected, but not data lines).
int64_t CheckErrors(const importer::ImportSummary& summary, const std::string& name,
                    absl::string_view input) {
  int64_t header_errors = 0;
  for (const std::string& error : summary.errors) {
    absl::string_view rest = error;
    Check(absl::ConsumePrefix(&rest, absl::StrCat(name, ":")),
          absl::StrCat("error does not start with the input's name: ", error), input);
    const size_t digits = rest.find_first_not_of("0123456789");
    Check(digits > 0 && digits != absl::string_view::npos && rest.substr(digits, 2) == ": ",
          absl::StrCat("error does not name its line: ", error), input);
    if (absl::StartsWith(rest.substr(digits + 2), "header: ")) ++header_errors;
  }
  return header_errors;
}

}  // namespace

void FuzzImport(importer::Format format, const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t seed = HashOf(input);
  storage::Store& store = SeededStore();

  importer::ImportOptions options;
  options.format = format;
  options.strict = (seed & 3) == 0;
  options.batch_lines = 1 + (seed >> 2) % 4;  // small batches: many flushes per input
  options.max_errors = 1 << 20;               // keep every error, to count them
  // Sometimes a small line limit, so that long lines and records are met.
  options.max_line_bytes = ((seed >> 4) & 3) == 0 ? 64 : 1 << 20;
  const std::string name = absl::StrCat("fuzz.", importer::FormatName(format));

  const storage::StoreStats before = store.Stats();
  const importer::ImportSummary first = ImportOnce(options, name, input, seed >> 8);
  const storage::StoreStats after = store.Stats();

  const auto& s = first;
  Check(s.lines >= 0 && s.facts_created >= 0 && s.unchanged >= 0 && s.rejected >= 0 &&
            s.entities_created >= 0,
        "a negative count in the summary", input);
  Check(static_cast<int64_t>(s.errors.size()) == s.rejected,
        absl::StrCat("summary lists ", s.errors.size(), " errors for ", s.rejected, " rejected"),
        input);
  const int64_t header_errors = CheckErrors(s, name, input);
  // The AFFILIATION facts the import added: besides its lines' facts, it
  // affiliates the "Sector (Country)" actors it creates (TSV, CSV) and the
  // actors of CSV state columns; a JSON Lines or CSV line can be one too.
  auto affiliations = [](const storage::StoreStats& stats) {
    auto it = stats.facts_by_type.find(v1::FACT_TYPE_AFFILIATION);
    return it == stats.facts_by_type.end() ? int64_t{0} : it->second;
  };
  const int64_t gained_affiliations = affiliations(after) - affiliations(before);
  const int64_t rejected_lines = s.rejected - header_errors;
  if (format == importer::Format::kTsv) {
    // No TSV line is an affiliation: every data line read is created,
    // unchanged or rejected, exactly once, besides the actors' affiliations.
    Check(s.lines == s.facts_created - gained_affiliations + s.unchanged + rejected_lines,
          absl::StrCat("lines ", s.lines, " != created ", s.facts_created, " - affiliations ",
                       gained_affiliations, " + unchanged ", s.unchanged,
                       " + rejected data lines ", rejected_lines),
          input);
  } else {
    // Each line is one of them at least; affiliations can be lines or extra.
    Check(s.lines <= s.facts_created + s.unchanged + rejected_lines &&
              s.facts_created - gained_affiliations <= s.lines,
          absl::StrCat("lines ", s.lines, " do not fit created ", s.facts_created,
                       " (affiliations ", gained_affiliations, ") + unchanged ", s.unchanged,
                       " + rejected data lines ", rejected_lines),
          input);
  }
  if (options.strict) {
    Check(s.rejected <= 1, "a strict import rejected more than one line", input);
    Check(s.rejected == 0 || s.stopped, "a strict import went on after a bad line", input);
  } else if (s.stopped) {
    Check(header_errors > 0, "a non-strict import stopped without a bad header", input);
  }
  Check(after.facts - before.facts == s.facts_created,
        absl::StrCat("the store gained ", after.facts - before.facts, " facts; the summary says ",
                     s.facts_created, " created"),
        input);
  Check(after.entities - before.entities == s.entities_created,
        absl::StrCat("the store gained ", after.entities - before.entities,
                     " entities; the summary says ", s.entities_created, " created"),
        input);

  // Importing the same input again adds nothing and reads it the same way.
  const importer::ImportSummary again = ImportOnce(options, name, input, seed >> 8);
  Check(again.facts_created == 0 && again.entities_created == 0,
        absl::StrCat("a second import of the same input created ", again.facts_created,
                     " facts and ", again.entities_created, " entities"),
        input);
  // The second time the actors exist: only affiliations that are lines or
  // come from state columns are read again.
  const bool unchanged_fits =
      format == importer::Format::kTsv
          ? again.unchanged == s.facts_created - gained_affiliations + s.unchanged
          : again.unchanged <= s.facts_created + s.unchanged &&
                again.unchanged >= s.facts_created - gained_affiliations + s.unchanged;
  Check(again.lines == s.lines && again.rejected == s.rejected && unchanged_fits,
        absl::StrCat("a second import read it differently: lines ", s.lines, " -> ", again.lines,
                     ", rejected ", s.rejected, " -> ", again.rejected, ", unchanged ",
                     again.unchanged, " (expected ", s.facts_created + s.unchanged, ")"),
        input);
  Check(store.Stats().facts == after.facts, "a second import changed the fact count", input);
  VerifyEvery(500, input);
}

}  // namespace entente::fuzz
