#include "import/importer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "import/records.h"
#include "seeds/seeds.h"

namespace entente::importer {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / absl::StrCat("entente_import_test_", ::getpid(), "_",
                                                     counter_++);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto seeded = seeds::LoadSeeds(*store_);
    ASSERT_TRUE(seeded.ok()) << seeded.status();
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  ImportSummary Import(const std::string& path, ImportOptions options = {}) {
    auto summary = ImportFile(*store_, path, options);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : ImportSummary{};
  }

  std::vector<v1::FactRecord> FactsOf(const std::string& id, int year) {
    storage::FactQuery query;
    query.entity_id = id;
    query.window = {storage::ToDayNumber(year, 1, 1), storage::ToDayNumber(year, 12, 31)};
    query.limit = 100000;
    auto page = store_->ListFacts(query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->records : std::vector<v1::FactRecord>{};
  }

  // The AFFILIATION facts of `id`, in valid-time order.
  std::vector<v1::Fact> AffiliationFactsOf(const std::string& id) {
    storage::FactQuery query;
    query.entity_id = id;
    query.types = {v1::FACT_TYPE_AFFILIATION};
    query.limit = 1000;
    auto page = store_->ListFacts(query);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<v1::Fact> facts;
    if (page.ok()) {
      for (const auto& record : page->records) facts.push_back(record.fact());
    }
    return facts;
  }

  // The states `id` is affiliated with by stored AFFILIATION facts, in order.
  std::vector<std::string> AffiliationsOf(const std::string& id) {
    std::vector<std::string> states;
    for (const v1::Fact& fact : AffiliationFactsOf(id)) {
      for (const auto& p : fact.participants()) {
        if (p.role() == v1::PARTICIPANT_ROLE_AFFILIATED_STATE) states.push_back(p.entity_id());
      }
    }
    std::sort(states.begin(), states.end());
    return states;
  }

  // The entity named exactly `name` (its name as written), one per name, in
  // order; a name no entity has is left out.
  std::vector<v1::Entity> EntitiesNamed(const std::vector<std::string>& names) {
    std::vector<v1::Entity> found;
    for (const std::string& name : names) {
      auto matches = store_->Resolve(name, 100);
      EXPECT_TRUE(matches.ok()) << matches.status();
      if (!matches.ok()) continue;
      for (const auto& match : *matches) {
        if (match.entity.name() == name) found.push_back(match.entity);
      }
    }
    return found;
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST(RecordsTest, CsvQuotingDatesAndFormats) {
  auto fields = internal::SplitCsv(R"csv(2014,"Government (Iran)","a, b ""quoted""",,x)csv");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(*fields, (std::vector<std::string>{"2014", "Government (Iran)", "a, b \"quoted\"",
                                               "", "x"}));
  EXPECT_EQ(internal::SplitCsv("a,").value(), (std::vector<std::string>{"a", ""}));
  EXPECT_FALSE(internal::SplitCsv(R"csv(a,"b)csv").ok());
  EXPECT_FALSE(internal::SplitCsv(R"csv(a,"b"c)csv").ok());
  EXPECT_TRUE(internal::EndsInsideQuotes("a,\"b"));
  EXPECT_FALSE(internal::EndsInsideQuotes("a,\"b\"\"c\""));

  EXPECT_EQ(DetectFormat("x/events.tsv").value(), Format::kTsv);
  EXPECT_EQ(DetectFormat("a.CSV").value(), Format::kCsv);
  EXPECT_EQ(DetectFormat("facts.jsonl").value(), Format::kJsonl);
  EXPECT_FALSE(DetectFormat("events.txt").ok());
  EXPECT_EQ(DetectFormat("events.txt", Format::kTsv).value(), Format::kTsv);
  EXPECT_FALSE(ParseFormat("xml").ok());
  EXPECT_EQ(SlugOf("Government (Iran)"), "government_iran");
  EXPECT_EQ(SlugOf("Cabinet / Council of Ministers / Advisors (United States)"),
            "cabinet_council_of_ministers_advisors_united_states");
}

TEST_F(ImporterTest, TsvEventsMeetTheSeedStatesAndReimportAddsNothing) {
  const std::string path = Write("events.tsv",
                                 "date\tsource\trelation\ttarget\n"
                                 "2014-01-05\tIran\tMake a visit\tRussia\n"
                                 "2014-02-01\tGovernment (Iran)\t036\tMilitary (Russia)\n"
                                 "2014-02-02\tGovernment  (Iran)\tHost a visit\tXi Jinping\n"
                                 "2014-03-01\tCitizen (Atlantis)\tMake an appeal or request\t"
                                 "Iran\n");
  const ImportSummary first = Import(path);
  EXPECT_EQ(first.lines, 4);
  // 4 events, and the AFFILIATION of each of the three sector actors of known states.
  EXPECT_EQ(first.facts_created, 4 + 3);
  EXPECT_EQ(first.rejected, 0) << DescribeSummary(first);
  // government_iran, military_russia, citizen_atlantis and "Government  (Iran)": names
  // are joined as written, so the spelling with two spaces is an actor of its own.
  EXPECT_EQ(first.entities_created, 4);
  EXPECT_EQ(first.actors_affiliated, 3);
  EXPECT_EQ(first.actors_unaffiliated, 1);  // Citizen (Atlantis): no such state
  EXPECT_EQ(first.source_id, "events.tsv");

  auto government = store_->GetEntity("government_iran");
  ASSERT_TRUE(government.ok()) << government.status();
  EXPECT_EQ(government->kind(), v1::ENTITY_KIND_ORGANIZATION);
  EXPECT_EQ(government->name(), "Government (Iran)");
  EXPECT_EQ(government->state_id(), "IRN");
  EXPECT_EQ(government->sector(), "Government");
  EXPECT_EQ(store_->GetEntity("military_russia")->state_id(), "RUS");
  auto atlantis = store_->GetEntity("citizen_atlantis");
  ASSERT_TRUE(atlantis.ok());
  EXPECT_EQ(atlantis->state_id(), "");
  EXPECT_EQ(atlantis->sector(), "");
  EXPECT_FALSE(store_->GetEntity("iran").ok());  // "Iran" is the seeds' IRN

  bool visit = false;
  for (const auto& record : FactsOf("IRN", 2014)) {
    const v1::Fact& fact = record.fact();
    if (fact.provenance().locator() != "line 2") continue;
    visit = true;
    EXPECT_EQ(fact.type(), v1::FACT_TYPE_VISIT);
    EXPECT_EQ(fact.cameo_code(), "042");
    EXPECT_EQ(fact.summary(), "Iran: Make a visit: Russia");
    EXPECT_EQ(fact.provenance().source_id(), "events.tsv");
    EXPECT_EQ(fact.valid_time().start().precision(), v1::PRECISION_DAY);
    ASSERT_EQ(fact.participants_size(), 2);
  }
  EXPECT_TRUE(visit);
  // The numeric code; the affiliation, open at both ends, comes first.
  auto facts = FactsOf("government_iran", 2014);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].fact().type(), v1::FACT_TYPE_AFFILIATION);
  EXPECT_EQ(facts[1].fact().cameo_code(), "036");
  auto spaced = store_->Resolve("Government  (Iran)", 10);
  ASSERT_TRUE(spaced.ok());
  std::string spaced_id;
  for (const auto& match : *spaced) {
    if (match.entity.name() == "Government  (Iran)") spaced_id = match.entity.id();
  }
  ASSERT_TRUE(absl::StartsWith(spaced_id, "government_iran_")) << spaced_id;
  facts = FactsOf(spaced_id, 2014);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[1].fact().cameo_code(), "043");
  EXPECT_EQ(FactsOf("xi_jinping", 2014).size(), 1u);

  const int64_t facts_before = store_->Stats().facts;
  const int64_t entities_before = store_->Stats().entities;
  const ImportSummary second = Import(path);
  EXPECT_EQ(second.facts_created, 0);
  EXPECT_EQ(second.unchanged, 4);  // the affiliations are stored: not sent again
  EXPECT_EQ(second.entities_created, 0);
  EXPECT_EQ(second.actors_affiliated, 0);
  EXPECT_EQ(second.actors_unaffiliated, 0);
  EXPECT_EQ(store_->Stats().facts, facts_before);
  EXPECT_EQ(store_->Stats().entities, entities_before);
}

TEST_F(ImporterTest, CsvWithNamedColumnsQuotesAndPrecisions) {
  const std::string path = Write(
      "facts.csv",
      "Date,Source,Target,Type,Event,Summary,Quantity,Unit,Measure,Claimant\n"
      "2014,Iran,Russia,TRADE,,\"Trade, in a year\",1.6e9,USD,trade_value,\n"
      "2014-03,Russia,\"Iran\",,Make a visit,,,,,\n"
      "2014-04-02,North Korea,,FACT_TYPE_STATEMENT,,\"A \"\"statement\"\"\",,,,South Korea\n"
      "2014-04-03,Iran,Russia,CALL,,\"A summary\nover two lines\",,,,\n"
      "2014-05-01,Iran,China,,043,,,,,\n");
  const ImportSummary summary = Import(path);
  // The quoted line break is read as one record (starting on line 5), but
  // a summary may not hold control characters.
  ASSERT_EQ(summary.errors.size(), 1u) << DescribeSummary(summary);
  EXPECT_EQ(summary.errors[0], path + ":5: fact.summary: contains a control character");
  EXPECT_EQ(summary.facts_created, 4);
  EXPECT_EQ(summary.lines, 5);

  std::map<std::string, v1::Fact> by_locator;
  for (const char* id : {"IRN", "PRK"}) {
    for (const auto& record : FactsOf(id, 2014)) {
      if (record.fact().provenance().source_id() == "facts.csv") {
        by_locator[record.fact().provenance().locator()] = record.fact();
      }
    }
  }
  ASSERT_EQ(by_locator.size(), 4u);
  const v1::Fact& trade = by_locator["line 2"];
  EXPECT_EQ(trade.type(), v1::FACT_TYPE_TRADE);
  EXPECT_EQ(trade.valid_time().start().precision(), v1::PRECISION_YEAR);
  EXPECT_EQ(trade.summary(), "Trade, in a year");
  ASSERT_EQ(trade.quantities_size(), 1);
  EXPECT_EQ(trade.quantities(0).value(), 1.6e9);
  EXPECT_EQ(trade.quantities(0).unit(), "USD");
  EXPECT_EQ(trade.quantities(0).measure(), "trade_value");
  const v1::Fact& visit = by_locator["line 3"];
  EXPECT_EQ(visit.type(), v1::FACT_TYPE_VISIT);
  EXPECT_EQ(visit.valid_time().start().precision(), v1::PRECISION_MONTH);
  EXPECT_EQ(visit.summary(), "Russia: Make a visit: Iran");
  const v1::Fact& statement = by_locator["line 4"];
  EXPECT_EQ(statement.type(), v1::FACT_TYPE_STATEMENT);
  EXPECT_EQ(statement.summary(), "A \"statement\"");
  ASSERT_EQ(statement.participants_size(), 1);
  ASSERT_EQ(statement.attribution().claimant_ids_size(), 1);
  EXPECT_EQ(statement.attribution().claimant_ids(0), "KOR");
  EXPECT_EQ(by_locator["line 7"].cameo_code(), "043");  // after the two-line record
}

TEST_F(ImporterTest, JsonLinesInTheSeedsFormat) {
  const std::string path = Write(
      "curated.jsonl",
      R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}, {"entityId": "CHN", "role": "PARTICIPANT_ROLE_TARGET"}], "validTime": {"start": {"year": 2014, "month": 6, "precision": "PRECISION_MONTH"}}, "summary": "A call."})"
      "\n\n"
      R"({"type": "FACT_TYPE_CALL", "participants": [)"
      "\n"
      R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "nobody", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2014, "precision": "PRECISION_YEAR"}}})"
      "\n"
      R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2014, "month": 7}}})"
      "\n");
  const ImportSummary summary = Import(path);
  EXPECT_EQ(summary.lines, 4);
  EXPECT_EQ(summary.facts_created, 1);
  EXPECT_EQ(summary.rejected, 3);
  ASSERT_EQ(summary.errors.size(), 3u) << DescribeSummary(summary);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0], path + ":3: fact: ")) << summary.errors[0];
  EXPECT_TRUE(absl::StartsWith(summary.errors[1], path + ":4: fact.participants[0].entity_id"))
      << summary.errors[1];
  EXPECT_TRUE(absl::StartsWith(summary.errors[2], path + ":5: fact.valid_time.start"))
      << summary.errors[2];
  bool found = false;
  for (const auto& record : FactsOf("CHN", 2014)) {
    if (record.fact().summary() == "A call.") {
      found = true;
      EXPECT_EQ(record.fact().provenance().source_id(), "curated.jsonl");
      EXPECT_EQ(record.fact().provenance().locator(), "line 1");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ImporterTest, SectorNamesAffiliateWithAStateNamedExactlyAndNamesJoinAsWritten) {
  const std::string path = Write(
      "sectors.tsv",
      "date\tsource\trelation\ttarget\n"
      "2014-03-01\tMilitary (Russia)\tno such event\tIran\n"  // 2: bad, creates nothing
      "2014-03-02\tMilitary (Russia)\tMake a visit\tIran\n"   // 3: creates it
      "2014-03-03\tIran\tHost a visit\tMilitary (Russia)\n"
      "2014-03-04\tTransport Canada\tMake a visit\tTransport (Canada)\n"
      "2014-03-05\tRussian Railways\tMake a visit\tBarack Obama\n"
      "2014-03-06\tMilitary (russia)\tMake a visit\tIran\n"             // not the state's name
      "2014-03-07\tMinistry (Russian Federation)\tMake a visit\tIran\n"  // an alias of RUS
      "2014-03-08\tKim Jong-Un\tMake a visit\tKim Jong Un\n"
      "2014-03-09\tPutin\tMake a visit\tIran\n"  // an alias of the seeds' person
      "2014-03-10\tvladimir putin\tMake a visit\tIran\n");
  const int64_t facts_before = store_->Stats().facts;
  const ImportSummary first = Import(path);
  EXPECT_EQ(first.rejected, 1) << DescribeSummary(first);
  // military_russia, transport_canada and Transport (Canada), russian_railways,
  // barack_obama, "Military (russia)", ministry_russian_federation, the two
  // Kims and "vladimir putin": every spelling is an actor of its own.
  EXPECT_EQ(first.entities_created, 10);
  EXPECT_EQ(first.actors_affiliated, 3);
  EXPECT_EQ(first.actors_unaffiliated, 7);
  EXPECT_EQ(first.facts_created, 9 + 3);  // 9 events, 3 affiliations
  EXPECT_EQ(store_->Stats().facts, facts_before + 12);

  auto military = store_->GetEntity("military_russia");
  ASSERT_TRUE(military.ok()) << military.status();
  EXPECT_EQ(military->kind(), v1::ENTITY_KIND_ORGANIZATION);
  EXPECT_EQ(military->sector(), "Military");
  EXPECT_EQ(military->state_id(), "RUS");
  const std::vector<v1::Fact> affiliations = AffiliationFactsOf("military_russia");
  ASSERT_EQ(affiliations.size(), 1u);
  const v1::Fact& affiliation = affiliations[0];
  ASSERT_EQ(affiliation.participants_size(), 2);
  for (const auto& p : affiliation.participants()) {
    if (p.role() == v1::PARTICIPANT_ROLE_AFFILIATE) {
      EXPECT_EQ(p.entity_id(), "military_russia");
    } else {
      EXPECT_EQ(p.role(), v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
      EXPECT_EQ(p.entity_id(), "RUS");
    }
  }
  EXPECT_TRUE(affiliation.valid_time().open_start());
  EXPECT_TRUE(affiliation.valid_time().open_end());
  EXPECT_FALSE(affiliation.valid_time().has_start());
  EXPECT_EQ(affiliation.provenance().source_id(), "sectors.tsv");
  EXPECT_EQ(affiliation.provenance().locator(), "line 3");  // the line that created it
  EXPECT_EQ(affiliation.attributes().at("basis"), "actor name");
  EXPECT_EQ(affiliation.summary(), "Military (Russia) acts for Russia, the country its name gives");

  const std::vector<v1::Entity> named = EntitiesNamed(
      {"Transport Canada", "Transport (Canada)", "Russian Railways", "Barack Obama",
       "Military (russia)", "Ministry (Russian Federation)", "Kim Jong-Un", "Kim Jong Un",
       "vladimir putin"});
  ASSERT_EQ(named.size(), 9u);
  std::set<std::string> ids;
  for (const v1::Entity& e : named) ids.insert(e.id());
  EXPECT_EQ(ids.size(), 9u);
  EXPECT_FALSE(ids.contains("vladimir_putin"));  // the seeds' person
  const std::vector<std::vector<std::string>> expected = {{}, {"CAN"}, {}, {}, {}, {"RUS"},
                                                          {}, {},      {}};
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(AffiliationsOf(named[i].id()), expected[i]) << named[i].name();
    EXPECT_EQ(named[i].kind(), v1::ENTITY_KIND_ORGANIZATION) << named[i].name();
    const std::string sector = named[i].name().substr(0, named[i].name().find(" ("));
    EXPECT_EQ(named[i].sector(), expected[i].empty() ? "" : sector) << named[i].name();
  }
  // "Putin" is an alias of the seeds' PERSON: the line is that person's.
  auto putin = FactsOf("vladimir_putin", 2014);
  ASSERT_EQ(putin.size(), 1u);
  EXPECT_EQ(putin[0].fact().provenance().locator(), "line 10");
  EXPECT_EQ(store_->GetEntity("vladimir_putin")->kind(), v1::ENTITY_KIND_PERSON);

  const storage::StoreStats before = store_->Stats();
  const ImportSummary second = Import(path);
  EXPECT_EQ(second.facts_created, 0);
  EXPECT_EQ(second.unchanged, 9);
  EXPECT_EQ(second.entities_created, 0);
  EXPECT_EQ(second.actors_affiliated + second.actors_unaffiliated, 0);
  EXPECT_TRUE(absl::StrContains(DescribeSummary(second),
                                "0 facts created, 9 unchanged, 1 rejected, 0 entities created "
                                "(0 affiliated, 0 unaffiliated)"))
      << DescribeSummary(second);
  EXPECT_EQ(store_->Stats().facts, before.facts);
  EXPECT_EQ(store_->Stats().entities, before.entities);
}

TEST_F(ImporterTest, AnImportCutShortGetsItsAffiliationsAndARetractionStays) {
  // As an import that stopped after creating its entities, before their
  // facts: the sector actor is there, its AFFILIATION is not.
  v1::Entity military;
  military.set_id("military_russia");
  military.set_kind(v1::ENTITY_KIND_ORGANIZATION);
  military.set_name("Military (Russia)");
  military.set_sector("Military");
  military.set_state_id("RUS");
  ASSERT_TRUE(store_->UpsertEntity(military).ok());
  const std::string path =
      Write("cut.tsv",
            "date\tsource\trelation\ttarget\n"
            "2014-04-01\tMilitary (Russia)\tMake a visit\tIran\n"
            // The seeds' organization of this form has no sector: not the importer's.
            "2014-04-02\tJoint Chiefs of Staff (South Korea)\tMake a visit\tIran\n");
  const ImportSummary summary = Import(path);
  EXPECT_EQ(summary.rejected, 0) << DescribeSummary(summary);
  EXPECT_EQ(summary.entities_created, 0);
  EXPECT_EQ(summary.actors_affiliated, 0);  // counts the entities created only
  EXPECT_EQ(summary.facts_created, 2 + 1);
  const std::vector<v1::Fact> affiliations = AffiliationFactsOf("military_russia");
  ASSERT_EQ(affiliations.size(), 1u);
  EXPECT_EQ(affiliations[0].provenance().locator(), "line 2");
  EXPECT_EQ(AffiliationsOf("jcs_kor"), std::vector<std::string>{});

  // Someone retracts it; another file naming the actor does not undo that.
  auto stored = store_->ListFacts([] {
    storage::FactQuery query;
    query.entity_id = "military_russia";
    query.types = {v1::FACT_TYPE_AFFILIATION};
    return query;
  }());
  ASSERT_TRUE(stored.ok() && stored->records.size() == 1u);
  ASSERT_TRUE(store_->RetractFact(stored->records[0].fact().id(), "mis-coded actor").ok());
  const ImportSummary later = Import(
      Write("later.tsv", "date\tsource\trelation\ttarget\n"
                         "2014-05-01\tMilitary (Russia)\tMake a visit\tChina\n"));
  EXPECT_EQ(later.facts_created, 1) << DescribeSummary(later);
  EXPECT_EQ(AffiliationsOf("military_russia"), std::vector<std::string>{});
}

TEST_F(ImporterTest, CsvAffiliationRowsAndStateColumns) {
  const std::string path = Write(
      "affiliations.csv",
      "date,end_date,source,target,type,event,source_state,target_state\n"
      ",,Transport Canada,Canada,AFFILIATION,,,\n"                      // 2: open at both ends
      "2014-03-18,,Crimean Parliament,Russia,affiliation,,,\n"          // 3: open end
      "2009-01-20,2017-01-20,Barack Obama,USA,AFFILIATION,,,\n"         // 4: an interval, by id
      "2014-05-01,,Iran,Russia,AFFILIATION,,,\n"                        // 5: a state as affiliate
      "2014-05-01,,Somebody New,SCO,AFFILIATION,,,\n"                   // 6: not a state
      "2014-05-01,,Somebody Else,Atlantis,AFFILIATION,,,\n"             // 7: no such state
      "2014-05-01,2014-01-01,Somebody Third,Iran,AFFILIATION,,,\n"      // 8: ends before it starts
      "2014-05-02,,Somebody Fourth,Iran,AFFILIATION,036,,\n"            // 9: an event too
      "2014-05-03,,Somebody Fifth,,AFFILIATION,,,\n"                    // 10: no state
      "2014-06-01,,Donetsk Separatists,Ukraine,,Make a visit,Russia,\n"  // 11: event + affiliation
      "2014-06-02,,Donetsk Militia,Iran,,Make a visit,Atlantis,\n"      // 12: no such state
      "2014-06-03,,Iran,Russia,,Make a visit,Iran,RUS\n"                // 13: states are themselves
      "2014-06-04,,Iran,Russia,,Make a visit,Russia,\n"                 // 14: a state for another
      "2014-06-05,,Military (Russia),Barack Obama,,Make a visit,Russia,United States\n"  // 15
      "2014-06-06,,Somebody Sixth,,,Make a visit,,Iran\n"               // 16: no target
      "2014-06-07,,Iran,Hamas,,Make a visit,,\n");                      // 17
  const int64_t facts_before = store_->Stats().facts;
  const int64_t entities_before = store_->Stats().entities;
  const ImportSummary summary = Import(path);
  const std::vector<std::pair<int, std::string>> expected_errors = {
      {5, "source: \"Iran\" is a STATE; an AFFILIATION row's source is the actor that stands "
          "for the state in target"},
      {6, "target: \"SCO\" is the ORGANIZATION sco, not a STATE entity"},
      {7, "target: \"Atlantis\" is not a known state"},
      {8, "end_date: \"2014-01-01\" is before the date \"2014-05-01\""},
      {9, "event: an AFFILIATION row has no CAMEO event"},
      {10, "target: is empty (an AFFILIATION row names the state here)"},
      {12, "source_state: \"Atlantis\" is not a known state"},
      {14, "source_state: source \"Iran\" is a state itself"},
      {16, "target_state: is given but the row has no target"},
  };
  ASSERT_EQ(summary.errors.size(), expected_errors.size()) << DescribeSummary(summary);
  for (size_t i = 0; i < expected_errors.size(); ++i) {
    const auto& [line, reason] = expected_errors[i];
    EXPECT_TRUE(absl::StartsWith(summary.errors[i], absl::StrCat(path, ":", line, ": ", reason)))
        << summary.errors[i];
  }
  // Rows 2, 3, 4: one fact each; 11: two; 13: one; 15: the event, the name's
  // affiliation, and one per state column; 17: one.
  EXPECT_EQ(summary.facts_created, 3 + 2 + 1 + 4 + 1);
  EXPECT_EQ(store_->Stats().facts, facts_before + summary.facts_created);
  // Nothing of a refused row: none of its actors is created.
  EXPECT_EQ(summary.entities_created, 6);
  EXPECT_EQ(store_->Stats().entities, entities_before + 6);
  for (const char* id : {"somebody_new", "somebody_else", "somebody_third", "somebody_fourth",
                         "somebody_fifth", "somebody_sixth", "donetsk_militia"}) {
    EXPECT_EQ(store_->GetEntity(id).status().code(), absl::StatusCode::kNotFound) << id;
  }
  EXPECT_EQ(summary.actors_affiliated, 5);
  EXPECT_EQ(summary.actors_unaffiliated, 1);  // Hamas
  EXPECT_TRUE(absl::StrContains(DescribeSummary(summary),
                                "6 entities created (5 affiliated, 1 unaffiliated)"))
      << DescribeSummary(summary);
  const v1::ImportResponse response = ToProto(summary);
  EXPECT_EQ(response.actors_affiliated(), 5);
  EXPECT_EQ(response.actors_unaffiliated(), 1);
  EXPECT_EQ(FromProto(response).actors_affiliated, 5);
  EXPECT_EQ(FromProto(response).actors_unaffiliated, 1);

  std::vector<v1::Fact> facts = AffiliationFactsOf("transport_canada");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_TRUE(facts[0].valid_time().open_start() && facts[0].valid_time().open_end());
  EXPECT_EQ(facts[0].summary(), "Transport Canada stands for Canada");
  EXPECT_EQ(facts[0].provenance().locator(), "line 2");
  EXPECT_EQ(AffiliationsOf("transport_canada"), std::vector<std::string>{"CAN"});
  facts = AffiliationFactsOf("crimean_parliament");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].valid_time().start().day(), 18);
  EXPECT_TRUE(facts[0].valid_time().open_end());
  EXPECT_EQ(AffiliationsOf("crimean_parliament"), std::vector<std::string>{"RUS"});
  // Obama: his row's span, and his target_state on row 15 (a day).
  facts = AffiliationFactsOf("barack_obama");
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].valid_time().start().year(), 2009);
  EXPECT_EQ(facts[0].valid_time().end().year(), 2017);
  EXPECT_EQ(facts[1].valid_time().start().day(), 5);
  EXPECT_FALSE(facts[1].valid_time().has_end());
  EXPECT_EQ(facts[1].attributes().at("basis"), "target_state column");
  EXPECT_EQ(facts[1].provenance().locator(), "line 15");
  EXPECT_EQ(AffiliationsOf("barack_obama"), (std::vector<std::string>{"USA", "USA"}));
  facts = AffiliationFactsOf("donetsk_separatists");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].valid_time().start().month(), 6);
  EXPECT_EQ(facts[0].attributes().at("basis"), "source_state column");
  EXPECT_EQ(facts[0].summary(), "Donetsk Separatists stands for Russia (the source_state column)");
  EXPECT_EQ(AffiliationsOf("donetsk_separatists"), std::vector<std::string>{"RUS"});
  // By its name (open) and by its source_state (that day).
  EXPECT_EQ(AffiliationsOf("military_russia"), (std::vector<std::string>{"RUS", "RUS"}));
  EXPECT_EQ(AffiliationsOf("hamas"), std::vector<std::string>{});

  // Again: every fact is stored, but for the name's affiliation not sent again.
  const ImportSummary second = Import(path);
  EXPECT_EQ(second.facts_created, 0) << DescribeSummary(second);
  EXPECT_EQ(second.unchanged, summary.facts_created - 1);
  EXPECT_EQ(second.rejected, summary.rejected);
  EXPECT_EQ(store_->Stats().facts, facts_before + summary.facts_created);
}

TEST_F(ImporterTest, JsonLinesAffiliations) {
  const std::string path = Write(
      "affiliations.jsonl",
      R"({"type": "FACT_TYPE_AFFILIATION", "participants": [{"entityId": "jcs_kor", "role": "PARTICIPANT_ROLE_AFFILIATE"}, {"entityId": "KOR", "role": "PARTICIPANT_ROLE_AFFILIATED_STATE"}], "validTime": {"openStart": true, "openEnd": true}, "summary": "The JCS is South Korea's."})"
      "\n"
      R"({"type": "FACT_TYPE_AFFILIATION", "participants": [{"entityId": "taliban", "role": "PARTICIPANT_ROLE_AFFILIATE"}, {"entityId": "sco", "role": "PARTICIPANT_ROLE_AFFILIATED_STATE"}], "validTime": {"start": {"year": 2021, "precision": "PRECISION_YEAR"}, "openEnd": true}})"
      "\n"
      R"({"type": "FACT_TYPE_AFFILIATION", "participants": [{"entityId": "taliban", "role": "PARTICIPANT_ROLE_AFFILIATE"}, {"entityId": "AFG", "role": "PARTICIPANT_ROLE_AFFILIATED_STATE"}], "validTime": {"start": {"year": 2021, "precision": "PRECISION_YEAR"}, "end": {"year": 2020, "precision": "PRECISION_YEAR"}}})"
      "\n"
      R"({"type": "FACT_TYPE_AFFILIATION", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_AFFILIATE"}, {"entityId": "RUS", "role": "PARTICIPANT_ROLE_AFFILIATED_STATE"}], "validTime": {"openStart": true, "openEnd": true}})"
      "\n");
  const int64_t facts_before = store_->Stats().facts;
  const ImportSummary summary = Import(path);
  EXPECT_EQ(summary.facts_created, 1);
  ASSERT_EQ(summary.errors.size(), 3u) << DescribeSummary(summary);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0],
                               path + ":2: fact.participants[1].entity_id: \"sco\" is not a "
                                      "STATE entity"))
      << summary.errors[0];
  EXPECT_TRUE(absl::StartsWith(summary.errors[1], path + ":3: fact.valid_time.end"))
      << summary.errors[1];
  EXPECT_TRUE(absl::StartsWith(summary.errors[2],
                               path + ":4: fact.participants[0].entity_id: \"IRN\" is a STATE"))
      << summary.errors[2];
  EXPECT_EQ(store_->Stats().facts, facts_before + 1);
  EXPECT_EQ(AffiliationsOf("jcs_kor"), std::vector<std::string>{"KOR"});
  EXPECT_EQ(AffiliationsOf("taliban"), std::vector<std::string>{});
}

TEST_F(ImporterTest, BadLinesAreReportedWithTheirNumbersAndGoodLinesImported) {
  const std::string tsv = Write("bad.tsv",
                                "date\tsource\trelation\ttarget\n"
                                "2014-01-01\tIran\tMake a visit\tRussia\n"
                                "2014-13-45\tIran\tMake a visit\tChina\n"
                                "2014-01-03\tIran\tDance the tango\tChina\n"
                                "2014-01-04\tIran\tMake a visit\n"
                                "2014-01-05\tBrand New Actor\tMake a visit\tIran\n");
  ImportSummary summary = Import(tsv);
  EXPECT_EQ(summary.lines, 5);
  EXPECT_EQ(summary.facts_created, 2);
  EXPECT_EQ(summary.rejected, 3);
  EXPECT_FALSE(summary.stopped);
  ASSERT_EQ(summary.errors.size(), 3u) << DescribeSummary(summary);
  EXPECT_EQ(summary.errors[0], tsv + ":3: date: \"2014-13-45\" is not a date (YYYY, YYYY-MM or "
                                     "YYYY-MM-DD)");
  EXPECT_TRUE(absl::StartsWith(summary.errors[1], tsv + ":4: relation: unknown CAMEO event"))
      << summary.errors[1];
  EXPECT_TRUE(absl::StartsWith(summary.errors[2], tsv + ":5: expected 4 fields")) << summary.errors[2];
  EXPECT_TRUE(absl::StrContains(summary.errors[2], "found 3")) << summary.errors[2];
  EXPECT_TRUE(store_->GetEntity("brand_new_actor").ok());

  const std::string csv = Write("bad.csv",
                                "date,source,colour,event,target\n"
                                "2014-01-01,Iran,red,Make a visit,Russia\n"
                                "2014-1-2,Iran,red,Make a visit,Russia\n"
                                "2014-01-03,Iran,red\n"
                                "2014-01-04,Iran,red,Make a visit,Turkey\n");
  summary = Import(csv);
  EXPECT_EQ(summary.lines, 4);
  EXPECT_EQ(summary.facts_created, 2);
  EXPECT_EQ(summary.rejected, 3);
  ASSERT_EQ(summary.errors.size(), 3u) << DescribeSummary(summary);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0], csv + ":1: header: unknown column \"colour\""))
      << summary.errors[0];
  EXPECT_TRUE(absl::StartsWith(summary.errors[1], csv + ":3: date: ")) << summary.errors[1];
  EXPECT_TRUE(absl::StartsWith(summary.errors[2], csv + ":4: expected 5 fields")) << summary.errors[2];
}

TEST_F(ImporterTest, StrictStopsAtTheFirstBadLine) {
  const std::string path = Write("strict.tsv",
                                 "date\tsource\trelation\ttarget\n"
                                 "2014-01-01\tIran\tMake a visit\tRussia\n"
                                 "2014-01-02\tFirst New Actor\tMake a visit\tRussia\n"
                                 "2014-01-03\tIran\tMake a visit\n"
                                 "2014-01-04\tSecond New Actor\tMake a visit\tIran\n"
                                 "2014-01-05\tIran\tno such event\tRussia\n");
  ImportOptions options;
  options.strict = true;
  const int64_t facts_before = store_->Stats().facts;
  const ImportSummary summary = Import(path, options);
  EXPECT_TRUE(summary.stopped);
  EXPECT_EQ(summary.facts_created, 2);
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_EQ(summary.lines, 3);
  ASSERT_EQ(summary.errors.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0], path + ":4: ")) << summary.errors[0];
  EXPECT_EQ(store_->Stats().facts, facts_before + 2);
  EXPECT_TRUE(store_->GetEntity("first_new_actor").ok());
  EXPECT_FALSE(store_->GetEntity("second_new_actor").ok());

  // A store rejection stops a strict import too, and nothing after it is applied.
  const std::string jsonl = Write(
      "strict.jsonl",
      R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2013, "precision": "PRECISION_YEAR"}}})"
      "\n"
      R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "nobody", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2013, "precision": "PRECISION_YEAR"}}})"
      "\n"
      R"({"type": "FACT_TYPE_MEETING", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2013, "precision": "PRECISION_YEAR"}}})"
      "\n");
  const ImportSummary stopped = Import(jsonl, options);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.facts_created, 1);
  EXPECT_EQ(stopped.rejected, 1);
  EXPECT_EQ(stopped.lines, 2);
  ASSERT_EQ(stopped.errors.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(stopped.errors[0], jsonl + ":2: fact.participants[0].entity_id"))
      << stopped.errors[0];
  EXPECT_EQ(store_->Stats().facts, facts_before + 3);
}

TEST_F(ImporterTest, UnknownColumnStopsAStrictImportAndMissingColumnsStopAny) {
  const std::string path = Write("cols.csv", "date,source,event,target,colour\n"
                                             "2014-01-01,Iran,Make a visit,Russia,red\n");
  ImportOptions strict;
  strict.strict = true;
  ImportSummary summary = Import(path, strict);
  EXPECT_TRUE(summary.stopped);
  EXPECT_EQ(summary.facts_created, 0);
  ASSERT_EQ(summary.errors.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0], path + ":1: header: unknown column \"colour\""));

  const std::string missing = Write("missing.csv", "when,source,target\n2014,Iran,Russia\n");
  summary = Import(missing);
  EXPECT_EQ(summary.facts_created, 0);
  ASSERT_EQ(summary.errors.size(), 2u) << DescribeSummary(summary);
  EXPECT_TRUE(absl::StartsWith(summary.errors[1], missing + ":1: header: no date, no event or type"))
      << summary.errors[1];
}

TEST_F(ImporterTest, ReportsProgress) {
  std::string text = "date\tsource\trelation\ttarget\n";
  for (int i = 1; i <= 28; ++i) {
    absl::StrAppend(&text, "2014-02-", i < 10 ? "0" : "", i, "\tIran\tMake a visit\tRussia\n");
  }
  const std::string path = Write("progress.tsv", text);
  std::vector<Progress> seen;
  ImportOptions options;
  options.progress = [&](const Progress& p) { seen.push_back(p); };
  Import(path, options);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().lines, 28);
  EXPECT_EQ(seen.back().bytes, seen.back().total_bytes);
  EXPECT_EQ(seen.back().total_bytes, static_cast<int64_t>(text.size()));
}

// Everything of a summary but its timing, to compare imports.
std::string CountsOf(const ImportSummary& s) {
  return absl::StrCat("lines ", s.lines, ", created ", s.facts_created, ", unchanged ",
                      s.unchanged, ", rejected ", s.rejected, ", entities ", s.entities_created,
                      s.stopped ? ", stopped" : "", "\n", absl::StrJoin(s.errors, "\n"));
}

// Feeds `pieces` to one Importer, as a client's chunks would arrive.
ImportSummary ImportPieces(storage::Store& store, const std::string& name,
                           const std::vector<absl::string_view>& pieces,
                           const ImportOptions& options = {}) {
  auto importer = Importer::Start(store, options, name);
  EXPECT_TRUE(importer.ok()) << importer.status();
  if (!importer.ok()) return {};
  for (absl::string_view piece : pieces) {
    auto fed = (*importer)->Feed(piece);
    EXPECT_TRUE(fed.ok()) << fed;
  }
  auto summary = (*importer)->Finish();
  EXPECT_TRUE(summary.ok()) << summary.status();
  return summary.ok() ? *summary : ImportSummary{};
}

TEST_F(ImporterTest, EverySplitOfTheInputGivesTheSameSummary) {
  struct Input {
    std::string name;
    std::string text;
    int64_t lines;                 // data lines
    int64_t facts;                 // facts created by the first import
    std::vector<int> error_lines;  // the lines reported bad, in order
    bool strict = false;
  };
  const std::vector<Input> inputs = {
      {"split.tsv",
       "date\tsource\trelation\ttarget\n"
       "2014-01-05\tIran\tMake a visit\tRussia\r\n"
       "2014-13-45\tIran\tMake a visit\tChina\n"
       "\n"
       "2014-01-06\tSplit Actor (Iran)\t036\n"
       "2014-01-07\tSplit Actor (Iran)\tHost a visit\tChina",  // no line break at the end
       4,
       3,  // and Split Actor (Iran)'s AFFILIATION with IRN
       {3, 5}},
      {"split.csv",
       "date,source,colour,event,target,summary\n"
       "2014-02-01,Iran,red,Make a visit,Russia,\"Quoted, with \"\"quotes\"\"\"\n"
       "2014-02-02,Iran,red,Make a visit,China,\"over\ntwo lines\"\n"
       "2014-02-30,Iran,red,Make a visit,China,\n"
       "2014-02-03,Russia,red,Make a visit,\"Iran\",\n",
       4,
       2,
       {1, 3, 5}},  // the unknown column, the summary's line break, the date
      {"split.jsonl",
       R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "IRN", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2014, "month": 9, "precision": "PRECISION_MONTH"}}})"
       "\n\n"
       R"({"type": "FACT_TYPE_CALL", "participants": [)"
       "\n"
       R"({"type": "FACT_TYPE_CALL", "participants": [{"entityId": "CHN", "role": "PARTICIPANT_ROLE_SOURCE"}], "validTime": {"start": {"year": 2014, "precision": "PRECISION_YEAR"}}})",
       3,
       2,
       {3}},
      {"strict.tsv",
       "2014-01-05\tIran\tMake a visit\tRussia\n"  // no header: the ICEWS columns
       "2014-01-06\tIran\tno such event\tRussia\n"
       "2014-01-07\tIran\tMake a visit\tChina\n",
       2,
       1,
       {2},
       true},
  };
  for (const Input& input : inputs) {
    SCOPED_TRACE(input.name);
    ImportOptions options;
    options.strict = input.strict;
    const ImportSummary first = ImportPieces(*store_, input.name, {input.text}, options);
    EXPECT_EQ(first.lines, input.lines) << CountsOf(first);
    EXPECT_EQ(first.facts_created, input.facts) << CountsOf(first);
    ASSERT_EQ(first.errors.size(), input.error_lines.size()) << CountsOf(first);
    for (size_t i = 0; i < first.errors.size(); ++i) {
      EXPECT_TRUE(absl::StartsWith(first.errors[i],
                                   absl::StrCat(input.name, ":", input.error_lines[i], ": ")))
          << first.errors[i];
    }
    // From now on every good line is unchanged: each split must say the same.
    const std::string expected = CountsOf(ImportPieces(*store_, input.name, {input.text}, options));
    for (size_t at = 0; at <= input.text.size(); ++at) {
      const absl::string_view text = input.text;
      EXPECT_EQ(CountsOf(ImportPieces(*store_, input.name, {text.substr(0, at), text.substr(at)},
                                      options)),
                expected)
          << "split at byte " << at;
    }
    std::vector<absl::string_view> bytes;
    for (size_t i = 0; i < input.text.size(); ++i) {
      bytes.push_back(absl::string_view(input.text).substr(i, 1));
    }
    EXPECT_EQ(CountsOf(ImportPieces(*store_, input.name, bytes, options)), expected)
        << "a byte at a time";
  }
}

TEST_F(ImporterTest, OverlongLinesAreRejectedAndTheRestImported) {
  ImportOptions options;
  options.max_line_bytes = 60;
  const std::string long_actor(80, 'x');
  const std::string tsv = absl::StrCat("date\tsource\trelation\ttarget\n",
                                       "2014-03-01\tIran\tMake a visit\tRussia\n",
                                       "2014-03-02\t", long_actor, "\tMake a visit\tRussia\n",
                                       "2014-03-03\tIran\tMake a visit\tChina\n");
  // Pieces of 7 bytes: the long line never sits whole in one piece.
  std::vector<absl::string_view> pieces;
  for (size_t at = 0; at < tsv.size(); at += 7) {
    pieces.push_back(absl::string_view(tsv).substr(at, 7));
  }
  ImportSummary summary = ImportPieces(*store_, "long.tsv", pieces, options);
  EXPECT_EQ(summary.lines, 3);
  EXPECT_EQ(summary.facts_created, 2);
  ASSERT_EQ(summary.errors.size(), 1u) << DescribeSummary(summary);
  EXPECT_EQ(summary.errors[0],
            "long.tsv:3: line: is longer than 60 bytes (a missing line break?)");

  // A quote that never closes: the record is rejected at its first line once
  // it is too long, and reading goes on after the line where that happened.
  const std::string csv = "date,source,event,target\n"
                          "2014-04-01,\"Iran,Make a visit,Russia\n"  // 2: opens a quote
                          "2014-04-02,Iran,Make a visit,China\n"      // 3: past 60 bytes
                          "2014-04-03,Iran,Make a visit,Turkey\n"     // 4: read again
                          "2014-04-04,Iran,Make a visit,Syria\n";
  summary = ImportPieces(*store_, "quote.csv", {csv}, options);
  EXPECT_EQ(summary.lines, 3);
  EXPECT_EQ(summary.facts_created, 2);
  ASSERT_EQ(summary.errors.size(), 1u) << DescribeSummary(summary);
  EXPECT_EQ(summary.errors[0],
            "quote.csv:2: line: is longer than 60 bytes (a missing line break or an unclosed "
            "quote?)");

  // An overlong header leaves nothing to import.
  summary = ImportPieces(*store_, "header.tsv", {long_actor, "\n2014\tIran\t042\tChina\n"},
                         options);
  EXPECT_TRUE(summary.stopped);
  EXPECT_EQ(summary.facts_created, 0);
  ASSERT_EQ(summary.errors.size(), 1u) << DescribeSummary(summary);
  EXPECT_TRUE(absl::StartsWith(summary.errors[0], "header.tsv:1: header: is longer than 60"))
      << summary.errors[0];
}

TEST_F(ImporterTest, ImporterChecksItsStartAndIsDoneAfterFinish) {
  EXPECT_FALSE(Importer::Start(*store_, {}, "events.txt").ok());  // no format
  ImportOptions bad_source;
  bad_source.source_id = "no spaces";
  auto rejected = Importer::Start(*store_, bad_source, "events.tsv");
  ASSERT_FALSE(rejected.ok());
  EXPECT_TRUE(absl::StartsWith(rejected.status().message(), "source id: ")) << rejected.status();

  auto importer = Importer::Start(*store_, {}, "dir/events.tsv");
  ASSERT_TRUE(importer.ok()) << importer.status();
  auto source = store_->GetSource("events.tsv");  // the file's name, created at the start
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->location(), "dir/events.tsv");
  ASSERT_TRUE((*importer)->Feed("2014-05-01\tIran\t042\tChina").ok());
  auto summary = (*importer)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->facts_created, 1);
  EXPECT_EQ(summary->path, "dir/events.tsv");
  EXPECT_EQ((*importer)->Feed("more").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*importer)->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
}

// The real ICEWS 2014 sample into a seeded store: twice, with the same
// counts, and on the seeds' state vertices.
// Found by fuzz_requests (WriteService.Import): an error quoting bytes that
// are not UTF-8 made the Import RPC's whole reply undecodable for proto3
// clients (gRPC's C++ sync client aborted on it).
TEST_F(ImporterTest, TheRpcSummaryIsUtf8WhateverTheErrorsQuote) {
  const std::string path =
      Write("latin1.csv",
            "date,source,target,event\n2014-01-01,Iran,Russia,Visite d\xe9j\xe0 faite \xc3\xa9\n");
  const ImportSummary summary = Import(path);
  ASSERT_EQ(summary.rejected, 1);
  v1::ImportResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(ToProto(summary).SerializeAsString()));
  ASSERT_EQ(parsed.errors_size(), 1);
  // Bytes that are not UTF-8 as \xNN; UTF-8 (the \xc3\xa9 of "é") kept.
  EXPECT_TRUE(absl::StrContains(parsed.errors(0), "\"Visite d\\xe9j\\xe0 faite \xc3\xa9\""))
      << parsed.errors(0);
  EXPECT_EQ(parsed.file_name(), path);
}

TEST_F(ImporterTest, IcewsSampleImportsOnceAndMeetsTheSeeds) {
  // What the import should make of the sample, counted here from the TSV and
  // the seeded store's names: the actor names of the CAMEO rows that no
  // entity has as its id, name or alias become entities, affiliated when
  // they read "Sector (Country)" with Country one state's name or alias.
  std::map<std::string, std::set<std::string>> state_names;  // text -> state ids
  std::set<std::string> known;
  ASSERT_TRUE(store_
                  ->ForEachEntity([&](const v1::Entity& e) {
                    known.insert(e.id());
                    known.insert(e.name());
                    known.insert(e.aliases().begin(), e.aliases().end());
                    if (e.kind() == v1::ENTITY_KIND_STATE) {
                      state_names[e.name()].insert(e.id());
                      for (const auto& alias : e.aliases()) state_names[alias].insert(e.id());
                    }
                    return true;
                  })
                  .ok());
  std::set<std::string> new_actors;
  {
    std::ifstream in(ICEWS_EVENTS);
    std::string row;
    std::getline(in, row);  // the header
    while (std::getline(in, row)) {
      const std::vector<std::string> fields = absl::StrSplit(row, '\t');
      ASSERT_EQ(fields.size(), 4u) << row;
      if (fields[2] == "locatedin") continue;
      for (const std::string& name : {fields[1], fields[3]}) {
        if (!known.contains(name)) new_actors.insert(name);
      }
    }
  }
  int64_t expected_affiliated = 0;
  for (const std::string& name : new_actors) {
    const size_t open = name.rfind(" (");
    if (open == std::string::npos || open == 0 || name.back() != ')') continue;
    auto it = state_names.find(name.substr(open + 2, name.size() - open - 3));
    if (it != state_names.end() && it->second.size() == 1) ++expected_affiliated;
  }
  const int64_t expected_new = static_cast<int64_t>(new_actors.size());

  ImportSummary first = Import(ICEWS_EVENTS);
  std::fprintf(stderr, "%s", DescribeSummary(first).substr(0, 300).c_str());
  EXPECT_EQ(first.lines, 86933);
  // The sample's 3,574 "locatedin" rows are no CAMEO events (graph/cameo_table.md).
  EXPECT_EQ(first.rejected, 3574);
  for (const auto& error : first.errors) {
    EXPECT_TRUE(absl::StrContains(error, "relation: unknown CAMEO event \"locatedin\"")) << error;
  }
  EXPECT_EQ(first.entities_created, expected_new);
  EXPECT_EQ(first.actors_affiliated, expected_affiliated);
  EXPECT_EQ(first.actors_unaffiliated, expected_new - expected_affiliated);
  // One fact per event, one AFFILIATION per affiliated actor.
  EXPECT_EQ(first.facts_created, 86933 - 3574 + expected_affiliated);
  EXPECT_EQ(first.unchanged, 0);
  const storage::StoreStats after_first = store_->Stats();

  ImportSummary second = Import(ICEWS_EVENTS);
  std::fprintf(stderr, "%s", DescribeSummary(second).substr(0, 300).c_str());
  EXPECT_EQ(second.lines, first.lines);
  EXPECT_EQ(second.facts_created, 0);
  EXPECT_EQ(second.entities_created, 0);
  EXPECT_EQ(second.actors_affiliated, 0);
  EXPECT_EQ(second.actors_unaffiliated, 0);
  // The events again; the affiliations are stored, so not sent again.
  EXPECT_EQ(second.unchanged, first.facts_created - first.actors_affiliated);
  EXPECT_EQ(second.rejected, first.rejected);
  const storage::StoreStats after_second = store_->Stats();
  EXPECT_EQ(after_second.facts, after_first.facts);
  EXPECT_EQ(after_second.entities, after_first.entities);

  for (const char* id : {"ministry_iran", "member_of_legislative_govt_iran"}) {
    auto sector = store_->GetEntity(id);
    ASSERT_TRUE(sector.ok()) << id;
    EXPECT_EQ(sector->kind(), v1::ENTITY_KIND_ORGANIZATION);
    EXPECT_EQ(sector->state_id(), "IRN");
    EXPECT_FALSE(FactsOf(id, 2014).empty());
  }
  EXPECT_EQ(store_->GetEntity("member_of_legislative_govt_iran")->sector(),
            "Member of Legislative (Govt)");
  // Military (Russia) stands for Russia; Barack Obama, a person the seeds do
  // not know, and Transport Canada, a name without the parentheses, stand for
  // no state. "Transport (Canada)" is another actor, Canada's transport sector.
  EXPECT_EQ(AffiliationsOf("military_russia"), (std::vector<std::string>{"RUS"}));
  EXPECT_EQ(AffiliationsOf("barack_obama"), std::vector<std::string>{});
  EXPECT_EQ(store_->GetEntity("barack_obama")->kind(), v1::ENTITY_KIND_ORGANIZATION);
  const std::vector<v1::Entity> transport = EntitiesNamed({"Transport Canada",
                                                           "Transport (Canada)"});
  ASSERT_EQ(transport.size(), 2u);
  EXPECT_NE(transport[0].id(), transport[1].id());
  EXPECT_EQ(AffiliationsOf(transport[0].id()), std::vector<std::string>{});
  EXPECT_EQ(AffiliationsOf(transport[1].id()), (std::vector<std::string>{"CAN"}));
  EXPECT_FALSE(FactsOf(transport[0].id(), 2014).empty());
  auto iran = store_->GetEntity("IRN");
  ASSERT_TRUE(iran.ok());
  EXPECT_EQ(iran->name(), "Iran");
  EXPECT_FALSE(iran->description().empty());  // the seeds' record, untouched
  int64_t icews = 0, plain_iran_source = 0;
  for (const auto& record : FactsOf("IRN", 2014)) {
    if (record.fact().provenance().source_id() != "events.tsv") continue;
    ++icews;
    if (absl::StartsWith(record.fact().summary(), "Iran: ")) ++plain_iran_source;
  }
  EXPECT_GT(icews, 1000);
  EXPECT_GT(plain_iran_source, 100);
  // Curated seed facts and ICEWS events share the IRN vertex.
  int64_t curated = 0;
  for (int year = 2001; year <= 2025; ++year) {
    for (const auto& record : FactsOf("IRN", year)) {
      if (record.fact().provenance().source_id() != "events.tsv") ++curated;
    }
  }
  EXPECT_GT(curated, 0);
}

}  // namespace
}  // namespace entente::importer
