#include "seeds/seeds.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace entente::seeds {
namespace {

namespace fs = std::filesystem;

class SeedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / absl::StrCat("entente_seeds_test_", ::getpid());
    fs::remove_all(path_);
    auto store = storage::Store::Open(path_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(path_);
  }
  fs::path path_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(SeedsTest, LoadsEveryLineAndLoadingTwiceChangesNothing) {
  auto first = LoadSeeds(*store_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT(first->facts, 100);
  EXPECT_GT(first->entities, 50);
  EXPECT_EQ(first->changed, first->facts + first->entities + first->sources);
  const storage::StoreStats stats = store_->Stats();
  EXPECT_EQ(stats.facts, first->facts);
  EXPECT_EQ(stats.entities, first->entities);
  EXPECT_EQ(stats.sources, first->sources);

  auto second = LoadSeeds(*store_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->changed, 0);
  EXPECT_EQ(store_->Stats().facts, stats.facts);
  EXPECT_EQ(store_->Stats().entities, stats.entities);
}

TEST_F(SeedsTest, EveryFactNamesItsSourceAndParagraph) {
  ASSERT_TRUE(LoadSeeds(*store_).ok());
  int facts = 0;
  ASSERT_TRUE(store_->ForEachFact([&](const v1::FactRecord& record) {
                ++facts;
                const auto& provenance = record.fact().provenance();
                EXPECT_TRUE(absl::StartsWith(provenance.source_id(), "seed:"))
                    << record.fact().summary();
                EXPECT_TRUE(absl::StrContains(provenance.locator(), "paragraph") ||
                            absl::StrContains(provenance.locator(), "photo caption"))
                    << record.fact().summary() << ": " << provenance.locator();
                EXPECT_TRUE(provenance.quote().empty()) << "no article text is stored";
                EXPECT_TRUE(store_->GetSource(provenance.source_id()).ok());
                return true;
              }).ok());
  EXPECT_GT(facts, 100);
}

TEST_F(SeedsTest, ErrorsNameTheFileAndLine) {
  LoadSummary summary;
  auto s = LoadJsonLines(*store_, RecordKind::kFact, "mine.jsonl",
                         "\n{\"type\": \"FACT_TYPE_VISIT\", \"colour\": 1}\n", &summary);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "mine.jsonl:2: ")) << s;
  s = LoadJsonLines(*store_, RecordKind::kEntity, "e.jsonl",
                    "{\"id\": \"IRN\", \"kind\": \"ENTITY_KIND_STATE\"}", &summary);
  EXPECT_EQ(s.message(), "e.jsonl:1: entity.name: is empty");
}

}  // namespace
}  // namespace entente::seeds
