// Store::Checkpoint copies a database consistently while a writer goes on,
// and Store::RestoreCheckpoint puts the copy back into a new directory with
// the counts the checkpoint reported.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "storage/internal/test_store.h"
#include "storage/store.h"

namespace entente::storage {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    testing::FillStore(*store_);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(CheckpointTest, ACheckpointTakenDuringWritesRestoresToItsCounts) {
  std::atomic<bool> stop = false;
  std::atomic<int> written = 0;
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      auto result = store_->RecordFact(
          testing::Visit("IRN", "CHN", 2010, 1 + i % 12, 1, absl::StrCat("during ", i)));
      ASSERT_TRUE(result.ok()) << result.status();
      ++written;
    }
  });
  while (written < 100) std::this_thread::yield();
  const std::string backup = dir_.path() + "/backup";
  auto info = store_->Checkpoint(backup);
  while (written < 200) std::this_thread::yield();
  stop = true;
  writer.join();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dir, backup);
  EXPECT_GE(info->stats.facts, 150);
  EXPECT_LT(info->stats.facts, store_->Stats().facts);
  EXPECT_EQ(info->stats.create_time, store_->create_time());
  EXPECT_FALSE(fs::exists(backup + "/graph.image"));

  // A graph image beside the checkpoint (copied there by hand) stays out.
  std::ofstream(backup + "/graph.image") << "stale";
  const std::string restored_path = dir_.path() + "/restored";
  auto restored = Store::RestoreCheckpoint(backup, restored_path);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->stats.facts, info->stats.facts);
  EXPECT_EQ(restored->log_sequence, info->log_sequence);
  EXPECT_FALSE(fs::exists(restored_path + "/graph.image"));

  StoreOptions existing;
  existing.create_if_missing = false;
  auto copy = Store::Open(restored_path, existing);
  ASSERT_TRUE(copy.ok()) << copy.status();
  const StoreStats stats = (*copy)->Stats();
  EXPECT_EQ(stats.entities, info->stats.entities);
  EXPECT_EQ(stats.sources, info->stats.sources);
  EXPECT_EQ(stats.facts, info->stats.facts);
  EXPECT_EQ(stats.retracted_facts, info->stats.retracted_facts);
  EXPECT_EQ(stats.facts_by_type, info->stats.facts_by_type);
  EXPECT_EQ(stats.entities_by_kind, info->stats.entities_by_kind);
  EXPECT_EQ((*copy)->LogSequence(), info->log_sequence);
  auto report = (*copy)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->consistent()) << absl::StrJoin(report->problems, "\n");
  // Every fact of the copy is the original's, byte for byte.
  int64_t compared = 0;
  ASSERT_TRUE((*copy)
                  ->ForEachFact([&](const v1::FactRecord& record) {
                    auto original = store_->GetFact(record.fact().id());
                    EXPECT_TRUE(original.ok()) << record.fact().id();
                    if (original.ok()) {
                      EXPECT_EQ(original->SerializeAsString(), record.SerializeAsString());
                    }
                    ++compared;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(compared, info->stats.facts);
}

TEST_F(CheckpointTest, ACheckpointNeedsANewDirectoryInAnExistingOne) {
  const std::string taken = dir_.path() + "/taken";
  fs::create_directories(taken);
  auto info = store_->Checkpoint(taken);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(info.status().message(), taken + " already exists"))
      << info.status();
  info = store_->Checkpoint(dir_.path() + "/no/such/parent/backup");
  EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(info.status().message(), dir_.path() + "/no/such/parent"))
      << info.status();
  // A trailing slash names the same directory.
  info = store_->Checkpoint(dir_.path() + "/backup/");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dir, dir_.path() + "/backup");
}

// Found by fuzz_requests (AdminService.Backup): a NUL byte cut the path
// short for the file system, and RocksDB failed with an I/O error, which the
// service answered as INTERNAL.
TEST_F(CheckpointTest, ADirectoryWithANulByteIsRefusedAndNothingIsWritten) {
  const std::string dir = dir_.path() + "/bac" + std::string("\x03\0\0\0" "1", 5);
  auto info = store_->Checkpoint(dir);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << info.status();
  EXPECT_TRUE(absl::StartsWith(info.status().message(), "dir: ")) << info.status();
  EXPECT_FALSE(fs::exists(dir_.path() + "/bac\x03"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/bac\x03.tmp"));
}

TEST_F(CheckpointTest, RestoreRefusesANonEmptyTargetAndASourceWithoutDatabase) {
  const std::string backup = dir_.path() + "/backup";
  ASSERT_TRUE(store_->Checkpoint(backup).ok());
  const std::string target = dir_.path() + "/target";
  fs::create_directories(target);
  std::ofstream(target + "/notes.txt") << "keep me";
  auto restored = Store::RestoreCheckpoint(backup, target);
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(restored.status().message(), target + " is not an empty"))
      << restored.status();
  EXPECT_EQ(std::distance(fs::directory_iterator(target), fs::directory_iterator()), 1);

  restored = Store::RestoreCheckpoint(target, dir_.path() + "/other");
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(restored.status().message(), "holds no database"))
      << restored.status();
  EXPECT_FALSE(fs::exists(dir_.path() + "/other"));

  // An existing empty directory is fine.
  fs::create_directories(dir_.path() + "/empty");
  restored = Store::RestoreCheckpoint(backup, dir_.path() + "/empty");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->stats.facts, 50);
}

}  // namespace
}  // namespace entente::storage
