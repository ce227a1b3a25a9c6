// The graph queries over gRPC against the seeded server: the checks of the
// graph-queries issue.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "storage/dates.h"
#include "tests/server_process.h"

namespace entente {
namespace {

using testing::ServerProcess;
using testing::TempDir;

v1::Date Year(int y) { return date_text::MakeDate(y); }

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess(dir_->path() + "/db");
    ASSERT_TRUE(server_->ok()) << server_->log();
    client_ = client::Client::Connect(server_->address()).release();
  }
  static void TearDownTestSuite() {
    delete client_;
    EXPECT_EQ(server_->Stop(), 0);
    delete server_;
    delete dir_;
  }
  // Two new states, a and b, for tests that need a dyad of their own.
  static void AddStatePair(const std::string& a, const std::string& b) {
    for (const std::string& id : {a, b}) {
      v1::Entity state;
      state.set_id(id);
      state.set_kind(v1::ENTITY_KIND_STATE);
      state.set_name(absl::StrCat("State ", id));
      ASSERT_TRUE(client_->UpsertEntity(state).ok());
    }
  }
  // A fact of `type` between a and b on `day`.
  static v1::Fact PairFact(v1::FactType type, const std::string& a, const std::string& b,
                           const v1::Date& day) {
    v1::Fact fact;
    fact.set_type(type);
    for (const std::string& id : {a, b}) {
      auto* party = fact.add_participants();
      party->set_entity_id(id);
      party->set_role(v1::PARTICIPANT_ROLE_PARTY);
    }
    *fact.mutable_valid_time()->mutable_start() = day;
    return fact;
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  static inline client::Client* client_ = nullptr;
};

TEST_F(QueryTest, IranRussiaTimelineFrom2001To2025) {
  v1::GetTimelineRequest request;
  request.add_entity_ids("IRN");
  request.add_entity_ids("RUS");
  *request.mutable_window()->mutable_from() = Year(2001);
  *request.mutable_window()->mutable_to() = Year(2025);
  auto timeline = client_->GetTimeline(request);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  std::vector<v1::Fact> facts;
  for (const auto& record : timeline->facts()) facts.push_back(record.fact());
  EXPECT_FALSE(facts.empty());
  std::vector<int> bucket_years;
  int64_t bucket_total = 0;
  for (const auto& bucket : timeline->buckets()) {
    EXPECT_EQ(bucket.period().precision(), v1::PRECISION_YEAR);
    bucket_years.push_back(bucket.period().year());
    bucket_total += bucket.fact_count();
  }
  ASSERT_TRUE(timeline->has_summary());
  const v1::TimelineSummary& summary = timeline->summary();
  EXPECT_EQ(summary.total_facts(), static_cast<int64_t>(facts.size()));
  EXPECT_EQ(bucket_total, summary.total_facts());
  EXPECT_TRUE(std::is_sorted(bucket_years.begin(), bucket_years.end()));
  for (int year : {2001, 2015, 2022, 2024, 2025}) {
    EXPECT_NE(std::find(bucket_years.begin(), bucket_years.end(), year), bucket_years.end())
        << year;
  }
  // Position of the first fact of a type starting in a given year (and month).
  auto position = [&](v1::FactType type, int year, int month) {
    for (size_t i = 0; i < facts.size(); ++i) {
      const auto& start = facts[i].valid_time().start();
      if (facts[i].type() == type && start.year() == year &&
          (month == 0 || start.month() == month)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  const int agreement_2001 = position(v1::FACT_TYPE_AGREEMENT_SIGNED, 2001, 3);
  const int jcpoa = position(v1::FACT_TYPE_AGREEMENT_SIGNED, 2015, 0);
  const int visit_2022 = position(v1::FACT_TYPE_VISIT, 2022, 1);
  const int trade = position(v1::FACT_TYPE_TRADE, 2022, 1);
  const int kazan = position(v1::FACT_TYPE_MEETING, 2024, 10);
  const int agreement_2025 = position(v1::FACT_TYPE_AGREEMENT_SIGNED, 2025, 1);
  for (int p : {agreement_2001, jcpoa, visit_2022, trade, kazan, agreement_2025}) {
    ASSERT_GE(p, 0);
  }
  EXPECT_LT(agreement_2001, jcpoa);
  EXPECT_LT(jcpoa, visit_2022);
  EXPECT_LT(jcpoa, trade);
  EXPECT_LT(visit_2022, kazan);
  EXPECT_LT(trade, kazan);
  EXPECT_LT(kazan, agreement_2025);
}

// A timeline larger than one message (about 256 KiB) comes in several, each
// continuing the one before: facts in time order, then buckets, then the
// summary in the last message only.
TEST_F(QueryTest, LongTimelineComesInSeveralMessages) {
  AddStatePair("TLA", "TLB");
  constexpr int kFacts = 3000;
  std::vector<v1::Fact> facts;
  for (int i = 0; i < kFacts; ++i) {
    v1::Fact fact = PairFact(v1::FACT_TYPE_MEETING, "TLA", "TLB",
                             storage::DateOfDay(storage::ToDayNumber(2010, 1, 1) + i / 2));
    fact.set_summary(absl::StrCat("Meeting number ", i, " of two states, with some text to make ",
                                  "the record about as large as a real one."));
    facts.push_back(std::move(fact));
  }
  auto recorded = client_->RecordFacts(facts);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->created(), kFacts);

  v1::GetTimelineRequest request;
  request.add_entity_ids("TLA");
  request.add_entity_ids("TLB");
  request.set_granularity(v1::GRANULARITY_MONTH);
  grpc::ClientContext context;
  auto reader = client_->query_stub().GetTimeline(&context, request);
  std::vector<v1::GetTimelineResponse> messages;
  v1::GetTimelineResponse message;
  while (reader->Read(&message)) messages.push_back(message);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(messages.size(), 2u);
  int64_t fact_count = 0, bucket_total = 0;
  int previous_day = 0;
  bool buckets_started = false;
  for (size_t m = 0; m < messages.size(); ++m) {
    const auto& part = messages[m];
    EXPECT_LT(part.ByteSizeLong(), 300u << 10) << m;
    EXPECT_EQ(part.has_summary(), m + 1 == messages.size()) << m;
    EXPECT_FALSE(buckets_started && part.facts_size() > 0) << "facts after buckets in " << m;
    for (const auto& record : part.facts()) {
      const auto& start = record.fact().valid_time().start();
      const int day = start.year() * 10000 + start.month() * 100 + start.day();
      EXPECT_GE(day, previous_day);
      previous_day = day;
      ++fact_count;
    }
    for (const auto& bucket : part.buckets()) bucket_total += bucket.fact_count();
    buckets_started |= part.buckets_size() > 0;
  }
  EXPECT_EQ(fact_count, kFacts);
  EXPECT_EQ(bucket_total, kFacts);
  EXPECT_EQ(messages.back().summary().total_facts(), kFacts);
  EXPECT_EQ(messages.back().summary().streamed_facts(), kFacts);
  EXPECT_FALSE(messages.back().summary().truncated());
}

// A timeline as of a record time shows a fact retracted later, without its
// retraction; now it does not show it.
TEST_F(QueryTest, TimelineAsOfShowsFactsRetractedLater) {
  AddStatePair("ASA", "ASB");
  auto recorded =
      client_->RecordFact(PairFact(v1::FACT_TYPE_CALL, "ASA", "ASB", date_text::MakeDate(2020, 5, 1)));
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  // Record times count in whole seconds: retract in a later second.
  const int64_t recorded_second = recorded->record().record_time().seconds();
  while (absl::ToUnixSeconds(absl::Now()) <= recorded_second) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(client_->RetractFact(recorded->record().fact().id(), "test").ok());

  v1::GetTimelineRequest request;
  request.add_entity_ids("ASA");
  request.add_entity_ids("ASB");
  auto now = client_->GetTimeline(request);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->facts_size(), 0);
  request.mutable_as_of()->set_seconds(recorded_second + 1);
  auto before = client_->GetTimeline(request);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->facts_size(), 1);
  EXPECT_EQ(before->facts(0).fact().id(), recorded->record().fact().id());
  EXPECT_FALSE(before->facts(0).has_retraction());
  EXPECT_EQ(before->summary().total_facts(), 1);
}

TEST_F(QueryTest, NorthKoreaReachesIranThroughRussia) {
  v1::FindPathsRequest request;
  request.set_from_entity_id("PRK");
  request.set_to_entity_id("IRN");
  auto response = client_->FindPaths(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->paths_size(), 1);
  const auto& path = response->paths(0);
  ASSERT_EQ(path.entity_ids_size(), 3);
  EXPECT_EQ(path.entity_ids(1), "RUS");
  for (const auto& hop : path.hops()) {
    EXPECT_GT(hop.facts_size(), 0);
    for (const auto& fact : hop.facts()) {
      EXPECT_EQ(fact.from_entity_id(), hop.from_entity_id());
      EXPECT_EQ(fact.to_entity_id(), hop.to_entity_id());
      EXPECT_TRUE(client_->GetFact(fact.fact_id()).ok());
    }
  }

  request.set_mode(v1::PATH_MODE_K_SHORTEST);
  request.set_k(3);
  auto k = client_->FindPaths(request);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_GE(k->paths_size(), 2);
  for (int i = 1; i < k->paths_size(); ++i) {
    EXPECT_LE(k->paths(i - 1).entity_ids_size(), k->paths(i).entity_ids_size());
  }

  request.set_mode(v1::PATH_MODE_TIME_RESPECTING);
  *request.mutable_since() = Year(2020);
  auto timed = client_->FindPaths(request);
  ASSERT_TRUE(timed.ok()) << timed.status();
  ASSERT_EQ(timed->paths_size(), 1);
  int previous = 0;
  for (const auto& hop : timed->paths(0).hops()) {
    const auto& d = hop.day();
    const int day = d.year() * 10000 + d.month() * 100 + d.day();
    EXPECT_GE(day, previous);
    EXPECT_GE(d.year(), 2020);
    previous = day;
    ASSERT_EQ(hop.facts_size(), 1);
  }
}

TEST_F(QueryTest, IransNeighborhoodIn2022) {
  v1::GetNeighborhoodRequest request;
  request.add_entity_ids("IRN");
  request.set_hops(1);
  *request.mutable_filter()->mutable_window()->mutable_from() = Year(2022);
  *request.mutable_filter()->mutable_window()->mutable_to() = Year(2022);
  auto response = client_->GetNeighborhood(request);
  ASSERT_TRUE(response.ok()) << response.status();
  std::set<std::string> ids;
  for (const auto& n : response->neighbors()) {
    ids.insert(n.entity_id());
    EXPECT_EQ(n.distance(), 1);
    EXPECT_GT(n.fact_count(), 0);
  }
  EXPECT_TRUE(ids.contains("RUS"));
  EXPECT_TRUE(ids.contains("CHN"));
  EXPECT_GT(response->facts_size(), 0);
  // Only states.
  request.mutable_filter()->add_entity_kinds(v1::ENTITY_KIND_STATE);
  auto states = client_->GetNeighborhood(request);
  ASSERT_TRUE(states.ok());
  for (const auto& n : states->neighbors()) EXPECT_EQ(n.kind(), v1::ENTITY_KIND_STATE);
}

TEST_F(QueryTest, RelationshipStateAndDiff) {
  v1::GetRelationshipStateRequest request;
  request.set_entity_id("IRN");
  request.set_other_entity_id("RUS");
  request.mutable_at()->set_year(2025);
  request.mutable_at()->set_month(2);
  request.mutable_at()->set_precision(v1::PRECISION_MONTH);
  auto state = client_->GetRelationshipState(request);
  ASSERT_TRUE(state.ok()) << state.status();
  bool has_2025_agreement = false;
  for (const auto& r : state->state().agreements()) {
    has_2025_agreement |= r.fact().valid_time().start().year() == 2025;
  }
  EXPECT_TRUE(has_2025_agreement);
  EXPECT_FALSE(state->state().trade().empty());

  v1::DiffRelationshipRequest diff;
  diff.set_entity_id("IRN");
  diff.set_other_entity_id("RUS");
  *diff.mutable_from() = Year(2021);
  *diff.mutable_to() = Year(2025);
  auto changes = client_->DiffRelationship(diff);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->agreements().added_size(), 1);
  EXPECT_EQ(changes->agreements().added(0).fact().valid_time().start().year(), 2025);
}

TEST_F(QueryTest, BadQueriesNameTheField) {
  auto expect_invalid = [](const absl::Status& status, const std::string& field) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), field + ":")) << status;
  };
  v1::GetNeighborhoodRequest hood;
  hood.add_entity_ids("IRN");
  hood.set_hops(7);
  expect_invalid(client_->GetNeighborhood(hood).status(), "hops");
  hood.set_hops(0);
  expect_invalid(client_->GetNeighborhood(hood).status(), "hops");
  hood.set_hops(1);
  *hood.mutable_filter()->mutable_window()->mutable_from() = Year(2025);
  *hood.mutable_filter()->mutable_window()->mutable_to() = Year(2001);
  expect_invalid(client_->GetNeighborhood(hood).status(), "filter.window");
  hood.clear_filter();
  hood.add_entity_ids("Atlantis");
  expect_invalid(client_->GetNeighborhood(hood).status(), "entity_ids[1]");

  v1::FindPathsRequest path;
  path.set_from_entity_id("PRK");
  path.set_to_entity_id("nowhere");
  expect_invalid(client_->FindPaths(path).status(), "to_entity_id");
  path.set_to_entity_id("IRN");
  path.set_max_hops(9);
  expect_invalid(client_->FindPaths(path).status(), "max_hops");

  v1::GetTimelineRequest timeline;
  timeline.add_entity_ids("IRN");
  *timeline.mutable_window()->mutable_from() = Year(2025);
  *timeline.mutable_window()->mutable_to() = Year(2001);
  expect_invalid(client_->GetTimeline(timeline).status(), "window");
  // The server is still serving.
  EXPECT_TRUE(client_->GetStats().ok());
}

TEST_F(QueryTest, WritesShowUpInQueriesAtOnce) {
  v1::Entity atlantis;
  atlantis.set_id("ATL");
  atlantis.set_kind(v1::ENTITY_KIND_STATE);
  atlantis.set_name("Atlantis");
  ASSERT_TRUE(client_->UpsertEntity(atlantis).ok());
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_VISIT);
  auto* p = fact.add_participants();
  p->set_entity_id("ATL");
  p->set_role(v1::PARTICIPANT_ROLE_VISITOR);
  p = fact.add_participants();
  p->set_entity_id("IRN");
  p->set_role(v1::PARTICIPANT_ROLE_HOST);
  *fact.mutable_valid_time()->mutable_start() = Year(2023);
  ASSERT_TRUE(client_->RecordFact(fact).ok());
  v1::FindPathsRequest request;
  request.set_from_entity_id("ATL");
  request.set_to_entity_id("PRK");
  auto response = client_->FindPaths(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->paths_size(), 1);
  EXPECT_EQ(response->paths(0).entity_ids(1), "IRN");
}

TEST_F(QueryTest, RolledUpAnswersOverGrpc) {
  AddStatePair("RLA", "RLB");
  for (const auto& [id, name] : std::vector<std::pair<std::string, std::string>>{
           {"rla_government", "Government (State RLA)"}, {"rlb_military", "Military (State RLB)"}}) {
    v1::Entity org;
    org.set_id(id);
    org.set_kind(v1::ENTITY_KIND_ORGANIZATION);
    org.set_name(name);
    ASSERT_TRUE(client_->UpsertEntity(org).ok());
  }
  auto affiliate = [](const std::string& actor, const std::string& state) {
    v1::Fact tie;
    tie.set_type(v1::FACT_TYPE_AFFILIATION);
    auto* p = tie.add_participants();
    p->set_entity_id(actor);
    p->set_role(v1::PARTICIPANT_ROLE_AFFILIATE);
    p = tie.add_participants();
    p->set_entity_id(state);
    p->set_role(v1::PARTICIPANT_ROLE_AFFILIATED_STATE);
    tie.mutable_valid_time()->set_open_start(true);
    tie.mutable_valid_time()->set_open_end(true);
    return client_->RecordFact(tie);
  };
  // An affiliation to a non-state is refused naming the field.
  auto refused = affiliate("rla_government", "rlb_military");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "fact.participants[")) << refused.status();
  ASSERT_TRUE(affiliate("rla_government", "RLA").ok());
  auto tie_b = affiliate("rlb_military", "RLB");
  ASSERT_TRUE(tie_b.ok()) << tie_b.status();
  v1::Fact deployment = PairFact(v1::FACT_TYPE_DEPLOYMENT, "rlb_military", "rla_government",
                                 date_text::MakeDate(2019, 5, 2));
  ASSERT_TRUE(client_->RecordFact(deployment).ok());

  v1::GetTimelineRequest timeline;
  timeline.add_entity_ids("RLA");
  timeline.add_entity_ids("RLB");
  auto plain = client_->GetTimeline(timeline);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->facts_size(), 0);
  timeline.set_roll_up(v1::ROLL_UP_STATE);
  auto rolled = client_->GetTimeline(timeline);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  ASSERT_EQ(rolled->facts_size(), 1);
  const auto& record = rolled->facts(0);
  ASSERT_EQ(record.rolled_up_participants_size(), record.fact().participants_size());
  for (int i = 0; i < record.fact().participants_size(); ++i) {
    const std::string& actor = record.fact().participants(i).entity_id();
    EXPECT_EQ(record.rolled_up_participants(i).entity_id(),
              actor == "rla_government" ? "RLA" : "RLB");
    EXPECT_EQ(record.rolled_up_participants(i).role(), record.fact().participants(i).role());
  }
  ASSERT_EQ(rolled->buckets_size(), 1);
  EXPECT_EQ(rolled->buckets(0).fact_count(), 1);

  v1::GetNeighborhoodRequest hood;
  hood.add_entity_ids("RLA");
  hood.set_hops(1);
  hood.mutable_filter()->set_roll_up(v1::ROLL_UP_STATE);
  auto neighbors = client_->GetNeighborhood(hood);
  ASSERT_TRUE(neighbors.ok()) << neighbors.status();
  ASSERT_EQ(neighbors->neighbors_size(), 1);
  EXPECT_EQ(neighbors->neighbors(0).entity_id(), "RLB");
  ASSERT_EQ(neighbors->facts_size(), 1);
  EXPECT_EQ(neighbors->facts(0).from_entity_id(), "RLA");
  EXPECT_EQ(neighbors->facts(0).from_actor_ids().size(), 1);
  EXPECT_EQ(neighbors->facts(0).from_actor_ids(0), "rla_government");
  EXPECT_EQ(neighbors->facts(0).to_actor_ids(0), "rlb_military");

  v1::GetRelationshipStateRequest state;
  state.set_entity_id("RLA");
  state.set_other_entity_id("RLB");
  *state.mutable_at() = date_text::MakeDate(2019, 12, 31);
  auto unrolled_state = client_->GetRelationshipState(state);
  ASSERT_TRUE(unrolled_state.ok()) << unrolled_state.status();
  EXPECT_EQ(unrolled_state->state().deployments_size(), 0);
  state.set_roll_up(v1::ROLL_UP_STATE);
  auto rolled_state = client_->GetRelationshipState(state);
  ASSERT_TRUE(rolled_state.ok()) << rolled_state.status();
  ASSERT_EQ(rolled_state->state().deployments_size(), 1);
  EXPECT_EQ(rolled_state->state().deployments(0).rolled_up_participants_size(), 2);

  v1::DiffRelationshipRequest diff;
  diff.set_entity_id("RLA");
  diff.set_other_entity_id("RLB");
  *diff.mutable_from() = Year(2018);
  *diff.mutable_to() = Year(2019);
  diff.set_roll_up(v1::ROLL_UP_STATE);
  auto changes = client_->DiffRelationship(diff);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(changes->deployments().added_size(), 1);

  // Retracting RLB's tie changes the answer; as of a time before the
  // retraction (whole seconds) the old answer stands.
  absl::SleepFor(absl::Milliseconds(1100));
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  absl::SleepFor(absl::Milliseconds(1100));
  ASSERT_TRUE(client_->RetractFact(tie_b->record().fact().id(), "test: not its military").ok());
  auto after = client_->GetTimeline(timeline);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->facts_size(), 0);
  timeline.mutable_as_of()->set_seconds(before);
  auto then = client_->GetTimeline(timeline);
  ASSERT_TRUE(then.ok()) << then.status();
  EXPECT_EQ(then->facts_size(), 1);
}

TEST_F(QueryTest, BadRollUpsNameTheField) {
  auto expect_invalid = [](const absl::Status& status, const std::string& field) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), field + ":")) << status;
  };
  v1::GetNeighborhoodRequest hood;
  hood.add_entity_ids("IRN");
  hood.set_hops(1);
  hood.mutable_filter()->set_roll_up(static_cast<v1::RollUp>(9));
  expect_invalid(client_->GetNeighborhood(hood).status(), "filter.roll_up");
  v1::FindPathsRequest path;
  path.set_from_entity_id("PRK");
  path.set_to_entity_id("IRN");
  path.mutable_filter()->set_roll_up(static_cast<v1::RollUp>(3));
  expect_invalid(client_->FindPaths(path).status(), "filter.roll_up");
  v1::GetTimelineRequest timeline;
  timeline.add_entity_ids("IRN");
  timeline.set_include_internal(true);
  expect_invalid(client_->GetTimeline(timeline).status(), "include_internal");
  timeline.set_roll_up(static_cast<v1::RollUp>(7));
  expect_invalid(client_->GetTimeline(timeline).status(), "roll_up");
  v1::GetRelationshipStateRequest state;
  state.set_entity_id("IRN");
  state.set_other_entity_id("RUS");
  *state.mutable_at() = Year(2025);
  state.set_roll_up(static_cast<v1::RollUp>(5));
  expect_invalid(client_->GetRelationshipState(state).status(), "roll_up");
  v1::DiffRelationshipRequest diff;
  diff.set_entity_id("IRN");
  diff.set_other_entity_id("RUS");
  *diff.mutable_from() = Year(2021);
  *diff.mutable_to() = Year(2025);
  diff.set_roll_up(static_cast<v1::RollUp>(5));
  expect_invalid(client_->DiffRelationship(diff).status(), "roll_up");
}

}  // namespace
}  // namespace entente
