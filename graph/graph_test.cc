// The graph queries on small hand-made graphs with known answers.
#include "graph/graph.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "storage/dates.h"
#include "storage/validate.h"
#include "graph/queries.h"

namespace entente::graph {
namespace {

namespace fs = std::filesystem;
using storage::ToDayNumber;

v1::Date Date(int y, int m = 0, int d = 0) { return date_text::MakeDate(y, m, d); }

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / absl::StrCat("entente_graph_test_", ::getpid());
    fs::remove_all(path_);
    storage::StoreOptions options;
    options.clock = [this] { return now_; };
    store_ = std::move(*storage::Store::Open(path_.string(), options));
    for (const char* id : {"A", "B", "C", "D", "E", "F", "Z"}) AddEntity(id, v1::ENTITY_KIND_STATE);
    AddEntity("p", v1::ENTITY_KIND_PERSON);
  }
  void TearDown() override {
    graph_.reset();
    store_.reset();
    fs::remove_all(path_);
  }

  void AddEntity(const std::string& id, v1::EntityKind kind) {
    v1::Entity e;
    e.set_id(id);
    e.set_kind(kind);
    e.set_name(absl::StrCat("Entity ", id));
    ASSERT_TRUE(store_->UpsertEntity(e).ok());
  }

  // A fact between the given entities, valid from `start` (to `end`).
  std::string Link(std::vector<std::string> ids, v1::Date start,
                   v1::FactType type = v1::FACT_TYPE_MEETING,
                   std::optional<v1::Date> end = std::nullopt) {
    v1::Fact f;
    f.set_type(type);
    for (const auto& id : ids) {
      auto* p = f.add_participants();
      p->set_entity_id(id);
      p->set_role(v1::PARTICIPANT_ROLE_PARTY);
    }
    *f.mutable_valid_time()->mutable_start() = start;
    if (end) *f.mutable_valid_time()->mutable_end() = *end;
    f.set_summary(absl::StrCat("fact ", ++facts_));
    auto r = store_->RecordFact(f);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }

  const Snapshot& Graph() {
    if (graph_ == nullptr) graph_ = std::move(*LiveGraph::Build(*store_));
    graph_->Publish();
    snapshot_ = graph_->snapshot();
    return *snapshot_;
  }

  Vertex V(const std::string& id) { return Graph().Find(id); }

  std::vector<std::string> Ids(const std::vector<Vertex>& vertices) {
    std::vector<std::string> out;
    for (Vertex v : vertices) out.push_back(std::string(Graph().id(v)));
    return out;
  }

  EdgeFilter Window(storage::DayNumber from, storage::DayNumber to) {
    EdgeFilter f;
    f.window = {from, to};
    return f;
  }

  fs::path path_;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  int facts_ = 0;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<LiveGraph> graph_;
  std::shared_ptr<const Snapshot> snapshot_;
};

TEST_F(GraphTest, NeighborhoodCountsAndHops) {
  Link({"A", "B"}, Date(2020, 1, 5));
  Link({"A", "B"}, Date(2020, 2, 5));
  Link({"A", "C"}, Date(2020, 3, 5));
  Link({"B", "D"}, Date(2020, 4, 5));
  Link({"C", "D"}, Date(2020, 4, 6));
  Link({"D", "E"}, Date(2020, 5, 1));
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  q.hops = 1;
  auto one = Neighborhood(Graph(), q);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->neighbors.size(), 2u);
  EXPECT_EQ(Graph().id(one->neighbors[0].vertex), "B");  // two facts
  EXPECT_EQ(one->neighbors[0].fact_count, 2u);
  EXPECT_EQ(Graph().id(one->neighbors[1].vertex), "C");
  EXPECT_EQ(one->connections.size(), 3u);

  q.hops = 2;
  auto two = Neighborhood(Graph(), q);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->neighbors.size(), 3u);
  // D is reached at distance 2 by two facts (from B and from C).
  const auto& d = two->neighbors[0].vertex == V("D") ? two->neighbors[0]
                  : two->neighbors[1].vertex == V("D") ? two->neighbors[1]
                                                       : two->neighbors[2];
  EXPECT_EQ(d.vertex, V("D"));
  EXPECT_EQ(d.distance, 2);
  EXPECT_EQ(d.fact_count, 2u);

  q.hops = 3;
  q.limit = 2;
  auto capped = Neighborhood(Graph(), q);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->reached, 4u);
  ASSERT_EQ(capped->neighbors.size(), 2u);
  // Ties on count (B and D both 2) break by distance, then id.
  EXPECT_EQ(Ids({capped->neighbors[0].vertex, capped->neighbors[1].vertex}),
            (std::vector<std::string>{"B", "D"}));
}

TEST_F(GraphTest, WindowsUseThePrecisionOfTheFact) {
  Link({"A", "B"}, Date(2001, 3));  // March 2001, MONTH precision
  Link({"A", "C"}, Date(2001, 4, 2));
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  // A window starting mid-March still overlaps the March fact.
  q.filter = Window(ToDayNumber(2001, 3, 20), ToDayNumber(2001, 3, 31));
  auto r = Neighborhood(Graph(), q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->neighbors.size(), 1u);
  EXPECT_EQ(Graph().id(r->neighbors[0].vertex), "B");
  // An empty window (no facts) gives no neighbors.
  q.filter = Window(ToDayNumber(1999, 1, 1), ToDayNumber(1999, 12, 31));
  EXPECT_TRUE(Neighborhood(Graph(), q)->neighbors.empty());
}

TEST_F(GraphTest, LongIntervalsThatBeganBeforeTheWindowAreFound) {
  Link({"A", "B"}, Date(2014), v1::FACT_TYPE_MEMBERSHIP, Date(2024, 6));
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  q.filter = Window(ToDayNumber(2022, 1, 1), ToDayNumber(2022, 12, 31));
  auto r = Neighborhood(Graph(), q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->neighbors.size(), 1u);
  q.filter = Window(ToDayNumber(2024, 7, 1), ToDayNumber(2024, 12, 31));
  EXPECT_TRUE(Neighborhood(Graph(), q)->neighbors.empty());
}

TEST_F(GraphTest, TypeAndKindFilters) {
  Link({"A", "B"}, Date(2020, 1, 1), v1::FACT_TYPE_VISIT);
  Link({"A", "p"}, Date(2020, 1, 2), v1::FACT_TYPE_MEETING);
  Link({"p", "C"}, Date(2020, 1, 3), v1::FACT_TYPE_MEETING);
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  q.hops = 2;
  q.filter.types.set(v1::FACT_TYPE_VISIT);
  auto visits = Neighborhood(Graph(), q);
  ASSERT_TRUE(visits.ok());
  ASSERT_EQ(visits->neighbors.size(), 1u);
  EXPECT_EQ(Graph().id(visits->neighbors[0].vertex), "B");
  q.filter = {};
  q.filter.kinds.set(v1::ENTITY_KIND_STATE);  // may not pass through the person
  auto states = Neighborhood(Graph(), q);
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->neighbors.size(), 1u);
  EXPECT_EQ(Graph().id(states->neighbors[0].vertex), "B");
}

TEST_F(GraphTest, ShortestPathsAndDisconnectedPairs) {
  Link({"A", "B"}, Date(2020, 1, 1));
  Link({"B", "C"}, Date(2020, 1, 2));
  Link({"C", "D"}, Date(2020, 1, 3));
  Link({"A", "E"}, Date(2020, 1, 4));
  Link({"E", "D"}, Date(2020, 1, 5));
  Link({"E", "D"}, Date(2020, 1, 6));
  PathQuery q;
  q.from = V("A");
  q.to = V("D");
  auto path = ShortestPath(Graph(), q);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(path->has_value());
  EXPECT_EQ(Ids((*path)->vertices), (std::vector<std::string>{"A", "E", "D"}));
  ASSERT_EQ((*path)->hops.size(), 2u);
  EXPECT_EQ((*path)->hops[1].fact_count, 2u);  // both E-D facts justify the hop
  EXPECT_EQ((*path)->hops[1].facts.size(), 2u);

  q.to = V("Z");
  auto none = ShortestPath(Graph(), q);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  q.to = V("D");
  q.max_hops = 1;
  EXPECT_FALSE(ShortestPath(Graph(), q)->has_value());
}

TEST_F(GraphTest, KShortestPathsAreLooplessAndOrdered) {
  // Two 2-hop routes A-B-D and A-C-D, one 3-hop route A-E-F-D.
  Link({"A", "B"}, Date(2020, 1, 1));
  Link({"B", "D"}, Date(2020, 1, 1));
  Link({"A", "C"}, Date(2020, 1, 1));
  Link({"C", "D"}, Date(2020, 1, 1));
  Link({"A", "E"}, Date(2020, 1, 1));
  Link({"E", "F"}, Date(2020, 1, 1));
  Link({"F", "D"}, Date(2020, 1, 1));
  PathQuery q;
  q.from = V("A");
  q.to = V("D");
  auto paths = KShortestPaths(Graph(), q, 5);
  ASSERT_TRUE(paths.ok());
  ASSERT_EQ(paths->size(), 3u);
  EXPECT_EQ((*paths)[0].vertices.size(), 3u);
  EXPECT_EQ((*paths)[1].vertices.size(), 3u);
  EXPECT_EQ(Ids((*paths)[2].vertices), (std::vector<std::string>{"A", "E", "F", "D"}));
  EXPECT_NE((*paths)[0].vertices, (*paths)[1].vertices);
}

TEST_F(GraphTest, TimeRespectingPathsWaitForLaterFacts) {
  // A-B early, B-C before A-B (unusable after arriving at B), then B-D-C later.
  Link({"A", "B"}, Date(2020, 5, 1));
  Link({"B", "C"}, Date(2020, 4, 1));
  Link({"B", "D"}, Date(2020, 6, 1));
  Link({"D", "C"}, Date(2020, 7, 1));
  Link({"B", "C"}, Date(2020, 9, 1));
  PathQuery q;
  q.from = V("A");
  q.to = V("C");
  auto shortest = ShortestPath(Graph(), q);
  ASSERT_TRUE(shortest->has_value());
  EXPECT_EQ((*shortest)->vertices.size(), 3u);  // A-B-C ignoring time

  auto timed = TimeRespectingPath(Graph(), q, ToDayNumber(2020, 1, 1));
  ASSERT_TRUE(timed.ok());
  ASSERT_TRUE(timed->has_value());
  // Earliest arrival at C is 2020-07-01 via D, not 2020-09-01 directly.
  EXPECT_EQ(Ids((*timed)->vertices), (std::vector<std::string>{"A", "B", "D", "C"}));
  EXPECT_EQ((*timed)->hops.back().day, ToDayNumber(2020, 7, 1));
  for (size_t i = 1; i < (*timed)->hops.size(); ++i) {
    EXPECT_LE((*timed)->hops[i - 1].day, (*timed)->hops[i].day);
  }
  // Starting after the A-B fact, there is no way out of A.
  EXPECT_FALSE(TimeRespectingPath(Graph(), q, ToDayNumber(2020, 5, 2))->has_value());
}

TEST_F(GraphTest, TimeRespectingPrefersFewerHopsAmongEarliestArrivals) {
  Link({"A", "B"}, Date(2020, 1, 1));
  Link({"B", "C"}, Date(2020, 2, 1));
  Link({"C", "D"}, Date(2020, 3, 1));
  Link({"B", "D"}, Date(2020, 3, 1));
  PathQuery q;
  q.from = V("A");
  q.to = V("D");
  auto timed = TimeRespectingPath(Graph(), q, ToDayNumber(2020, 1, 1));
  ASSERT_TRUE(timed->has_value());
  EXPECT_EQ(Ids((*timed)->vertices), (std::vector<std::string>{"A", "B", "D"}));
}

TEST_F(GraphTest, TimelineBucketsAndScores) {
  Link({"A", "B"}, Date(2001, 3), v1::FACT_TYPE_AGREEMENT_SIGNED);
  Link({"A", "B"}, Date(2022, 1, 19), v1::FACT_TYPE_VISIT);
  Link({"A", "B"}, Date(2022, 5), v1::FACT_TYPE_SANCTION);
  Link({"A", "C"}, Date(2022, 6), v1::FACT_TYPE_VISIT);
  Link({"A"}, Date(2023), v1::FACT_TYPE_STATEMENT);
  TimelineQuery q;
  q.entities = {V("A"), V("B")};
  q.filter = Window(ToDayNumber(2001, 1, 1), ToDayNumber(2025, 12, 31));
  auto dyad = Timeline(Graph(), q);
  ASSERT_TRUE(dyad.ok());
  ASSERT_EQ(dyad->facts.size(), 3u);
  ASSERT_EQ(dyad->buckets.size(), 2u);
  EXPECT_EQ(dyad->buckets[0].first_day, ToDayNumber(2001, 1, 1));
  EXPECT_DOUBLE_EQ(dyad->buckets[0].goldstein_sum, 8.0);
  EXPECT_EQ(dyad->buckets[1].facts, 2);
  EXPECT_NEAR(dyad->buckets[1].goldstein_sum, 1.9 - 8.0, 1e-9);

  q.entities = {V("A")};
  q.granularity = Granularity::kMonth;
  auto single = Timeline(Graph(), q);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->total_facts, 5u);  // includes A's own statement
  EXPECT_EQ(single->buckets.size(), 5u);

  // A window starting in 2022 puts nothing from 2001 in.
  q.filter = Window(ToDayNumber(2022, 1, 1), ToDayNumber(2022, 12, 31));
  EXPECT_EQ(Timeline(Graph(), q)->total_facts, 3u);
}

TEST_F(GraphTest, TimelineListsUndatedFactsLastInNoBucket) {
  Link({"A", "B"}, Date(2022, 5), v1::FACT_TYPE_VISIT);
  // Open at both ends: "A and B are both under sanctions".
  v1::Fact open;
  open.set_type(v1::FACT_TYPE_SANCTION);
  for (const char* id : {"A", "B"}) {
    auto* party = open.add_participants();
    party->set_entity_id(id);
    party->set_role(v1::PARTICIPANT_ROLE_PARTY);
  }
  open.mutable_valid_time()->set_open_start(true);
  open.mutable_valid_time()->set_open_end(true);
  open.set_summary("undated");
  auto recorded = store_->RecordFact(open);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  Link({"A", "B"}, Date(2024, 1), v1::FACT_TYPE_VISIT);

  TimelineQuery q;
  q.entities = {V("A"), V("B")};
  auto all = Timeline(Graph(), q);  // open window
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total_facts, 3u);
  ASSERT_EQ(all->facts.size(), 3u);
  EXPECT_EQ(Graph().fact(all->facts.back()).type, v1::FACT_TYPE_SANCTION);
  ASSERT_EQ(all->buckets.size(), 2u);
  EXPECT_EQ(all->buckets[0].first_day, ToDayNumber(2022, 1, 1));
  EXPECT_EQ(all->buckets[1].first_day, ToDayNumber(2024, 1, 1));
  EXPECT_EQ(all->buckets[0].facts + all->buckets[1].facts, 2);

  // A closed window gives it a place: the window's edge.
  q.filter = Window(ToDayNumber(2020, 1, 1), ToDayNumber(2025, 12, 31));
  auto closed = Timeline(Graph(), q);
  ASSERT_EQ(closed->buckets.size(), 3u);
  EXPECT_EQ(closed->buckets[2].first_day, ToDayNumber(2025, 1, 1));
}

TEST_F(GraphTest, WritesBecomeVisibleInNewSnapshotsOnly) {
  Link({"A", "B"}, Date(2020, 1, 1));
  const Snapshot& before = Graph();
  auto old_snapshot = snapshot_;
  Link({"B", "C"}, Date(2020, 1, 2));
  AddEntity("G", v1::ENTITY_KIND_STATE);
  Link({"C", "G"}, Date(2020, 1, 3));
  EXPECT_EQ(before.Find("G"), kNoVertex);  // the old snapshot is unchanged
  PathQuery q;
  q.from = V("A");  // takes a new snapshot
  q.to = V("G");
  auto path = ShortestPath(Graph(), q);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(path->has_value());
  EXPECT_EQ((*path)->vertices.size(), 4u);
  EXPECT_EQ(old_snapshot->fact_count(), 1u);
  EXPECT_EQ(Graph().fact_count(), 3u);
}

TEST_F(GraphTest, AsOfAndRetractions) {
  const std::string early = Link({"A", "B"}, Date(2020, 1, 1));
  const uint32_t after_first = RecordSecond(now_);
  now_ += absl::Hours(1);
  Link({"A", "C"}, Date(2020, 1, 2));
  Graph();
  now_ += absl::Hours(1);
  ASSERT_TRUE(store_->RetractFact(early, "duplicate").ok());
  const uint32_t after_retraction = RecordSecond(now_);
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  auto now = Neighborhood(Graph(), q);
  ASSERT_EQ(now->neighbors.size(), 1u);
  EXPECT_EQ(Graph().id(now->neighbors[0].vertex), "C");
  q.filter.as_of = after_first;
  auto then = Neighborhood(Graph(), q);
  ASSERT_EQ(then->neighbors.size(), 1u);
  EXPECT_EQ(Graph().id(then->neighbors[0].vertex), "B");
  q.filter.as_of = after_retraction - 1;
  EXPECT_EQ(Neighborhood(Graph(), q)->neighbors.size(), 2u);
  // A rebuilt graph agrees.
  graph_.reset();
  q.filter.as_of = kNever;
  EXPECT_EQ(Neighborhood(Graph(), q)->neighbors.size(), 1u);
}

// Every visible edge of every vertex with its fact's id, days and score,
// sorted: two graphs with equal edge lists answer every query alike.
std::vector<std::string> EdgeList(const Snapshot& g) {
  std::vector<std::string> edges;
  EdgeFilter all;
  for (Vertex v = 0; v < g.vertex_count(); ++v) {
    g.ForEachEdge(v, all, [&](Vertex n, FactIndex f) {
      edges.push_back(absl::StrCat(g.id(v), ">", g.id(n), ":", g.fact(f).IdText(), "@",
                                   g.fact(f).first_day, "-", g.fact(f).last_day, "/",
                                   g.fact(f).goldstein_tenths));
    });
  }
  std::sort(edges.begin(), edges.end());
  return edges;
}

TEST_F(GraphTest, ImageThenLogGivesTheGraphAFullBuildGives) {
  Link({"A", "B"}, Date(2001, 3));
  Link({"B", "C", "D"}, Date(2003), v1::FACT_TYPE_AGREEMENT_SIGNED, Date(2010));
  const std::string doomed = Link({"A", "C"}, Date(2005, 6, 1));
  const std::string image = (path_ / "graph.image").string();
  Graph();
  bool written = false;
  ASSERT_TRUE(graph_->SaveImage(image, &written).ok());
  EXPECT_TRUE(written);
  ASSERT_TRUE(graph_->SaveImage(image, &written).ok());
  EXPECT_FALSE(written);  // nothing changed since
  // After the image: a new entity, new facts, a retraction.
  AddEntity("G", v1::ENTITY_KIND_ORGANIZATION);
  Link({"G", "A"}, Date(2020, 1, 2));
  ASSERT_TRUE(store_->RetractFact(doomed, "test").ok());
  graph_.reset();

  auto from_image = LiveGraph::Build(*store_, {.image_path = image});
  ASSERT_TRUE(from_image.ok()) << from_image.status();
  EXPECT_TRUE((*from_image)->build_stats().from_image) << (*from_image)->build_stats().image_note;
  EXPECT_EQ((*from_image)->build_stats().replayed, 3u);
  const auto loaded = (*from_image)->snapshot();
  from_image->reset();
  auto fresh = LiveGraph::Build(*store_);
  ASSERT_TRUE(fresh.ok());
  const auto built = (*fresh)->snapshot();
  EXPECT_EQ(loaded->vertex_count(), built->vertex_count());
  EXPECT_EQ(loaded->fact_count(), built->fact_count());
  const auto edges = EdgeList(*built);
  EXPECT_EQ(EdgeList(*loaded), edges);
  EXPECT_EQ(edges.size(), 2u + 6u + 2u);  // A-B, B-C-D, G-A; A-C is retracted
  fresh->reset();

  // An image of another database is not used.
  const fs::path other = path_.string() + "_other";
  fs::remove_all(other);
  {
    auto other_store = storage::Store::Open(other.string());
    ASSERT_TRUE(other_store.ok());
    auto other_graph = LiveGraph::Build(**other_store, {.image_path = image});
    ASSERT_TRUE(other_graph.ok());
    EXPECT_FALSE((*other_graph)->build_stats().from_image);
    EXPECT_NE((*other_graph)->build_stats().image_note.find("another database"),
              std::string::npos);
  }
  fs::remove_all(other);
  // Nor is a truncated one.
  fs::resize_file(image, fs::file_size(image) - 8);
  auto truncated = LiveGraph::Build(*store_, {.image_path = image});
  ASSERT_TRUE(truncated.ok());
  EXPECT_FALSE((*truncated)->build_stats().from_image);
  EXPECT_NE((*truncated)->build_stats().image_note.find("truncated"), std::string::npos);
}

TEST_F(GraphTest, DeadlinesStopLongQueries) {
  Link({"A", "B"}, Date(2020, 1, 1));
  PathQuery q;
  q.from = V("A");
  q.to = V("B");
  q.deadline = absl::InfinitePast();
  // A deadline already past may still let a tiny query finish (checks are
  // periodic), but never yields a wrong answer.
  auto path = ShortestPath(Graph(), q);
  EXPECT_TRUE(path.ok() || path.status().code() == absl::StatusCode::kDeadlineExceeded);
}

// The server's pattern: writers apply (new entities, facts, retractions) and
// publish on several threads while readers query the snapshots they take.
// Each snapshot is whole and counts only grow; run under ThreadSanitizer
// (ctest -L concurrency, docs/sanitizers.md) it also shows no data race.
TEST_F(GraphTest, ReadersQuerySnapshotsWhileWritersApplyAndPublish) {
  Link({"A", "B"}, Date(2020, 1, 1));
  Graph();  // the live graph follows the store from here on
  constexpr int kWriters = 2;
  constexpr int kReaders = 2;
  constexpr int kFacts = 150;  // per writer: enough to fold the recent layer
  std::atomic<int> writing = kWriters;
  std::vector<int> write_errors(kWriters, 0);
  std::vector<int> read_errors(kReaders, 0);
  std::vector<int> queries(kReaders, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::string other = "A";
      for (int i = 0; i < kFacts; ++i) {
        if (i % 10 == 0) {  // a new vertex: the vertex table is copied on write
          v1::Entity e;
          e.set_id(absl::StrCat("W", w, "_", i));
          e.set_kind(v1::ENTITY_KIND_STATE);
          e.set_name(e.id());
          if (!store_->UpsertEntity(e).ok()) ++write_errors[w];
          other = e.id();
        }
        v1::Fact f;
        f.set_type(v1::FACT_TYPE_MEETING);
        for (const std::string& id : {std::string("B"), other}) {
          auto* p = f.add_participants();
          p->set_entity_id(id);
          p->set_role(v1::PARTICIPANT_ROLE_PARTY);
        }
        *f.mutable_valid_time()->mutable_start() = Date(2021, 1 + i % 12, 1);
        f.set_summary(absl::StrCat("writer ", w, " fact ", i));
        auto recorded = store_->RecordFact(f);
        if (!recorded.ok()) {
          ++write_errors[w];
        } else if (i % 25 == 0 && !store_->RetractFact(recorded->id, "test").ok()) {
          ++write_errors[w];
        }
        if (i % 3 == 0) graph_->Publish();
      }
      graph_->Publish();
      --writing;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      size_t facts = 0;
      size_t vertices = 0;
      do {
        auto snapshot = graph_->snapshot();
        if (snapshot->fact_count() < facts || snapshot->vertex_count() < vertices) ++read_errors[r];
        facts = snapshot->fact_count();
        vertices = snapshot->vertex_count();
        NeighborhoodQuery q;
        q.seeds = {snapshot->Find("B")};
        q.hops = 2;
        auto result = Neighborhood(*snapshot, q);
        if (!result.ok()) ++read_errors[r];
        // Every edge leads to a vertex and a fact of this snapshot.
        snapshot->ForEachEdge(q.seeds[0], EdgeFilter(), [&](Vertex v, FactIndex f) {
          if (v >= snapshot->vertex_count() || f >= snapshot->fact_count()) ++read_errors[r];
        });
        ++queries[r];
      } while (writing > 0);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(write_errors[w], 0) << "writer " << w;
  for (int r = 0; r < kReaders; ++r) {
    EXPECT_EQ(read_errors[r], 0) << "reader " << r;
    EXPECT_GT(queries[r], 0) << "reader " << r;
  }
  EXPECT_EQ(Graph().fact_count(), 1u + kWriters * kFacts);
  EXPECT_EQ(Graph().vertex_count(), 8u + kWriters * kFacts / 10);
}

// Found by fuzz_requests (FindPaths, time-respecting, without `since`): a
// fact of unknown beginning arrives at `to` on kMinDay, and the day before
// it overflowed (UBSan: signed integer overflow in paths.cc).
TEST_F(GraphTest, TimeRespectingPathsTakeFactsOfUnknownBeginning) {
  v1::Fact f;
  f.set_type(v1::FACT_TYPE_MEETING);
  for (const char* id : {"A", "B"}) {
    auto* p = f.add_participants();
    p->set_entity_id(id);
    p->set_role(v1::PARTICIPANT_ROLE_PARTY);
  }
  f.mutable_valid_time()->set_open_start(true);
  *f.mutable_valid_time()->mutable_end() = Date(2020, 5);
  f.set_summary("a fact of unknown beginning");
  ASSERT_TRUE(store_->RecordFact(f).ok());
  Link({"B", "C"}, Date(2020, 6, 1));
  PathQuery q;
  q.from = V("A");
  q.to = V("B");
  auto direct = TimeRespectingPath(Graph(), q, storage::kMinDay);
  ASSERT_TRUE(direct.ok()) << direct.status();
  ASSERT_TRUE(direct->has_value());
  EXPECT_EQ(Ids((*direct)->vertices), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ((*direct)->hops.back().day, storage::kMinDay);
  q.to = V("C");
  auto onward = TimeRespectingPath(Graph(), q, storage::kMinDay);
  ASSERT_TRUE(onward.ok()) << onward.status();
  ASSERT_TRUE(onward->has_value());
  EXPECT_EQ(Ids((*onward)->vertices), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ((*onward)->hops.back().day, ToDayNumber(2020, 6, 1));
}


// ---- Roll-up to states ----

class RollUpTest : public GraphTest {
 protected:
  void SetUp() override {
    GraphTest::SetUp();
    for (const char* id : {"a_military", "a_foreign", "b_government", "d_ministry", "e_ministry",
                           "e_military", "f_government"}) {
      AddEntity(id, v1::ENTITY_KIND_ORGANIZATION);
    }
    AddEntity("region", v1::ENTITY_KIND_PLACE);
    Affiliate("a_military", "A");
    Affiliate("a_foreign", "A");
    Affiliate("b_government", "B");
    Affiliate("d_ministry", "D");
    Affiliate("e_ministry", "E");
    Affiliate("e_military", "E");
    Affiliate("f_government", "F");
  }

  // An AFFILIATION of `actor` with `state` over [start, end] (open where
  // not given).
  std::string Affiliate(const std::string& actor, const std::string& state,
                        std::optional<v1::Date> start = std::nullopt,
                        std::optional<v1::Date> end = std::nullopt) {
    v1::TimeSpan span = storage::Always();
    if (start) {
      span.set_open_start(false);
      *span.mutable_start() = *start;
    }
    if (end) {
      span.set_open_end(false);
      *span.mutable_end() = *end;
    }
    v1::Fact f = storage::AffiliationFact(actor, state, std::move(span));
    auto r = store_->RecordFact(f);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }

  // The facts' summaries of a timeline, in order.
  std::vector<std::string> TimelineSummaries(TimelineQuery q) {
    auto result = Timeline(Graph(), q);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<std::string> out;
    if (!result.ok()) return out;
    for (FactIndex f : result->facts) {
      auto record = store_->GetFact(Graph().fact(f).IdText());
      out.push_back(record.ok() ? record->fact().summary() : "?");
    }
    return out;
  }

  TimelineQuery Dyad(const std::string& a, const std::string& b, const Projection* rolled) {
    TimelineQuery q;
    q.entities = {V(a), V(b)};
    q.filter = Window(storage::kMinDay, storage::kMaxDay);
    q.filter.rolled_up = rolled;
    return q;
  }
};

TEST_F(RollUpTest, ADyadTimelineCountsEveryActorOfBothStatesOnce) {
  Link({"a_military", "b_government"}, Date(2020, 1, 5));                  // fact 1
  Link({"A", "b_government"}, Date(2020, 2, 1));                           // fact 2
  Link({"a_military", "B"}, Date(2020, 3, 1));                             // fact 3
  Link({"a_military", "a_foreign", "b_government"}, Date(2020, 4, 1));     // fact 4
  Link({"a_military", "a_foreign"}, Date(2020, 5, 1));                     // fact 5: internal to A
  Link({"A", "B"}, Date(2020, 6, 1));                                      // fact 6
  Link({"A", "C"}, Date(2020, 7, 1));                                      // fact 7
  const auto rolled = Graph().RolledUp(kNever);
  EXPECT_EQ(TimelineSummaries(Dyad("A", "B", nullptr)), std::vector<std::string>{"fact 6"});
  EXPECT_EQ(TimelineSummaries(Dyad("A", "B", rolled.get())),
            (std::vector<std::string>{"fact 1", "fact 2", "fact 3", "fact 4", "fact 6"}));

  // Buckets count each fact once, though fact 4 has two actors of A.
  auto buckets = Timeline(Graph(), Dyad("A", "B", rolled.get()));
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->buckets.size(), 1u);
  EXPECT_EQ(buckets->buckets[0].facts, 5);
  EXPECT_EQ(buckets->buckets[0].by_type[v1::FACT_TYPE_MEETING], 5);

  // Each fact still names the actors it came from.
  const FactIndex fact4 = buckets->facts[3];
  EXPECT_EQ(ActorsBehind(Graph(), *rolled, fact4, V("A")),
            (std::vector<std::string>{"a_foreign", "a_military"}));
  EXPECT_EQ(ActorsBehind(Graph(), *rolled, fact4, V("B")),
            std::vector<std::string>{"b_government"});
  EXPECT_FALSE(Graph().Internal(*rolled, fact4));

  // A's own rolled-up timeline leaves out what is internal to A (fact 5)
  // unless asked; affiliations are in no timeline (they are no edges).
  TimelineQuery one;
  one.entities = {V("A")};
  one.filter = Window(storage::kMinDay, storage::kMaxDay);
  one.filter.rolled_up = rolled.get();
  EXPECT_EQ(TimelineSummaries(one), (std::vector<std::string>{"fact 1", "fact 2", "fact 3",
                                                              "fact 4", "fact 6", "fact 7"}));
  one.include_internal = true;
  EXPECT_EQ(TimelineSummaries(one), (std::vector<std::string>{"fact 1", "fact 2", "fact 3",
                                                              "fact 4", "fact 5", "fact 6",
                                                              "fact 7"}));
}

TEST_F(RollUpTest, NeighborsAreStatesWithDistinctFactCounts) {
  Link({"a_military", "b_government"}, Date(2020, 1, 5));
  Link({"a_foreign", "b_government"}, Date(2020, 1, 6));
  Link({"a_military", "a_foreign", "B"}, Date(2020, 1, 7));
  Link({"a_military", "d_ministry"}, Date(2020, 1, 8));
  Link({"a_military", "p"}, Date(2020, 1, 9));  // p has no affiliation: stays itself
  NeighborhoodQuery q;
  q.seeds = {V("A")};
  q.filter = Window(ToDayNumber(2020, 1, 1), ToDayNumber(2020, 12, 31));
  const auto rolled = Graph().RolledUp(kNever);
  q.filter.rolled_up = rolled.get();
  auto result = Neighborhood(Graph(), q);
  ASSERT_TRUE(result.ok());
  std::vector<std::pair<std::string, uint32_t>> got;
  for (const auto& n : result->neighbors) got.emplace_back(Graph().id(n.vertex), n.fact_count);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, uint32_t>>{{"B", 3}, {"D", 1}, {"p", 1}}));
  // Unrolled, A itself took part in none of them (affiliations are no
  // edges).
  q.filter.rolled_up = nullptr;
  auto plain = Neighborhood(Graph(), q);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->neighbors.empty());
}

TEST_F(RollUpTest, APathOfStatesThroughOtherStatesActors) {
  // d_ministry and f_government are joined only through two different
  // organizations of E: no path between them unrolled.
  Link({"d_ministry", "e_ministry"}, Date(2020, 1, 5));
  Link({"e_military", "f_government"}, Date(2020, 2, 5));
  PathQuery q;
  q.from = V("d_ministry");
  q.to = V("f_government");
  q.filter = Window(storage::kMinDay, storage::kMaxDay);
  auto plain = ShortestPath(Graph(), q);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_value());
  const auto rolled = Graph().RolledUp(kNever);
  q.from = V("D");
  q.to = V("F");
  q.filter.rolled_up = rolled.get();
  auto path = ShortestPath(Graph(), q);
  ASSERT_TRUE(path.ok() && path->has_value());
  EXPECT_EQ(Ids((*path)->vertices), (std::vector<std::string>{"D", "E", "F"}));
  ASSERT_EQ((*path)->hops.size(), 2u);
  const FactIndex first = (*path)->hops[0].facts.at(0);
  EXPECT_EQ(ActorsBehind(Graph(), *rolled, first, V("D")), std::vector<std::string>{"d_ministry"});
  EXPECT_EQ(ActorsBehind(Graph(), *rolled, first, V("E")), std::vector<std::string>{"e_ministry"});
  const FactIndex second = (*path)->hops[1].facts.at(0);
  EXPECT_EQ(ActorsBehind(Graph(), *rolled, second, V("E")),
            std::vector<std::string>{"e_military"});
  // Time-respecting and k-shortest go through the same projection.
  auto timed = TimeRespectingPath(Graph(), q, storage::kMinDay);
  ASSERT_TRUE(timed.ok() && timed->has_value());
  EXPECT_EQ(Ids((*timed)->vertices), (std::vector<std::string>{"D", "E", "F"}));
  auto k = KShortestPaths(Graph(), q, 3);
  ASSERT_TRUE(k.ok());
  ASSERT_EQ(k->size(), 1u);
}

TEST_F(RollUpTest, AnActorThatChangesStateAndARetractedAffiliation) {
  Affiliate("region", "A", Date(2020, 1, 1), Date(2020, 5, 31));
  const std::string to_b = Affiliate("region", "B", Date(2020, 6, 1));
  Link({"region", "C"}, Date(2020, 3, 10));  // fact 1: while A held it
  Link({"region", "C"}, Date(2020, 7, 10));  // fact 2: after it passed to B
  Link({"region", "C"}, Date(2019, 7, 10));  // fact 3: before either: itself
  auto neighbors_of_c = [&](const Projection* rolled, uint32_t as_of = kNever) {
    NeighborhoodQuery q;
    q.seeds = {V("C")};
    q.filter = Window(storage::kMinDay, storage::kMaxDay);
    q.filter.as_of = as_of;
    q.filter.rolled_up = rolled;
    std::vector<std::string> ids;
    auto result = Neighborhood(Graph(), q);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return ids;
    for (const auto& n : result->neighbors) ids.emplace_back(Graph().id(n.vertex));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto before = Graph().RolledUp(kNever);
  EXPECT_EQ(neighbors_of_c(before.get()), (std::vector<std::string>{"A", "B", "region"}));
  EXPECT_EQ(TimelineSummaries(Dyad("B", "C", before.get())), std::vector<std::string>{"fact 2"});
  EXPECT_EQ(TimelineSummaries(Dyad("A", "C", before.get())), std::vector<std::string>{"fact 1"});

  // Retracted later: fact 2 is the region's own again, but as of a time
  // before the retraction the old answer stands.
  const uint32_t before_retraction = RecordSecond(now_);
  now_ += absl::Hours(1);
  ASSERT_TRUE(store_->RetractFact(to_b, "the handover is disputed").ok());
  auto after = Graph().RolledUp(kNever);
  EXPECT_EQ(neighbors_of_c(after.get()), (std::vector<std::string>{"A", "region"}));
  EXPECT_TRUE(TimelineSummaries(Dyad("B", "C", after.get())).empty());
  auto then = Graph().RolledUp(before_retraction);
  EXPECT_NE(then, after);
  EXPECT_EQ(neighbors_of_c(then.get(), before_retraction),
            (std::vector<std::string>{"A", "B", "region"}));
  auto dyad_then = Dyad("B", "C", then.get());
  dyad_then.filter.as_of = before_retraction;
  EXPECT_EQ(TimelineSummaries(dyad_then), std::vector<std::string>{"fact 2"});
  // Asked again, the same past projection is reused.
  EXPECT_EQ(Graph().RolledUp(before_retraction), then);

  // Re-recorded (a correction with other dates), answers follow.
  now_ += absl::Hours(1);
  Affiliate("region", "B", Date(2020, 7, 1));
  EXPECT_EQ(TimelineSummaries(Dyad("B", "C", Graph().RolledUp(kNever).get())),
            std::vector<std::string>{"fact 2"});
}

TEST_F(RollUpTest, RolesInAStatesOfficeCountOnlyOverTheirDates) {
  // p held an office of A attested for March 2020 only: facts that month
  // roll up to A, facts of other months stay p's.
  v1::Fact role;
  role.set_type(v1::FACT_TYPE_ROLE);
  auto* holder = role.add_participants();
  holder->set_entity_id("p");
  holder->set_role(v1::PARTICIPANT_ROLE_OFFICE_HOLDER);
  auto* employer = role.add_participants();
  employer->set_entity_id("A");
  employer->set_role(v1::PARTICIPANT_ROLE_EMPLOYER);
  *role.mutable_valid_time()->mutable_start() = Date(2020, 3);
  ASSERT_TRUE(store_->RecordFact(role).ok());
  Link({"p", "B"}, Date(2020, 3, 15));  // fact 1
  Link({"p", "B"}, Date(2020, 4, 15));  // fact 2
  const auto rolled = Graph().RolledUp(kNever);
  EXPECT_EQ(TimelineSummaries(Dyad("A", "B", rolled.get())), std::vector<std::string>{"fact 1"});
  EXPECT_EQ(TimelineSummaries(Dyad("p", "B", rolled.get())), std::vector<std::string>{"fact 2"});
}

TEST_F(RollUpTest, TheGraphImageKeepsAffiliations) {
  Link({"a_military", "b_government"}, Date(2020, 1, 5));
  const std::string doomed = Affiliate("region", "B", Date(2020, 1, 1));
  Link({"region", "A"}, Date(2020, 2, 5));
  ASSERT_TRUE(store_->RetractFact(doomed, "test").ok());
  Graph();
  const std::string image = (path_ / "graph.image").string();
  ASSERT_TRUE(graph_->SaveImage(image).ok());
  auto fresh = LiveGraph::Build(*store_);
  auto from_image = LiveGraph::Build(*store_, {.image_path = image});
  ASSERT_TRUE(fresh.ok() && from_image.ok());
  ASSERT_TRUE((*from_image)->build_stats().from_image) << (*from_image)->build_stats().image_note;
  for (const auto* live : {fresh->get(), from_image->get()}) {
    auto snapshot = live->snapshot();
    auto rolled = snapshot->RolledUp(kNever);
    EXPECT_EQ(snapshot->affiliation_count(), 8u);
    TimelineQuery q;
    q.entities = {snapshot->Find("A"), snapshot->Find("B")};
    q.filter = Window(storage::kMinDay, storage::kMaxDay);
    q.filter.rolled_up = rolled.get();
    auto result = Timeline(*snapshot, q);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->facts.size(), 1u);  // not the region's: its tie to B is retracted
    q.entities = {snapshot->Find("A"), snapshot->Find("region")};
    EXPECT_EQ(Timeline(*snapshot, q)->facts.size(), 1u);
  }
}

}  // namespace
}  // namespace entente::graph
