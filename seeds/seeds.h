// Loading the curated seed graph into a store.
//
// The seed data (seeds/data/*.jsonl) is compiled into the binary: one
// message per line in the protobuf JSON mapping — v1::Source lines in
// sources.jsonl, v1::Entity in states.jsonl (every state, with the names
// event data uses) and entities.jsonl, v1::Fact in facts.jsonl —
// parsed by protobuf's own JSON parser and written through the store's
// apply path, so loading twice changes nothing.
#ifndef ENTENTE_SEEDS_SEEDS_H_
#define ENTENTE_SEEDS_SEEDS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/store.h"

namespace entente::seeds {

struct LoadSummary {
  int64_t sources = 0;   // lines read, per kind
  int64_t entities = 0;
  int64_t facts = 0;
  int64_t changed = 0;   // records the load created or changed
};

// Loads the embedded seed files. Errors name the file and line.
absl::StatusOr<LoadSummary> LoadSeeds(storage::Store& store);

enum class RecordKind { kSource, kEntity, kFact };

// Loads JSON Lines text of one record kind; `name` is used in errors
// ("data/facts.jsonl:12: fact.type: ..."). Blank lines are skipped.
absl::Status LoadJsonLines(storage::Store& store, RecordKind kind, absl::string_view name,
                           absl::string_view text, LoadSummary* summary);

}  // namespace entente::seeds

#endif  // ENTENTE_SEEDS_SEEDS_H_
