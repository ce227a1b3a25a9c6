#include "storage/fact_loader.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "storage/internal/store_impl.h"
#include "storage/keys.h"
#include "storage/validate.h"

namespace entente::storage {
namespace {

namespace fs = std::filesystem;

void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// One length-delimited field of a protobuf message in wire format. Messages
// are concatenations of their fields, so a FactRecord or a Mutation around an
// already serialized fact is built without parsing or copying it as a
// message.
void AppendField(std::string* out, int field_number, absl::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(field_number) << 3) | 2);  // wire type LEN
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

// Field numbers in proto/entente/v1/fact.proto and mutation.proto.
constexpr int kRecordFactField = 1;        // FactRecord.fact
constexpr int kRecordTimeField = 2;        // FactRecord.record_time
constexpr int kMutationTimeField = 1;      // Mutation.record_time
constexpr int kMutationFactField = 4;      // Mutation.record_fact

// The first eight bytes of `bytes` as a big-endian number: comparing two of
// them orders as memcmp does on those bytes.
uint64_t Head64(absl::string_view bytes) {
  uint64_t head = 0;
  for (size_t i = 0; i < 8; ++i) {
    head = (head << 8) | (i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : 0);
  }
  return head;
}

// A time-index key is a prefix (entity, pair or type) followed by a span
// class (1 byte), a day (4 bytes, big-endian) and a fact id (see keys.h).
constexpr size_t kTimeKeySuffixBytes = 1 + 4 + keys::kFactIdBytes;

// Where a time-index entry goes in key order: the rank of its prefix among
// the run's prefixes, then class and day, then the fact id. Sorting these
// compares integers where sorting the keys would compare long shared
// prefixes byte by byte.
struct IndexOrder {
  uint64_t prefix_class_day;  // rank << 40 | class << 32 | day
  uint64_t id_head;
  uint32_t entry;
  bool operator<(const IndexOrder& other) const {
    if (prefix_class_day != other.prefix_class_day) {
      return prefix_class_day < other.prefix_class_day;
    }
    if (id_head != other.id_head) return id_head < other.id_head;
    return entry < other.entry;  // ids equal in their first 8 bytes: settled by the caller
  }
};

// Writes one column family's entries of a run, in key order, to an SST file.
class RunFile {
 public:
  RunFile(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, std::string path)
      : path_(std::move(path)), writer_(rocksdb::EnvOptions(), FileOptions(db, family), family) {}

  absl::Status Put(absl::string_view key, absl::string_view value) {
    if (!opened_) {
      if (auto s = writer_.Open(path_); !s.ok()) return FromRocks(s, "creating a bulk-load file");
      opened_ = true;
    }
    return FromRocks(writer_.Put(rocksdb::Slice(key.data(), key.size()),
                                 rocksdb::Slice(value.data(), value.size())),
                     "writing a bulk-load file");
  }
  // False when nothing was written (RocksDB cannot finish an empty file).
  absl::StatusOr<bool> Finish() {
    if (!opened_) return false;
    if (auto s = writer_.Finish(); !s.ok()) return FromRocks(s, "finishing a bulk-load file");
    return true;
  }
  const std::string& path() const { return path_; }

 private:
  // The family's options, but uncompressed: compaction compresses the data
  // when it merges the run into the levels below, so compressing it here
  // would be done twice.
  static rocksdb::Options FileOptions(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
    rocksdb::Options options(db->GetDBOptions(), db->GetOptions(family));
    options.compression = rocksdb::kNoCompression;
    return options;
  }

  std::string path_;
  rocksdb::SstFileWriter writer_;
  bool opened_ = false;
};

}  // namespace

struct FactLoader::Buffered {
  std::array<char, keys::kFactIdBytes> id;
  uint32_t fact_offset;
  uint32_t fact_size;
  uint32_t index_begin;  // this fact's entries in Run::index
  uint32_t index_end;
  v1::FactType type;
};

struct FactLoader::IndexEntry {
  Family family;
  uint32_t key_offset;  // into Run::index_bytes; the value follows the key
  uint32_t key_size;
  uint32_t value_size;
};

FactLoader::FactLoader(Store& store, FactLoaderOptions options)
    : store_(*store.impl_),
      options_(options),
      directory_((fs::path(store_.path_) / kBulkLoadDirectory).string()) {}

FactLoader::~FactLoader() {
  if (writer_.valid()) writer_.wait();
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

absl::Status FactLoader::Add(v1::Fact fact) {
  if (!error_.ok()) return error_;
  {
    std::lock_guard lock(store_.write_mu_);
    if (auto s = store_.CheckFact(fact); !s.ok()) return s;
  }
  Canonicalize(&fact);
  const std::string binary_id = BinaryFactId(fact);
  fact.set_id(keys::FactIdToText(binary_id));

  Buffered buffered;
  std::copy(binary_id.begin(), binary_id.end(), buffered.id.begin());
  buffered.type = fact.type();
  buffered.fact_offset = static_cast<uint32_t>(buffer_.fact_bytes.size());
  fact.AppendToString(&buffer_.fact_bytes);
  buffered.fact_size = static_cast<uint32_t>(buffer_.fact_bytes.size() - buffered.fact_offset);
  buffered.index_begin = static_cast<uint32_t>(buffer_.index.size());
  ForEachIndexEntry(fact, binary_id,
                    [this](Family family, std::string key, const std::string& value) {
                      buffer_.index.push_back({family, static_cast<uint32_t>(buffer_.index_bytes.size()),
                                        static_cast<uint32_t>(key.size()),
                                        static_cast<uint32_t>(value.size())});
                      buffer_.index_bytes.append(key);
                      buffer_.index_bytes.append(value);
                    });
  buffered.index_end = static_cast<uint32_t>(buffer_.index.size());
  buffer_.facts.push_back(buffered);

  const size_t buffered_bytes = buffer_.fact_bytes.size() + buffer_.index_bytes.size() +
                                buffer_.facts.size() * sizeof(Buffered) +
                                buffer_.index.size() * sizeof(IndexEntry);
  if (buffered_bytes >= options_.run_bytes) return StartRun();
  return absl::OkStatus();
}

absl::Status FactLoader::StartRun() {
  if (auto s = WaitForRun(); !s.ok()) return s;
  if (buffer_.facts.empty()) return absl::OkStatus();
  writing_ = std::move(buffer_);
  buffer_ = Run();
  writer_ = std::async(std::launch::async, [this] { return WriteRun(writing_); });
  return absl::OkStatus();
}

absl::Status FactLoader::WaitForRun() {
  if (!writer_.valid()) return error_;
  absl::Status status = writer_.get();
  writing_ = Run();
  // A run that failed is not retried, and nothing after it is written.
  if (!status.ok() && error_.ok()) error_ = status;
  return error_;
}

absl::Status FactLoader::Flush() {
  if (auto s = StartRun(); !s.ok()) return s;
  return WaitForRun();
}

absl::Status FactLoader::WriteRun(Run& run) {
  auto id_view = [](const Buffered& f) { return absl::string_view(f.id.data(), f.id.size()); };
  auto fact_view = [&run](const Buffered& f) {
    return absl::string_view(run.fact_bytes).substr(f.fact_offset, f.fact_size);
  };

  Store::Impl& store = store_;
  std::unique_lock lock(store.write_mu_);

  // Which facts are new: the first of each id in the run, and not stored.
  std::vector<uint32_t> by_id(run.facts.size());
  std::iota(by_id.begin(), by_id.end(), 0);
  {
    std::vector<std::pair<uint64_t, uint32_t>> heads(run.facts.size());
    for (uint32_t i = 0; i < heads.size(); ++i) heads[i] = {Head64(id_view(run.facts[i])), i};
    std::sort(heads.begin(), heads.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      const int c = id_view(run.facts[a.second]).compare(id_view(run.facts[b.second]));
      return c != 0 ? c < 0 : a.second < b.second;
    });
    for (uint32_t i = 0; i < heads.size(); ++i) by_id[i] = heads[i].second;
  }
  std::vector<bool> keep(run.facts.size(), false);
  std::vector<uint32_t> candidates;  // in id order
  for (size_t i = 0; i < by_id.size(); ++i) {
    if (i > 0 && id_view(run.facts[by_id[i]]) == id_view(run.facts[by_id[i - 1]])) continue;
    candidates.push_back(by_id[i]);
  }
  constexpr size_t kLookupChunk = 4096;
  std::vector<rocksdb::Slice> lookup_keys;
  std::vector<rocksdb::PinnableSlice> values(kLookupChunk);
  std::vector<rocksdb::Status> statuses(kLookupChunk);
  for (size_t begin = 0; begin < candidates.size(); begin += kLookupChunk) {
    const size_t n = std::min(kLookupChunk, candidates.size() - begin);
    lookup_keys.clear();
    for (size_t i = 0; i < n; ++i) {
      const auto id = id_view(run.facts[candidates[begin + i]]);
      lookup_keys.emplace_back(id.data(), id.size());
    }
    store.db_->MultiGet(rocksdb::ReadOptions(), store.cf(kFacts), n, lookup_keys.data(),
                        values.data(), statuses.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < n; ++i) {
      values[i].Reset();
      if (statuses[i].IsNotFound()) {
        keep[candidates[begin + i]] = true;
      } else if (!statuses[i].ok()) {
        return FromRocks(statuses[i], "checking for stored facts");
      }
    }
  }
  int64_t kept = 0;
  for (bool k : keep) kept += k;
  const int64_t repeated = static_cast<int64_t>(run.facts.size()) - kept;
  if (kept == 0) {
    unchanged_ += repeated;
    return absl::OkStatus();
  }

  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", directory_, ": ", ec.message()));
  const std::string run_prefix = absl::StrCat(directory_, "/run", runs_, "-");
  std::vector<std::unique_ptr<RunFile>> files(kFamilyCount);
  auto file = [&](Family family) -> RunFile& {
    if (!files[family]) {
      files[family] = std::make_unique<RunFile>(
          store.db_, store.cf(family), absl::StrCat(run_prefix, kFamilyNames[family], ".sst"));
    }
    return *files[family];
  };
  struct RemoveFiles {
    std::vector<std::unique_ptr<RunFile>>& files;
    ~RemoveFiles() {
      std::error_code ignored;
      for (const auto& f : files) {
        if (f) fs::remove(f->path(), ignored);
      }
    }
  } remove_files{files};

  const google::protobuf::Timestamp record_time = ToTimestamp(store.options_.clock());
  const std::string time_bytes = record_time.SerializeAsString();
  std::string value;

  // Facts, in id order.
  for (uint32_t i : candidates) {
    if (!keep[i]) continue;
    value.clear();
    AppendField(&value, kRecordFactField, fact_view(run.facts[i]));
    AppendField(&value, kRecordTimeField, time_bytes);
    if (auto s = file(kFacts).Put(id_view(run.facts[i]), value); !s.ok()) return s;
  }

  // Log entries, in the order the facts were added.
  std::map<std::string, int64_t> counters;
  {
    std::lock_guard counters_lock(store.counters_mu_);
    counters = store.counters_;
  }
  int64_t& log_sequence = counters["log_sequence"];
  for (size_t i = 0; i < run.facts.size(); ++i) {
    if (!keep[i]) continue;
    value.clear();
    AppendField(&value, kMutationTimeField, time_bytes);
    AppendField(&value, kMutationFactField, fact_view(run.facts[i]));
    std::string key;
    keys::AppendUint64(&key, static_cast<uint64_t>(++log_sequence));
    if (auto s = file(kLog).Put(key, value); !s.ok()) return s;
    counters["facts"] += 1;
    counters[absl::StrCat("type/", run.facts[i].type)] += 1;
  }

  // Time-index entries, per family in key order.
  auto key_of = [&run](uint32_t e) {
    return absl::string_view(run.index_bytes).substr(run.index[e].key_offset, run.index[e].key_size);
  };
  for (Family family : {kActorTime, kDyadTime, kTypeTime}) {
    std::vector<uint32_t> entries;
    for (size_t i = 0; i < run.facts.size(); ++i) {
      if (!keep[i]) continue;
      for (uint32_t e = run.facts[i].index_begin; e < run.facts[i].index_end; ++e) {
        if (run.index[e].family == family) entries.push_back(e);
      }
    }
    // Rank the distinct prefixes.
    absl::flat_hash_map<absl::string_view, uint32_t> prefix_rank;
    for (uint32_t e : entries) {
      const absl::string_view key = key_of(e);
      prefix_rank.try_emplace(key.substr(0, key.size() - kTimeKeySuffixBytes), 0);
    }
    std::vector<absl::string_view> prefixes;
    prefixes.reserve(prefix_rank.size());
    for (const auto& [prefix, rank] : prefix_rank) prefixes.push_back(prefix);
    std::sort(prefixes.begin(), prefixes.end());
    for (uint32_t r = 0; r < prefixes.size(); ++r) prefix_rank[prefixes[r]] = r;

    std::vector<IndexOrder> order;
    order.reserve(entries.size());
    for (uint32_t e : entries) {
      const absl::string_view key = key_of(e);
      const size_t prefix_size = key.size() - kTimeKeySuffixBytes;
      const absl::string_view suffix = key.substr(prefix_size);
      const uint64_t class_day = Head64(suffix) >> 24;  // the class byte and 4 day bytes
      order.push_back({static_cast<uint64_t>(prefix_rank[key.substr(0, prefix_size)]) << 40 |
                           class_day,
                       Head64(suffix.substr(5)), e});
    }
    std::sort(order.begin(), order.end(), [&](const IndexOrder& a, const IndexOrder& b) {
      if (a.prefix_class_day == b.prefix_class_day && a.id_head == b.id_head) {
        if (const int c = key_of(a.entry).compare(key_of(b.entry)); c != 0) return c < 0;
      }
      return a < b;
    });
    for (const IndexOrder& o : order) {
      const IndexEntry& entry = run.index[o.entry];
      const absl::string_view entry_value = absl::string_view(run.index_bytes).substr(
          entry.key_offset + entry.key_size, entry.value_size);
      if (auto s = file(family).Put(key_of(o.entry), entry_value); !s.ok()) return s;
    }
  }

  // The counters the run changes, with their new values.
  std::vector<std::pair<std::string, std::string>> counter_records;
  for (const auto& [name, count] : counters) {
    counter_records.emplace_back(keys::CounterKey(name), EncodeCounter(count));
  }
  std::sort(counter_records.begin(), counter_records.end());
  for (const auto& [key, encoded] : counter_records) {
    if (auto s = file(kMeta).Put(key, encoded); !s.ok()) return s;
  }

  std::vector<rocksdb::IngestExternalFileArg> ingest;
  for (int f = 0; f < kFamilyCount; ++f) {
    if (!files[f]) continue;
    auto finished = files[f]->Finish();
    if (!finished.ok()) return finished.status();
    if (!*finished) continue;
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = store.cf(static_cast<Family>(f));
    arg.external_files = {files[f]->path()};
    arg.options.move_files = true;
    ingest.push_back(std::move(arg));
  }
  // An ingested run is durable once RocksDB records it (the files and the
  // directory are synced first), whatever sync_writes says; the writes it
  // builds on — the entities its facts name, the counters its values
  // continue — may still be unsynced in the write-ahead log. Sync the log
  // first, so that a power loss cannot keep the run and lose what is under
  // it: the store always recovers to a prefix of its writes.
  if (!store.options_.sync_writes) {
    if (auto s = store.db_->SyncWAL(); !s.ok()) {
      return FromRocks(s, "syncing the write-ahead log before a bulk-load run");
    }
  }
  if (auto s = store.db_->IngestExternalFiles(ingest); !s.ok()) {
    return FromRocks(s, "ingesting a bulk-load run");
  }
  {
    std::lock_guard counters_lock(store.counters_mu_);
    store.counters_ = std::move(counters);
  }
  created_ += kept;
  unchanged_ += repeated;
  ++runs_;

  // Under the write lock, as the apply path calls it: in write order.
  if (store.listener_) {
    v1::Mutation mutation;
    *mutation.mutable_record_time() = record_time;
    ApplyResult result;
    result.changed = true;
    result.created = true;
    for (size_t i = 0; i < run.facts.size(); ++i) {
      if (!keep[i]) continue;
      const absl::string_view bytes = fact_view(run.facts[i]);
      v1::Fact* fact = mutation.mutable_record_fact();
      if (!fact->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return absl::InternalError("a buffered fact cannot be parsed");
      }
      result.id = fact->id();
      *result.fact.mutable_fact() = *fact;
      *result.fact.mutable_record_time() = record_time;
      store.listener_(mutation, result);
    }
  }
  return absl::OkStatus();
}

}  // namespace entente::storage
