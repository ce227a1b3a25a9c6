// Every RocksDB key layout of the store, in one place.
//
// Keys are byte strings compared with RocksDB's default bytewise comparator,
// so every encoding here is order-preserving: integers are big-endian with
// the sign bit flipped, and variable-length ids end with a 0x00 byte (ids may
// not contain one) so that "IR" sorts before "IRN" and a prefix of one id
// never matches another.
//
// Column families and their keys:
//   meta        "schema" -> SchemaInfo; "counter/<name>" -> int64 (fixed 8 bytes)
//   entities    entity_id -> Entity
//   sources     source_id -> Source
//   facts       fact_id (16 bytes) -> FactRecord
//   log         sequence (8 bytes) -> Mutation, every applied write in order
//   actor_time  entity_id 0x00 | span class | start day | fact_id -> IndexValue
//   dyad_time   entity_a 0x00 entity_b 0x00 | span class | start day | fact_id
//               -> IndexValue; stored for both orders of every pair
//   type_time   fact type (2 bytes) | span class | start day | fact_id -> IndexValue
//   alias       normalized text 0x00 entity_id -> the alias as written
//
// The span class splits facts that cover at most kShortSpanDays days (events)
// from longer or open-ended ones (memberships, agreements in force). A window
// scan reads short facts from (window start - kShortSpanDays) and long facts
// from the beginning of the entity's range, so an interval that began before
// the window is never missed and events need no full scan.
#ifndef ENTENTE_STORAGE_KEYS_H_
#define ENTENTE_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "entente/v1/fact.pb.h"
#include "storage/dates.h"

namespace entente::storage::keys {

inline constexpr size_t kFactIdBytes = 16;
inline constexpr DayNumber kShortSpanDays = 366;

enum class SpanClass : uint8_t { kShort = 0, kLong = 1 };

SpanClass ClassOf(const DayRange& range);

// Fixed-width order-preserving integers.
void AppendDay(std::string* out, DayNumber day);
DayNumber DecodeDay(absl::string_view bytes);  // reads 4 bytes
void AppendUint64(std::string* out, uint64_t value);
uint64_t DecodeUint64(absl::string_view bytes);  // reads 8 bytes

// Fact ids: 16 bytes in keys, 32 lowercase hex digits in the API.
std::string FactIdToText(absl::string_view binary);
std::optional<std::string> FactIdFromText(absl::string_view text);

// Prefixes that select one entity, one ordered pair, or one fact type.
std::string ActorPrefix(absl::string_view entity_id);
std::string DyadPrefix(absl::string_view a, absl::string_view b);
std::string TypePrefix(v1::FactType type);

// prefix | class | start day | fact id
std::string TimeKey(absl::string_view prefix, SpanClass span_class, DayNumber start,
                    absl::string_view fact_id);
// The first key of `span_class` at or after `start` under `prefix`.
std::string TimeSeekKey(absl::string_view prefix, SpanClass span_class, DayNumber start);

struct TimeKeyParts {
  SpanClass span_class;
  DayNumber start;
  absl::string_view fact_id;  // points into the key
};
// Splits the part of a time-index key after its prefix; nullopt if malformed.
std::optional<TimeKeyParts> ParseTimeKey(absl::string_view key, size_t prefix_size);

// What a time-index entry carries so scans can filter without reading facts.
struct IndexValue {
  DayNumber last_day;
  v1::FactType type;
};
std::string EncodeIndexValue(const IndexValue& value);
std::optional<IndexValue> DecodeIndexValue(absl::string_view bytes);

std::string AliasKey(absl::string_view normalized, absl::string_view entity_id);
std::string CounterKey(absl::string_view name);
inline constexpr absl::string_view kSchemaKey = "schema";

}  // namespace entente::storage::keys

#endif  // ENTENTE_STORAGE_KEYS_H_
