// Store::Verify passes a store written through both write paths, and names
// what was broken when an index entry, a log entry or a counter is changed
// behind the store's back, through RocksDB directly.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/internal/test_store.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace entente::storage {
namespace {

using testing::TempDir;

// The database opened with RocksDB alone, every column family by name.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path, descriptors, &handles, &db).ok());
    db_.reset(db);
    for (size_t i = 0; i < names.size(); ++i) families_[names[i]] = handles[i];
  }
  ~RawDb() {
    for (auto& [name, handle] : families_) db_->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) { return families_.at(name); }
  // The first key of `family` that starts with `prefix`.
  std::string FirstKey(const std::string& family, const std::string& prefix = "") {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(),
                                                           this->family(family)));
    it->Seek(prefix);
    EXPECT_TRUE(it->Valid() && it->key().starts_with(prefix)) << family;
    return it->Valid() ? it->key().ToString() : "";
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
};

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    retracted_ = testing::FillStore(**store);
  }

  // Verifies the database, which must be closed, and returns its report.
  VerifyReport Check() {
    auto store = Store::Open(dir_.path());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    auto report = (*store)->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }

  static bool Names(const VerifyReport& report, const std::vector<std::string>& words) {
    for (const auto& problem : report.problems) {
      if (std::all_of(words.begin(), words.end(),
                      [&](const std::string& w) { return absl::StrContains(problem, w); })) {
        return true;
      }
    }
    return false;
  }

  TempDir dir_;
  std::string retracted_;
};

TEST_F(VerifyTest, AConsistentStorePasses) {
  const VerifyReport report = Check();
  EXPECT_TRUE(report.consistent()) << absl::StrJoin(report.problems, "\n");
  EXPECT_EQ(report.entities, 3);
  EXPECT_EQ(report.sources, 1);
  EXPECT_EQ(report.facts, 50);
  EXPECT_EQ(report.retracted_facts, 1);
  // Two parties: two actor entries, two dyad entries and one type entry each.
  EXPECT_EQ(report.index_entries, 50 * 5);
  EXPECT_EQ(report.alias_entries, 3 * 3);
  // 3 entities, 1 source, 50 facts, 1 retraction.
  EXPECT_EQ(report.log_entries, 55);
}

TEST_F(VerifyTest, AMissingIndexEntryIsNamedWithItsFact) {
  std::string fact_id;
  {
    RawDb raw(dir_.path());
    const std::string key = raw.FirstKey("actor_time", keys::ActorPrefix("IRN"));
    fact_id = keys::FactIdToText(key.substr(key.size() - keys::kFactIdBytes));
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.family("actor_time"), key).ok());
  }
  const VerifyReport report = Check();
  EXPECT_FALSE(report.consistent());
  EXPECT_EQ(report.problem_count, 1) << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"fact " + fact_id, "actor_time entry IRN", "is missing"}))
      << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, AnIndexEntryWithAnotherValueIsNamedOnce) {
  {
    RawDb raw(dir_.path());
    const std::string key = raw.FirstKey("dyad_time", keys::DyadPrefix("CHN", "IRN"));
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("dyad_time"), key,
                              keys::EncodeIndexValue({0, v1::FACT_TYPE_SANCTION})).ok());
  }
  const VerifyReport report = Check();
  EXPECT_EQ(report.problem_count, 1) << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"dyad_time entry CHN|IRN", "holds another last day or type"}))
      << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, AWrongCounterIsNamed) {
  {
    RawDb raw(dir_.path());
    std::string value;
    keys::AppendUint64(&value, 49);
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), keys::CounterKey("facts"), value).ok());
  }
  const VerifyReport report = Check();
  EXPECT_EQ(report.problem_count, 1) << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"counter \"facts\" is 49 but the scan counts 50"}))
      << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, IndexEntriesThatNoFactCallsForAreNamed) {
  std::string moved;
  {
    RawDb raw(dir_.path());
    // An entry of a fact that is not stored, and an entry of a stored fact
    // under another entity.
    const std::string key = raw.FirstKey("actor_time", keys::ActorPrefix("RUS"));
    std::string orphan = key;
    orphan.back() ^= 1;
    moved = keys::ActorPrefix("CHX") + key.substr(keys::ActorPrefix("RUS").size());
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("actor_time"), orphan, "x").ok());
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("actor_time"), moved, "x").ok());
  }
  const VerifyReport report = Check();
  EXPECT_EQ(report.problem_count, 2) << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"actor_time entry RUS", "which is not stored"}))
      << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"actor_time entry CHX", "which does not call for it"}))
      << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, AGapInTheLogAndAFactWithoutLogEntryAreNamed) {
  {
    RawDb raw(dir_.path());
    std::string key;
    keys::AppendUint64(&key, 10);  // a fact recorded through the apply path
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.family("log"), key).ok());
  }
  const VerifyReport report = Check();
  EXPECT_EQ(report.problem_count, 2) << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"log: entry 11 follows entry 9"}))
      << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"no log entry records it"})) << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, AMissingAliasEntryAndAMissingFactAreNamed) {
  {
    RawDb raw(dir_.path());
    const std::string alias = raw.FirstKey("alias", "tehran");
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.family("alias"), alias).ok());
    ASSERT_TRUE(raw.db()
                    ->Delete(rocksdb::WriteOptions(), raw.family("facts"),
                             *keys::FactIdFromText(retracted_))
                    .ok());
  }
  const VerifyReport report = Check();
  EXPECT_TRUE(Names(report, {"entity \"IRN\": its alias entry \"tehran\" is missing"}))
      << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"records fact " + retracted_, "which is not stored"}))
      << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"points to fact " + retracted_, "which is not stored"}))
      << absl::StrJoin(report.problems, "\n");
  EXPECT_TRUE(Names(report, {"counter \"retracted\" is 1 but the scan counts 0"}))
      << absl::StrJoin(report.problems, "\n");
}

TEST_F(VerifyTest, TheReportListsAtMostMaxProblems) {
  {
    RawDb raw(dir_.path());
    std::unique_ptr<rocksdb::Iterator> it(
        raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("type_time")));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.family("type_time"), it->key()).ok());
    }
  }
  auto store = Store::Open(dir_.path());
  ASSERT_TRUE(store.ok());
  VerifyOptions options;
  options.max_problems = 5;
  auto report = (*store)->Verify(options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->problem_count, 50);
  EXPECT_EQ(report->problems.size(), 5u);
}

}  // namespace
}  // namespace entente::storage
