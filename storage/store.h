// The Entente store: entities, sources and facts in RocksDB, with the time
// indexes that make every "facts of X (and Y) in a window" read one prefix
// scan.
//
// Every change is a v1::Mutation applied by Store::Apply, the single write
// path: it validates the mutation against the store, then writes the record,
// all of its index entries, its counters and a log entry in one WriteBatch,
// so a reader never sees a fact without its index entries and a crash never
// leaves half of one. Writes are serialized; reads run concurrently with
// writes and never block. Bulk imports use the one other way in,
// storage::FactLoader (fact_loader.h): the same validation, records, index
// entries, counters and log records, written as ingested SST files.
//
// Fact ids are derived from the fact's content (including its source), so
// applying the same fact twice changes nothing. Retractions add to a fact's
// record and never remove it: reads can be asked "as of" a record time.
#ifndef ENTENTE_STORAGE_STORE_H_
#define ENTENTE_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "entente/v1/entity.pb.h"
#include "entente/v1/fact.pb.h"
#include "entente/v1/mutation.pb.h"
#include "entente/v1/source.pb.h"
#include "storage/dates.h"

namespace entente::storage {

// The on-disk layout version this build writes. A database of an older
// version this build knows (kOldestUpgradableSchema and up) is upgraded on
// open; any other version fails with FAILED_PRECONDITION.
//   1: the first release.
//   2: affiliations are AFFILIATION facts; an ORGANIZATION's undated
//      state_id of version 1 becomes an open-ended AFFILIATION citing the
//      source kUpgradeSourceId.
inline constexpr uint32_t kSchemaVersion = 2;
inline constexpr uint32_t kOldestUpgradableSchema = 1;
inline constexpr char kUpgradeSourceId[] = "entente_schema_upgrade";

struct StoreOptions {
  // Create the database (and its directory) when missing. Default: true.
  bool create_if_missing = true;
  // fsync the write-ahead log before a write returns. Default: false — the
  // WAL is still written on every write, so an acknowledged write survives a
  // crash of the process (kill -9) but not of the machine. true survives
  // power loss at the cost of one fsync per write.
  bool sync_writes = false;
  // RocksDB block cache for reads. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // RocksDB row cache: the values of recent point reads, which then skip the
  // index and block search (a timeline reads every fact it returns). 0 turns
  // it off. Default: 0.
  size_t row_cache_bytes = 0;
  // A database Open creates counts as made once Open returns. false: only
  // once FinishCreation is called, and until then a crash leaves it to be
  // created anew by the next Open — for a caller that fills a new database
  // (the seed graph) before anyone may use it. Default: true.
  bool finish_creation_on_open = true;
  // Source of record times; tests substitute a fixed clock. Default: now.
  std::function<absl::Time()> clock;
};

// What Apply did.
struct ApplyResult {
  // False when the mutation changed nothing (identical fact or entity).
  bool changed = false;
  // True when the record did not exist before.
  bool created = false;
  // The id of the record written or found.
  std::string id;
  // The record as stored afterwards (whichever the mutation concerned).
  v1::Entity entity;
  v1::Source source;
  v1::FactRecord fact;
};

// One match of a name lookup.
struct NameMatch {
  v1::Entity entity;
  bool exact = false;
  std::string matched_text;  // the name or alias as written
};

// A read of the facts of one entity or one pair over a window.
struct FactQuery {
  std::string entity_id;
  std::string other_entity_id;  // empty: all facts of entity_id
  DayRange window;              // facts whose valid time overlaps it
  std::vector<v1::FactType> types;  // empty: all
  size_t limit = 100;
  // Continue after this position (from FactPage::next_cursor).
  std::string cursor;
  // Record-time cut-off: hide facts recorded after it, show facts retracted
  // after it. Unset: now.
  std::optional<absl::Time> as_of;
  bool include_retracted = false;
  // Give up with DEADLINE_EXCEEDED after this time.
  absl::Time deadline = absl::InfiniteFuture();
};

struct FactPage {
  std::vector<v1::FactRecord> records;
  // Opaque; empty when there is nothing more.
  std::string next_cursor;
};

struct StoreStats {
  int64_t entities = 0;
  int64_t sources = 0;
  int64_t facts = 0;
  int64_t retracted_facts = 0;
  std::map<v1::EntityKind, int64_t> entities_by_kind;
  std::map<v1::FactType, int64_t> facts_by_type;
  int64_t disk_bytes = 0;
  uint32_t schema_version = 0;
  absl::Time create_time;
};

// What Store::Verify found. Read failures are errors of Verify itself; a
// report holds the disagreements between records, indexes, log and
// counters.
struct VerifyReport {
  // What the scan counted.
  int64_t entities = 0;
  int64_t sources = 0;
  int64_t facts = 0;
  int64_t retracted_facts = 0;
  int64_t index_entries = 0;  // actor_time, dyad_time and type_time together
  int64_t alias_entries = 0;
  int64_t log_entries = 0;
  // The first VerifyOptions::max_problems disagreements, in the order found,
  // each naming the record, index entry, log entry or counter at fault.
  std::vector<std::string> problems;
  // All of them, listed or not.
  int64_t problem_count = 0;
  bool consistent() const { return problem_count == 0; }
};

struct VerifyOptions {
  // Disagreements listed in the report (all are counted). Default: 20.
  size_t max_problems = 20;
};

// What Store::Checkpoint wrote.
struct CheckpointInfo {
  std::string dir;
  // The checkpoint's counts (read back from it, not from the live store, so
  // they are those of the moment it was taken); disk_bytes is the size of
  // its files and create_time that of the database it copies.
  StoreStats stats;
  // The log sequence of the last mutation the checkpoint holds.
  uint64_t log_sequence = 0;
};

class Store {
 public:
  // Opens (or creates) the database in directory `path`. Fails with
  // FAILED_PRECONDITION when the directory holds something that is not an
  // Entente database, a database of another schema version, or one locked
  // by another process; the directory is left untouched in those cases.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options = {});

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  // Flushes and closes the database.
  ~Store();

  // True when Open created the database (it held nothing before, or only
  // a creation that was never finished).
  bool created() const;
  // What Open did to bring an older database to kSchemaVersion, for the
  // log ("upgraded from schema version 1 to 2: ..."); empty when nothing.
  const std::string& upgrade_report() const;
  // Marks the database this Open created as made (see
  // StoreOptions::finish_creation_on_open): from now on a crash leaves it
  // as it is. Does nothing for a database made before.
  absl::Status FinishCreation();
  // When this database was created: it tells one database from another.
  absl::Time create_time() const;
  const std::string& path() const;

  // The single write path. Validates `mutation` whole (INVALID_ARGUMENT
  // naming the field, or NOT_FOUND for a fact to retract that does not
  // exist) and applies it atomically; on error nothing is written.
  // The mutation's record_time is set from the clock when unset.
  absl::StatusOr<ApplyResult> Apply(v1::Mutation mutation);
  // The same, from a serialized v1::Mutation (the form a replicated log
  // carries).
  absl::StatusOr<ApplyResult> ApplySerialized(absl::string_view bytes);
  // Applies `mutations` in order under one lock and writes all their changes
  // in one WriteBatch: the same validation and effects as calling Apply on
  // each, faster for bulk loads. Each mutation is validated whole against
  // the store as the mutations before it in the batch leave it (a fact may
  // name an entity created earlier in the batch) and is all-or-nothing: a
  // mutation that fails changes nothing and the others still apply — unless
  // `stop_at_first_error`, when every later mutation gets ABORTED and is not
  // applied. One result per mutation, in order. Should the batch not be
  // written, every mutation that would have changed the store gets that
  // error and nothing is written. The apply listener sees each changed
  // mutation after the write.
  std::vector<absl::StatusOr<ApplyResult>> ApplyBatch(std::vector<v1::Mutation> mutations,
                                                      bool stop_at_first_error = false);

  // Convenience wrappers that build a mutation and apply it.
  absl::StatusOr<ApplyResult> UpsertEntity(const v1::Entity& entity);
  absl::StatusOr<ApplyResult> UpsertSource(const v1::Source& source);
  absl::StatusOr<ApplyResult> RecordFact(const v1::Fact& fact);
  absl::StatusOr<ApplyResult> RetractFact(absl::string_view fact_id, absl::string_view reason);

  // NOT_FOUND when absent; INVALID_ARGUMENT for a malformed id.
  absl::StatusOr<v1::Entity> GetEntity(absl::string_view id) const;
  absl::StatusOr<v1::Source> GetSource(absl::string_view id) const;
  absl::StatusOr<v1::FactRecord> GetFact(absl::string_view id) const;
  // Many facts in one batched read, in the order of `ids`; NOT_FOUND names
  // the first missing id.
  absl::StatusOr<std::vector<v1::FactRecord>> GetFacts(const std::vector<std::string>& ids) const;
  // GetFacts without parsing: each record as stored, a serialized
  // v1::FactRecord, for answers that pass records on unchanged.
  absl::StatusOr<std::vector<std::string>> GetSerializedFacts(
      const std::vector<std::string>& ids) const;
  // Many entities in one batched read, in the order of `ids`; nullopt for an
  // id that names no entity.
  absl::StatusOr<std::vector<std::optional<v1::Entity>>> GetEntities(
      const std::vector<std::string>& ids) const;

  // Exact matches of the normalized text on ids, names and aliases; when
  // there are none, prefix matches. At most `limit` distinct entities.
  absl::StatusOr<std::vector<NameMatch>> Resolve(absl::string_view text, size_t limit) const;

  // Facts of one entity or pair overlapping a window, ordered by the first
  // day of their valid time, then id.
  absl::StatusOr<FactPage> ListFacts(const FactQuery& query) const;

  // Calls `visit` for every stored fact record in id order until it returns
  // false. For building in-memory projections and for checks.
  absl::Status ForEachFact(const std::function<bool(const v1::FactRecord&)>& visit) const;
  absl::Status ForEachEntity(const std::function<bool(const v1::Entity&)>& visit) const;
  // The sequence number of the last logged mutation (0: none). Every
  // applied mutation is logged under the next number.
  uint64_t LogSequence() const;
  // Calls visit(sequence, mutation) for the logged mutations after
  // `after_sequence`, in order, until it returns false. A logged fact carries
  // the content its writer gave (Store::FactIdOf gives its id).
  absl::Status ForEachLogEntry(
      uint64_t after_sequence,
      const std::function<bool(uint64_t, const v1::Mutation&)>& visit) const;

  StoreStats Stats() const;

  // Checks that the store agrees with itself, reading one consistent
  // snapshot (writes may go on): every fact record is stored under its
  // content-derived id, names stored entities and source, and has exactly
  // its actor, dyad and type index entries and one log entry (one more for
  // a retraction); no index or alias entry points to a missing or different
  // record; every entity has its alias entries; the log runs 1..N without
  // gaps; and every counter equals what the scan counts. Reads everything:
  // time and I/O grow with the database, and memory by some 150 bytes per
  // fact. Errors only when the database cannot be read.
  absl::StatusOr<VerifyReport> Verify(const VerifyOptions& options = {}) const;

  // Writes a consistent copy of the database as it is at one moment into
  // the new directory `dir` (a RocksDB checkpoint: table files hard-linked
  // when `dir` is on the same filesystem, copied otherwise; the rest
  // copied), while writes go on. `dir` must not exist (ALREADY_EXISTS) and
  // its parent must (FAILED_PRECONDITION); both name the path. Open the
  // copy with Store::Open, or restore it with RestoreCheckpoint. The graph
  // image is not copied (it is a cache, rebuilt from the facts).
  absl::StatusOr<CheckpointInfo> Checkpoint(const std::string& dir) const;

  // Copies the checkpoint `checkpoint_dir` into `path`, which must be
  // absent or an empty directory (FAILED_PRECONDITION otherwise, naming
  // it), syncing every file, and returns the checkpoint's counts. Fails with
  // FAILED_PRECONDITION, copying nothing, when `checkpoint_dir` holds no
  // Entente database of this schema version. A copy cut short leaves no
  // CURRENT file, so Open refuses it rather than serving half a database.
  static absl::StatusOr<CheckpointInfo> RestoreCheckpoint(const std::string& checkpoint_dir,
                                                          const std::string& path);

  // Called after every mutation that changed the store, in apply order, on
  // the writing thread and under the write lock (keep it short). Lets an
  // in-memory projection such as the graph follow every write, whatever
  // path it came by. Set once, before writes start.
  using ApplyListener = std::function<void(const v1::Mutation&, const ApplyResult&)>;
  void SetApplyListener(ApplyListener listener);

  // The content-derived id a fact would get (after canonical ordering).
  static std::string FactIdOf(const v1::Fact& fact);

 private:
  friend class FactLoader;
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_STORE_H_
