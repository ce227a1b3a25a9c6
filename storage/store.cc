#include "storage/store.h"

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/options_util.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/names.h"
#include "storage/internal/store_impl.h"
#include "storage/validate.h"

namespace entente::storage {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr absl::string_view kMagic = "entente";

absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
constexpr int kDeadlineCheckEvery = 256;

bool SameEntity(v1::Entity a, v1::Entity b) {
  a.clear_update_time();
  b.clear_update_time();
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> AliasEntries(const v1::Entity& entity) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::set<std::string> seen;
  auto add = [&](const std::string& text) {
    std::string normalized = NormalizeName(text);
    if (!normalized.empty() && seen.insert(normalized).second) {
      entries.emplace_back(std::move(normalized), text);
    }
  };
  add(entity.id());
  add(entity.name());
  for (const auto& alias : entity.aliases()) add(alias);
  return entries;
}

void AddCounterToStats(absl::string_view name, int64_t value, StoreStats* stats) {
  if (name == "entities") stats->entities = value;
  if (name == "sources") stats->sources = value;
  if (name == "facts") stats->facts = value;
  if (name == "retracted") stats->retracted_facts = value;
  if (value == 0) return;
  int number = 0;
  if (absl::ConsumePrefix(&name, "kind/") && absl::SimpleAtoi(name, &number)) {
    stats->entities_by_kind[static_cast<v1::EntityKind>(number)] = value;
  } else if (absl::ConsumePrefix(&name, "type/") && absl::SimpleAtoi(name, &number)) {
    stats->facts_by_type[static_cast<v1::FactType>(number)] = value;
  }
}

int64_t DirectoryBytes(const std::string& path) {
  int64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) bytes += static_cast<int64_t>(entry.file_size(ec));
  }
  return bytes;
}

absl::Time FromTimestamp(const Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the database is in use by another process (", s.ToString(), ")"));
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  }
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

void Canonicalize(v1::Fact* fact) {
  fact->clear_id();
  auto* participants = fact->mutable_participants();
  std::sort(participants->begin(), participants->end(),
            [](const v1::Participant& a, const v1::Participant& b) {
              return std::make_pair(a.entity_id(), a.role()) < std::make_pair(b.entity_id(), b.role());
            });
  auto* claimants = fact->mutable_attribution()->mutable_claimant_ids();
  std::sort(claimants->begin(), claimants->end());
}

std::string BinaryFactId(const v1::Fact& canonical) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&out);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), keys::kFactIdBytes);
}

std::vector<absl::string_view> DistinctEntities(const v1::Fact& fact) {
  std::vector<absl::string_view> ids;
  for (const auto& p : fact.participants()) ids.push_back(p.entity_id());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void ForEachIndexEntry(
    const v1::Fact& fact, absl::string_view binary_id,
    const std::function<void(Family, std::string key, const std::string& value)>& visit) {
  const DayRange range = SpanRange(fact.valid_time());
  const keys::SpanClass span_class = keys::ClassOf(range);
  const std::string value = keys::EncodeIndexValue({range.last, fact.type()});
  const auto entities = DistinctEntities(fact);
  for (auto a : entities) {
    visit(kActorTime, keys::TimeKey(keys::ActorPrefix(a), span_class, range.first, binary_id),
          value);
    for (auto b : entities) {
      if (a == b) continue;
      visit(kDyadTime, keys::TimeKey(keys::DyadPrefix(a, b), span_class, range.first, binary_id),
            value);
    }
  }
  visit(kTypeTime, keys::TimeKey(keys::TypePrefix(fact.type()), span_class, range.first, binary_id),
        value);
}

std::string EncodeCounter(int64_t v) {
  std::string out;
  keys::AppendUint64(&out, static_cast<uint64_t>(v));
  return out;
}


absl::Status Store::Impl::CheckExisting() {
  std::vector<std::string> families;
  rocksdb::Options probe;
  auto s = rocksdb::DB::ListColumnFamilies(probe, path_, &families);
  if (!s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " holds a database that cannot be read: ", s.ToString()));
  }
  for (const char* name : kFamilyNames) {
    if (std::find(families.begin(), families.end(), name) == families.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          path_, " is not an Entente database (column family \"", name, "\" is missing)"));
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path_, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening ", path_, " to check its schema"));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), std::string(keys::kSchemaKey), &value);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (s.IsNotFound()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " is not an Entente database (no schema record)"));
  }
  if (!s.ok()) return FromRocks(s, "reading the schema record");
  v1::SchemaInfo info;
  if (!info.ParseFromString(value) || info.magic() != kMagic) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " is not an Entente database (foreign schema record)"));
  }
  if (info.version() < kOldestUpgradableSchema || info.version() > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path_, " has schema version ", info.version(), " but this build of Entente reads ",
        kSchemaVersion, info.version() > kSchemaVersion ? "; use a newer Entente" : "",
        "; nothing was changed"));
  }
  return absl::OkStatus();
}

absl::Status Store::Impl::Open() {
  std::error_code ec;
  const bool exists = fs::exists(path_, ec);
  if (exists && !fs::is_directory(path_, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(path_, " exists and is not a directory"));
  }
  const bool has_db = exists && fs::exists(fs::path(path_) / "CURRENT", ec);
  // Present from the start of a creation until it is finished (the schema
  // record written, and what the creator fills in): a creation cut short (a
  // crash, a kill) can leave a RocksDB database without all of its column
  // families, which would never open, or without its seed graph.
  const fs::path marker = fs::path(path_) / kCreatingMarker;
  if (exists && fs::exists(marker, ec)) {
    if (!options_.create_if_missing) {
      return absl::NotFoundError(
          absl::StrCat("no database at ", path_, " (its creation was cut short)"));
    }
    // Nothing in the directory was ever offered to anyone: start over.
    for (const auto& entry : fs::directory_iterator(path_, ec)) {
      if (entry.path().filename() != kCreatingMarker) fs::remove_all(entry.path(), ec);
    }
    created_ = true;
  } else if (has_db) {
    if (auto s = CheckExisting(); !s.ok()) return s;
  } else {
    if (exists && !fs::is_empty(path_, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path_, " is not empty and holds no database; refusing to create one there"));
    }
    if (!options_.create_if_missing) {
      return absl::NotFoundError(absl::StrCat("no database at ", path_));
    }
    fs::create_directories(path_, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create directory ", path_, ": ", ec.message()));
    }
    std::ofstream(marker) << "an Entente database is being created here\n";
    if (auto s = SyncPath(marker, false); !s.ok()) return s;
    if (auto s = SyncPath(path_, true); !s.ok()) return s;
    created_ = true;
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.keep_log_file_num = 5;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  if (options_.row_cache_bytes > 0) {
    db_options.row_cache = rocksdb::NewLRUCache(options_.row_cache_bytes);
  }
  rocksdb::ColumnFamilyOptions family_options;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Records read by key (and checked for on every write: "is this fact
  // already stored?") get Bloom filters in their files and memtables, so a
  // miss costs no block read and no skiplist search.
  rocksdb::BlockBasedTableOptions point_table = table;
  point_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions point_options = family_options;
  point_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(point_table));
  point_options.memtable_whole_key_filtering = true;
  point_options.memtable_prefix_bloom_size_ratio = 0.05;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int f = 0; f < kFamilyCount; ++f) {
    const bool point = f == kEntities || f == kSources || f == kFacts;
    descriptors.emplace_back(kFamilyNames[f], point ? point_options : family_options);
  }
  auto s = rocksdb::DB::Open(db_options, path_, descriptors, &handles_, &db_);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening ", path_));
  // A bulk load cut short (a crash, a kill) leaves the files of its
  // unfinished run behind; RocksDB drops any it had taken in but not yet
  // recorded. The database is locked now, so no loader is using them.
  fs::remove_all(fs::path(path_) / kBulkLoadDirectory, ec);
  write_options_.sync = options_.sync_writes;

  if (created_) {
    schema_.set_magic(std::string(kMagic));
    schema_.set_version(kSchemaVersion);
    *schema_.mutable_create_time() = ToTimestamp(options_.clock());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = db_->Put(sync, cf(kMeta), std::string(keys::kSchemaKey), schema_.SerializeAsString());
    if (!s.ok()) return FromRocks(s, "writing the schema record");
  }
  if (auto st = LoadState(); !st.ok()) return st;
  if (auto st = UpgradeSchema(); !st.ok()) return st;
  return options_.finish_creation_on_open ? FinishCreation() : absl::OkStatus();
}

absl::Status Store::Impl::UpgradeSchema() {
  if (schema_.version() >= kSchemaVersion) return absl::OkStatus();
  const uint32_t from = schema_.version();
  // 1 -> 2: the undated state_id of a sub-state organization (version 1's
  // importer set it from "Sector (Country)" names) becomes an AFFILIATION
  // open at both ends, which roll-up reads. A person's state_id is
  // nationality, a place's is where it lies: neither means standing for the
  // state, so they stay descriptive only.
  std::vector<v1::Mutation> mutations;
  if (auto s = ForEach<v1::Entity>(kEntities, [&](const v1::Entity& e) {
        if (e.kind() != v1::ENTITY_KIND_ORGANIZATION || e.state_id().empty()) return true;
        auto state = entity_kinds_.find(e.state_id());
        if (state == entity_kinds_.end() || state->second != v1::ENTITY_KIND_STATE) return true;
        v1::Fact* fact = mutations.emplace_back().mutable_record_fact();
        *fact = AffiliationFact(e.id(), e.state_id(), Always());
        (*fact->mutable_attributes())["basis"] = "state_id";
        fact->set_summary(absl::StrCat(e.name(), " stands for ", e.state_id(),
                                       " (its state_id before schema version 2)"));
        fact->mutable_provenance()->set_source_id(kUpgradeSourceId);
        fact->mutable_provenance()->set_locator(absl::StrCat("entity ", e.id()));
        return true;
      });
      !s.ok()) {
    return s;
  }
  const size_t affiliations = mutations.size();
  if (!mutations.empty()) {
    v1::Mutation source;
    source.mutable_upsert_source()->set_id(kUpgradeSourceId);
    source.mutable_upsert_source()->set_title(
        "Entity.state_id of organizations stored before schema version 2");
    source.mutable_upsert_source()->set_publisher("Entente");
    mutations.insert(mutations.begin(), std::move(source));
    // All or nothing; a crash before the version below is written repeats
    // the upgrade at the next open, where every fact is already stored.
    for (auto& result : ApplyBatch(std::move(mutations), true)) {
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat("upgrading ", path_, " from schema version ", from,
                                         ": ", result.status().message()));
      }
    }
  }
  v1::SchemaInfo upgraded = schema_;
  upgraded.set_version(kSchemaVersion);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto s = db_->Put(sync, cf(kMeta), std::string(keys::kSchemaKey), upgraded.SerializeAsString());
  if (!s.ok()) return FromRocks(s, "writing the upgraded schema record");
  schema_ = std::move(upgraded);
  upgrade_report_ = absl::StrCat("upgraded from schema version ", from, " to ", kSchemaVersion,
                                 ": ", affiliations,
                                 " organizations' state_id recorded as AFFILIATION facts");
  return absl::OkStatus();
}

absl::Status Store::Impl::FinishCreation() {
  if (!created_) return absl::OkStatus();
  std::error_code ec;
  const fs::path marker = fs::path(path_) / kCreatingMarker;
  if (!fs::exists(marker, ec)) return absl::OkStatus();
  if (!fs::remove(marker, ec) || ec) {
    return absl::InternalError(absl::StrCat("removing ", marker.string(), ": ", ec.message()));
  }
  return SyncPath(path_, true);
}

absl::Status Store::Impl::LoadState() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(kMeta), std::string(keys::kSchemaKey), &value);
  if (!s.ok() || !schema_.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat(path_, ": the schema record cannot be read"));
  }
  const std::string counter_prefix = keys::CounterKey("");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kMeta)));
  for (it->Seek(counter_prefix); it->Valid() && it->key().starts_with(counter_prefix);
       it->Next()) {
    if (it->value().size() != 8) return absl::DataLossError("a counter record is malformed");
    counters_[it->key().ToString().substr(counter_prefix.size())] =
        static_cast<int64_t>(keys::DecodeUint64(View(it->value())));
  }
  if (auto st = ForEach<v1::Entity>(kEntities, [&](const v1::Entity& e) {
        entity_kinds_[e.id()] = e.kind();
        return true;
      });
      !st.ok()) {
    return st;
  }
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), cf(kSources)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) source_ids_.insert(it->key().ToString());
  return FromRocks(it->status(), "loading source ids");
}

template <typename Message>
absl::StatusOr<std::optional<Message>> Store::Impl::Read(Family family,
                                                         absl::string_view key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(family), rocksdb::Slice(key.data(), key.size()),
                    &value);
  if (s.IsNotFound()) return std::optional<Message>();
  if (!s.ok()) return FromRocks(s, "reading a record");
  Message message;
  if (!message.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("a stored ", Message::descriptor()->name(),
                                            " record cannot be parsed"));
  }
  return std::optional<Message>(std::move(message));
}

namespace {

// Parses a stored record; DATA_LOSS when it cannot be.
template <typename Message>
absl::Status ParseStored(absl::string_view bytes, Message* message) {
  if (message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  return absl::DataLossError(
      absl::StrCat("a stored ", Message::descriptor()->name(), " record cannot be parsed"));
}

}  // namespace

absl::Status Store::Impl::MultiRead(
    Family family, const std::vector<rocksdb::Slice>& keys,
    const std::function<absl::Status(size_t, std::optional<absl::string_view>)>& visit) const {
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), cf(family), keys.size(), keys.data(), values.data(),
                statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::optional<absl::string_view> value;
    if (statuses[i].ok()) {
      value = absl::string_view(values[i].data(), values[i].size());
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "reading records");
    }
    if (auto s = visit(i, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename Message>
absl::Status Store::Impl::ForEach(Family family,
                                  const std::function<bool(const Message&)>& visit) const {
  // A full scan: read ahead, and keep it out of the block cache.
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf(family)));
  Message message;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!message.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("a stored ", Message::descriptor()->name(),
                                              " record cannot be parsed"));
    }
    if (!visit(message)) break;
  }
  return FromRocks(it->status(), "scanning records");
}

template <typename Message>
absl::StatusOr<std::optional<Message>> Store::Impl::ReadForWrite(Family family,
                                                                 absl::string_view key) const {
  if (pending_ == nullptr) return Read<Message>(family, key);
  const PendingWrites::Entry* entry = pending_->Find(family, key);
  if (entry == nullptr) return Read<Message>(family, key);
  if (entry->is_delete) return std::optional<Message>();
  Message message;
  if (!message.ParseFromString(entry->value)) {
    return absl::InternalError(absl::StrCat("a pending ", Message::descriptor()->name(),
                                            " record cannot be parsed"));
  }
  return std::optional<Message>(std::move(message));
}

void Store::Impl::AddCounter(const std::string& name, int64_t delta) {
  std::lock_guard lock(counters_mu_);
  int64_t& counter = counters_[name];
  counter_journal_.emplace_back(name, counter);
  counter += delta;
  dirty_counters_.insert(name);
}

absl::Status Store::Impl::RequireEntity(absl::string_view id, absl::string_view field) const {
  if (entity_kinds_.contains(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown entity \"", id, "\""));
}

absl::StatusOr<ApplyResult> Store::Impl::ApplyOne(const v1::Mutation& mutation,
                                                  PendingWrites* batch) {
  const Timestamp& time = mutation.record_time();
  switch (mutation.change_case()) {
    case v1::Mutation::kUpsertEntity:
      return ApplyEntity(mutation.upsert_entity(), time, batch);
    case v1::Mutation::kUpsertSource:
      return ApplySource(mutation.upsert_source(), batch);
    case v1::Mutation::kRecordFact:
      return ApplyFact(mutation.record_fact(), time, batch);
    case v1::Mutation::kRetractFact:
      return ApplyRetraction(mutation.retract_fact(), time, batch);
    default:
      return absl::InvalidArgumentError("mutation: no change is set");
  }
}

std::vector<absl::StatusOr<ApplyResult>> Store::Impl::ApplyBatch(
    std::vector<v1::Mutation> mutations, bool stop_at_first_error) {
  std::vector<absl::StatusOr<ApplyResult>> results;
  results.reserve(mutations.size());
  const Timestamp now = ToTimestamp(options_.clock());
  PendingWrites batch;
  std::lock_guard lock(write_mu_);
  pending_ = &batch;
  counter_journal_.clear();
  dirty_counters_.clear();
  // Undo records for the in-memory state, should the batch not be written.
  std::vector<std::pair<std::string, std::optional<v1::EntityKind>>> old_kinds;
  std::vector<std::string> new_sources;
  std::vector<size_t> applied;  // mutations that changed something
  auto undo_counters = [&](size_t mark) {
    std::lock_guard counters_lock(counters_mu_);
    while (counter_journal_.size() > mark) {
      counters_[counter_journal_.back().first] = counter_journal_.back().second;
      counter_journal_.pop_back();
    }
  };
  bool stopped = false;
  for (size_t i = 0; i < mutations.size(); ++i) {
    v1::Mutation& mutation = mutations[i];
    if (stopped) {
      results.push_back(absl::AbortedError(
          "mutation: not applied; an earlier mutation of the batch failed"));
      continue;
    }
    if (!mutation.has_record_time()) *mutation.mutable_record_time() = now;
    const size_t journal_mark = counter_journal_.size();
    const size_t batch_mark = batch.Mark();
    absl::StatusOr<ApplyResult> result = ApplyOne(mutation, &batch);
    if (result.ok() && result->changed) {
      std::string log_key;
      {
        std::lock_guard counters_lock(counters_mu_);
        keys::AppendUint64(&log_key, static_cast<uint64_t>(counters_["log_sequence"] + 1));
      }
      AddCounter("log_sequence", 1);
      batch.Put(kLog, std::move(log_key), mutation.SerializeAsString());
      if (mutation.has_upsert_entity()) {
        const auto& entity = mutation.upsert_entity();
        auto it = entity_kinds_.find(entity.id());
        old_kinds.emplace_back(entity.id(), it == entity_kinds_.end()
                                                ? std::nullopt
                                                : std::optional<v1::EntityKind>(it->second));
        entity_kinds_[entity.id()] = entity.kind();
      } else if (mutation.has_upsert_source() &&
                 source_ids_.insert(mutation.upsert_source().id()).second) {
        new_sources.push_back(mutation.upsert_source().id());
      }
      applied.push_back(i);
    } else {
      batch.RollbackTo(batch_mark);
      undo_counters(journal_mark);
      if (!result.ok() && stop_at_first_error) stopped = true;
    }
    results.push_back(std::move(result));
  }
  pending_ = nullptr;
  if (applied.empty()) return results;
  {
    // Counters are written once per batch, with their final values.
    std::lock_guard counters_lock(counters_mu_);
    for (const auto& name : dirty_counters_) {
      batch.Put(kMeta, keys::CounterKey(name), EncodeCounter(counters_[name]));
    }
  }
  rocksdb::WriteBatch write_batch;
  batch.WriteTo(handles_, &write_batch);
  if (auto s = db_->Write(write_options_, &write_batch); !s.ok()) {
    undo_counters(0);
    for (auto it = old_kinds.rbegin(); it != old_kinds.rend(); ++it) {
      if (it->second) {
        entity_kinds_[it->first] = *it->second;
      } else {
        entity_kinds_.erase(it->first);
      }
    }
    for (const auto& id : new_sources) source_ids_.erase(id);
    const absl::Status error = FromRocks(s, "writing a mutation");
    for (size_t i : applied) results[i] = error;
    return results;
  }
  counter_journal_.clear();
  if (listener_) {
    for (size_t i : applied) listener_(mutations[i], *results[i]);
  }
  return results;
}

absl::StatusOr<ApplyResult> Store::Impl::ApplyEntity(const v1::Entity& entity,
                                                     const Timestamp& time,
                                                     PendingWrites* batch) {
  if (auto s = ValidateEntity(entity, "entity"); !s.ok()) return s;
  if (!entity.state_id().empty()) {
    auto it = entity_kinds_.find(entity.state_id());
    if (it == entity_kinds_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("entity.state_id: unknown entity \"", entity.state_id(), "\""));
    }
    if (it->second != v1::ENTITY_KIND_STATE) {
      return absl::InvalidArgumentError(absl::StrCat("entity.state_id: \"", entity.state_id(),
                                                     "\" is not a STATE entity"));
    }
  }
  auto old = ReadForWrite<v1::Entity>(kEntities, entity.id());
  if (!old.ok()) return old.status();
  ApplyResult result;
  result.id = entity.id();
  if (old->has_value() && SameEntity(**old, entity)) {
    result.entity = **old;
    return result;
  }
  result.changed = true;
  result.created = !old->has_value();
  result.entity = entity;
  *result.entity.mutable_update_time() = time;
  if (old->has_value()) {
    for (const auto& [normalized, text] : AliasEntries(**old)) {
      batch->Delete(kAlias, keys::AliasKey(normalized, entity.id()));
    }
    AddCounter(absl::StrCat("kind/", (*old)->kind()), -1);
  } else {
    AddCounter("entities", 1);
  }
  AddCounter(absl::StrCat("kind/", entity.kind()), 1);
  for (const auto& [normalized, text] : AliasEntries(entity)) {
    batch->Put(kAlias, keys::AliasKey(normalized, entity.id()), text);
  }
  batch->Put(kEntities, entity.id(), result.entity.SerializeAsString());
  return result;
}

absl::StatusOr<ApplyResult> Store::Impl::ApplySource(const v1::Source& source,
                                                     PendingWrites* batch) {
  if (auto s = ValidateSource(source, "source"); !s.ok()) return s;
  auto old = ReadForWrite<v1::Source>(kSources, source.id());
  if (!old.ok()) return old.status();
  ApplyResult result;
  result.id = source.id();
  result.source = source;
  if (old->has_value() && google::protobuf::util::MessageDifferencer::Equals(**old, source)) {
    return result;
  }
  result.changed = true;
  result.created = !old->has_value();
  if (result.created) AddCounter("sources", 1);
  batch->Put(kSources, source.id(), source.SerializeAsString());
  return result;
}

absl::Status Store::Impl::CheckFact(const v1::Fact& fact) const {
  if (auto s = ValidateFact(fact, "fact"); !s.ok()) return s;
  for (int i = 0; i < fact.participants_size(); ++i) {
    if (auto s = RequireEntity(fact.participants(i).entity_id(),
                               absl::StrCat("fact.participants[", i, "].entity_id"));
        !s.ok()) {
      return s;
    }
  }
  if (fact.type() == v1::FACT_TYPE_AFFILIATION) {
    // The shape is checked; the kinds need the entities.
    for (int i = 0; i < fact.participants_size(); ++i) {
      const auto& p = fact.participants(i);
      const bool is_state = entity_kinds_.at(p.entity_id()) == v1::ENTITY_KIND_STATE;
      const std::string at = absl::StrCat("fact.participants[", i, "].entity_id");
      if (p.role() == v1::PARTICIPANT_ROLE_AFFILIATED_STATE && !is_state) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ": \"", p.entity_id(), "\" is not a STATE entity; an affiliation is to a state"));
      }
      if (p.role() == v1::PARTICIPANT_ROLE_AFFILIATE && is_state) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ": \"", p.entity_id(), "\" is a STATE; only its parts, people and places are "
            "affiliated with a state"));
      }
    }
  }
  for (int i = 0; i < fact.attribution().claimant_ids_size(); ++i) {
    if (auto s = RequireEntity(fact.attribution().claimant_ids(i),
                               absl::StrCat("fact.attribution.claimant_ids[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  const std::string& source_id = fact.provenance().source_id();
  if (!source_id.empty() && !source_ids_.contains(source_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fact.provenance.source_id: unknown source \"", source_id, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<ApplyResult> Store::Impl::ApplyFact(v1::Fact fact, const Timestamp& time,
                                                   PendingWrites* batch) {
  if (auto s = CheckFact(fact); !s.ok()) return s;
  Canonicalize(&fact);
  const std::string binary_id = BinaryFactId(fact);
  ApplyResult result;
  result.id = keys::FactIdToText(binary_id);
  auto old = ReadForWrite<v1::FactRecord>(kFacts, binary_id);
  if (!old.ok()) return old.status();
  if (old->has_value()) {
    result.fact = std::move(**old);
    return result;
  }
  result.changed = true;
  result.created = true;
  fact.set_id(result.id);
  *result.fact.mutable_fact() = fact;
  *result.fact.mutable_record_time() = time;

  ForEachIndexEntry(fact, binary_id, [batch](Family family, std::string key,
                                               const std::string& value) {
    batch->Put(family, std::move(key), value);
  });
  batch->Put(kFacts, binary_id, result.fact.SerializeAsString());
  AddCounter("facts", 1);
  AddCounter(absl::StrCat("type/", fact.type()), 1);
  return result;
}

absl::StatusOr<ApplyResult> Store::Impl::ApplyRetraction(const v1::FactRetraction& retraction,
                                                         const Timestamp& time,
                                                         PendingWrites* batch) {
  const auto binary_id = keys::FactIdFromText(retraction.fact_id());
  if (!binary_id) {
    return absl::InvalidArgumentError(
        "fact_id: must be 32 lowercase hexadecimal digits, as returned by RecordFact");
  }
  if (absl::StripAsciiWhitespace(retraction.reason()).empty()) {
    return absl::InvalidArgumentError("reason: is empty; say why the fact is retracted");
  }
  if (retraction.reason().size() > RecordLimits::kMaxTextBytes) {
    return absl::InvalidArgumentError("reason: is too long");
  }
  auto old = ReadForWrite<v1::FactRecord>(kFacts, *binary_id);
  if (!old.ok()) return old.status();
  if (!old->has_value()) {
    return absl::NotFoundError(absl::StrCat("fact_id: no fact ", retraction.fact_id()));
  }
  ApplyResult result;
  result.id = retraction.fact_id();
  result.fact = std::move(**old);
  if (result.fact.has_retraction()) return result;  // already retracted: keep the first
  result.changed = true;
  *result.fact.mutable_retraction()->mutable_retract_time() = time;
  result.fact.mutable_retraction()->set_reason(retraction.reason());
  batch->Put(kFacts, *binary_id, result.fact.SerializeAsString());
  AddCounter("retracted", 1);
  return result;
}

absl::StatusOr<v1::Entity> Store::Impl::GetEntity(absl::string_view id) const {
  if (auto s = ValidateId(id, "id"); !s.ok()) return s;
  auto entity = Read<v1::Entity>(kEntities, id);
  if (!entity.ok()) return entity.status();
  if (!entity->has_value()) return absl::NotFoundError(absl::StrCat("id: no entity \"", id, "\""));
  return std::move(**entity);
}

absl::StatusOr<v1::Source> Store::Impl::GetSource(absl::string_view id) const {
  if (auto s = ValidateId(id, "id"); !s.ok()) return s;
  auto source = Read<v1::Source>(kSources, id);
  if (!source.ok()) return source.status();
  if (!source->has_value()) return absl::NotFoundError(absl::StrCat("id: no source \"", id, "\""));
  return std::move(**source);
}

absl::StatusOr<v1::FactRecord> Store::Impl::GetFact(absl::string_view id) const {
  const auto binary_id = keys::FactIdFromText(id);
  if (!binary_id) return absl::InvalidArgumentError("id: must be 32 lowercase hexadecimal digits");
  auto record = Read<v1::FactRecord>(kFacts, *binary_id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return absl::NotFoundError(absl::StrCat("id: no fact ", id));
  return std::move(**record);
}

absl::StatusOr<std::vector<NameMatch>> Store::Impl::Resolve(absl::string_view text,
                                                            size_t limit) const {
  const std::string normalized = NormalizeName(text);
  if (normalized.empty()) {
    return absl::InvalidArgumentError("query: is empty (or only punctuation)");
  }
  std::vector<NameMatch> matches;
  std::set<std::string> seen;
  auto scan = [&](const std::string& prefix, bool exact) -> absl::Status {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kAlias)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && matches.size() < limit;
         it->Next()) {
      const absl::string_view key = View(it->key());
      const std::string entity_id(key.substr(key.find('\0') + 1));
      if (!seen.insert(entity_id).second) continue;
      auto entity = Read<v1::Entity>(kEntities, entity_id);
      if (!entity.ok()) return entity.status();
      if (!entity->has_value()) continue;
      matches.push_back({std::move(**entity), exact, it->value().ToString()});
    }
    return FromRocks(it->status(), "scanning aliases");
  };
  if (auto s = scan(keys::AliasKey(normalized, ""), true); !s.ok()) return s;
  if (matches.empty()) {
    if (auto s = scan(normalized, false); !s.ok()) return s;
  }
  return matches;
}

namespace {

// One ordered run of time-index entries (one span class) under a prefix,
// positioned on entries that may overlap the window.
class IndexRun {
 public:
  IndexRun(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, const rocksdb::Snapshot* snapshot,
           std::string prefix, keys::SpanClass span_class, DayNumber from, const DayRange& window,
           const std::vector<v1::FactType>& types, absl::string_view resume_after)
      : prefix_(std::move(prefix)), window_(window), types_(types) {
    class_prefix_ = prefix_;
    class_prefix_.push_back(static_cast<char>(span_class));
    upper_ = keys::TimeSeekKey(prefix_, span_class, kMaxDay);
    upper_.push_back('\xff');
    upper_slice_ = rocksdb::Slice(upper_);
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    read.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(read, family));
    std::string seek = keys::TimeSeekKey(prefix_, span_class, from);
    std::string resume;
    if (!resume_after.empty()) {
      resume = class_prefix_;
      resume.append(resume_after.data(), resume_after.size());
      if (resume > seek) seek = resume;
    }
    it_->Seek(seek);
    if (!resume.empty() && it_->Valid() && it_->key() == rocksdb::Slice(resume)) it_->Next();
    Settle();
  }

  bool valid() const { return current_.has_value(); }
  // start day | fact id: the order runs are merged in, and the cursor form.
  absl::string_view position() const { return position_; }
  absl::string_view fact_id() const { return absl::string_view(position_).substr(4); }
  void Next() {
    it_->Next();
    Settle();
  }
  rocksdb::Status status() const { return it_->status(); }
  int64_t scanned() const { return scanned_; }

 private:
  // Moves forward to the first entry that overlaps the window and has a
  // wanted type; stops at the end of the run or past the window.
  void Settle() {
    current_.reset();
    for (; it_->Valid(); it_->Next()) {
      ++scanned_;
      const absl::string_view key = View(it_->key());
      auto parts = keys::ParseTimeKey(key, prefix_.size());
      auto value = keys::DecodeIndexValue(View(it_->value()));
      if (!parts || !value) continue;
      if (parts->start > window_.last) return;
      if (value->last_day < window_.first) continue;
      if (!types_.empty() &&
          std::find(types_.begin(), types_.end(), value->type) == types_.end()) {
        continue;
      }
      current_ = parts;
      position_ = std::string(key.substr(class_prefix_.size()));
      return;
    }
  }

  std::string prefix_;
  std::string class_prefix_;
  std::string upper_;
  rocksdb::Slice upper_slice_;
  DayRange window_;
  const std::vector<v1::FactType>& types_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::optional<keys::TimeKeyParts> current_;
  std::string position_;
  int64_t scanned_ = 0;
};

}  // namespace

absl::StatusOr<FactPage> Store::Impl::ListFacts(const FactQuery& query) const {
  if (auto s = ValidateId(query.entity_id, "entity_id"); !s.ok()) return s;
  if (auto e = Read<v1::Entity>(kEntities, query.entity_id); !e.ok() || !e->has_value()) {
    return e.ok() ? absl::NotFoundError(
                        absl::StrCat("entity_id: no entity \"", query.entity_id, "\""))
                  : e.status();
  }
  const bool dyad = !query.other_entity_id.empty();
  if (dyad) {
    if (auto s = ValidateId(query.other_entity_id, "other_entity_id"); !s.ok()) return s;
    if (auto e = Read<v1::Entity>(kEntities, query.other_entity_id); !e.ok() || !e->has_value()) {
      return e.ok() ? absl::NotFoundError(absl::StrCat("other_entity_id: no entity \"",
                                                       query.other_entity_id, "\""))
                    : e.status();
    }
  }
  if (!query.cursor.empty() && query.cursor.size() != 4 + keys::kFactIdBytes) {
    return absl::InvalidArgumentError("page_token: is malformed");
  }
  const std::string prefix = dyad ? keys::DyadPrefix(query.entity_id, query.other_entity_id)
                                  : keys::ActorPrefix(query.entity_id);
  rocksdb::ColumnFamilyHandle* family = cf(dyad ? kDyadTime : kActorTime);
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snapshot;
    ~Release() { db->ReleaseSnapshot(snapshot); }
  } release{db_, snapshot};

  // Short facts start at most kShortSpanDays before the window's first day.
  const int64_t short_from =
      std::max<int64_t>(int64_t{query.window.first} - keys::kShortSpanDays, kMinDay);
  IndexRun runs[2] = {
      IndexRun(db_, family, snapshot, prefix, keys::SpanClass::kShort,
               static_cast<DayNumber>(short_from), query.window, query.types, query.cursor),
      IndexRun(db_, family, snapshot, prefix, keys::SpanClass::kLong, kMinDay, query.window,
               query.types, query.cursor)};

  const absl::Time as_of = query.as_of.value_or(absl::InfiniteFuture());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  FactPage page;
  std::string last_position;
  int steps = 0;
  while (runs[0].valid() || runs[1].valid()) {
    if (++steps % kDeadlineCheckEvery == 0 && absl::Now() > query.deadline) {
      return absl::DeadlineExceededError("listing facts took longer than the deadline");
    }
    IndexRun& run = !runs[1].valid() || (runs[0].valid() && runs[0].position() < runs[1].position())
                        ? runs[0]
                        : runs[1];
    std::string value;
    const absl::string_view id = run.fact_id();
    auto s = db_->Get(read, cf(kFacts), rocksdb::Slice(id.data(), id.size()), &value);
    if (!s.ok()) return FromRocks(s, "reading an indexed fact");
    v1::FactRecord record;
    if (!record.ParseFromString(value)) return absl::DataLossError("a fact record is malformed");
    const std::string position(run.position());
    run.Next();
    if (FromTimestamp(record.record_time()) > as_of) continue;
    if (record.has_retraction()) {
      if (FromTimestamp(record.retraction().retract_time()) > as_of) {
        record.clear_retraction();  // not yet retracted as of the cut-off
      } else if (!query.include_retracted) {
        continue;
      }
    }
    if (page.records.size() == query.limit) {
      page.next_cursor = last_position;  // one more exists: the page is full
      return page;
    }
    page.records.push_back(std::move(record));
    last_position = position;
  }
  for (const auto& run : runs) {
    if (!run.status().ok()) return FromRocks(run.status(), "scanning the time index");
  }
  return page;
}

StoreStats Store::Impl::Stats() const {
  StoreStats stats;
  {
    std::lock_guard lock(counters_mu_);
    for (const auto& [name, value] : counters_) AddCounterToStats(name, value, &stats);
  }
  stats.disk_bytes = DirectoryBytes(path_);
  stats.schema_version = schema_.version();
  stats.create_time = FromTimestamp(schema_.create_time());
  return stats;
}

// ---- Store: the public face forwards to Impl. ----

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  auto impl = std::make_unique<Impl>(path, options);
  if (auto s = impl->Open(); !s.ok()) return s;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

bool Store::created() const { return impl_->created_; }
const std::string& Store::upgrade_report() const { return impl_->upgrade_report_; }
absl::Status Store::FinishCreation() { return impl_->FinishCreation(); }
absl::Time Store::create_time() const { return FromTimestamp(impl_->schema().create_time()); }
const std::string& Store::path() const { return impl_->path_; }

absl::StatusOr<ApplyResult> Store::Apply(v1::Mutation mutation) {
  return impl_->ApplyGrouped(std::move(mutation));
}

absl::StatusOr<ApplyResult> Store::Impl::ApplyGrouped(v1::Mutation mutation) {
  GroupMember me;
  me.mutation = std::move(mutation);
  std::unique_lock lock(group_mu_);
  group_queue_.push_back(&me);
  // Wait to be applied by a leader, or to lead: the first in the queue
  // leads the members behind it, who queued while the group before wrote.
  me.woken.wait(lock, [&] { return me.result.has_value() || group_queue_.front() == &me; });
  if (me.result.has_value()) return std::move(*me.result);
  const size_t n = std::min(group_queue_.size(), kMaxGroup);
  std::vector<GroupMember*> group(group_queue_.begin(), group_queue_.begin() + n);
  lock.unlock();
  std::vector<v1::Mutation> mutations;
  mutations.reserve(n);
  for (GroupMember* member : group) mutations.push_back(std::move(member->mutation));
  // stop_at_first_error false: each member's mutation stands alone.
  auto results = ApplyBatch(std::move(mutations), false);
  lock.lock();
  for (size_t i = 0; i < n; ++i) {
    group[i]->result = std::move(results[i]);
    group_queue_.pop_front();
    if (i > 0) group[i]->woken.notify_one();
  }
  if (!group_queue_.empty()) group_queue_.front()->woken.notify_one();
  return std::move(*me.result);
}

std::vector<absl::StatusOr<ApplyResult>> Store::ApplyBatch(std::vector<v1::Mutation> mutations,
                                                           bool stop_at_first_error) {
  return impl_->ApplyBatch(std::move(mutations), stop_at_first_error);
}

absl::StatusOr<ApplyResult> Store::ApplySerialized(absl::string_view bytes) {
  v1::Mutation mutation;
  if (!mutation.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("mutation: cannot be parsed");
  }
  return Apply(std::move(mutation));
}

absl::StatusOr<ApplyResult> Store::UpsertEntity(const v1::Entity& entity) {
  v1::Mutation mutation;
  *mutation.mutable_upsert_entity() = entity;
  mutation.mutable_upsert_entity()->clear_update_time();
  return Apply(std::move(mutation));
}

absl::StatusOr<ApplyResult> Store::UpsertSource(const v1::Source& source) {
  v1::Mutation mutation;
  *mutation.mutable_upsert_source() = source;
  return Apply(std::move(mutation));
}

absl::StatusOr<ApplyResult> Store::RecordFact(const v1::Fact& fact) {
  v1::Mutation mutation;
  *mutation.mutable_record_fact() = fact;
  return Apply(std::move(mutation));
}

absl::StatusOr<ApplyResult> Store::RetractFact(absl::string_view fact_id, absl::string_view reason) {
  v1::Mutation mutation;
  mutation.mutable_retract_fact()->set_fact_id(std::string(fact_id));
  mutation.mutable_retract_fact()->set_reason(std::string(reason));
  return Apply(std::move(mutation));
}

absl::StatusOr<v1::Entity> Store::GetEntity(absl::string_view id) const {
  return impl_->GetEntity(id);
}
absl::StatusOr<v1::Source> Store::GetSource(absl::string_view id) const {
  return impl_->GetSource(id);
}
absl::Status Store::Impl::ReadFacts(
    const std::vector<std::string>& ids,
    const std::function<absl::Status(size_t, absl::string_view)>& found) const {
  std::vector<std::string> binary(ids.size());
  std::vector<rocksdb::Slice> keys;
  keys.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto id = keys::FactIdFromText(ids[i]);
    if (!id) {
      return absl::InvalidArgumentError(
          absl::StrCat("ids[", i, "]: must be 32 lowercase hexadecimal digits"));
    }
    binary[i] = std::move(*id);
    keys.emplace_back(binary[i]);
  }
  return MultiRead(kFacts, keys, [&](size_t i, std::optional<absl::string_view> value) {
    if (!value) return absl::NotFoundError(absl::StrCat("no fact ", ids[i]));
    return found(i, *value);
  });
}

absl::StatusOr<std::vector<v1::FactRecord>> Store::Impl::GetFacts(
    const std::vector<std::string>& ids) const {
  std::vector<v1::FactRecord> records(ids.size());
  auto s = ReadFacts(ids, [&](size_t i, absl::string_view bytes) {
    return ParseStored(bytes, &records[i]);
  });
  if (!s.ok()) return s;
  return records;
}

absl::StatusOr<std::vector<std::string>> Store::Impl::GetSerializedFacts(
    const std::vector<std::string>& ids) const {
  std::vector<std::string> records(ids.size());
  auto s = ReadFacts(ids, [&](size_t i, absl::string_view bytes) {
    records[i] = std::string(bytes);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return records;
}

absl::StatusOr<std::vector<std::optional<v1::Entity>>> Store::Impl::GetEntities(
    const std::vector<std::string>& ids) const {
  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<std::optional<v1::Entity>> entities(ids.size());
  auto s = MultiRead(kEntities, keys, [&](size_t i, std::optional<absl::string_view> bytes) {
    return bytes ? ParseStored(*bytes, &entities[i].emplace()) : absl::OkStatus();
  });
  if (!s.ok()) return s;
  return entities;
}

absl::StatusOr<std::vector<v1::FactRecord>> Store::GetFacts(
    const std::vector<std::string>& ids) const {
  return impl_->GetFacts(ids);
}

absl::StatusOr<std::vector<std::string>> Store::GetSerializedFacts(
    const std::vector<std::string>& ids) const {
  return impl_->GetSerializedFacts(ids);
}

absl::StatusOr<std::vector<std::optional<v1::Entity>>> Store::GetEntities(
    const std::vector<std::string>& ids) const {
  return impl_->GetEntities(ids);
}

absl::StatusOr<v1::FactRecord> Store::GetFact(absl::string_view id) const {
  return impl_->GetFact(id);
}
absl::StatusOr<std::vector<NameMatch>> Store::Resolve(absl::string_view text, size_t limit) const {
  return impl_->Resolve(text, limit);
}
absl::StatusOr<FactPage> Store::ListFacts(const FactQuery& query) const {
  return impl_->ListFacts(query);
}
absl::Status Store::ForEachFact(const std::function<bool(const v1::FactRecord&)>& visit) const {
  return impl_->ForEach<v1::FactRecord>(kFacts, visit);
}
uint64_t Store::LogSequence() const { return impl_->LogSequence(); }

absl::Status Store::ForEachLogEntry(
    uint64_t after_sequence,
    const std::function<bool(uint64_t, const v1::Mutation&)>& visit) const {
  return impl_->ForEachLogEntry(after_sequence, visit);
}

uint64_t Store::Impl::LogSequence() const {
  std::lock_guard lock(counters_mu_);
  auto it = counters_.find("log_sequence");
  return it == counters_.end() ? 0 : static_cast<uint64_t>(it->second);
}

absl::Status Store::Impl::ForEachLogEntry(
    uint64_t after_sequence,
    const std::function<bool(uint64_t, const v1::Mutation&)>& visit) const {
  std::string start;
  keys::AppendUint64(&start, after_sequence + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kLog)));
  v1::Mutation mutation;
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (it->key().size() != 8 ||
        !mutation.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a log record cannot be read");
    }
    if (!visit(keys::DecodeUint64(View(it->key())), mutation)) break;
  }
  return FromRocks(it->status(), "reading the log");
}

absl::Status Store::ForEachEntity(const std::function<bool(const v1::Entity&)>& visit) const {
  return impl_->ForEach<v1::Entity>(kEntities, visit);
}
StoreStats Store::Stats() const { return impl_->Stats(); }
absl::StatusOr<VerifyReport> Store::Verify(const VerifyOptions& options) const {
  return impl_->Verify(options);
}
absl::StatusOr<CheckpointInfo> Store::Checkpoint(const std::string& dir) const {
  return impl_->Checkpoint(dir);
}
void Store::SetApplyListener(ApplyListener listener) { impl_->listener_ = std::move(listener); }

std::string Store::FactIdOf(const v1::Fact& fact) {
  v1::Fact canonical = fact;
  Canonicalize(&canonical);
  return keys::FactIdToText(BinaryFactId(canonical));
}

}  // namespace entente::storage
