#include "storage/store.h"

#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "storage/dates.h"
#include "storage/fact_loader.h"
#include "rocksdb/db.h"
#include "storage/names.h"
#include "storage/validate.h"

namespace entente::storage {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            absl::StrCat("entente_store_test_", ::getpid(), "_", counter_++);
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

v1::Date Date(int y, int m = 0, int d = 0) { return date_text::MakeDate(y, m, d); }

v1::Entity State(const std::string& id, const std::string& name,
                 std::vector<std::string> aliases = {}) {
  v1::Entity e;
  e.set_id(id);
  e.set_kind(v1::ENTITY_KIND_STATE);
  e.set_name(name);
  for (auto& a : aliases) e.add_aliases(a);
  return e;
}

v1::Fact Meeting(const std::string& a, const std::string& b, v1::Date when,
                 const std::string& summary = "met") {
  v1::Fact f;
  f.set_type(v1::FACT_TYPE_MEETING);
  auto* p = f.add_participants();
  p->set_entity_id(a);
  p->set_role(v1::PARTICIPANT_ROLE_PARTY);
  p = f.add_participants();
  p->set_entity_id(b);
  p->set_role(v1::PARTICIPANT_ROLE_PARTY);
  *f.mutable_valid_time()->mutable_start() = when;
  f.set_summary(summary);
  return f;
}

// A clock the test moves by hand.
struct FakeClock {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.clock = [this] { return clock_.now; };
    auto store = Store::Open(dir_.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void AddStates() {
    for (const auto& e : {State("IRN", "Iran", {"Tehran", "Iranian", "Islamic Republic of Iran"}),
                          State("RUS", "Russia", {"Moscow", "Kremlin", "Russian Federation"}),
                          State("CHN", "China", {"Beijing"}), State("IRQ", "Iraq")}) {
      ASSERT_TRUE(store_->UpsertEntity(e).ok());
    }
  }

  std::vector<std::string> Summaries(const FactQuery& q) {
    auto page = store_->ListFacts(q);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& r : page->records) out.push_back(r.fact().summary());
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, NewDatabaseIsCreatedAndReopened) {
  EXPECT_TRUE(store_->created());
  AddStates();
  Reopen();
  EXPECT_FALSE(store_->created());
  auto iran = store_->GetEntity("IRN");
  ASSERT_TRUE(iran.ok());
  EXPECT_EQ(iran->name(), "Iran");
  EXPECT_EQ(store_->Stats().entities, 4);
}

TEST_F(StoreTest, FactRoundTripsWithIdAndRecordTime) {
  AddStates();
  auto result = store_->RecordFact(Meeting("IRN", "RUS", Date(2001, 3)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->changed);
  EXPECT_EQ(result->id.size(), 32u);
  Reopen();
  auto record = store_->GetFact(result->id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->fact().id(), result->id);
  EXPECT_EQ(record->fact().valid_time().start().precision(), v1::PRECISION_MONTH);
  EXPECT_EQ(record->record_time().seconds(), absl::ToUnixSeconds(clock_.now));
}

TEST_F(StoreTest, RecordingTheSameFactTwiceChangesNothing) {
  AddStates();
  auto first = store_->RecordFact(Meeting("IRN", "RUS", Date(2022, 1, 19)));
  ASSERT_TRUE(first.ok());
  clock_.now += absl::Hours(1);
  // Same content, participants listed in the other order.
  auto second = store_->RecordFact(Meeting("RUS", "IRN", Date(2022, 1, 19)));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->fact.record_time().seconds(), first->fact.record_time().seconds());
  EXPECT_EQ(store_->Stats().facts, 1);
  // Upserting an identical entity is a no-op too.
  auto again = store_->UpsertEntity(State("CHN", "China", {"Beijing"}));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  // A different source makes a different fact.
  v1::Source source;
  source.set_id("src");
  source.set_title("A report");
  ASSERT_TRUE(store_->UpsertSource(source).ok());
  auto sourced = Meeting("IRN", "RUS", Date(2022, 1, 19));
  sourced.mutable_provenance()->set_source_id("src");
  auto third = store_->RecordFact(sourced);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->id, first->id);
  EXPECT_EQ(store_->Stats().facts, 2);
}

TEST_F(StoreTest, RejectedWritesNameTheFieldAndStoreNothing) {
  AddStates();
  const StoreStats before = store_->Stats();
  auto expect_invalid = [&](const v1::Fact& fact, const std::string& message) {
    auto r = store_->RecordFact(fact);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), message);
  };
  expect_invalid(Meeting("IRN", "XYZ", Date(2001)),
                 "fact.participants[1].entity_id: unknown entity \"XYZ\"");
  auto no_type = Meeting("IRN", "RUS", Date(2001));
  no_type.set_type(v1::FACT_TYPE_UNSPECIFIED);
  expect_invalid(no_type, "fact.type: unknown or missing fact type 0");
  auto bad_type = Meeting("IRN", "RUS", Date(2001));
  bad_type.set_type(static_cast<v1::FactType>(999));
  expect_invalid(bad_type, "fact.type: unknown or missing fact type 999");
  auto reversed = Meeting("IRN", "RUS", Date(2002, 3));
  *reversed.mutable_valid_time()->mutable_end() = Date(2001);
  expect_invalid(reversed, "fact.valid_time.end: ends (2001) before it starts (2002-03)");
  auto no_precision = Meeting("IRN", "RUS", Date(2001));
  no_precision.mutable_valid_time()->mutable_start()->set_precision(v1::PRECISION_UNSPECIFIED);
  expect_invalid(no_precision,
                 "fact.valid_time.start: precision is missing (DAY, MONTH or YEAR)");
  auto unknown_source = Meeting("IRN", "RUS", Date(2001));
  unknown_source.mutable_provenance()->set_source_id("nowhere");
  expect_invalid(unknown_source, "fact.provenance.source_id: unknown source \"nowhere\"");
  auto unknown_claimant = Meeting("IRN", "RUS", Date(2001));
  unknown_claimant.mutable_attribution()->add_claimant_ids("ZZZ");
  unknown_claimant.mutable_attribution()->set_stance(v1::CLAIM_STANCE_ASSERTS);
  expect_invalid(unknown_claimant, "fact.attribution.claimant_ids[0]: unknown entity \"ZZZ\"");

  auto empty_name = State("UKR", "  ");
  auto r = store_->UpsertEntity(empty_name);
  EXPECT_EQ(r.status().message(), "entity.name: is empty");
  auto bad_state = State("kyiv", "Kyiv");
  bad_state.set_kind(v1::ENTITY_KIND_PLACE);
  bad_state.set_state_id("UKR");
  EXPECT_EQ(store_->UpsertEntity(bad_state).status().message(),
            "entity.state_id: unknown entity \"UKR\"");
  auto bad_id = State("I R N", "Iran");
  EXPECT_EQ(store_->UpsertEntity(bad_id).status().message(),
            "entity.id: may contain only letters, digits and _ . : # / -");
  auto bad_utf8 = State("UKR", "Ukr\xc3");
  EXPECT_EQ(store_->UpsertEntity(bad_utf8).status().message(), "entity.name: is not valid UTF-8");

  const StoreStats after = store_->Stats();
  EXPECT_EQ(after.facts, before.facts);
  EXPECT_EQ(after.entities, before.entities);
  EXPECT_TRUE(store_->GetEntity("UKR").status().code() == absl::StatusCode::kNotFound);
  // The rejected entity left no alias behind.
  auto found = store_->Resolve("Ukr", 10);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(StoreTest, ResolveIsExactFirstThenPrefix) {
  AddStates();
  auto tehran = store_->Resolve("  tehran ", 10);
  ASSERT_TRUE(tehran.ok());
  ASSERT_EQ(tehran->size(), 1u);
  EXPECT_EQ((*tehran)[0].entity.id(), "IRN");
  EXPECT_TRUE((*tehran)[0].exact);
  EXPECT_EQ((*tehran)[0].matched_text, "Tehran");

  auto formal = store_->Resolve("islamic-republic of IRAN", 10);
  ASSERT_TRUE(formal.ok());
  ASSERT_EQ(formal->size(), 1u);
  EXPECT_EQ((*formal)[0].entity.id(), "IRN");

  auto ir = store_->Resolve("Ir", 10);
  ASSERT_TRUE(ir.ok());
  std::set<std::string> ids;
  for (const auto& m : *ir) {
    EXPECT_FALSE(m.exact);
    ids.insert(m.entity.id());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"IRN", "IRQ"}));

  // "Iran" is an exact name: the prefix matches ("Iranian") are not added.
  auto iran = store_->Resolve("Iran", 10);
  ASSERT_TRUE(iran.ok());
  ASSERT_EQ(iran->size(), 1u);
  EXPECT_TRUE((*iran)[0].exact);

  EXPECT_EQ(store_->Resolve("?!", 10).status().code(), absl::StatusCode::kInvalidArgument);

  // Replacing an entity's aliases removes the old ones.
  ASSERT_TRUE(store_->UpsertEntity(State("CHN", "China", {"PRC"})).ok());
  EXPECT_TRUE(store_->Resolve("Beijing", 10)->empty());
  EXPECT_EQ(store_->Resolve("prc", 10)->size(), 1u);
}

TEST(NamesTest, Normalization) {
  EXPECT_EQ(NormalizeName("  Islamic   Republic of IRAN "), "islamic republic of iran");
  EXPECT_EQ(NormalizeName("People's Republic"), "peoples republic");
  EXPECT_EQ(NormalizeName("People\xE2\x80\x99s Republic"), "peoples republic");
  EXPECT_EQ(NormalizeName("Astara-Rasht"), "astara rasht");
  EXPECT_EQ(NormalizeName("Government (Iran)"), "government iran");
  EXPECT_EQ(NormalizeName("K\xC3\xB9zu"), "k\xC3\xB9zu");
}

TEST_F(StoreTest, ListFactsByActorAndDyadOverAWindow) {
  AddStates();
  ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "RUS", Date(2001, 3), "agreement 2001")).ok());
  ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "CHN", Date(2021, 3), "china deal")).ok());
  ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "RUS", Date(2022, 1, 19), "raisi visit")).ok());
  ASSERT_TRUE(store_->RecordFact(Meeting("RUS", "CHN", Date(2022, 2, 4), "ru-cn")).ok());
  ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "RUS", Date(2025, 1, 17), "treaty 2025")).ok());
  // A long interval that began before the window and is still open.
  auto membership = Meeting("IRN", "CHN", Date(2014), "top partner since 2014");
  membership.set_type(v1::FACT_TYPE_TRADE);
  membership.mutable_valid_time()->set_open_end(true);
  ASSERT_TRUE(store_->RecordFact(membership).ok());

  FactQuery all_iran;
  all_iran.entity_id = "IRN";
  EXPECT_EQ(Summaries(all_iran),
            (std::vector<std::string>{"agreement 2001", "top partner since 2014", "china deal",
                                      "raisi visit", "treaty 2025"}));

  FactQuery dyad;
  dyad.entity_id = "RUS";
  dyad.other_entity_id = "IRN";
  dyad.window = {ToDayNumber(2001, 3, 15), ToDayNumber(2025, 12, 31)};
  // The MONTH-precision 2001 fact overlaps a window starting mid-March.
  EXPECT_EQ(Summaries(dyad),
            (std::vector<std::string>{"agreement 2001", "raisi visit", "treaty 2025"}));

  FactQuery window_2022;
  window_2022.entity_id = "IRN";
  window_2022.window = {ToDayNumber(2022, 1, 1), ToDayNumber(2022, 12, 31)};
  EXPECT_EQ(Summaries(window_2022),
            (std::vector<std::string>{"top partner since 2014", "raisi visit"}));

  window_2022.types = {v1::FACT_TYPE_TRADE};
  EXPECT_EQ(Summaries(window_2022), (std::vector<std::string>{"top partner since 2014"}));

  FactQuery empty_window;
  empty_window.entity_id = "IRQ";
  EXPECT_TRUE(Summaries(empty_window).empty());

  FactQuery unknown;
  unknown.entity_id = "XYZ";
  EXPECT_EQ(store_->ListFacts(unknown).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, PagesResumeWhereTheyStopped) {
  AddStates();
  std::vector<std::string> expected;
  for (int day = 1; day <= 25; ++day) {
    const std::string summary = absl::StrCat("day ", day);
    ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "RUS", Date(2020, 5, day), summary)).ok());
    expected.push_back(summary);
  }
  // Same day, several facts: order falls back to the id.
  FactQuery q;
  q.entity_id = "IRN";
  q.limit = 7;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    auto page = store_->ListFacts(q);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& r : page->records) seen.push_back(r.fact().summary());
    q.cursor = page->next_cursor;
    ++pages;
  } while (!q.cursor.empty());
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen, expected);
  q.cursor = "garbage";
  EXPECT_EQ(store_->ListFacts(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, RetractionKeepsHistoryForAsOfReads) {
  AddStates();
  auto fact = store_->RecordFact(Meeting("IRN", "RUS", Date(2022, 1, 19), "visit"));
  ASSERT_TRUE(fact.ok());
  const absl::Time recorded = clock_.now;
  clock_.now += absl::Hours(24);
  auto retracted = store_->RetractFact(fact->id, "wrong date");
  ASSERT_TRUE(retracted.ok()) << retracted.status();
  EXPECT_TRUE(retracted->fact.has_retraction());
  EXPECT_EQ(store_->Stats().retracted_facts, 1);
  EXPECT_EQ(store_->Stats().facts, 1);

  FactQuery now;
  now.entity_id = "IRN";
  EXPECT_TRUE(Summaries(now).empty());
  now.include_retracted = true;
  EXPECT_EQ(Summaries(now), (std::vector<std::string>{"visit"}));

  FactQuery before;
  before.entity_id = "IRN";
  before.as_of = recorded + absl::Hours(1);
  auto page = store_->ListFacts(before);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_FALSE(page->records[0].has_retraction());

  FactQuery before_recorded;
  before_recorded.entity_id = "IRN";
  before_recorded.as_of = recorded - absl::Seconds(1);
  EXPECT_TRUE(Summaries(before_recorded).empty());

  EXPECT_EQ(store_->RetractFact(fact->id, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->RetractFact("00000000000000000000000000000000", "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, GetFactsReadsManyInOrder) {
  AddStates();
  auto a = store_->RecordFact(Meeting("IRN", "RUS", Date(2001, 3), "a"));
  auto b = store_->RecordFact(Meeting("IRN", "CHN", Date(2021, 3), "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  auto both = store_->GetFacts({b->id, a->id});
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].fact().summary(), "b");
  EXPECT_EQ((*both)[1].fact().summary(), "a");
  EXPECT_EQ(store_->GetFacts({a->id, "00000000000000000000000000000000"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetFacts({"zz"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->GetFacts({})->empty());
  // The same records as stored, unparsed.
  auto bytes = store_->GetSerializedFacts({b->id, a->id});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), 2u);
  v1::FactRecord parsed;
  ASSERT_TRUE(parsed.ParseFromString((*bytes)[0]));
  EXPECT_EQ(parsed.SerializeAsString(), (*both)[0].SerializeAsString());
  EXPECT_EQ(store_->GetSerializedFacts({"00000000000000000000000000000000"}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, GetEntitiesReadsManyInOrder) {
  AddStates();
  auto entities = store_->GetEntities({"RUS", "ATLANTIS", "IRN"});
  ASSERT_TRUE(entities.ok()) << entities.status();
  ASSERT_EQ(entities->size(), 3u);
  ASSERT_TRUE((*entities)[0].has_value());
  EXPECT_EQ((*entities)[0]->id(), "RUS");
  EXPECT_FALSE((*entities)[1].has_value());
  ASSERT_TRUE((*entities)[2].has_value());
  EXPECT_EQ((*entities)[2]->id(), "IRN");
  EXPECT_TRUE(store_->GetEntities({})->empty());
}

TEST_F(StoreTest, StatsCountByKindAndType) {
  AddStates();
  ASSERT_TRUE(store_->RecordFact(Meeting("IRN", "RUS", Date(2001, 3))).ok());
  v1::Entity putin;
  putin.set_id("vladimir_putin");
  putin.set_kind(v1::ENTITY_KIND_PERSON);
  putin.set_name("Vladimir Putin");
  putin.set_state_id("RUS");
  ASSERT_TRUE(store_->UpsertEntity(putin).ok());
  Reopen();
  const StoreStats stats = store_->Stats();
  EXPECT_EQ(stats.entities, 5);
  EXPECT_EQ(stats.entities_by_kind.at(v1::ENTITY_KIND_STATE), 4);
  EXPECT_EQ(stats.entities_by_kind.at(v1::ENTITY_KIND_PERSON), 1);
  EXPECT_EQ(stats.facts_by_type.at(v1::FACT_TYPE_MEETING), 1);
  EXPECT_GT(stats.disk_bytes, 0);
  EXPECT_EQ(stats.schema_version, kSchemaVersion);
  // Changing a kind moves the count.
  putin.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  ASSERT_TRUE(store_->UpsertEntity(putin).ok());
  EXPECT_EQ(store_->Stats().entities_by_kind.count(v1::ENTITY_KIND_PERSON), 0u);
  EXPECT_EQ(store_->Stats().entities, 5);
}

TEST_F(StoreTest, SerializedMutationsTakeTheSamePath) {
  AddStates();
  v1::Mutation m;
  *m.mutable_record_fact() = Meeting("IRN", "CHN", Date(2021, 3));
  auto r = store_->ApplySerialized(m.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(store_->ApplySerialized("\xff\xff").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Apply(v1::Mutation()).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- Opening what is not ours. ----

namespace {
v1::Mutation EntityMutation(const v1::Entity& e) {
  v1::Mutation m;
  *m.mutable_upsert_entity() = e;
  return m;
}
v1::Mutation FactMutation(const v1::Fact& f) {
  v1::Mutation m;
  *m.mutable_record_fact() = f;
  return m;
}
}  // namespace

TEST_F(StoreTest, ApplyBatchSeesEarlierMutationsAndIsAllOrNothingPerMutation) {
  AddStates();
  v1::Entity org;
  org.set_id("government_iran");
  org.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  org.set_name("Government (Iran)");
  org.set_state_id("IRN");
  v1::Fact bad = Meeting("IRN", "nobody", Date(2014, 1, 2), "names an unknown entity");
  v1::Fact late = Meeting("IRN", "RUS", Date(2014, 1, 3), "after the bad one");
  std::vector<v1::Mutation> batch;
  batch.push_back(EntityMutation(org));                                            // 0
  batch.push_back(FactMutation(Meeting("government_iran", "RUS", Date(2014, 1, 1))));  // 1
  batch.push_back(FactMutation(Meeting("government_iran", "RUS", Date(2014, 1, 1))));  // 2
  batch.push_back(FactMutation(bad));                                              // 3
  batch.push_back(FactMutation(late));                                             // 4
  const int64_t facts_before = store_->Stats().facts;
  auto results = store_->ApplyBatch(batch);
  ASSERT_EQ(results.size(), 5u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_TRUE(results[0]->created);
  ASSERT_TRUE(results[1].ok()) << results[1].status();  // sees the entity of [0]
  EXPECT_TRUE(results[1]->created);
  ASSERT_TRUE(results[2].ok()) << results[2].status();  // sees the fact of [1]
  EXPECT_FALSE(results[2]->changed);
  EXPECT_EQ(results[2]->id, results[1]->id);
  ASSERT_FALSE(results[3].ok());
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(results[3].status().message(), "fact.participants"))
      << results[3].status();
  ASSERT_TRUE(results[4].ok()) << results[4].status();  // a failure does not stop the rest
  EXPECT_TRUE(results[4]->created);
  EXPECT_EQ(store_->Stats().facts, facts_before + 2);
  EXPECT_EQ(store_->Stats().entities, 5);
  EXPECT_FALSE(store_->GetFact(store_->FactIdOf(bad)).ok());

  // The counters were kept right through the failure and survive a reopen.
  Reopen();
  EXPECT_EQ(store_->Stats().facts, facts_before + 2);
  EXPECT_TRUE(store_->GetFact(results[1]->id).ok());
  EXPECT_EQ(store_->GetEntity("government_iran")->state_id(), "IRN");

  // Applying the same batch again changes nothing.
  auto again = store_->ApplyBatch(batch);
  for (size_t i : {0u, 1u, 2u, 4u}) {
    ASSERT_TRUE(again[i].ok()) << again[i].status();
    EXPECT_FALSE(again[i]->changed) << i;
  }
  EXPECT_EQ(store_->Stats().facts, facts_before + 2);
}

TEST_F(StoreTest, ApplyBatchCanStopAtTheFirstError) {
  AddStates();
  std::vector<v1::Mutation> batch;
  batch.push_back(FactMutation(Meeting("IRN", "RUS", Date(2014, 1, 1), "first")));
  batch.push_back(FactMutation(Meeting("IRN", "nobody", Date(2014, 1, 2), "bad")));
  batch.push_back(FactMutation(Meeting("IRN", "CHN", Date(2014, 1, 3), "after")));
  auto results = store_->ApplyBatch(batch, /*stop_at_first_error=*/true);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Stats().facts, 1);
  EXPECT_FALSE(store_->GetFact(store_->FactIdOf(Meeting("IRN", "CHN", Date(2014, 1, 3), "after")))
                   .ok());
}

TEST(StoreOpenTest, RefusesANonEmptyDirectoryWithoutADatabase) {
  TempDir dir;
  fs::create_directories(dir.path());
  std::ofstream(fs::path(dir.path()) / "notes.txt") << "mine";
  auto store = Store::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "is not empty")) << store.status();
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / "notes.txt"));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "CURRENT"));
}

TEST(StoreOpenTest, RefusesAForeignRocksDb) {
  TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
    delete db;
  }
  auto store = Store::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "not an Entente database"))
      << store.status();
}

// A creation cut short leaves its marker and whatever RocksDB had made (here
// a database with the default column family only); the next Open starts
// the creation over instead of refusing the directory for ever.
TEST(StoreOpenTest, ACreationCutShortIsStartedOver) {
  TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &db).ok());
    delete db;
    std::ofstream(fs::path(dir.path()) / "CREATING") << "cut short";
  }
  StoreOptions existing_only;
  existing_only.create_if_missing = false;
  EXPECT_EQ(Store::Open(dir.path(), existing_only).status().code(), absl::StatusCode::kNotFound);
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->created());
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "CREATING"));
  store->reset();
  store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE((*store)->created());
}

// A creator that fills a new database first (the seed graph) finishes its
// creation itself; until it does, the next Open starts over.
TEST(StoreOpenTest, AnUnfinishedCreationIsStartedOverUntilFinished) {
  TempDir dir;
  StoreOptions options;
  options.finish_creation_on_open = false;
  {
    auto store = Store::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->UpsertEntity(State("IRN", "Iran")).ok());
  }  // closed before FinishCreation, as a crash would leave it
  auto store = Store::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->created());
  EXPECT_EQ((*store)->Stats().entities, 0);
  ASSERT_TRUE((*store)->UpsertEntity(State("IRN", "Iran")).ok());
  ASSERT_TRUE((*store)->FinishCreation().ok());
  store->reset();
  store = Store::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE((*store)->created());
  EXPECT_EQ((*store)->Stats().entities, 1);
}

TEST(StoreOpenTest, RefusesANewerSchemaAndLeavesItUntouched) {
  TempDir dir;
  ASSERT_TRUE(Store::Open(dir.path()).ok());
  {
    // Rewrite the schema record as a future version would.
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), dir.path(), &families).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), descriptors, &handles, &db).ok());
    v1::SchemaInfo info;
    info.set_magic("entente");
    info.set_version(kSchemaVersion + 1);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "schema", info.SerializeAsString()).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto store = Store::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "use a newer Entente"))
      << store.status();
}

TEST(StoreOpenTest, RefusesADatabaseInUse) {
  TempDir dir;
  auto first = Store::Open(dir.path());
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "in use")) << second.status();
}

TEST(StoreOpenTest, RefusesAFileInPlaceOfADirectory) {
  TempDir dir;
  std::ofstream(dir.path()) << "x";
  EXPECT_EQ(Store::Open(dir.path()).status().code(), absl::StatusCode::kFailedPrecondition);
  fs::remove(dir.path());
}

// ---- FactLoader: bulk loads give the store exactly what RecordFact would ----

// Facts over the four states, some repeated, spread over years and types.
std::vector<v1::Fact> LoaderFacts() {
  const char* states[] = {"IRN", "RUS", "CHN", "IRQ"};
  std::vector<v1::Fact> facts;
  for (int i = 0; i < 300; ++i) {
    // The other party is 1 to 3 places further round: never the same state.
    v1::Fact f = Meeting(states[i % 4], states[(i % 4 + 1 + (i / 4) % 3) % 4],
                         Date(2000 + i % 20, 1 + i % 12, 1 + i % 28), absl::StrCat("event ", i % 250));
    if (i % 3 == 0) f.set_type(v1::FACT_TYPE_VISIT);
    facts.push_back(std::move(f));
  }
  return facts;
}

TEST_F(StoreTest, FactLoaderStoresWhatRecordFactWould) {
  AddStates();
  TempDir other_dir;
  StoreOptions options;
  options.clock = [this] { return clock_.now; };
  auto reference = Store::Open(other_dir.path(), options);
  ASSERT_TRUE(reference.ok());
  for (const char* id : {"IRN", "RUS", "CHN", "IRQ"}) {
    ASSERT_TRUE((*reference)->UpsertEntity(*store_->GetEntity(id)).ok());
  }
  int64_t listened = 0;
  store_->SetApplyListener([&](const v1::Mutation& m, const ApplyResult& r) {
    EXPECT_TRUE(m.has_record_fact());
    EXPECT_EQ(r.id, r.fact.fact().id());
    ++listened;
  });
  FactLoaderOptions small;
  small.run_bytes = 16 << 10;  // several runs
  FactLoader loader(*store_, small);
  int64_t recorded = 0;
  for (const auto& fact : LoaderFacts()) {
    ASSERT_TRUE(loader.Add(fact).ok());
    auto result = (*reference)->RecordFact(fact);
    ASSERT_TRUE(result.ok());
    recorded += result->created;
  }
  ASSERT_TRUE(loader.Flush().ok());
  EXPECT_GT(loader.runs(), 1);
  EXPECT_EQ(loader.created(), recorded);
  EXPECT_EQ(loader.created() + loader.unchanged(), 300);
  EXPECT_EQ(listened, recorded);

  Reopen();  // what was loaded is durable, counters included
  EXPECT_EQ(store_->Stats().facts, recorded);
  EXPECT_EQ(store_->Stats().facts_by_type, (*reference)->Stats().facts_by_type);
  for (const char* a : {"IRN", "RUS", "CHN", "IRQ"}) {
    for (const char* b : {"", "IRN", "RUS"}) {
      FactQuery q;
      q.entity_id = a;
      q.other_entity_id = b;
      q.window = {DateRange(Date(2003)).first, DateRange(Date(2012)).last};
      q.limit = 1000;
      auto loaded = store_->ListFacts(q);
      auto expected = (*reference)->ListFacts(q);
      ASSERT_TRUE(loaded.ok() && expected.ok());
      ASSERT_EQ(loaded->records.size(), expected->records.size()) << a << " " << b;
      for (size_t i = 0; i < loaded->records.size(); ++i) {
        EXPECT_EQ(loaded->records[i].SerializeAsString(),
                  expected->records[i].SerializeAsString());
      }
    }
  }

  // Loading the same facts again adds nothing; RecordFact agrees.
  FactLoader again(*store_);
  for (const auto& fact : LoaderFacts()) ASSERT_TRUE(again.Add(fact).ok());
  ASSERT_TRUE(again.Flush().ok());
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.unchanged(), 300);
  auto repeat = store_->RecordFact(LoaderFacts().front());
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(store_->Stats().facts, recorded);
}

TEST_F(StoreTest, FactLoaderRejectsWhatRecordFactRejects) {
  AddStates();
  FactLoader loader(*store_);
  v1::Fact unknown = Meeting("IRN", "XXX", Date(2010));
  auto status = loader.Add(unknown);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "fact.participants[1].entity_id")) << status;
  v1::Fact no_type = Meeting("IRN", "RUS", Date(2010));
  no_type.clear_type();
  EXPECT_EQ(loader.Add(no_type).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(loader.Add(Meeting("IRN", "RUS", Date(2010))).ok());
  ASSERT_TRUE(loader.Flush().ok());
  EXPECT_EQ(loader.created(), 1);
  EXPECT_EQ(store_->Stats().facts, 1);
}

// Concurrent Apply calls are committed in groups; each call still gets its
// own result, and a bad mutation fails alone.
TEST_F(StoreTest, ConcurrentAppliesEachGetTheirOwnResult) {
  AddStates();
  constexpr int kThreads = 8;
  constexpr int kFacts = 150;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kFacts; ++i) {
        const bool bad = i % 10 == 9;
        const std::string summary = absl::StrCat("thread ", t, " fact ", i);
        auto result = store_->RecordFact(Meeting("IRN", bad ? "XXX" : "RUS", Date(2000 + i % 20),
                                                 summary));
        if (bad) {
          if (result.ok() || !absl::StrContains(result.status().message(), "\"XXX\"")) {
            ++failures[t];
          }
          continue;
        }
        if (!result.ok() || !result->created || result->fact.fact().summary() != summary) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(store_->Stats().facts, kThreads * kFacts * 9 / 10);
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->consistent()) << report->problems.front();
}

v1::Fact Affiliation(const std::string& actor, const std::string& state) {
  v1::TimeSpan first_half_of_2014;
  *first_half_of_2014.mutable_start() = Date(2014, 1);
  *first_half_of_2014.mutable_end() = Date(2014, 6);
  return AffiliationFact(actor, state, std::move(first_half_of_2014));
}

TEST_F(StoreTest, BadAffiliationsAreRefusedNamingTheFieldAndStoreNothing) {
  AddStates();
  v1::Entity ministry;
  ministry.set_id("foreign_affairs_russia");
  ministry.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  ministry.set_name("Foreign Affairs (Russia)");
  ASSERT_TRUE(store_->UpsertEntity(ministry).ok());
  v1::Entity sco;
  sco.set_id("sco");
  sco.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  sco.set_name("Shanghai Cooperation Organisation");
  ASSERT_TRUE(store_->UpsertEntity(sco).ok());
  const int64_t facts_before = store_->Stats().facts;

  auto refused = [&](const v1::Fact& fact) {
    auto result = store_->RecordFact(fact);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(result.status().message());
  };
  EXPECT_EQ(refused(Affiliation("nobody", "RUS")),
            "fact.participants[0].entity_id: unknown entity \"nobody\"");
  EXPECT_EQ(refused(Affiliation("foreign_affairs_russia", "sco")),
            "fact.participants[1].entity_id: \"sco\" is not a STATE entity; an affiliation is "
            "to a state");
  EXPECT_TRUE(absl::StartsWith(refused(Affiliation("IRN", "RUS")),
                               "fact.participants[0].entity_id: \"IRN\" is a STATE"));
  v1::Fact reversed = Affiliation("foreign_affairs_russia", "RUS");
  *reversed.mutable_valid_time()->mutable_end() = Date(2013);
  EXPECT_TRUE(absl::StartsWith(refused(reversed), "fact.valid_time.end: ends (2013) before"))
      << refused(reversed);
  v1::Fact three = Affiliation("foreign_affairs_russia", "RUS");
  auto* extra = three.add_participants();
  extra->set_entity_id("IRN");
  extra->set_role(v1::PARTICIPANT_ROLE_PARTY);
  EXPECT_TRUE(absl::StartsWith(refused(three), "fact.participants: an AFFILIATION has exactly "
                                               "two participants"));
  v1::Fact two_states = Affiliation("foreign_affairs_russia", "RUS");
  two_states.mutable_participants(0)->set_role(v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
  EXPECT_EQ(refused(two_states), "fact.participants[1].role: an AFFILIATION's participants are "
                                 "one AFFILIATE and one AFFILIATED_STATE");
  // The roles mean nothing outside an AFFILIATION.
  v1::Fact meeting = Meeting("IRN", "RUS", Date(2014, 2, 3));
  meeting.mutable_participants(1)->set_role(v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
  EXPECT_EQ(refused(meeting), "fact.participants[1].role: PARTICIPANT_ROLE_AFFILIATED_STATE "
                              "belongs to AFFILIATION facts only");
  EXPECT_EQ(store_->Stats().facts, facts_before);

  auto good = store_->RecordFact(Affiliation("foreign_affairs_russia", "RUS"));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(good->created);
  EXPECT_EQ(store_->Stats().facts, facts_before + 1);
}

TEST(StoreUpgradeTest, ASchemaOneDatabaseIsUpgradedOnOpenOnce) {
  // Made by the release before affiliations (tests/data/schema1-store.md).
  const fs::path made = fs::path(ENTENTE_SOURCE_DIR) / "tests/data/schema1-store";
  ASSERT_TRUE(fs::exists(made / "CURRENT")) << made;
  TempDir dir;
  fs::copy(made, dir.path(), fs::copy_options::recursive);
  int64_t facts_after_upgrade = 0;
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->Stats().schema_version, kSchemaVersion);
    EXPECT_TRUE(absl::StrContains((*store)->upgrade_report(),
                                  "upgraded from schema version 1 to 2"))
        << (*store)->upgrade_report();
    // Every organization that carried a state's id now has an AFFILIATION
    // to it citing the upgrade; persons and places do not.
    std::map<std::string, std::string> expected;
    ASSERT_TRUE((*store)
                    ->ForEachEntity([&](const v1::Entity& e) {
                      if (e.kind() == v1::ENTITY_KIND_ORGANIZATION && !e.state_id().empty()) {
                        expected[e.id()] = e.state_id();
                      }
                      return true;
                    })
                    .ok());
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(expected["business_iran"], "IRN");
    std::map<std::string, std::string> found;
    ASSERT_TRUE((*store)
                    ->ForEachFact([&](const v1::FactRecord& r) {
                      const v1::Fact& f = r.fact();
                      if (f.type() != v1::FACT_TYPE_AFFILIATION) return true;
                      EXPECT_EQ(f.provenance().source_id(), kUpgradeSourceId);
                      EXPECT_TRUE(f.valid_time().open_start() && f.valid_time().open_end());
                      // The store keeps participants in canonical order: go by role.
                      const bool affiliate_first =
                          f.participants(0).role() == v1::PARTICIPANT_ROLE_AFFILIATE;
                      found[f.participants(affiliate_first ? 0 : 1).entity_id()] =
                          f.participants(affiliate_first ? 1 : 0).entity_id();
                      return true;
                    })
                    .ok());
    EXPECT_EQ(found, expected);
    EXPECT_TRUE(absl::StrContains((*store)->upgrade_report(),
                                  absl::StrCat(": ", expected.size(), " organizations")));
    facts_after_upgrade = (*store)->Stats().facts;
    auto report = (*store)->Verify({});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->consistent());
  }
  auto again = Store::Open(dir.path());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->upgrade_report(), "");
  EXPECT_EQ((*again)->Stats().facts, facts_after_upgrade);
}

}  // namespace
}  // namespace entente::storage
