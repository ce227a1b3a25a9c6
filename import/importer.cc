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

class Importer {
 public:
  Importer(storage::Store& store, const ImportOptions& options, ImportSummary& summary)
      : store_(store), options_(options), summary_(summary) {}

  absl::Status Run();

 private:
  // Reading.
  absl::Status RunDelimited(std::istream& in, char delimiter);
  absl::Status RunJsonLines(std::istream& in);
  bool ReadLine(std::istream& in, std::string* line);
  void MaybeReportProgress(bool force = false);

  // Turning lines into facts.
  absl::Status SetColumns(const std::vector<std::string>& header, bool explicit_header);
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
  const ImportOptions& options_;
  ImportSummary& summary_;
  std::string name_;  // the file as named in errors

  // Column of each field, and the header text of each column.
  std::vector<std::optional<Column>> columns_;
  std::string column_names_[kColumnCount];
  int column_index_[kColumnCount];

  // Actor decisions, by normalized name and by the name as written.
  std::unordered_map<std::string, Actor> actors_;
  absl::flat_hash_map<std::string, Actor*> actors_by_text_;
  absl::flat_hash_map<std::string, std::string> ids_taken_;  // new id -> normalized name

  std::vector<v1::Mutation> mutations_;
  std::vector<PendingLine> pending_;
  int64_t line_ = 0;  // physical line number of the last line read
  int64_t bytes_ = 0;
  int64_t total_bytes_ = 0;
  absl::Time start_;
  absl::Time last_progress_;
};

absl::Status Importer::Run() {
  start_ = last_progress_ = absl::Now();
  name_ = summary_.path;
  std::error_code ec;
  total_bytes_ = static_cast<int64_t>(fs::file_size(summary_.path, ec));
  if (ec) total_bytes_ = 0;
  std::ifstream in(summary_.path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", summary_.path));
  std::vector<char> buffer(1 << 20);
  in.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));

  if (auto s = storage::ValidateId(summary_.source_id, "source id"); !s.ok()) return s;
  if (auto source = store_.GetSource(summary_.source_id); !source.ok()) {
    if (source.status().code() != absl::StatusCode::kNotFound) return source.status();
    v1::Source record;
    record.set_id(summary_.source_id);
    record.set_title(absl::StrCat("Imported from ", fs::path(summary_.path).filename().string()));
    record.set_location(summary_.path);
    if (auto r = store_.UpsertSource(record); !r.ok()) return r.status();
  }

  absl::Status status;
  switch (summary_.format) {
    case Format::kTsv:
      status = RunDelimited(in, '\t');
      break;
    case Format::kCsv:
      status = RunDelimited(in, ',');
      break;
    case Format::kJsonl:
      status = RunJsonLines(in);
      break;
    case Format::kAuto:
      return absl::InternalError("the format was not detected");
  }
  if (status.ok()) status = Flush();
  MaybeReportProgress(true);
  summary_.elapsed = absl::Now() - start_;
  return status;
}

bool Importer::ReadLine(std::istream& in, std::string* line) {
  if (!std::getline(in, *line)) return false;
  ++line_;
  bytes_ += static_cast<int64_t>(line->size()) + 1;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if ((line_ & 255) == 0) MaybeReportProgress();
  return true;
}

void Importer::MaybeReportProgress(bool force) {
  if (!options_.progress) return;
  const absl::Time now = absl::Now();
  if (!force && now - last_progress_ < options_.progress_interval) return;
  last_progress_ = now;
  options_.progress(Progress{summary_.lines, std::min(bytes_, total_bytes_), total_bytes_,
                             now - start_});
}

absl::Status Importer::SetColumns(const std::vector<std::string>& header, bool explicit_header) {
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
      if (done()) return absl::OkStatus();
    } else if (column_index_[*column] >= 0) {
      Reject(1, absl::StrCat("header: column \"", text, "\" appears twice"));
      if (done()) return absl::OkStatus();
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
  return absl::OkStatus();
}

absl::Status Importer::RunDelimited(std::istream& in, char delimiter) {
  const bool csv = delimiter == ',';
  std::string line;
  bool have_header = false;
  while (!done() && ReadLine(in, &line)) {
    const int64_t first_line = line_;
    if (csv) {
      while (internal::EndsInsideQuotes(line)) {  // a quoted field goes on
        std::string more;
        if (!ReadLine(in, &more)) break;
        absl::StrAppend(&line, "\n", more);
      }
    }
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<std::string> fields;
    if (csv) {
      auto split = internal::SplitCsv(line);
      if (!split.ok()) {
        if (!have_header) {
          Reject(first_line, absl::StrCat("header: ", split.status().message()));
          summary_.stopped = true;
          return absl::OkStatus();
        }
        ++summary_.lines;
        QueueError(first_line, std::string(split.status().message()));
        if (auto s = MaybeFlush(); !s.ok()) return s;
        continue;
      }
      fields = std::move(*split);
    } else {
      fields = absl::StrSplit(line, delimiter);
    }
    if (!have_header) {
      have_header = true;
      const bool named = ColumnNamed(fields[0]).has_value();
      if (named || csv) {
        if (auto s = SetColumns(fields, true); !s.ok()) return s;
        continue;
      }
      // An ICEWS file without its header: the four usual columns.
      if (auto s = SetColumns({"date", "source", "relation", "target"}, false); !s.ok()) return s;
    }
    ++summary_.lines;
    std::vector<Actor*> actors;
    auto fact = DelimitedFact(fields, first_line, &actors);
    if (!fact.ok()) {
      QueueError(first_line, std::string(fact.status().message()));
    } else {
      QueueFact(first_line, *std::move(fact), actors);
    }
    if (auto s = MaybeFlush(); !s.ok()) return s;
  }
  if (!have_header && !done() && csv) {
    Reject(1, "header: the file is empty (a CSV file starts with a header naming its columns)");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Fact> Importer::DelimitedFact(const std::vector<std::string>& fields,
                                                 int64_t line, std::vector<Actor*>* actors) {
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
  auto date = internal::ParseDate(get(kDate), FieldName(kDate));
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

absl::StatusOr<Actor*> Importer::ResolveActor(absl::string_view name, absl::string_view field) {
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
absl::StatusOr<std::pair<std::string, bool>> Importer::FreeId(const std::string& slug,
                                                              const std::string& normalized) {
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

absl::Status Importer::RunJsonLines(std::istream& in) {
  std::string line;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  while (!done() && ReadLine(in, &line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    ++summary_.lines;
    v1::Fact fact;
    auto status = google::protobuf::util::JsonStringToMessage(line, &fact, parse);
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
    if (auto s = MaybeFlush(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Importer::QueueFact(int64_t line, v1::Fact fact, const std::vector<Actor*>& actors) {
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

void Importer::QueueError(int64_t line, std::string reason) {
  PendingLine pending;
  pending.line = line;
  pending.ordinal = summary_.lines;
  pending.error = std::move(reason);
  pending_.push_back(std::move(pending));
}

absl::Status Importer::MaybeFlush() {
  // Strict: at a bad line, apply the lines before it and stop there.
  const bool strict_error = options_.strict && !pending_.empty() && !pending_.back().error.empty();
  if (pending_.size() >= std::max<size_t>(options_.batch_lines, 1) || strict_error) {
    return Flush();
  }
  return absl::OkStatus();
}

absl::Status Importer::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  std::vector<absl::StatusOr<storage::ApplyResult>> results;
  if (!mutations_.empty()) results = store_.ApplyBatch(std::move(mutations_), options_.strict);
  mutations_.clear();
  std::vector<PendingLine> lines = std::move(pending_);
  pending_.clear();
  for (const PendingLine& line : lines) {
    if (done()) break;
    if (!line.error.empty()) {
      Reject(line.line, line.error);
      if (done()) summary_.lines = line.ordinal;
      continue;
    }
    for (size_t i : line.entity_indices) {
      if (results[i].ok() && results[i]->created) ++summary_.entities_created;
    }
    const auto& result = results[line.fact_index];
    if (result.ok()) {
      ++(result->created ? summary_.facts_created : summary_.unchanged);
      continue;
    }
    if (result.status().code() != absl::StatusCode::kInvalidArgument &&
        result.status().code() != absl::StatusCode::kNotFound &&
        result.status().code() != absl::StatusCode::kAborted) {
      // The store failed (I/O): nothing of this batch was written.
      return absl::Status(result.status().code(),
                          absl::StrCat(name_, ":", line.line, ": ", result.status().message()));
    }
    Reject(line.line, result.status().message());
    if (done()) summary_.lines = line.ordinal;
  }
  return absl::OkStatus();
}

void Importer::Reject(int64_t line, absl::string_view reason) {
  ++summary_.rejected;
  if (summary_.errors.size() < options_.max_errors) {
    summary_.errors.push_back(absl::StrCat(name_, ":", line, ": ", reason));
  }
  if (options_.strict) summary_.stopped = true;
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "tsv") return Format::kTsv;
  if (lower == "csv") return Format::kCsv;
  if (lower == "jsonl" || lower == "json") return Format::kJsonl;
  if (lower == "auto" || lower.empty()) return Format::kAuto;
  return absl::InvalidArgumentError(
      absl::StrCat("format: \"", name, "\" is not one of tsv, csv, jsonl"));
}

absl::string_view FormatName(Format format) {
  switch (format) {
    case Format::kTsv:
      return "tsv";
    case Format::kCsv:
      return "csv";
    case Format::kJsonl:
      return "jsonl";
    case Format::kAuto:
      break;
  }
  return "auto";
}

absl::StatusOr<Format> DetectFormat(const std::string& path, Format format) {
  if (format != Format::kAuto) return format;
  const std::string extension = absl::AsciiStrToLower(fs::path(path).extension().string());
  if (extension == ".tsv") return Format::kTsv;
  if (extension == ".csv") return Format::kCsv;
  if (extension == ".jsonl") return Format::kJsonl;
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": cannot tell the format from the extension \"", extension,
      "\" (.tsv, .csv or .jsonl); name it explicitly (--import-format tsv|csv|jsonl)"));
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

double ImportSummary::lines_per_second() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(lines) / seconds : 0;
}

absl::StatusOr<ImportSummary> ImportFile(storage::Store& store, const std::string& path,
                                         const ImportOptions& options) {
  ImportSummary summary;
  summary.path = path;
  auto format = DetectFormat(path, options.format);
  if (!format.ok()) return format.status();
  summary.format = *format;
  summary.source_id = options.source_id;
  if (summary.source_id.empty()) {
    for (char c : fs::path(path).filename().string()) {
      const bool ok = absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
      summary.source_id.push_back(ok ? c : '_');
    }
    if (summary.source_id.size() > storage::RecordLimits::kMaxIdBytes) {
      summary.source_id.resize(storage::RecordLimits::kMaxIdBytes);
    }
  }
  Importer importer(store, options, summary);
  if (auto s = importer.Run(); !s.ok()) return s;
  return summary;
}

std::string DescribeSummary(const ImportSummary& summary) {
  std::string out = absl::StrFormat(
      "%s (%s, source \"%s\"): %d lines read, %d facts created, %d unchanged, %d rejected, "
      "%d entities created in %.2f s (%.0f lines/s)%s\n",
      summary.path, FormatName(summary.format), summary.source_id, summary.lines,
      summary.facts_created, summary.unchanged, summary.rejected, summary.entities_created,
      absl::ToDoubleSeconds(summary.elapsed), summary.lines_per_second(),
      summary.stopped ? "; stopped at the first bad line" : "");
  for (const auto& error : summary.errors) absl::StrAppend(&out, error, "\n");
  if (summary.rejected > static_cast<int64_t>(summary.errors.size())) {
    absl::StrAppend(&out, "... and ", summary.rejected - static_cast<int64_t>(summary.errors.size()),
                    " more\n");
  }
  return out;
}

}  // namespace entente::importer
