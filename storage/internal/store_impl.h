// Private to storage/: the store's implementation class and the helpers its
// write paths share (store.cc: the apply path; fact_loader.cc: bulk loads).
#ifndef ENTENTE_STORAGE_INTERNAL_STORE_IMPL_H_
#define ENTENTE_STORAGE_INTERNAL_STORE_IMPL_H_

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/store.h"

namespace entente::storage {

// Column families, in the order their handles are kept.
enum Family { kMeta, kEntities, kSources, kFacts, kLog, kActorTime, kDyadTime, kTypeTime,
              kAlias, kFamilyCount };
inline constexpr const char* kFamilyNames[kFamilyCount] = {
    "default",
    "entities", "sources", "facts", "log", "actor_time", "dyad_time", "type_time", "alias"};

// Where a FactLoader writes a run's files before RocksDB ingests them,
// under the database directory.
inline constexpr char kBulkLoadDirectory[] = "bulk-load";

// In a database directory while the database is being created (Store::Open).
inline constexpr char kCreatingMarker[] = "CREATING";

// fsync of a file or a directory: what makes a written file, or a new name
// in a directory, survive a power loss (checkpoint.cc).
absl::Status SyncPath(const std::filesystem::path& path, bool directory);

// A RocksDB status as an absl::Status; `what` says what was being done.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// The alias entries of an entity: (normalized text, text as written) for its
// id, name and aliases, without repeats.
std::vector<std::pair<std::string, std::string>> AliasEntries(const v1::Entity& entity);
// Sets the StoreStats field that the counter `name` feeds.
void AddCounterToStats(absl::string_view name, int64_t value, StoreStats* stats);
// The bytes of the regular files under `path`.
int64_t DirectoryBytes(const std::string& path);
// Participants sorted by entity then role, claimants sorted, id cleared: the
// order a caller lists them in does not change a fact's identity.
void Canonicalize(v1::Fact* fact);
// The binary id of a canonical fact: the first bytes of the SHA-256 of its
// deterministic serialization.
std::string BinaryFactId(const v1::Fact& canonical);
// The distinct entity ids a fact touches, in sorted order.
std::vector<absl::string_view> DistinctEntities(const v1::Fact& fact);
std::string EncodeCounter(int64_t v);
// The time-index entries (actor, dyad, type) of a canonical fact.
void ForEachIndexEntry(
    const v1::Fact& fact, absl::string_view binary_id,
    const std::function<void(Family, std::string key, const std::string& value)>& visit);

// The changes of one ApplyBatch call before they are written. Records of the
// families the write path reads back (entities, sources, facts) are indexed
// so that a mutation sees those before it in the batch; everything is
// written in (family, key) order, which keeps RocksDB's memtable inserts
// next to one another (its skiplist resumes from the previous insert).
class PendingWrites {
 public:
  struct Entry {
    Family family;
    bool is_delete;
    std::string key;
    std::string value;
    size_t previous;  // the earlier entry of the same read-back key, or kNone
  };
  static constexpr size_t kNone = ~size_t{0};

  void Put(Family family, std::string key, std::string value) {
    Add(family, false, std::move(key), std::move(value));
  }
  void Delete(Family family, std::string key) { Add(family, true, std::move(key), {}); }

  // The latest pending change of a read-back record, or null.
  const Entry* Find(Family family, absl::string_view key) const {
    auto it = latest_.find(IndexKey(family, key));
    return it == latest_.end() ? nullptr : &entries_[it->second];
  }

  size_t Mark() const { return entries_.size(); }
  // Drops every change made after Mark() returned `mark`.
  void RollbackTo(size_t mark) {
    while (entries_.size() > mark) {
      const Entry& entry = entries_.back();
      if (ReadBack(entry.family)) {
        const std::string index_key = IndexKey(entry.family, entry.key);
        if (entry.previous == kNone) {
          latest_.erase(index_key);
        } else {
          latest_[index_key] = entry.previous;
        }
      }
      entries_.pop_back();
    }
  }

  // Everything, in (family, key) order; changes to one key keep their order.
  void WriteTo(const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
               rocksdb::WriteBatch* batch) const {
    std::vector<uint32_t> order(entries_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
      const Entry& x = entries_[a];
      const Entry& y = entries_[b];
      if (x.family != y.family) return x.family < y.family;
      if (int c = x.key.compare(y.key); c != 0) return c < 0;
      return a < b;
    });
    for (uint32_t i : order) {
      const Entry& entry = entries_[i];
      if (entry.is_delete) {
        batch->Delete(handles[entry.family], entry.key);
      } else {
        batch->Put(handles[entry.family], entry.key, entry.value);
      }
    }
  }

 private:
  static bool ReadBack(Family family) {
    return family == kEntities || family == kSources || family == kFacts;
  }
  static std::string IndexKey(Family family, absl::string_view key) {
    return absl::StrCat(absl::string_view(reinterpret_cast<const char*>(&family), 1), key);
  }
  void Add(Family family, bool is_delete, std::string key, std::string value) {
    size_t previous = kNone;
    if (ReadBack(family)) {
      auto [it, inserted] = latest_.try_emplace(IndexKey(family, key), entries_.size());
      if (!inserted) {
        previous = it->second;
        it->second = entries_.size();
      }
    }
    entries_.push_back({family, is_delete, std::move(key), std::move(value), previous});
  }

  std::vector<Entry> entries_;
  absl::flat_hash_map<std::string, size_t> latest_;
};

class Store::Impl {
 public:
  Impl(std::string path, StoreOptions options) : path_(std::move(path)), options_(std::move(options)) {
    if (!options_.clock) options_.clock = [] { return absl::Now(); };
  }

  ~Impl() {
    if (db_ == nullptr) return;
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close().PermitUncheckedError();
    delete db_;
  }

  absl::Status Open();
  absl::Status FinishCreation();
  // Brings a database of an older schema version up to kSchemaVersion
  // through the apply path; sets upgrade_report_.
  absl::Status UpgradeSchema();
  // Store::Apply: applies `mutation` alone or, when other threads are
  // applying at the same time, together with theirs in one ApplyBatch
  // (group commit): one WriteBatch, and with sync_writes one fsync, for the
  // group. Each mutation of a group is validated and applied on its own, as
  // a lone Apply would; the group only shares the write.
  absl::StatusOr<ApplyResult> ApplyGrouped(v1::Mutation mutation);
  // FAILED_PRECONDITION unless path_ holds an Entente database of this
  // schema version (opened read-only; nothing is changed).
  absl::Status CheckExisting();
  absl::StatusOr<VerifyReport> Verify(const VerifyOptions& options) const;  // verify.cc
  absl::StatusOr<CheckpointInfo> Checkpoint(const std::string& dir) const;  // checkpoint.cc
  std::vector<absl::StatusOr<ApplyResult>> ApplyBatch(std::vector<v1::Mutation> mutations,
                                                      bool stop_at_first_error);
  absl::StatusOr<v1::Entity> GetEntity(absl::string_view id) const;
  absl::StatusOr<v1::Source> GetSource(absl::string_view id) const;
  absl::StatusOr<v1::FactRecord> GetFact(absl::string_view id) const;
  absl::StatusOr<std::vector<v1::FactRecord>> GetFacts(const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<std::string>> GetSerializedFacts(
      const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<std::optional<v1::Entity>>> GetEntities(
      const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<NameMatch>> Resolve(absl::string_view text, size_t limit) const;
  absl::StatusOr<FactPage> ListFacts(const FactQuery& query) const;
  template <typename Message>
  absl::Status ForEach(Family family, const std::function<bool(const Message&)>& visit) const;
  StoreStats Stats() const;
  uint64_t LogSequence() const;
  const v1::SchemaInfo& schema() const { return schema_; }
  absl::Status ForEachLogEntry(
      uint64_t after_sequence,
      const std::function<bool(uint64_t, const v1::Mutation&)>& visit) const;

  std::string path_;
  ApplyListener listener_;
  StoreOptions options_;
  bool created_ = false;
  std::string upgrade_report_;  // empty unless Open upgraded the schema

 private:
  friend class FactLoader;

  absl::Status LoadState();
  template <typename Message>
  absl::StatusOr<std::optional<Message>> Read(Family family, absl::string_view key) const;
  // One MultiGet of `keys`: calls visit(i, value) for each key in order,
  // with nullopt for an absent key; stops at the first error visit returns.
  absl::Status MultiRead(
      Family family, const std::vector<rocksdb::Slice>& keys,
      const std::function<absl::Status(size_t, std::optional<absl::string_view>)>& visit) const;
  // Reads the records of the facts `ids` (text ids) with one MultiGet and
  // gives each one's stored bytes to found(i, bytes). INVALID_ARGUMENT names
  // a malformed id, NOT_FOUND the first missing one.
  absl::Status ReadFacts(const std::vector<std::string>& ids,
                         const std::function<absl::Status(size_t, absl::string_view)>& found) const;
  // Read for the write path: sees the batch being built (pending_) over the
  // database, so a mutation sees those before it in the same batch.
  template <typename Message>
  absl::StatusOr<std::optional<Message>> ReadForWrite(Family family, absl::string_view key) const;

  // Adds one mutation's changes to `batch` (and to the in-memory counters).
  absl::StatusOr<ApplyResult> ApplyOne(const v1::Mutation& mutation,
                                       PendingWrites* batch);
  absl::StatusOr<ApplyResult> ApplyEntity(const v1::Entity& entity, const google::protobuf::Timestamp& time,
                                          PendingWrites* batch);
  absl::StatusOr<ApplyResult> ApplySource(const v1::Source& source,
                                          PendingWrites* batch);
  absl::StatusOr<ApplyResult> ApplyFact(v1::Fact fact, const google::protobuf::Timestamp& time,
                                        PendingWrites* batch);
  absl::StatusOr<ApplyResult> ApplyRetraction(const v1::FactRetraction& retraction,
                                              const google::protobuf::Timestamp& time,
                                              PendingWrites* batch);
  void AddCounter(const std::string& name, int64_t delta);
  absl::Status RequireEntity(absl::string_view id, absl::string_view field) const;
  // A fact's own validity and that of what it refers to (entities, source).
  absl::Status CheckFact(const v1::Fact& fact) const;

  rocksdb::ColumnFamilyHandle* cf(Family f) const { return handles_[f]; }

  // A thread waiting in ApplyGrouped.
  struct GroupMember {
    v1::Mutation mutation;
    std::optional<absl::StatusOr<ApplyResult>> result;  // set by the leader
    std::condition_variable woken;
  };
  // The most mutations one group commits.
  static constexpr size_t kMaxGroup = 256;
  // Guards group_queue_: the members waiting, in arrival order; the first is
  // the leader, applying the group it took from the front.
  std::mutex group_mu_;
  std::deque<GroupMember*> group_queue_;

  rocksdb::DB* db_ = nullptr;  // owned; closed and deleted by ~Impl
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions write_options_;
  v1::SchemaInfo schema_;

  // Guarded by write_mu_: state the write path consults or maintains.
  mutable std::mutex write_mu_;
  absl::flat_hash_map<std::string, v1::EntityKind> entity_kinds_;
  absl::flat_hash_set<std::string> source_ids_;
  // While a batch is built: the batch (read through by ReadForWrite) and the
  // journal of counter values before each change, to undo a mutation that
  // fails or a batch that cannot be written.
  PendingWrites* pending_ = nullptr;
  // Counters changed by the batch being built; written once at its end.
  absl::flat_hash_set<std::string> dirty_counters_;
  std::vector<std::pair<std::string, int64_t>> counter_journal_;
  mutable std::mutex counters_mu_;  // counters_ is also read by Stats()
  std::map<std::string, int64_t> counters_;
};
}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_INTERNAL_STORE_IMPL_H_
