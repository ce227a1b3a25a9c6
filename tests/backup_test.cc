// Backups end to end: AdminService.Backup on a server that keeps taking
// writes, `entented --restore` into a new directory, a server on the
// restored database reporting the counts the backup reported, with the same
// facts byte for byte; and the errors, each naming what is wrong.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"

namespace entente::testing {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::MessageDifferencer;

v1::Fact Call(int serial) {
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_CALL);
  auto* p = fact.add_participants();
  p->set_entity_id("IRN");
  p->set_role(v1::PARTICIPANT_ROLE_SOURCE);
  p = fact.add_participants();
  p->set_entity_id("RUS");
  p->set_role(v1::PARTICIPANT_ROLE_TARGET);
  auto* start = fact.mutable_valid_time()->mutable_start();
  start->set_year(2000 + serial % 25);
  start->set_precision(v1::PRECISION_YEAR);
  fact.set_summary(absl::StrCat("backup test call ", serial));
  return fact;
}

std::map<std::string, int64_t> Sorted(const google::protobuf::Map<std::string, int64_t>& counts) {
  return {counts.begin(), counts.end()};
}

// The GetStats fields a restored database must reproduce.
void ExpectSameCounts(const v1::GetStatsResponse& got, const v1::GetStatsResponse& want) {
  EXPECT_EQ(got.entity_count(), want.entity_count());
  EXPECT_EQ(got.source_count(), want.source_count());
  EXPECT_EQ(got.fact_count(), want.fact_count());
  EXPECT_EQ(got.retracted_fact_count(), want.retracted_fact_count());
  EXPECT_EQ(Sorted(got.entities_by_kind()), Sorted(want.entities_by_kind()));
  EXPECT_EQ(Sorted(got.facts_by_type()), Sorted(want.facts_by_type()));
  EXPECT_EQ(got.schema_version(), want.schema_version());
  EXPECT_TRUE(MessageDifferencer::Equals(got.db_create_time(), want.db_create_time()));
}

TEST(BackupTest, ABackupTakenDuringWritesRestoresToItsCountsAndFacts) {
  TempDir dir;
  ServerProcess server(dir.path() + "/db");
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());

  std::atomic<bool> stop = false;
  std::atomic<int> written = 0;
  std::vector<std::string> ids;  // of the facts written, in order; read after join
  std::thread writer([&] {
    auto own = client::Client::Connect(server.address());
    for (int i = 0; !stop; ++i) {
      auto result = own->RecordFact(Call(i));
      ASSERT_TRUE(result.ok()) << result.status();
      ids.push_back(result->record().fact().id());
      ++written;
    }
  });
  while (written < 200) std::this_thread::yield();
  const std::string backup_dir = dir.path() + "/backup";
  auto backup = client->Backup(backup_dir);
  const int written_at_backup = written;
  while (written < written_at_backup + 200) std::this_thread::yield();
  stop = true;
  writer.join();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_EQ(backup->dir(), backup_dir);
  EXPECT_EQ(backup->stats().db_path(), backup_dir);
  EXPECT_GT(backup->stats().disk_bytes(), 0);
  EXPECT_GT(backup->log_sequence(), 0u);
  auto live = client->GetStats();
  ASSERT_TRUE(live.ok());
  // Writes went on during the backup: it holds some of them, not all.
  EXPECT_GT(live->fact_count(), backup->stats().fact_count());
  EXPECT_GE(backup->stats().fact_count(), live->fact_count() - static_cast<int64_t>(ids.size()) + 200);

  const std::string restored_db = dir.path() + "/restored";
  RunResult restore =
      RunEntented({"--restore", backup_dir, "--db", restored_db}, dir.path() + "/restore.log");
  ASSERT_EQ(restore.exit_status, 0) << restore.stderr_text << restore.stdout_text;
  EXPECT_TRUE(absl::StrContains(restore.stdout_text, restored_db + ": consistent: "))
      << restore.stdout_text;
  EXPECT_FALSE(absl::StrContains(restore.stderr_text, "listening")) << "a restore does not serve";

  ServerProcess copy(restored_db);
  ASSERT_TRUE(copy.ok()) << copy.log();
  EXPECT_TRUE(absl::StrContains(copy.log(), "(existing database)")) << copy.log();
  EXPECT_FALSE(absl::StrContains(copy.log(), "loaded the seed graph")) << copy.log();
  auto copy_client = client::Client::Connect(copy.address());
  auto restored = copy_client->GetStats();
  ASSERT_TRUE(restored.ok()) << restored.status();
  ExpectSameCounts(*restored, backup->stats());

  // A sample of the facts written, byte for byte where the backup has them;
  // the facts it holds are a prefix of the ones written.
  std::mt19937 rng(7);
  int present = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string& id = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
    auto original = client->GetFact(id);
    ASSERT_TRUE(original.ok()) << original.status();
    auto copied = copy_client->GetFact(id);
    if (!copied.ok()) {
      EXPECT_EQ(copied.status().code(), absl::StatusCode::kNotFound) << copied.status();
      continue;
    }
    ++present;
    EXPECT_EQ(copied->SerializeAsString(), original->SerializeAsString()) << id;
  }
  EXPECT_GT(present, 0);
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_TRUE(copy_client->GetFact(ids[i]).ok()) << "written before the backup began: " << i;
  }
  EXPECT_FALSE(copy_client->GetFact(ids.back()).ok()) << "written after the backup ended";
  EXPECT_EQ(copy.Stop(), 0);
}

TEST(BackupTest, BadDirectoriesAreRefusedNamingTheField) {
  TempDir dir;
  const std::string db = dir.path() + "/db";
  ServerProcess server(db, {"--no-seeds"});
  ASSERT_TRUE(server.ok()) << server.log();
  auto client = client::Client::Connect(server.address());
  struct Case {
    std::string dir;
    absl::StatusCode code;
    std::string message;
  };
  fs::create_directories(dir.path() + "/taken");
  for (const Case& c : std::vector<Case>{
           {"", absl::StatusCode::kInvalidArgument, "dir: is empty"},
           {"relative/backup", absl::StatusCode::kInvalidArgument,
            "dir: \"relative/backup\" is not an absolute path"},
           {db + "/inside", absl::StatusCode::kInvalidArgument,
            "lies inside the database directory"},
           {db, absl::StatusCode::kInvalidArgument, "lies inside the database directory"},
           {dir.path() + "/taken", absl::StatusCode::kAlreadyExists,
            "dir: " + dir.path() + "/taken already exists"},
           {dir.path() + "/no/parent", absl::StatusCode::kFailedPrecondition,
            "dir: " + dir.path() + "/no is not a directory"},
       }) {
    auto backup = client->Backup(c.dir);
    EXPECT_EQ(backup.status().code(), c.code) << c.dir << ": " << backup.status();
    EXPECT_TRUE(absl::StrContains(backup.status().message(), c.message))
        << c.dir << ": " << backup.status();
  }
  EXPECT_FALSE(fs::exists(db + "/inside"));

  // entented --restore refuses a non-empty target and a directory without
  // a backup, and changes neither.
  ASSERT_TRUE(client->Backup(dir.path() + "/backup").ok());
  fs::create_directories(dir.path() + "/full");
  std::ofstream(dir.path() + "/full/keep.txt") << "mine";
  RunResult run = RunEntented({"--restore", dir.path() + "/backup", "--db", dir.path() + "/full"},
                              dir.path() + "/r1.log");
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, dir.path() + "/full is not an empty directory"))
      << run.stderr_text;
  EXPECT_TRUE(fs::exists(dir.path() + "/full/keep.txt"));
  run = RunEntented({"--restore", dir.path() + "/taken", "--db", dir.path() + "/new"},
                    dir.path() + "/r2.log");
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "holds no database")) << run.stderr_text;
  EXPECT_FALSE(fs::exists(dir.path() + "/new"));
  run = RunEntented({"--restore", dir.path() + "/backup"}, dir.path() + "/r3.log");
  EXPECT_EQ(run.exit_status, 2);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "--db DIR is required")) << run.stderr_text;
}

TEST(BackupTest, TheBackupCommandPrintsTheCountsAndExitsWithTheOutcome) {
  TempDir dir;
  ServerProcess server(dir.path() + "/db");
  ASSERT_TRUE(server.ok()) << server.log();
  auto stats = client::Client::Connect(server.address())->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  const std::string backup = dir.path() + "/backup";
  RunResult run = RunProgram(ENTENTE_CLI_PATH, {"--server", server.address(), "backup", backup},
                             dir.path() + "/1.log");
  EXPECT_EQ(run.exit_status, 0) << run.stderr_text;
  EXPECT_TRUE(absl::StrContains(
      run.stdout_text, absl::StrCat("backed up to ", backup, " in ")))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, absl::StrCat(stats->fact_count(), " facts")))
      << run.stdout_text;
  EXPECT_TRUE(absl::StrContains(run.stdout_text, "entented --restore " + backup + " --db NEWDIR"))
      << run.stdout_text;
  run = RunProgram(ENTENTE_CLI_PATH, {"--server", server.address(), "backup", backup},
                   dir.path() + "/2.log");
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_TRUE(absl::StrContains(run.stderr_text, "ALREADY_EXISTS: dir: " + backup))
      << run.stderr_text;
  run = RunProgram(ENTENTE_CLI_PATH, {"--server", server.address(), "backup"},
                   dir.path() + "/3.log");
  EXPECT_EQ(run.exit_status, 2) << run.stderr_text;
}

}  // namespace
}  // namespace entente::testing
