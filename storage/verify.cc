// Store::Verify: one pass over every column family at one snapshot, checking
// that records, index entries, the log and the counters agree.
//
// The index entries the facts call for and those stored are compared as
// sorted hashes of key and value, so no entry costs a lookup (a database
// fresh from many small imports has many level-0 files, each a place a
// lookup must try); disagreements are then looked up to name them. Alias
// entries, one to a few per entity, are looked up from their entity.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "rocksdb/db.h"
#include "storage/internal/store_impl.h"
#include "storage/keys.h"

namespace entente::storage {
namespace {

// Unsigned, so that arrays compare as RocksDB orders keys (bytewise).
using FactId = std::array<unsigned char, keys::kFactIdBytes>;

FactId ToFactId(absl::string_view binary) {
  FactId id;
  std::copy_n(reinterpret_cast<const unsigned char*>(binary.data()), id.size(), id.begin());
  return id;
}
absl::string_view View(const FactId& id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}
absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
std::string Text(const FactId& id) { return keys::FactIdToText(View(id)); }

// A fact named by a log entry, and the entry's sequence.
struct Logged {
  FactId id;
  uint64_t sequence;
  bool operator<(const Logged& other) const {
    return std::tie(id, sequence) < std::tie(other.id, other.sequence);
  }
};

// An index entry a fact calls for: the hash of its key and value, and the
// fact's ordinal in the scan.
struct ExpectedEntry {
  uint64_t hash;
  uint32_t fact;
  bool operator<(const ExpectedEntry& other) const {
    return std::tie(hash, fact) < std::tie(other.hash, other.fact);
  }
};

// A time-index key as people read it: "actor_time entry IRN, day 2001-03-12".
std::string DescribeIndexKey(Family family, absl::string_view key) {
  constexpr size_t kSuffix = 1 + 4 + keys::kFactIdBytes;
  if (key.size() < kSuffix) return absl::StrCat(kFamilyNames[family], " entry (malformed)");
  const absl::string_view prefix = key.substr(0, key.size() - kSuffix);
  std::string what;
  if (family == kTypeTime && prefix.size() == 2) {
    const int type = (static_cast<uint8_t>(prefix[0]) << 8) | static_cast<uint8_t>(prefix[1]);
    what = v1::FactType_IsValid(type) ? v1::FactType_Name(static_cast<v1::FactType>(type))
                                      : absl::StrCat("type ", type);
  } else {
    std::vector<absl::string_view> ids = absl::StrSplit(prefix, absl::string_view("\0", 1));
    while (!ids.empty() && ids.back().empty()) ids.pop_back();
    what = absl::CHexEscape(absl::StrJoin(ids, "|"));
  }
  const auto parts = keys::ParseTimeKey(key, prefix.size());
  if (parts) {
    const v1::Date date = DateOfDay(parts->start);
    absl::StrAppend(&what, ", from ", date.year(), "-", date.month(), "-", date.day());
  }
  return absl::StrCat(kFamilyNames[family], " entry ", what);
}

class Verifier {
 public:
  Verifier(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
           const VerifyOptions& options)
      : db_(db), handles_(handles), options_(options), snapshot_(db->GetSnapshot()) {
    read_.snapshot = snapshot_;
    read_.fill_cache = false;  // a full scan would evict what queries use
  }
  ~Verifier() { db_->ReleaseSnapshot(snapshot_); }

  absl::StatusOr<VerifyReport> Run() {
    for (auto step : {&Verifier::ReadCounters, &Verifier::ScanEntities, &Verifier::ScanSources,
                      &Verifier::ScanLog, &Verifier::ScanFacts, &Verifier::ScanIndexes,
                      &Verifier::ScanAliases}) {
      if (auto s = (this->*step)(); !s.ok()) return s;
    }
    CompareCounters();
    return std::move(report_);
  }

 private:
  void Problem(std::string text) {
    ++report_.problem_count;
    if (report_.problems.size() < options_.max_problems) report_.problems.push_back(std::move(text));
  }

  std::unique_ptr<rocksdb::Iterator> Scan(Family family) {
    rocksdb::ReadOptions read = read_;
    read.readahead_size = 4 << 20;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(read, handles_[family]));
  }

  // The value under `key`, or nullopt when there is none.
  absl::StatusOr<std::optional<std::string>> Get(Family family, absl::string_view key) {
    std::string value;
    auto s = db_->Get(read_, handles_[family], rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", kFamilyNames[family]));
    return std::optional<std::string>(std::move(value));
  }

  absl::Status ReadCounters() {
    const std::string prefix = keys::CounterKey("");
    auto it = Scan(kMeta);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string name = it->key().ToString().substr(prefix.size());
      if (it->value().size() != 8) {
        Problem(absl::StrCat("counter \"", name, "\" is malformed (", it->value().size(),
                             " bytes, not 8)"));
        continue;
      }
      stored_counters_[name] = static_cast<int64_t>(keys::DecodeUint64(View(it->value())));
    }
    return FromRocks(it->status(), "reading the counters");
  }

  // Calls visit(key, record) for each record of `family` (entities or
  // sources) that parses and is stored under its own id, reporting the
  // others as `what` "X": ....
  template <typename Message>
  absl::Status ScanRecords(Family family, absl::string_view what,
                           const std::function<absl::Status(const std::string&, const Message&)>&
                               visit) {
    auto it = Scan(family);
    Message record;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key = it->key().ToString();
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        Problem(absl::StrCat(what, " \"", absl::CHexEscape(key), "\": its record cannot be parsed"));
        continue;
      }
      if (record.id() != key) {
        Problem(absl::StrCat(what, " \"", absl::CHexEscape(key), "\": the record is of \"",
                             record.id(), "\""));
      }
      if (auto s = visit(key, record); !s.ok()) return s;
    }
    return FromRocks(it->status(), absl::StrCat("scanning the ", kFamilyNames[family]));
  }

  absl::Status ScanEntities() {
    auto s = ScanRecords<v1::Entity>(
        kEntities, "entity", [this](const std::string& key, const v1::Entity& entity) {
          ++report_.entities;
          ++counted_[absl::StrCat("kind/", entity.kind())];
          entity_ids_.insert(key);
          for (const auto& [normalized, text] : AliasEntries(entity)) {
            ++expected_aliases_;
            auto value = Get(kAlias, keys::AliasKey(normalized, key));
            if (!value.ok()) return value.status();
            if (!value->has_value()) {
              Problem(absl::StrCat("entity \"", key, "\": its alias entry \"", normalized,
                                   "\" is missing"));
            } else if (**value != text) {
              Problem(absl::StrCat("entity \"", key, "\": its alias entry \"", normalized,
                                   "\" holds \"", **value, "\", not \"", text, "\""));
            }
          }
          return absl::OkStatus();
        });
    counted_["entities"] = report_.entities;
    return s;
  }

  absl::Status ScanSources() {
    auto s = ScanRecords<v1::Source>(kSources, "source",
                                     [this](const std::string& key, const v1::Source&) {
                                       ++report_.sources;
                                       source_ids_.insert(key);
                                       return absl::OkStatus();
                                     });
    counted_["sources"] = report_.sources;
    return s;
  }

  absl::Status ScanLog() {
    auto it = Scan(kLog);
    v1::Mutation mutation;
    uint64_t last = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) {
        Problem(absl::StrCat("log: a key of ", it->key().size(), " bytes (not 8)"));
        continue;
      }
      const uint64_t sequence = keys::DecodeUint64(View(it->key()));
      ++report_.log_entries;
      if (sequence != last + 1) {
        Problem(absl::StrCat("log: entry ", sequence, " follows entry ", last,
                             " (the entries between are missing)"));
      }
      last = sequence;
      if (!mutation.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        Problem(absl::StrCat("log: entry ", sequence, " cannot be parsed"));
        continue;
      }
      if (mutation.has_record_fact()) {
        v1::Fact canonical = mutation.record_fact();
        Canonicalize(&canonical);
        logged_facts_.push_back({ToFactId(BinaryFactId(canonical)), sequence});
      } else if (mutation.has_retract_fact()) {
        const auto id = keys::FactIdFromText(mutation.retract_fact().fact_id());
        if (!id) {
          Problem(absl::StrCat("log: entry ", sequence, " retracts a malformed fact id"));
        } else {
          logged_retractions_.push_back({ToFactId(*id), sequence});
        }
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning the log");
    log_end_ = last;
    std::sort(logged_facts_.begin(), logged_facts_.end());
    std::sort(logged_retractions_.begin(), logged_retractions_.end());
    return absl::OkStatus();
  }

  // Matches the log entries `logged` (sorted) of fact `id`, from `*next` on:
  // reports entries of facts before `id` (which are not stored) and returns
  // the sequences of those of `id`.
  std::vector<uint64_t> TakeLogged(const std::vector<Logged>& logged, size_t* next,
                                   const FactId& id, absl::string_view what) {
    for (; *next < logged.size() && logged[*next].id < id; ++*next) {
      Problem(absl::StrCat("log: entry ", logged[*next].sequence, " ", what, " fact ",
                           Text(logged[*next].id), ", which is not stored"));
    }
    std::vector<uint64_t> sequences;
    for (; *next < logged.size() && logged[*next].id == id; ++*next) {
      sequences.push_back(logged[*next].sequence);
    }
    return sequences;
  }

  absl::Status ScanFacts() {
    auto it = Scan(kFacts);
    v1::FactRecord record;
    size_t next_logged = 0;
    size_t next_retraction = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      if (key.size() != keys::kFactIdBytes) {
        Problem(absl::StrCat("facts: a key of ", key.size(), " bytes (not ",
                             keys::kFactIdBytes, ")"));
        continue;
      }
      const FactId id = ToFactId(key);
      const std::string text = Text(id);
      fact_ids_.push_back(id);
      const auto logged = TakeLogged(logged_facts_, &next_logged, id, "records");
      const auto retractions = TakeLogged(logged_retractions_, &next_retraction, id, "retracts");
      if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        Problem(absl::StrCat("fact ", text, ": its record cannot be parsed"));
        continue;
      }
      ++report_.facts;
      const v1::Fact& fact = record.fact();
      ++counted_[absl::StrCat("type/", fact.type())];
      if (fact.id() != text) {
        Problem(absl::StrCat("fact ", text, ": the record carries the id ", fact.id()));
      }
      v1::Fact canonical = fact;
      Canonicalize(&canonical);
      if (BinaryFactId(canonical) != key) {
        Problem(absl::StrCat("fact ", text, ": its content has the id ",
                             keys::FactIdToText(BinaryFactId(canonical)),
                             " (it is stored under another id)"));
      }
      CheckReferences(fact, text);
      ExpectIndexEntries(fact, key);

      if (logged.empty()) {
        Problem(absl::StrCat("fact ", text, ": no log entry records it"));
      } else if (logged.size() > 1) {
        Problem(absl::StrCat("fact ", text, ": log entries ", absl::StrJoin(logged, ", "),
                             " all record it"));
      }
      if (record.has_retraction()) {
        ++report_.retracted_facts;
        if (retractions.size() != 1) {
          Problem(absl::StrCat("fact ", text, ": it is retracted and ", retractions.size(),
                               " log entries retract it (not 1)"));
        }
      } else if (!retractions.empty()) {
        Problem(absl::StrCat("fact ", text, ": log entry ", retractions.front(),
                             " retracts it but its record is not retracted"));
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning the facts");
    for (; next_logged < logged_facts_.size(); ++next_logged) {
      Problem(absl::StrCat("log: entry ", logged_facts_[next_logged].sequence, " records fact ",
                           Text(logged_facts_[next_logged].id), ", which is not stored"));
    }
    for (; next_retraction < logged_retractions_.size(); ++next_retraction) {
      Problem(absl::StrCat("log: entry ", logged_retractions_[next_retraction].sequence,
                           " retracts fact ", Text(logged_retractions_[next_retraction].id),
                           ", which is not stored"));
    }
    counted_["facts"] = report_.facts;
    counted_["retracted"] = report_.retracted_facts;
    return absl::OkStatus();
  }

  void CheckReferences(const v1::Fact& fact, const std::string& text) {
    for (const auto& p : fact.participants()) {
      if (!entity_ids_.contains(p.entity_id())) {
        Problem(absl::StrCat("fact ", text, ": participant \"", p.entity_id(),
                             "\" is not a stored entity"));
      }
    }
    for (const auto& claimant : fact.attribution().claimant_ids()) {
      if (!entity_ids_.contains(claimant)) {
        Problem(absl::StrCat("fact ", text, ": claimant \"", claimant,
                             "\" is not a stored entity"));
      }
    }
    const std::string& source = fact.provenance().source_id();
    if (!source.empty() && !source_ids_.contains(source)) {
      Problem(absl::StrCat("fact ", text, ": source \"", source, "\" is not a stored source"));
    }
  }

  // Notes the index entries `fact` (the last of fact_ids_) calls for.
  void ExpectIndexEntries(const v1::Fact& fact, absl::string_view binary_id) {
    const auto ordinal = static_cast<uint32_t>(fact_ids_.size() - 1);
    ForEachIndexEntry(fact, binary_id, [&](Family family, std::string key,
                                           const std::string& value) {
      expected_entries_[family].push_back({HashEntry(key, value), ordinal});
    });
  }

  static uint64_t HashEntry(absl::string_view key, absl::string_view value) {
    return absl::Hash<std::pair<absl::string_view, absl::string_view>>()({key, value});
  }

  bool FactStored(absl::string_view id) const {
    return id.size() == keys::kFactIdBytes &&
           std::binary_search(fact_ids_.begin(), fact_ids_.end(), ToFactId(id));
  }

  absl::Status ScanIndexes() {
    for (Family family : {kActorTime, kDyadTime, kTypeTime}) {
      if (auto s = ScanIndex(family); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Compares the entries of `family` with those the facts call for, as
  // sorted hashes of key and value: no lookup per entry. Only disagreements
  // are looked at more closely, to name them.
  absl::Status ScanIndex(Family family) {
    constexpr size_t kSuffix = 1 + 4 + keys::kFactIdBytes;
    std::vector<uint64_t> stored;
    auto it = Scan(family);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.index_entries;
      const absl::string_view key = View(it->key());
      if (key.size() < kSuffix) {
        Problem(absl::StrCat(kFamilyNames[family], ": a key of ", key.size(),
                             " bytes is too short to name a fact"));
        continue;
      }
      const absl::string_view id = key.substr(key.size() - keys::kFactIdBytes);
      if (!FactStored(id)) {
        Problem(absl::StrCat(DescribeIndexKey(family, key), " points to fact ",
                             keys::FactIdToText(id), ", which is not stored"));
        continue;
      }
      stored.push_back(HashEntry(key, View(it->value())));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning an index");
    std::vector<ExpectedEntry> expected = std::move(expected_entries_[family]);
    std::sort(expected.begin(), expected.end());
    std::sort(stored.begin(), stored.end());
    absl::flat_hash_set<uint64_t> strays;
    absl::flat_hash_set<std::string> changed;  // keys named as holding another value
    size_t j = 0;
    for (const ExpectedEntry& entry : expected) {
      for (; j < stored.size() && stored[j] < entry.hash; ++j) strays.insert(stored[j]);
      if (j < stored.size() && stored[j] == entry.hash) {
        ++j;
        continue;
      }
      if (auto s = NameMissing(family, entry, &changed); !s.ok()) return s;
    }
    for (; j < stored.size(); ++j) strays.insert(stored[j]);
    if (strays.empty()) return absl::OkStatus();
    // Entries no fact calls for: find their keys again.
    it = Scan(family);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      if (key.size() < kSuffix || !strays.contains(HashEntry(key, View(it->value()))) ||
          changed.contains(key)) {
        continue;
      }
      const absl::string_view id = key.substr(key.size() - keys::kFactIdBytes);
      if (FactStored(id)) {
        Problem(absl::StrCat(DescribeIndexKey(family, key), " points to fact ",
                             keys::FactIdToText(id), ", which does not call for it"));
      }
    }
    return FromRocks(it->status(), "scanning an index");
  }

  // Names the entry `entry` of a fact that is not in `family` as it should
  // be: missing, or holding another value (its key goes into `changed`).
  absl::Status NameMissing(Family family, const ExpectedEntry& entry,
                           absl::flat_hash_set<std::string>* changed) {
    const FactId& id = fact_ids_[entry.fact];
    auto bytes = Get(kFacts, View(id));
    if (!bytes.ok()) return bytes.status();
    v1::FactRecord record;
    if (!bytes->has_value() || !record.ParseFromString(**bytes)) return absl::OkStatus();
    absl::Status status;
    ForEachIndexEntry(record.fact(), View(id), [&](Family f, std::string key,
                                                   const std::string& value) {
      if (f != family || HashEntry(key, value) != entry.hash || !status.ok()) return;
      auto stored = Get(family, key);
      if (!stored.ok()) {
        status = stored.status();
      } else if (!stored->has_value()) {
        Problem(absl::StrCat("fact ", Text(id), ": its ", DescribeIndexKey(family, key),
                             " is missing"));
      } else {
        Problem(absl::StrCat("fact ", Text(id), ": its ", DescribeIndexKey(family, key),
                             " holds another last day or type"));
        changed->insert(key);
      }
    });
    return status;
  }

  absl::Status ScanAliases() {
    auto it = Scan(kAlias);
    int64_t dangling = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report_.alias_entries;
      const absl::string_view key = View(it->key());
      const size_t zero = key.find('\0');
      const std::string entity(zero == absl::string_view::npos ? "" : key.substr(zero + 1));
      if (!entity_ids_.contains(entity)) {
        ++dangling;
        Problem(absl::StrCat("alias entry \"", absl::CHexEscape(key.substr(0, zero)),
                             "\" points to entity \"", absl::CHexEscape(entity),
                             "\", which is not stored"));
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scanning the aliases");
    if (report_.alias_entries - dangling > expected_aliases_) return NameStrayAliases();
    return absl::OkStatus();
  }

  absl::Status NameStrayAliases() {
    auto it = Scan(kAlias);
    v1::Entity entity;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      const size_t zero = key.find('\0');
      if (zero == absl::string_view::npos) continue;
      const std::string id(key.substr(zero + 1));
      auto bytes = Get(kEntities, id);
      if (!bytes.ok()) return bytes.status();
      if (!bytes->has_value() || !entity.ParseFromString(**bytes)) continue;
      const auto entries = AliasEntries(entity);
      const bool expected = std::any_of(entries.begin(), entries.end(), [&](const auto& e) {
        return e.first == key.substr(0, zero);
      });
      if (!expected) {
        Problem(absl::StrCat("alias entry \"", absl::CHexEscape(key.substr(0, zero)),
                             "\" points to entity \"", id, "\", which has no such name"));
      }
    }
    return FromRocks(it->status(), "scanning the aliases");
  }

  void CompareCounters() {
    const auto log_sequence = stored_counters_.find("log_sequence");
    const int64_t stored_end = log_sequence == stored_counters_.end() ? 0 : log_sequence->second;
    if (static_cast<uint64_t>(stored_end) != log_end_) {
      Problem(absl::StrCat("counter \"log_sequence\" is ", stored_end, " but the log ends at ",
                           log_end_));
    }
    std::map<std::string, std::pair<int64_t, int64_t>> both;  // stored, counted
    for (const auto& [name, value] : stored_counters_) {
      if (name != "log_sequence") both[name].first = value;
    }
    for (const auto& [name, value] : counted_) both[name].second = value;
    for (const auto& [name, values] : both) {
      if (values.first != values.second) {
        Problem(absl::StrCat("counter \"", name, "\" is ", values.first, " but the scan counts ",
                             values.second));
      }
    }
  }

  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
  VerifyOptions options_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_;
  VerifyReport report_;

  std::map<std::string, int64_t> stored_counters_;
  std::map<std::string, int64_t> counted_;
  absl::flat_hash_set<std::string> entity_ids_;
  absl::flat_hash_set<std::string> source_ids_;
  std::vector<Logged> logged_facts_;
  std::vector<Logged> logged_retractions_;
  uint64_t log_end_ = 0;
  std::vector<FactId> fact_ids_;  // in key order: sorted
  // By family: the hashes of the entries the facts call for.
  std::vector<ExpectedEntry> expected_entries_[kFamilyCount];
  int64_t expected_aliases_ = 0;
};

}  // namespace

absl::StatusOr<VerifyReport> Store::Impl::Verify(const VerifyOptions& options) const {
  return Verifier(db_, handles_, options).Run();
}

}  // namespace entente::storage
