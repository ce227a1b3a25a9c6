#include "import/importer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "graph/cameo.h"
#include "import/records.h"
#include "proto/date_text.h"
#include "storage/fact_loader.h"
#include "storage/names.h"
#include "storage/validate.h"

namespace entente::importer {
namespace {

namespace fs = std::filesystem;

// The columns a delimited file may have (docs/import.md).
enum Column { kDate, kEndDate, kSource, kTarget, kEvent, kType, kSummary, kQuantity, kUnit,
              kMeasure, kClaimant, kSourceState, kTargetState, kColumnCount };

std::optional<Column> ColumnNamed(absl::string_view header) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header));
  static const auto* const kNames = new absl::flat_hash_map<std::string, Column>{
      {"date", kDate},         {"end_date", kEndDate},  {"end", kEndDate},
      {"source", kSource},     {"target", kTarget},     {"event", kEvent},
      {"relation", kEvent},    {"cameo_code", kEvent},  {"type", kType},
      {"fact_type", kType},    {"summary", kSummary},   {"quantity", kQuantity},
      {"value", kQuantity},    {"unit", kUnit},         {"measure", kMeasure},
      {"claimant", kClaimant}, {"source_state", kSourceState},
      {"target_state", kTargetState}};
  auto it = kNames->find(name);
  if (it == kNames->end()) return std::nullopt;
  return it->second;
}

// A stable 32-bit FNV-1a hash, as 8 hex digits (ids must not depend on the
// process, so absl::Hash will not do).
std::string ShortHash(absl::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  return absl::StrFormat("%08x", h);
}

// An entity whose id, name or an alias is some text character for
// character, and which of the three it is (the import's join is exact:
// "Transport Canada" is not "Transport (Canada)").
enum class MatchedBy { kId, kName, kAlias };
struct ExactMatch {
  v1::Entity entity;
  MatchedBy by;
};

// A state an actor stands for.
struct StateRef {
  std::string id;
  std::string name;
};

// What an actor name became.
struct Actor {
  std::string id;
  std::string name;  // as written
  v1::EntityKind kind = v1::ENTITY_KIND_UNSPECIFIED;
  // The entity still to create (set until a good line has queued it).
  std::optional<v1::Entity> create;
  // The state its "Sector (Country)" name ties it to, until a good line has
  // queued that AFFILIATION.
  std::optional<StateRef> name_state;
  bool created = false;     // this import created its entity
  bool affiliated = false;  // the store took an AFFILIATION of it from this import
};

// What one delimited record states: its fact, the actors it names (their
// entities are created with it) and the AFFILIATION facts of its state
// columns, each with its affiliate.
struct RecordFacts {
  v1::Fact fact;
  Actor* fact_affiliate = nullptr;  // set when the fact is itself an AFFILIATION
  std::vector<Actor*> actors;
  std::vector<std::pair<v1::Fact, Actor*>> affiliations;
};

// One line of the batch being built: its mutations, or its error.
struct PendingLine {
  int64_t line = 0;
  int64_t ordinal = 0;  // data line count up to and including this line
  std::string error;    // set: the line was bad before reaching the store
  // Mutation indices: the entities to create and their actors; the facts,
  // the line's own first, each with the actor it affiliates (or null).
  std::vector<std::pair<size_t, Actor*>> entities;
  std::vector<std::pair<size_t, Actor*>> facts;
};

// The AFFILIATION of `affiliate_id` with `state_id` over `span`, cited as
// line `line` of the import's source.
v1::Fact AffiliationFact(const std::string& affiliate_id, const std::string& state_id,
                         v1::TimeSpan span, const std::string& source_id, int64_t line) {
  v1::Fact fact = storage::AffiliationFact(affiliate_id, state_id, std::move(span));
  fact.mutable_provenance()->set_source_id(source_id);
  fact.mutable_provenance()->set_locator(absl::StrCat("line ", line));
  return fact;
}

}  // namespace

std::optional<SectorName> ParseSectorName(absl::string_view name) {
  if (!absl::EndsWith(name, ")")) return std::nullopt;
  const size_t open = name.rfind(" (");
  if (open == absl::string_view::npos) return std::nullopt;
  SectorName parsed{std::string(absl::StripTrailingAsciiWhitespace(name.substr(0, open))),
                    std::string(name.substr(open + 2, name.size() - open - 3))};
  if (parsed.sector.empty() || parsed.country.empty()) return std::nullopt;
  return parsed;
}

class Importer::Impl {
 public:
  Impl(storage::Store& store, ImportOptions options, ImportSummary summary)
      : store_(store),
        options_(std::move(options)),
        summary_(std::move(summary)),
        loader_(store) {}

  absl::Status CreateSource();
  absl::Status Feed(absl::string_view bytes);
  bool stopped() const { return summary_.stopped; }
  int64_t lines() const { return summary_.lines; }
  absl::StatusOr<ImportSummary> Finish();

 private:
  // Reading: physical lines out of the pieces, records out of the lines.
  absl::Status EndLine(absl::string_view line, bool too_long);
  absl::Status DelimitedLine(absl::string_view line, bool too_long);
  absl::Status DelimitedRecord(absl::string_view record, int64_t first_line);
  absl::Status JsonLine(absl::string_view line, bool too_long);
  absl::Status RejectTooLong(int64_t line);
  void MaybeReportProgress(bool force = false);

  // Turning records into facts.
  void SetColumns(const std::vector<std::string>& header, bool explicit_header);
  absl::StatusOr<RecordFacts> DelimitedFact(const std::vector<std::string>& fields,
                                            int64_t line);
  absl::StatusOr<v1::TimeSpan> ValidTimeOf(absl::string_view start, absl::string_view end,
                                           bool open_where_empty) const;
  absl::Status AddColumnAffiliation(Actor* actor, Column actor_column, Column state_column,
                                    absl::string_view state_text, const v1::TimeSpan& span,
                                    int64_t line, RecordFacts* record);
  absl::StatusOr<Actor*> ResolveActor(absl::string_view name, absl::string_view field);
  absl::StatusOr<StateRef> ResolveState(absl::string_view text, absl::string_view field);
  absl::StatusOr<std::optional<StateRef>> StateOfSectorName(const SectorName& parsed);
  absl::StatusOr<bool> LacksNameAffiliation(const v1::Entity& entity, const SectorName& parsed,
                                            const StateRef& state) const;
  absl::StatusOr<std::vector<ExactMatch>> ExactlyNamed(absl::string_view text) const;
  absl::StatusOr<const std::vector<ExactMatch>*> CachedExactlyNamed(absl::string_view text);
  absl::StatusOr<std::string> FreeId(const std::string& slug, absl::string_view name);
  std::string FieldName(Column column) const { return column_names_[column]; }
  // A column's header text, or its usual name when the header lacks it.
  std::string ColumnName(Column column, absl::string_view usual) const {
    return column_index_[column] >= 0 ? column_names_[column] : std::string(usual);
  }

  // Batching and outcomes.
  void QueueFact(int64_t line, RecordFacts record);
  void QueueError(int64_t line, std::string reason);
  absl::Status MaybeFlush();
  absl::Status Flush();
  void Reject(int64_t line, absl::string_view reason);
  bool done() const { return summary_.stopped; }

  storage::Store& store_;
  const ImportOptions options_;
  ImportSummary summary_;
  // Facts go to the store in large sorted runs, not through the apply path:
  // an import is many facts at once (docs/import.md, "How facts are written").
  storage::FactLoader loader_;

  // Column of each field, and the header text of each column.
  bool have_header_ = false;
  std::vector<std::optional<Column>> columns_;
  std::string column_names_[kColumnCount];
  int column_index_[kColumnCount];

  // Actor decisions, by the name as written (node-based: Actor* stay valid).
  absl::node_hash_map<std::string, Actor> actors_;
  absl::flat_hash_set<std::string> ids_taken_;  // ids given to new entities
  // Exact matches of the texts that name states (countries in sector names,
  // state columns): few distinct texts, named on many lines.
  absl::flat_hash_map<std::string, std::vector<ExactMatch>> state_texts_;

  // The start of a line whose end has not arrived yet; once the line is
  // longer than max_line_bytes, only the fact that it is (line_too_long_).
  std::string partial_line_;
  bool line_too_long_ = false;
  // A CSV record whose quoted field goes on over the next line.
  std::string open_record_;
  int64_t open_record_line_ = 0;  // 0: no record is open

  std::vector<v1::Mutation> mutations_;
  std::vector<PendingLine> pending_;
  int64_t line_ = 0;  // physical line number of the last line read
  int64_t bytes_ = 0;
  absl::Time start_ = absl::Now();
  absl::Time last_progress_ = start_;
  absl::Status failed_;  // the store's failure; sticks
  bool finished_ = false;
};

absl::Status Importer::Impl::CreateSource() {
  if (auto s = storage::ValidateId(summary_.source_id, "source id"); !s.ok()) return s;
  auto source = store_.GetSource(summary_.source_id);
  if (source.ok()) return absl::OkStatus();
  if (source.status().code() != absl::StatusCode::kNotFound) return source.status();
  v1::Source record;
  record.set_id(summary_.source_id);
  record.set_title(absl::StrCat("Imported from ", fs::path(summary_.path).filename().string()));
  record.set_location(summary_.path);
  return store_.UpsertSource(record).status();
}

absl::Status Importer::Impl::Feed(absl::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (finished_) return absl::FailedPreconditionError("the import is finished");
  bytes_ += static_cast<int64_t>(bytes.size());
  while (!bytes.empty() && !done()) {
    const size_t newline = bytes.find('\n');
    const absl::string_view piece = bytes.substr(0, newline);
    const bool too_long =
        line_too_long_ || partial_line_.size() + piece.size() > options_.max_line_bytes;
    if (newline == absl::string_view::npos) {  // the line goes on in the next piece
      if (too_long) {
        line_too_long_ = true;
        std::string().swap(partial_line_);
      } else {
        partial_line_.append(piece.data(), piece.size());
      }
      break;
    }
    bytes.remove_prefix(newline + 1);
    absl::Status status;
    if (partial_line_.empty()) {
      status = EndLine(piece, too_long);
    } else {
      partial_line_.append(piece.data(), piece.size());
      status = EndLine(partial_line_, too_long);
      partial_line_.clear();
    }
    line_too_long_ = false;
    if (!status.ok()) {
      failed_ = status;
      return status;
    }
  }
  MaybeReportProgress();
  return absl::OkStatus();
}

absl::StatusOr<ImportSummary> Importer::Impl::Finish() {
  if (!failed_.ok()) return failed_;
  if (finished_) return absl::FailedPreconditionError("the import is finished");
  finished_ = true;
  absl::Status status;
  if (!done() && (!partial_line_.empty() || line_too_long_)) {  // no line break at the end
    status = EndLine(partial_line_, line_too_long_);
  }
  if (status.ok() && !done() && open_record_line_ > 0) {
    // The quote never closes: the record is reported as it is.
    const std::string record = std::move(open_record_);
    const int64_t first_line = open_record_line_;
    open_record_line_ = 0;
    status = DelimitedRecord(record, first_line);
  }
  if (status.ok() && !done() && !have_header_ && summary_.format == Format::kCsv) {
    Reject(1, "header: the file is empty (a CSV file starts with a header naming its columns)");
  }
  if (status.ok()) status = Flush();
  if (status.ok()) status = loader_.Flush();
  if (!status.ok()) {
    failed_ = status;
    return status;
  }
  summary_.facts_created = loader_.created();
  summary_.unchanged = loader_.unchanged();
  for (const auto& [name, actor] : actors_) {
    if (!actor.created) continue;
    ++(actor.affiliated ? summary_.actors_affiliated : summary_.actors_unaffiliated);
  }
  MaybeReportProgress(true);
  summary_.elapsed = absl::Now() - start_;
  return std::move(summary_);
}

absl::Status Importer::Impl::EndLine(absl::string_view line, bool too_long) {
  ++line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if ((line_ & 255) == 0) MaybeReportProgress();
  if (summary_.format == Format::kJsonl) return JsonLine(line, too_long);
  return DelimitedLine(line, too_long);
}

void Importer::Impl::MaybeReportProgress(bool force) {
  if (!options_.progress) return;
  const absl::Time now = absl::Now();
  if (!force && now - last_progress_ < options_.progress_interval) return;
  last_progress_ = now;
  options_.progress(Progress{summary_.lines, bytes_, 0, now - start_});
}

absl::Status Importer::Impl::RejectTooLong(int64_t line) {
  const std::string reason =
      absl::StrCat("is longer than ", options_.max_line_bytes,
                   " bytes (a missing line break", summary_.format == Format::kCsv
                                                       ? " or an unclosed quote?)"
                                                       : "?)");
  if (summary_.format != Format::kJsonl && !have_header_) {
    Reject(line, absl::StrCat("header: ", reason));
    summary_.stopped = true;
    return absl::OkStatus();
  }
  ++summary_.lines;
  QueueError(line, absl::StrCat("line: ", reason));
  return MaybeFlush();
}

void Importer::Impl::SetColumns(const std::vector<std::string>& header, bool explicit_header) {
  std::fill(std::begin(column_index_), std::end(column_index_), -1);
  columns_.clear();
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string text(absl::StripAsciiWhitespace(header[i]));
    std::optional<Column> column = ColumnNamed(text);
    if (!column) {
      // Reported; in skip mode the column is ignored and the rest imported.
      Reject(1, absl::StrCat("header: unknown column \"", text, "\" (field ", i + 1,
                             "); known columns are date, end_date, source, target, event (or "
                             "relation), type, summary, quantity, unit, measure, claimant, "
                             "source_state, target_state"));
      if (done()) return;
    } else if (column_index_[*column] >= 0) {
      Reject(1, absl::StrCat("header: column \"", text, "\" appears twice"));
      if (done()) return;
      column.reset();
    } else {
      column_index_[*column] = static_cast<int>(i);
      column_names_[*column] = text;
    }
    columns_.push_back(column);
  }
  std::vector<std::string> missing;
  if (column_index_[kDate] < 0) missing.push_back("date");
  if (column_index_[kSource] < 0) missing.push_back("source");
  if (column_index_[kEvent] < 0 && column_index_[kType] < 0) missing.push_back("event or type");
  if (!missing.empty()) {
    // Without these no line can be imported: stop, whatever the mode.
    Reject(1, absl::StrCat("header: no ", absl::StrJoin(missing, ", no "), " column",
                           explicit_header ? "" : " (the first line is not a header)"));
    summary_.stopped = true;
  }
}

absl::Status Importer::Impl::DelimitedLine(absl::string_view line, bool too_long) {
  if (open_record_line_ > 0) {  // inside a quoted CSV field that spans lines
    const int64_t first_line = open_record_line_;
    if (too_long || open_record_.size() + 1 + line.size() > options_.max_line_bytes) {
      open_record_line_ = 0;
      std::string().swap(open_record_);
      return RejectTooLong(first_line);
    }
    absl::StrAppend(&open_record_, "\n", line);
    // Quotes only toggle, so the record's quote parity is the sum of its lines'.
    if (internal::EndsInsideQuotes(line)) {
      open_record_line_ = 0;
      const std::string record = std::move(open_record_);
      open_record_.clear();
      return DelimitedRecord(record, first_line);
    }
    return absl::OkStatus();
  }
  if (too_long) return RejectTooLong(line_);
  if (summary_.format == Format::kCsv && internal::EndsInsideQuotes(line)) {
    open_record_.assign(line.data(), line.size());
    open_record_line_ = line_;
    return absl::OkStatus();
  }
  return DelimitedRecord(line, line_);
}

absl::Status Importer::Impl::DelimitedRecord(absl::string_view record, int64_t first_line) {
  const bool csv = summary_.format == Format::kCsv;
  if (absl::StripAsciiWhitespace(record).empty()) return absl::OkStatus();
  std::vector<std::string> fields;
  if (csv) {
    auto split = internal::SplitCsv(record);
    if (!split.ok()) {
      if (!have_header_) {
        Reject(first_line, absl::StrCat("header: ", split.status().message()));
        summary_.stopped = true;
        return absl::OkStatus();
      }
      ++summary_.lines;
      QueueError(first_line, std::string(split.status().message()));
      return MaybeFlush();
    }
    fields = std::move(*split);
  } else {
    fields = absl::StrSplit(record, '\t');
  }
  if (!have_header_) {
    have_header_ = true;
    if (csv || ColumnNamed(fields[0]).has_value()) {
      SetColumns(fields, true);
      return absl::OkStatus();
    }
    // An ICEWS file without its header: the four usual columns.
    SetColumns({"date", "source", "relation", "target"}, false);
    if (done()) return absl::OkStatus();
  }
  ++summary_.lines;
  auto record_facts = DelimitedFact(fields, first_line);
  if (!record_facts.ok()) {
    QueueError(first_line, std::string(record_facts.status().message()));
  } else {
    QueueFact(first_line, *std::move(record_facts));
  }
  return MaybeFlush();
}

absl::StatusOr<RecordFacts> Importer::Impl::DelimitedFact(const std::vector<std::string>& fields,
                                                          int64_t line) {
  if (fields.size() != columns_.size()) {
    std::vector<std::string> names;
    for (const auto& c : columns_) names.push_back(c ? column_names_[*c] : "(ignored)");
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", columns_.size(), " fields (", absl::StrJoin(names, ", "), "), found ",
        fields.size(), fields.size() < columns_.size() ? " (a truncated line?)" : ""));
  }
  auto get = [&](Column c) -> absl::string_view {
    return column_index_[c] < 0 ? absl::string_view()
                                : absl::StripAsciiWhitespace(fields[column_index_[c]]);
  };
  RecordFacts record;
  v1::Fact& fact = record.fact;
  // Everything that does not touch the store first. The type first: an
  // AFFILIATION row reads its dates and columns differently.
  const absl::string_view event = get(kEvent);
  const absl::string_view type = get(kType);
  if (!type.empty()) {
    std::string upper = absl::AsciiStrToUpper(type);
    if (!absl::StartsWith(upper, "FACT_TYPE_")) upper = absl::StrCat("FACT_TYPE_", upper);
    v1::FactType parsed;
    if (!v1::FactType_Parse(upper, &parsed) || parsed == v1::FACT_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldName(kType), ": unknown fact type \"", type, "\""));
    }
    fact.set_type(parsed);
  }
  const bool affiliation_row = fact.type() == v1::FACT_TYPE_AFFILIATION;
  if (affiliation_row) {
    if (!event.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldName(kEvent), ": an AFFILIATION row has no CAMEO event"));
    }
    for (Column column : {kSourceState, kTargetState}) {
      if (!get(column).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            FieldName(column), ": is for event rows; an AFFILIATION row names its state in ",
            ColumnName(kTarget, "target")));
      }
    }
  }
  // An affiliation whose row leaves a date empty is open at that end; an
  // event needs its date.
  auto span = ValidTimeOf(get(kDate), get(kEndDate), affiliation_row);
  if (!span.ok()) return span.status();
  *fact.mutable_valid_time() = *span;

  if (!event.empty()) {
    const bool numeric = std::all_of(event.begin(), event.end(), absl::ascii_isdigit);
    const graph::CameoEvent* cameo =
        numeric ? graph::FindCameoByCode(event) : graph::FindCameoByName(event);
    if (cameo == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldName(kEvent), ": unknown CAMEO event ", numeric ? "code " : "", "\"",
                       event, "\" (graph/cameo_table.md lists them)"));
    }
    if (type.empty()) fact.set_type(cameo->type);  // the type column overrides the event's
    fact.set_cameo_code(cameo->code);
  }
  if (event.empty() && type.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        column_index_[kEvent] >= 0 ? FieldName(kEvent) : FieldName(kType),
        ": is empty (give a CAMEO event or a fact type)"));
  }
  const absl::string_view quantity = get(kQuantity);
  if (!quantity.empty()) {
    double value = 0;
    if (!absl::SimpleAtod(quantity, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldName(kQuantity), ": \"", quantity, "\" is not a number"));
    }
    auto* q = fact.add_quantities();
    q->set_value(value);
    q->set_measure(std::string(get(kMeasure)));
    q->set_unit(std::string(get(kUnit)));
  } else if (!get(kMeasure).empty() || !get(kUnit).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        column_index_[kQuantity] >= 0 ? FieldName(kQuantity) : "quantity",
        ": is empty but a measure or unit is given"));
  }

  // Then the actors (read-only: entities are created only for good lines).
  const absl::string_view source = get(kSource);
  auto source_actor = ResolveActor(source, FieldName(kSource));
  if (!source_actor.ok()) return source_actor.status();
  record.actors.push_back(*source_actor);
  const absl::string_view target = get(kTarget);
  const bool has_target = column_index_[kTarget] >= 0 && !target.empty();
  std::string default_summary;
  if (affiliation_row) {
    // source stands for the state in target.
    if ((*source_actor)->kind == v1::ENTITY_KIND_STATE) {
      return absl::InvalidArgumentError(absl::StrCat(
          FieldName(kSource), ": \"", (*source_actor)->name,
          "\" is a STATE; an AFFILIATION row's source is the actor that stands for the state in ",
          ColumnName(kTarget, "target")));
    }
    if (!has_target) {
      return absl::InvalidArgumentError(absl::StrCat(
          ColumnName(kTarget, "target"), ": is empty (an AFFILIATION row names the state here)"));
    }
    auto state = ResolveState(target, FieldName(kTarget));
    if (!state.ok()) return state.status();
    auto* p = fact.add_participants();
    p->set_entity_id((*source_actor)->id);
    p->set_role(v1::PARTICIPANT_ROLE_AFFILIATE);
    p = fact.add_participants();
    p->set_entity_id(state->id);
    p->set_role(v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
    record.fact_affiliate = *source_actor;
    default_summary = absl::StrCat((*source_actor)->name, " stands for ", state->name);
  } else {
    auto* p = fact.add_participants();
    p->set_entity_id((*source_actor)->id);
    p->set_role(v1::PARTICIPANT_ROLE_SOURCE);
    Actor* target_actor = nullptr;
    if (has_target) {
      auto resolved = ResolveActor(target, FieldName(kTarget));
      if (!resolved.ok()) return resolved.status();
      target_actor = *resolved;
      p = fact.add_participants();
      p->set_entity_id(target_actor->id);
      p->set_role(v1::PARTICIPANT_ROLE_TARGET);
      record.actors.push_back(target_actor);
    } else if (summary_.format == Format::kTsv) {
      return absl::InvalidArgumentError(absl::StrCat(FieldName(kTarget), ": is empty"));
    }
    if (auto s = AddColumnAffiliation(*source_actor, kSource, kSourceState, get(kSourceState),
                                      fact.valid_time(), line, &record);
        !s.ok()) {
      return s;
    }
    const absl::string_view target_state = get(kTargetState);
    if (!target_state.empty() && target_actor == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(FieldName(kTargetState),
                                                     ": is given but the row has no ",
                                                     ColumnName(kTarget, "target")));
    }
    if (auto s = AddColumnAffiliation(target_actor, kTarget, kTargetState, target_state,
                                      fact.valid_time(), line, &record);
        !s.ok()) {
      return s;
    }
    default_summary = absl::StrCat(source, ": ", event.empty() ? type : event,
                                   target.empty() ? "" : ": ", target);
  }
  const absl::string_view claimant = get(kClaimant);
  if (!claimant.empty()) {
    auto claimant_actor = ResolveActor(claimant, FieldName(kClaimant));
    if (!claimant_actor.ok()) return claimant_actor.status();
    fact.mutable_attribution()->add_claimant_ids((*claimant_actor)->id);
    fact.mutable_attribution()->set_stance(v1::CLAIM_STANCE_ASSERTS);
    record.actors.push_back(*claimant_actor);
  }
  const absl::string_view summary = get(kSummary);
  fact.set_summary(summary.empty() ? default_summary : std::string(summary));
  fact.mutable_provenance()->set_source_id(summary_.source_id);
  fact.mutable_provenance()->set_locator(absl::StrCat("line ", line));
  return record;
}

absl::StatusOr<v1::TimeSpan> Importer::Impl::ValidTimeOf(absl::string_view start,
                                                         absl::string_view end,
                                                         bool open_where_empty) const {
  v1::TimeSpan span;
  if (start.empty() && open_where_empty) {
    span.set_open_start(true);
  } else {
    auto date = date_text::ParseDate(start, FieldName(kDate));
    if (!date.ok()) return date.status();
    *span.mutable_start() = *date;
  }
  if (!end.empty()) {
    auto date = date_text::ParseDate(end, FieldName(kEndDate));
    if (!date.ok()) return date.status();
    if (span.has_start() &&
        storage::DateRange(*date).last < storage::DateRange(span.start()).first) {
      return absl::InvalidArgumentError(absl::StrCat(FieldName(kEndDate), ": \"", end,
                                                     "\" is before the ", FieldName(kDate),
                                                     " \"", start, "\""));
    }
    *span.mutable_end() = *date;
  } else if (open_where_empty) {
    span.set_open_end(true);
  }
  return span;
}

// `state_text` (a source_state or target_state value) says that `actor`
// stood for that state over the row's valid time.
absl::Status Importer::Impl::AddColumnAffiliation(Actor* actor, Column actor_column,
                                                  Column state_column,
                                                  absl::string_view state_text,
                                                  const v1::TimeSpan& span, int64_t line,
                                                  RecordFacts* record) {
  if (state_text.empty() || actor == nullptr) return absl::OkStatus();
  auto state = ResolveState(state_text, FieldName(state_column));
  if (!state.ok()) return state.status();
  if (state->id == actor->id) return absl::OkStatus();  // a state stands for itself
  if (actor->kind == v1::ENTITY_KIND_STATE) {
    return absl::InvalidArgumentError(absl::StrCat(
        FieldName(state_column), ": ", FieldName(actor_column), " \"", actor->name,
        "\" is a state itself; only its parts, people and places stand for a state"));
  }
  for (const auto& [fact, affiliate] : record->affiliations) {
    if (affiliate == actor && fact.participants(1).entity_id() == state->id) {
      return absl::OkStatus();  // source and target are one actor, with one state
    }
  }
  v1::Fact fact = AffiliationFact(actor->id, state->id, span, summary_.source_id, line);
  (*fact.mutable_attributes())["basis"] = absl::StrCat(FieldName(state_column), " column");
  fact.set_summary(absl::StrCat(actor->name, " stands for ", state->name, " (the ",
                                FieldName(state_column), " column)"));
  record->affiliations.emplace_back(std::move(fact), actor);
  return absl::OkStatus();
}

absl::StatusOr<Actor*> Importer::Impl::ResolveActor(absl::string_view name,
                                                    absl::string_view field) {
  name = absl::StripAsciiWhitespace(name);
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  // Decided once per text as written: two spellings are two actors unless
  // the store says they are one (an id, a name or an alias).
  if (auto it = actors_.find(name); it != actors_.end()) return &it->second;
  if (storage::NormalizeName(name).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name, "\" has no letters or digits"));
  }
  if (name.size() > storage::RecordLimits::kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the name is longer than ",
                                                   storage::RecordLimits::kMaxNameBytes,
                                                   " bytes"));
  }
  auto matches = ExactlyNamed(name);
  if (!matches.ok()) return matches.status();
  // The entity named so by its id, else its name, else an alias; several at
  // the first of these that names any would be a guess.
  const ExactMatch* joined = nullptr;
  for (MatchedBy by : {MatchedBy::kId, MatchedBy::kName, MatchedBy::kAlias}) {
    std::vector<std::string> ids;
    for (const ExactMatch& match : *matches) {
      if (match.by != by) continue;
      joined = &match;
      ids.push_back(match.entity.id());
    }
    if (ids.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": \"", name, "\" is the ", by == MatchedBy::kName ? "name" : "alias", " of ",
          ids.size(), " entities (", absl::StrJoin(ids, ", "),
          "); the import cannot tell which it means"));
    }
    if (!ids.empty()) break;
  }
  const std::optional<SectorName> sector_name = ParseSectorName(name);
  std::optional<StateRef> state;
  if (sector_name) {
    auto found = StateOfSectorName(*sector_name);
    if (!found.ok()) return found.status();
    state = *std::move(found);
  }
  Actor actor;
  actor.name = std::string(name);
  if (joined != nullptr) {
    actor.id = joined->entity.id();
    actor.kind = joined->entity.kind();
    // Left without its AFFILIATION by an import cut short between its
    // entities and its facts: give it now.
    if (state) {
      auto lacks = LacksNameAffiliation(joined->entity, *sector_name, *state);
      if (!lacks.ok()) return lacks.status();
      if (*lacks) actor.name_state = state;
    }
  } else {
    // A new organization; "Sector (Country)" of a known state is that
    // state's part, recorded by an AFFILIATION with the first good line.
    v1::Entity entity;
    entity.set_kind(v1::ENTITY_KIND_ORGANIZATION);
    entity.set_name(actor.name);
    if (state) {
      entity.set_sector(sector_name->sector);
      entity.set_state_id(state->id);  // for display; roll-up reads the AFFILIATION
      actor.name_state = state;
    }
    auto id = FreeId(SlugOf(name), name);
    if (!id.ok()) return id.status();
    entity.set_id(*id);
    if (auto s = storage::ValidateEntity(entity, field); !s.ok()) return s;
    ids_taken_.insert(*id);
    actor.id = *std::move(id);
    actor.kind = entity.kind();
    actor.create = std::move(entity);
  }
  return &actors_.emplace(actor.name, std::move(actor)).first->second;
}

// The STATE entity a state column names: by id, name or alias as written.
absl::StatusOr<StateRef> Importer::Impl::ResolveState(absl::string_view text,
                                                      absl::string_view field) {
  text = absl::StripAsciiWhitespace(text);
  if (storage::NormalizeName(text).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text, "\" has no letters or digits"));
  }
  auto matches = CachedExactlyNamed(text);
  if (!matches.ok()) return matches.status();
  for (MatchedBy by : {MatchedBy::kId, MatchedBy::kName, MatchedBy::kAlias}) {
    std::vector<const v1::Entity*> states;
    for (const ExactMatch& match : **matches) {
      if (match.by == by && match.entity.kind() == v1::ENTITY_KIND_STATE) {
        states.push_back(&match.entity);
      }
    }
    if (states.size() == 1) return StateRef{states[0]->id(), states[0]->name()};
    if (states.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", text, "\" names ", states.size(),
                       " states; give the state's id"));
    }
  }
  if (!(*matches)->empty()) {
    const v1::Entity& entity = (*matches)->front().entity;
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", text, "\" is the ",
        absl::StripPrefix(v1::EntityKind_Name(entity.kind()), "ENTITY_KIND_"), " ", entity.id(),
        ", not a STATE entity; an affiliation is to a state"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", text,
      "\" is not a known state (give a STATE entity's id, name or an alias, as written)"));
}

// The state whose name or alias is the sector name's country exactly, when
// exactly one is; none otherwise (never a guess).
absl::StatusOr<std::optional<StateRef>> Importer::Impl::StateOfSectorName(
    const SectorName& parsed) {
  auto matches = CachedExactlyNamed(parsed.country);
  if (!matches.ok()) return matches.status();
  std::optional<StateRef> state;
  for (const ExactMatch& match : **matches) {
    if (match.by == MatchedBy::kId || match.entity.kind() != v1::ENTITY_KIND_STATE) continue;
    if (state) return std::nullopt;  // two states: which one is not said
    state = StateRef{match.entity.id(), match.entity.name()};
  }
  return state;
}

// True for an entity this importer made from the sector name (its sector
// and state_id) that has no AFFILIATION at all, not even a retracted one: a
// retraction is someone's correction, not to be undone by a re-import.
absl::StatusOr<bool> Importer::Impl::LacksNameAffiliation(const v1::Entity& entity,
                                                          const SectorName& parsed,
                                                          const StateRef& state) const {
  if (entity.kind() != v1::ENTITY_KIND_ORGANIZATION || entity.sector() != parsed.sector ||
      entity.state_id() != state.id) {
    return false;
  }
  storage::FactQuery query;
  query.entity_id = entity.id();
  query.types = {v1::FACT_TYPE_AFFILIATION};
  query.include_retracted = true;
  query.limit = 1;
  auto page = store_.ListFacts(query);
  if (!page.ok()) return page.status();
  return page->records.empty();
}

// Entities whose id, name or an alias is `text` character for character.
// The store's resolution is by normalized text, so its exact matches are a
// superset: read them all and keep those written the same.
absl::StatusOr<std::vector<ExactMatch>> Importer::Impl::ExactlyNamed(
    absl::string_view text) const {
  for (size_t limit = 8;; limit *= 4) {
    auto resolved = store_.Resolve(text, limit);
    if (!resolved.ok()) return resolved.status();
    // Exact matches come first, prefix matches only when there are none.
    if (resolved->size() == limit && resolved->back().exact) continue;  // maybe more
    std::vector<ExactMatch> matches;
    for (storage::NameMatch& match : *resolved) {
      if (!match.exact) break;
      const v1::Entity& e = match.entity;
      std::optional<MatchedBy> by;
      if (e.id() == text) {
        by = MatchedBy::kId;
      } else if (e.name() == text) {
        by = MatchedBy::kName;
      } else if (std::find(e.aliases().begin(), e.aliases().end(), text) != e.aliases().end()) {
        by = MatchedBy::kAlias;
      }
      if (by) matches.push_back({std::move(match.entity), *by});
    }
    return matches;
  }
}

absl::StatusOr<const std::vector<ExactMatch>*> Importer::Impl::CachedExactlyNamed(
    absl::string_view text) {
  if (auto it = state_texts_.find(text); it != state_texts_.end()) return &it->second;
  auto matches = ExactlyNamed(text);
  if (!matches.ok()) return matches.status();
  return &state_texts_.emplace(std::string(text), *std::move(matches)).first->second;
}

// An id for a new entity named `name`: the slug, or the slug with a short
// hash of the name when another entity holds it ("Transport Canada" and
// "Transport (Canada)" are both transport_canada as slugs).
absl::StatusOr<std::string> Importer::Impl::FreeId(const std::string& slug,
                                                   absl::string_view name) {
  const std::string hashed = absl::StrCat(slug, "_", ShortHash(name));
  for (int attempt = 0; attempt < 10; ++attempt) {
    const std::string candidate =
        attempt == 0 ? slug : attempt == 1 ? hashed : absl::StrCat(hashed, "_", attempt);
    if (ids_taken_.contains(candidate)) continue;
    auto existing = store_.GetEntity(candidate);
    if (existing.ok()) continue;  // another entity's (one named `name` would have joined)
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return candidate;
  }
  return absl::InternalError(absl::StrCat("no free entity id for \"", name, "\""));
}

absl::Status Importer::Impl::JsonLine(absl::string_view line, bool too_long) {
  if (too_long) return RejectTooLong(line_);
  if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
  ++summary_.lines;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  v1::Fact fact;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &fact, parse);
  if (!status.ok()) {
    QueueError(line_, absl::StrCat("fact: not a Fact in the proto JSON mapping: ",
                                   std::string(status.message())));
  } else {
    if (fact.provenance().source_id().empty()) {
      fact.mutable_provenance()->set_source_id(summary_.source_id);
      if (fact.provenance().locator().empty()) {
        fact.mutable_provenance()->set_locator(absl::StrCat("line ", line_));
      }
    }
    RecordFacts record;
    record.fact = std::move(fact);
    QueueFact(line_, std::move(record));
  }
  return MaybeFlush();
}

void Importer::Impl::QueueFact(int64_t line, RecordFacts record) {
  // Every fact of the line is checked before anything of it is queued.
  if (auto s = storage::ValidateFact(record.fact, "fact"); !s.ok()) {
    QueueError(line, std::string(s.message()));
    return;
  }
  // The AFFILIATION its name gives an actor goes with the first good line
  // naming it (the line that creates it), so a re-import cites the same line.
  std::vector<const Actor*> named;  // an actor may be named twice on a line
  for (Actor* actor : record.actors) {
    if (!actor->name_state || absl::c_linear_search(named, actor)) continue;
    named.push_back(actor);
    v1::Fact fact = AffiliationFact(actor->id, actor->name_state->id, storage::Always(),
                                    summary_.source_id, line);
    (*fact.mutable_attributes())["basis"] = "actor name";
    fact.set_summary(absl::StrCat(actor->name, " acts for ", actor->name_state->name,
                                  ", the country its name gives"));
    record.affiliations.emplace_back(std::move(fact), actor);
  }
  for (const auto& [fact, affiliate] : record.affiliations) {
    if (auto s = storage::ValidateFact(fact, "affiliation"); !s.ok()) {
      QueueError(line, std::string(s.message()));
      return;
    }
  }
  PendingLine pending;
  pending.line = line;
  pending.ordinal = summary_.lines;
  for (Actor* actor : record.actors) {
    actor->name_state.reset();
    if (!actor->create) continue;
    pending.entities.emplace_back(mutations_.size(), actor);
    *mutations_.emplace_back().mutable_upsert_entity() = std::move(*actor->create);
    actor->create.reset();
  }
  pending.facts.emplace_back(mutations_.size(), record.fact_affiliate);
  *mutations_.emplace_back().mutable_record_fact() = std::move(record.fact);
  for (auto& [fact, affiliate] : record.affiliations) {
    pending.facts.emplace_back(mutations_.size(), affiliate);
    *mutations_.emplace_back().mutable_record_fact() = std::move(fact);
  }
  pending_.push_back(std::move(pending));
}

void Importer::Impl::QueueError(int64_t line, std::string reason) {
  PendingLine pending;
  pending.line = line;
  pending.ordinal = summary_.lines;
  pending.error = std::move(reason);
  pending_.push_back(std::move(pending));
}

absl::Status Importer::Impl::MaybeFlush() {
  // Strict: at a bad line, apply the lines before it and stop there.
  const bool strict_error = options_.strict && !pending_.empty() && !pending_.back().error.empty();
  if (pending_.size() >= std::max<size_t>(options_.batch_lines, 1) || strict_error) {
    return Flush();
  }
  return absl::OkStatus();
}

absl::Status Importer::Impl::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  // New entities first, in one batch through the apply path; then the facts
  // that need them, to the loader.
  std::vector<v1::Mutation> entities;
  std::vector<size_t> entity_result(mutations_.size());
  for (size_t i = 0; i < mutations_.size(); ++i) {
    if (!mutations_[i].has_upsert_entity()) continue;
    entity_result[i] = entities.size();
    entities.push_back(std::move(mutations_[i]));
  }
  std::vector<absl::StatusOr<storage::ApplyResult>> results;
  if (!entities.empty()) results = store_.ApplyBatch(std::move(entities), options_.strict);
  std::vector<PendingLine> lines = std::move(pending_);
  pending_.clear();
  absl::Status status;
  for (const PendingLine& line : lines) {
    if (done()) break;
    if (!line.error.empty()) {
      Reject(line.line, line.error);
      if (done()) summary_.lines = line.ordinal;
      continue;
    }
    for (const auto& [i, actor] : line.entities) {
      const auto& result = results[entity_result[i]];
      if (result.ok() && result->created) {
        ++summary_.entities_created;
        actor->created = true;
      }
    }
    // The line's own fact first: when the store refuses it, none of the
    // line's affiliations is written either.
    for (const auto& [i, affiliate] : line.facts) {
      status = loader_.Add(std::move(*mutations_[i].mutable_record_fact()));
      if (!status.ok()) break;
      if (affiliate != nullptr) affiliate->affiliated = true;
    }
    if (status.ok()) continue;
    if (status.code() != absl::StatusCode::kInvalidArgument &&
        status.code() != absl::StatusCode::kNotFound) {
      // The store failed (I/O): the run being written is not stored.
      break;
    }
    Reject(line.line, status.message());
    status = absl::OkStatus();
    if (done()) summary_.lines = line.ordinal;
  }
  mutations_.clear();
  if (status.ok() && done()) status = loader_.Flush();  // strict: stop here
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat(summary_.path, ": ", status.message()));
  }
  return absl::OkStatus();
}

void Importer::Impl::Reject(int64_t line, absl::string_view reason) {
  ++summary_.rejected;
  if (summary_.errors.size() < options_.max_errors) {
    summary_.errors.push_back(absl::StrCat(summary_.path, ":", line, ": ", reason));
  }
  if (options_.strict) summary_.stopped = true;
}

std::string SlugOf(absl::string_view name) {
  std::string id;
  bool pending = false;
  for (char c : name) {
    if (absl::ascii_isalnum(c)) {
      if (pending && !id.empty()) id.push_back('_');
      pending = false;
      id.push_back(absl::ascii_tolower(c));
    } else {
      pending = true;
    }
  }
  if (id.size() > 100) id.resize(100);
  while (!id.empty() && id.back() == '_') id.pop_back();
  return id.empty() ? "actor" : id;
}

Importer::Importer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Importer::~Importer() = default;

absl::StatusOr<std::unique_ptr<Importer>> Importer::Start(storage::Store& store,
                                                          ImportOptions options,
                                                          std::string name) {
  ImportSummary summary;
  auto format = DetectFormat(name, options.format);
  if (!format.ok()) return format.status();
  summary.format = *format;
  summary.source_id = options.source_id;
  if (summary.source_id.empty()) {
    for (char c : fs::path(name).filename().string()) {
      const bool ok = absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
      summary.source_id.push_back(ok ? c : '_');
    }
    if (summary.source_id.size() > storage::RecordLimits::kMaxIdBytes) {
      summary.source_id.resize(storage::RecordLimits::kMaxIdBytes);
    }
  }
  summary.path = std::move(name);
  auto impl = std::make_unique<Impl>(store, std::move(options), std::move(summary));
  if (auto s = impl->CreateSource(); !s.ok()) return s;
  return std::unique_ptr<Importer>(new Importer(std::move(impl)));
}

absl::Status Importer::Feed(absl::string_view bytes) { return impl_->Feed(bytes); }
bool Importer::stopped() const { return impl_->stopped(); }
int64_t Importer::lines() const { return impl_->lines(); }
absl::StatusOr<ImportSummary> Importer::Finish() { return impl_->Finish(); }

absl::StatusOr<ImportSummary> ImportFile(storage::Store& store, const std::string& path,
                                         ImportOptions options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const int64_t total_bytes = ec ? 0 : static_cast<int64_t>(size);
  if (options.progress) {
    options.progress = [report = std::move(options.progress), total_bytes](Progress progress) {
      progress.total_bytes = total_bytes;
      report(progress);
    };
  }
  auto importer = Importer::Start(store, std::move(options), path);
  if (!importer.ok()) return importer.status();
  std::vector<char> block(1 << 20);
  while (!(*importer)->stopped() && in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const absl::string_view bytes(block.data(), static_cast<size_t>(in.gcount()));
    if (auto s = (*importer)->Feed(bytes); !s.ok()) return s;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return (*importer)->Finish();
}

}  // namespace entente::importer
