#include "seeds/seeds.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "seeds/seed_files.h"

namespace entente::seeds {
namespace {

template <typename Message>
absl::Status ParseLine(absl::string_view line, Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), message, options);
  if (!status.ok()) return absl::InvalidArgumentError(std::string(status.message()));
  return absl::OkStatus();
}

absl::Status WithPlace(absl::string_view name, int line, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(name, ":", line, ": ", status.message()));
}

}  // namespace

absl::Status LoadJsonLines(storage::Store& store, RecordKind kind, absl::string_view name,
                           absl::string_view text, LoadSummary* summary) {
  // Entities that name a state are applied after the others, so that a
  // person or ministry may come before its state in the file.
  std::vector<std::pair<int, v1::Entity>> deferred;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    absl::StatusOr<storage::ApplyResult> result;
    switch (kind) {
      case RecordKind::kSource: {
        v1::Source source;
        if (auto s = ParseLine(line, &source); !s.ok()) return WithPlace(name, line_number, s);
        result = store.UpsertSource(source);
        ++summary->sources;
        break;
      }
      case RecordKind::kEntity: {
        v1::Entity entity;
        if (auto s = ParseLine(line, &entity); !s.ok()) return WithPlace(name, line_number, s);
        ++summary->entities;
        if (!entity.state_id().empty()) {
          deferred.emplace_back(line_number, std::move(entity));
          continue;
        }
        result = store.UpsertEntity(entity);
        break;
      }
      case RecordKind::kFact: {
        v1::Fact fact;
        if (auto s = ParseLine(line, &fact); !s.ok()) return WithPlace(name, line_number, s);
        result = store.RecordFact(fact);
        ++summary->facts;
        break;
      }
    }
    if (!result.ok()) return WithPlace(name, line_number, result.status());
    if (result->changed) ++summary->changed;
  }
  for (const auto& [number, entity] : deferred) {
    auto result = store.UpsertEntity(entity);
    if (!result.ok()) return WithPlace(name, number, result.status());
    if (result->changed) ++summary->changed;
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadSummary> LoadSeeds(storage::Store& store) {
  LoadSummary summary;
  // Sources and entities (all states first) before the facts that refer to
  // them.
  const std::pair<const char*, RecordKind> order[] = {
      {"data/sources.jsonl", RecordKind::kSource},
      {"data/states.jsonl", RecordKind::kEntity},
      {"data/entities.jsonl", RecordKind::kEntity},
      {"data/facts.jsonl", RecordKind::kFact}};
  for (const auto& [wanted, kind] : order) {
    for (int i = 0; i < kSeedFileCount; ++i) {
      if (absl::string_view(kSeedFiles[i].name) != wanted) continue;
      if (auto s = LoadJsonLines(store, kind, absl::StrCat("seeds/", kSeedFiles[i].name),
                                 kSeedFiles[i].content, &summary);
          !s.ok()) {
        return s;
      }
    }
  }
  return summary;
}

}  // namespace entente::seeds
