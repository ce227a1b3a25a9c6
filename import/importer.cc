#include "import/importer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
enum Column { kDate, kSource, kTarget, kEvent, kType, kSummary, kQuantity, kUnit, kMeasure,
              kClaimant, kColumnCount };

std::optional<Column> ColumnNamed(absl::string_view header) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header));
  static const auto* const kNames = new absl::flat_hash_map<std::string, Column>{
      {"date", kDate},         {"source", kSource},     {"target", kTarget},
      {"event", kEvent},       {"relation", kEvent},    {"cameo_code", kEvent},
      {"type", kType},         {"fact_type", kType},    {"summary", kSummary},
      {"quantity", kQuantity}, {"value", kQuantity},    {"unit", kUnit},
      {"measure", kMeasure},   {"claimant", kClaimant}};
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

// What an actor name became: the entity id, and the entity still to create
// (set until a good line has queued its creation).
struct Actor {
  std::string id;
  std::optional<v1::Entity> create;
};

// One line of the batch being built: its fact's mutation, or its error.
struct PendingLine {
  int64_t line = 0;
  int64_t ordinal = 0;  // data line count up to and including this line
  std::string error;    // set: the line was bad before reaching the store
  size_t fact_index = 0;
  std::vector<size_t> entity_indices;
};

}  // namespace

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
  absl::StatusOr<v1::Fact> DelimitedFact(const std::vector<std::string>& fields, int64_t line,
                                         std::vector<Actor*>* actors);
  absl::StatusOr<Actor*> ResolveActor(absl::string_view name, absl::string_view field);
  absl::StatusOr<std::pair<std::string, bool>> FreeId(const std::string& slug,
                                                      const std::string& normalized);
  std::string FieldName(Column column) const { return column_names_[column]; }

  // Batching and outcomes.
  void QueueFact(int64_t line, v1::Fact fact, const std::vector<Actor*>& actors);
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

  // Actor decisions, by normalized name and by the name as written.
  std::unordered_map<std::string, Actor> actors_;
  absl::flat_hash_map<std::string, Actor*> actors_by_text_;
  absl::flat_hash_map<std::string, std::string> ids_taken_;  // new id -> normalized name

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
                             "); known columns are date, source, target, event (or "
                             "relation), type, summary, quantity, unit, measure, claimant"));
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
  std::vector<Actor*> actors;
  auto fact = DelimitedFact(fields, first_line, &actors);
  if (!fact.ok()) {
    QueueError(first_line, std::string(fact.status().message()));
  } else {
    QueueFact(first_line, *std::move(fact), actors);
  }
  return MaybeFlush();
}

absl::StatusOr<v1::Fact> Importer::Impl::DelimitedFact(const std::vector<std::string>& fields,
                                                       int64_t line,
                                                       std::vector<Actor*>* actors) {
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
  v1::Fact fact;
  // Everything that does not touch the store first.
  auto date = date_text::ParseDate(get(kDate), FieldName(kDate));
  if (!date.ok()) return date.status();
  *fact.mutable_valid_time()->mutable_start() = *date;

  const absl::string_view event = get(kEvent);
  const absl::string_view type = get(kType);
  if (!event.empty()) {
    const bool numeric = std::all_of(event.begin(), event.end(), absl::ascii_isdigit);
    const graph::CameoEvent* cameo =
        numeric ? graph::FindCameoByCode(event) : graph::FindCameoByName(event);
    if (cameo == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldName(kEvent), ": unknown CAMEO event ", numeric ? "code " : "", "\"",
                       event, "\" (graph/cameo_table.md lists them)"));
    }
    fact.set_type(cameo->type);
    fact.set_cameo_code(cameo->code);
  }
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
  auto* p = fact.add_participants();
  p->set_entity_id((*source_actor)->id);
  p->set_role(v1::PARTICIPANT_ROLE_SOURCE);
  actors->push_back(*source_actor);
  const absl::string_view target = get(kTarget);
  if (column_index_[kTarget] >= 0 && !target.empty()) {
    auto target_actor = ResolveActor(target, FieldName(kTarget));
    if (!target_actor.ok()) return target_actor.status();
    p = fact.add_participants();
    p->set_entity_id((*target_actor)->id);
    p->set_role(v1::PARTICIPANT_ROLE_TARGET);
    actors->push_back(*target_actor);
  } else if (summary_.format == Format::kTsv) {
    return absl::InvalidArgumentError(absl::StrCat(FieldName(kTarget), ": is empty"));
  }
  const absl::string_view claimant = get(kClaimant);
  if (!claimant.empty()) {
    auto claimant_actor = ResolveActor(claimant, FieldName(kClaimant));
    if (!claimant_actor.ok()) return claimant_actor.status();
    fact.mutable_attribution()->add_claimant_ids((*claimant_actor)->id);
    fact.mutable_attribution()->set_stance(v1::CLAIM_STANCE_ASSERTS);
    actors->push_back(*claimant_actor);
  }
  const absl::string_view summary = get(kSummary);
  if (!summary.empty()) {
    fact.set_summary(std::string(summary));
  } else {
    fact.set_summary(absl::StrCat(source, ": ", event.empty() ? type : event,
                                  target.empty() ? "" : ": ", target));
  }
  fact.mutable_provenance()->set_source_id(summary_.source_id);
  fact.mutable_provenance()->set_locator(absl::StrCat("line ", line));
  return fact;
}

absl::StatusOr<Actor*> Importer::Impl::ResolveActor(absl::string_view name,
                                                    absl::string_view field) {
  name = absl::StripAsciiWhitespace(name);
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  if (auto it = actors_by_text_.find(name); it != actors_by_text_.end()) return it->second;
  const std::string normalized = storage::NormalizeName(name);
  if (normalized.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name, "\" has no letters or digits"));
  }
  if (auto it = actors_.find(normalized); it != actors_.end()) {
    actors_by_text_.emplace(std::string(name), &it->second);
    return &it->second;
  }
  if (name.size() > storage::RecordLimits::kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the name is longer than ",
                                                   storage::RecordLimits::kMaxNameBytes,
                                                   " bytes"));
  }
  // Exactly one exact match (name, alias or id): that entity.
  auto exact_matches = [&](absl::string_view text) -> absl::StatusOr<std::vector<v1::Entity>> {
    auto matches = store_.Resolve(text, 2);
    if (!matches.ok()) return matches.status();
    std::vector<v1::Entity> exact;
    for (auto& m : *matches) {
      if (m.exact) exact.push_back(std::move(m.entity));
    }
    return exact;
  };
  auto exact = exact_matches(name);
  if (!exact.ok()) return exact.status();
  Actor actor;
  if (exact->size() == 1) {
    actor.id = exact->front().id();
  } else {
    // A new organization; "Sector (Country)" links to Country's state.
    v1::Entity entity;
    entity.set_kind(v1::ENTITY_KIND_ORGANIZATION);
    entity.set_name(std::string(name));
    const size_t open = name.rfind(" (");
    if (absl::EndsWith(name, ")") && open != absl::string_view::npos && open > 0) {
      const absl::string_view country = name.substr(open + 2, name.size() - open - 3);
      if (!storage::NormalizeName(country).empty()) {
        auto states = exact_matches(country);
        if (!states.ok()) return states.status();
        if (states->size() == 1 && states->front().kind() == v1::ENTITY_KIND_STATE) {
          entity.set_state_id(states->front().id());
        }
      }
    }
    auto id = FreeId(SlugOf(name), normalized);
    if (!id.ok()) return id.status();
    actor.id = id->first;
    if (id->second) {
      entity.set_id(actor.id);
      if (auto s = storage::ValidateEntity(entity, field); !s.ok()) return s;
      ids_taken_.emplace(actor.id, normalized);
      actor.create = std::move(entity);
    }
  }
  Actor* stored = &actors_.emplace(normalized, std::move(actor)).first->second;
  actors_by_text_.emplace(std::string(name), stored);
  return stored;
}

// An id for a new entity named `normalized`: the slug, or the slug with a
// short hash of the name when another name holds it. Second: whether the
// entity must be created (false: an entity of this name already has it).
absl::StatusOr<std::pair<std::string, bool>> Importer::Impl::FreeId(
    const std::string& slug, const std::string& normalized) {
  const std::string hashed = absl::StrCat(slug, "_", ShortHash(normalized));
  for (const std::string& candidate : {slug, hashed, absl::StrCat(hashed, "_2")}) {
    if (auto it = ids_taken_.find(candidate); it != ids_taken_.end()) {
      if (it->second == normalized) return std::make_pair(candidate, false);
      continue;
    }
    auto existing = store_.GetEntity(candidate);
    if (existing.ok()) {
      if (storage::NormalizeName(existing->name()) == normalized) {
        return std::make_pair(candidate, false);
      }
      continue;
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return std::make_pair(candidate, true);
  }
  return absl::InternalError(absl::StrCat("no free entity id for \"", normalized, "\""));
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
    QueueFact(line_, std::move(fact), {});
  }
  return MaybeFlush();
}

void Importer::Impl::QueueFact(int64_t line, v1::Fact fact, const std::vector<Actor*>& actors) {
  // The whole fact is checked before any entity of its line is created.
  if (auto s = storage::ValidateFact(fact, "fact"); !s.ok()) {
    QueueError(line, std::string(s.message()));
    return;
  }
  PendingLine pending;
  pending.line = line;
  pending.ordinal = summary_.lines;
  for (Actor* actor : actors) {
    if (!actor->create) continue;
    pending.entity_indices.push_back(mutations_.size());
    *mutations_.emplace_back().mutable_upsert_entity() = std::move(*actor->create);
    actor->create.reset();
  }
  pending.fact_index = mutations_.size();
  *mutations_.emplace_back().mutable_record_fact() = std::move(fact);
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
    for (size_t i : line.entity_indices) {
      const auto& result = results[entity_result[i]];
      if (result.ok() && result->created) ++summary_.entities_created;
    }
    status = loader_.Add(std::move(*mutations_[line.fact_index].mutable_record_fact()));
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
