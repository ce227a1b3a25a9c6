// Store::Checkpoint and Store::RestoreCheckpoint: consistent copies of a
// database for backups (RocksDB checkpoints), and putting one back.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/checkpoint.h"
#include "storage/internal/store_impl.h"
#include "storage/keys.h"

namespace entente::storage {
namespace {

namespace fs = std::filesystem;

// `path` without a trailing separator ("/backups/x/" -> "/backups/x"), so
// that its parent is the directory that holds it.
fs::path Normal(const std::string& path) {
  fs::path normal = fs::path(path).lexically_normal();
  if (normal.has_parent_path() && normal.filename().empty()) normal = normal.parent_path();
  return normal;
}

// The counts of the database at `path`, opened read-only (its write-ahead
// log is replayed in memory, nothing is written).
absl::StatusOr<CheckpointInfo> ReadCheckpoint(const std::string& path) {
  // Writes no info log into the checkpoint: it stays as RocksDB made it.
  class QuietLogger : public rocksdb::Logger {
   public:
    using rocksdb::Logger::Logv;
    void Logv(const char*, va_list) override {}
  };
  rocksdb::Options options;
  options.info_log = std::make_shared<QuietLogger>();
  rocksdb::DB* raw = nullptr;
  // The schema record and the counters are in the default family; a
  // read-only open may leave the others closed.
  auto s = rocksdb::DB::OpenForReadOnly(options, path, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening the checkpoint ", path));
  std::unique_ptr<rocksdb::DB> db(raw);
  CheckpointInfo info;
  info.dir = path;
  std::string value;
  v1::SchemaInfo schema;
  s = db->Get(rocksdb::ReadOptions(), std::string(keys::kSchemaKey), &value);
  if (!s.ok() || !schema.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat(path, ": the schema record cannot be read"));
  }
  info.stats.schema_version = schema.version();
  info.stats.create_time = FromTimestamp(schema.create_time());
  const std::string prefix = keys::CounterKey("");
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 8) return absl::DataLossError("a counter record is malformed");
    const std::string name = it->key().ToString().substr(prefix.size());
    const auto count = static_cast<int64_t>(
        keys::DecodeUint64(absl::string_view(it->value().data(), it->value().size())));
    if (name == "log_sequence") info.log_sequence = static_cast<uint64_t>(count);
    AddCounterToStats(name, count, &info.stats);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the checkpoint's counters");
  info.stats.disk_bytes = DirectoryBytes(path);
  return info;
}

// What a restore leaves out: RocksDB's lock and info logs (the restored
// database gets its own) and the graph image, a cache that belongs to the
// database it was saved from.
bool LeftOut(const std::string& name) {
  return name == "LOCK" || absl::StartsWith(name, "LOG") || name == "graph.image" ||
         name == kCreatingMarker;
}

}  // namespace

absl::Status SyncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("opening ", path.string(), " to sync it: ", std::strerror(errno)));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("syncing ", path.string(), ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<CheckpointInfo> Store::Impl::Checkpoint(const std::string& dir) const {
  if (dir.empty()) return absl::InvalidArgumentError("dir: is empty");
  // The file system would read the path only up to the NUL, and RocksDB
  // would fail half-way with an I/O error.
  if (dir.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("dir: contains a NUL byte, which no path may hold");
  }
  const fs::path target = Normal(dir);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "dir: ", target.string(), " already exists; a checkpoint goes into a new directory"));
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dir: ", parent.string(), " is not a directory; the checkpoint's parent must exist"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (auto s = rocksdb::Checkpoint::Create(db_, &raw); !s.ok()) {
    return FromRocks(s, "starting a checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so that the copy holds
  // table files and only the write-ahead log written since.
  if (auto s = checkpoint->CreateCheckpoint(target.string(), 0); !s.ok()) {
    return FromRocks(s, absl::StrCat("creating the checkpoint ", target.string()));
  }
  // RocksDB syncs the checkpoint's files and directory; its name in the
  // parent is ours to make durable.
  if (auto s = SyncPath(parent, true); !s.ok()) return s;
  return ReadCheckpoint(target.string());
}

absl::StatusOr<CheckpointInfo> Store::RestoreCheckpoint(const std::string& checkpoint_dir,
                                                         const std::string& path) {
  const fs::path from = Normal(checkpoint_dir);
  const fs::path to = Normal(path);
  std::error_code ec;
  if (!fs::exists(from / "CURRENT", ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(from.string(), " holds no database (no CURRENT file); nothing was restored"));
  }
  Impl probe(from.string(), {});
  if (auto s = probe.CheckExisting(); !s.ok()) return s;
  const bool existed = fs::exists(to, ec);
  if (existed && (!fs::is_directory(to, ec) || !fs::is_empty(to, ec))) {
    return absl::FailedPreconditionError(absl::StrCat(
        to.string(), " is not an empty directory; a restore goes into a new or empty one"));
  }
  if (!existed) {
    fs::create_directories(to, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", to.string(), ": ", ec.message()));
    }
  }
  // CURRENT, which names the database's MANIFEST, goes last: a copy cut
  // short has none, and Store::Open refuses such a directory instead of
  // opening half a database.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || LeftOut(name) || name == "CURRENT") continue;
    files.push_back(entry.path());
  }
  if (ec) return absl::InternalError(absl::StrCat("listing ", from.string(), ": ", ec.message()));
  auto copy = [&](const fs::path& file) -> absl::Status {
    const fs::path copied = to / file.filename();
    if (!fs::copy_file(file, copied, ec) || ec) {
      return absl::InternalError(absl::StrCat("copying ", file.string(), " to ",
                                              copied.string(), ": ", ec.message()));
    }
    return SyncPath(copied, false);
  };
  for (const fs::path& file : files) {
    if (auto s = copy(file); !s.ok()) return s;
  }
  if (auto s = SyncPath(to, true); !s.ok()) return s;
  if (auto s = copy(from / "CURRENT"); !s.ok()) return s;
  if (auto s = SyncPath(to, true); !s.ok()) return s;
  if (!existed && to.has_parent_path()) {
    if (auto s = SyncPath(to.parent_path(), true); !s.ok()) return s;
  }
  return ReadCheckpoint(to.string());
}

}  // namespace entente::storage
