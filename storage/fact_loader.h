// Bulk loading of facts: the fast way to add millions of them.
//
// A FactLoader validates each fact exactly as Store::RecordFact does, buffers
// it, and writes a run of buffered facts as sorted SST files (the facts, their
// log entries, their time-index entries and the counters) that RocksDB ingests
// in one atomic step across column families. No memtable, no write-ahead log:
// a run is durable once ingested, and a reader sees all of it or none of it.
// Facts the store already holds (or that repeat within the run) are counted as
// unchanged and written nowhere, so loading the same file twice adds nothing.
//
// Use it for imports; single facts and entity or source changes go through
// Store::Apply. Runs are serialized with the store's other writes, and the
// store's apply listener is told of every fact a run adds, after it is
// visible, so a live graph stays current.
#ifndef ENTENTE_STORAGE_FACT_LOADER_H_
#define ENTENTE_STORAGE_FACT_LOADER_H_

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "entente/v1/fact.pb.h"
#include "storage/store.h"

namespace entente::storage {

struct FactLoaderOptions {
  // Buffered bytes (facts and their index entries) at which Add writes a
  // run. Larger runs mean fewer, larger files. Default: 128 MiB.
  size_t run_bytes = 128 << 20;
};

class FactLoader {
 public:
  explicit FactLoader(Store& store, FactLoaderOptions options = {});
  // Facts added since the last Flush are dropped.
  ~FactLoader();
  FactLoader(const FactLoader&) = delete;
  FactLoader& operator=(const FactLoader&) = delete;

  // Validates `fact` (INVALID_ARGUMENT naming the field, as RecordFact) and
  // buffers it; a full buffer is written as a run by a second thread while
  // the next fills. Any other error means a run could not be written: none
  // of it is stored, and the loader stores nothing more.
  absl::Status Add(v1::Fact fact);
  // Writes the buffered facts as one run and waits for every run.
  absl::Status Flush();

  // Facts written, and facts that were already stored or repeated, by the
  // runs so far (complete after Flush).
  int64_t created() const { return created_; }
  int64_t unchanged() const { return unchanged_; }
  // Runs written so far.
  int64_t runs() const { return runs_; }

 private:
  struct Buffered;
  struct IndexEntry;
  // A run: canonical facts serialized back to back, and their index
  // entries' keys and values in one byte buffer.
  struct Run {
    std::vector<Buffered> facts;
    std::string fact_bytes;
    std::vector<IndexEntry> index;
    std::string index_bytes;
  };

  // Hands the buffer to the writer thread (after the run before it is
  // written), so that the next run is buffered while this one is written.
  absl::Status StartRun();
  absl::Status WaitForRun();
  // Sorts, writes and ingests one run (on the writer thread).
  absl::Status WriteRun(Run& run);

  Store::Impl& store_;
  FactLoaderOptions options_;
  std::string directory_;  // where a run's files are written before ingestion

  Run buffer_;              // being filled by Add
  Run writing_;             // being written by writer_
  std::future<absl::Status> writer_;
  absl::Status error_;      // the first failed run; ends the load

  int64_t created_ = 0;
  int64_t unchanged_ = 0;
  int64_t runs_ = 0;
};

}  // namespace entente::storage

#endif  // ENTENTE_STORAGE_FACT_LOADER_H_
