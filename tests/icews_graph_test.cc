// The graph queries on the real ICEWS 2014 sample, checked against an
// independent reference.
//
// The events are loaded once through the store's own write path
// (bench::LoadIcewsEvents) and the graph is built from the store. The
// reference is built straight from the parsed file: plain adjacency lists
// (one entry per event, both ways) keyed by bench::ActorId, with its own
// breadth-first search, event counts and earliest-arrival computation. It
// uses no graph/ code except FindCameoByName, to skip exactly the events the
// loader skips, and storage::ToDayNumber for dates.
//
// Every comparison collects its mismatches and prints the first few with the
// actor ids and window, so that a failure names a case to reproduce.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/icews.h"
#include "graph/cameo.h"
#include "graph/graph.h"
#include "graph/queries.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "storage/dates.h"
#include "storage/store.h"

#ifndef ICEWS_EVENTS
#error "ICEWS_EVENTS must name the ICEWS sample (tests/CMakeLists.txt sets it)"
#endif

namespace entente::graph {
namespace {

namespace fs = std::filesystem;
using storage::DayNumber;
using storage::DayRange;
using storage::ToDayNumber;

constexpr DayNumber kInfinity = storage::kMaxDay;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "2014-03-05", for messages.
std::string Day(DayNumber day) {
  if (day == storage::kMinDay) return "-inf";
  if (day == storage::kMaxDay) return "+inf";
  return date_text::FormatDate(storage::DateOfDay(day));
}

struct NamedWindow {
  std::string name;
  DayRange range;
};

std::string Describe(const NamedWindow& w) {
  return absl::StrCat(w.name, " [", Day(w.range.first), ", ", Day(w.range.last), "]");
}

// ---- The reference ----

struct RefEdge {
  int other;
  DayNumber day;
  DayNumber month;  // first day of the event's month
};

struct RefEvent {
  int a;
  int b;
  DayNumber day;
};

class Reference {
 public:
  // Applies the loader's rules: unknown relations are skipped; actors are
  // keyed by ActorId; an event whose two ends get the same id is a
  // single-participant fact (a self-loop), not an edge to a neighbor.
  explicit Reference(const std::vector<bench::IcewsEvent>& events) {
    for (const bench::IcewsEvent& e : events) {
      if (FindCameoByName(e.relation) == nullptr) {
        ++skipped;
        continue;
      }
      ++kept;
      const int a = Intern(bench::ActorId(e.source));
      const int b = Intern(bench::ActorId(e.target));
      const DayNumber day = ToDayNumber(e.year, e.month, e.day);
      const DayNumber month = ToDayNumber(e.year, e.month, 1);
      if (a == b) {
        ++self_events;
        self[a].push_back({a, day, month});
        continue;
      }
      adj[a].push_back({b, day, month});
      adj[b].push_back({a, day, month});
      pairs.push_back({a, b, day});
    }
  }

  static bool In(DayNumber day, const DayRange& w) { return w.first <= day && day <= w.last; }

  size_t size() const { return names.size(); }

  // Events between a and b (a != b) in the window.
  int64_t Count(int a, int b, const DayRange& w) const {
    int64_t n = 0;
    for (const RefEdge& e : adj[a]) n += e.other == b && In(e.day, w);
    return n;
  }

  // Events between a and b on exactly this day.
  int64_t CountOn(int a, int b, DayNumber day) const { return Count(a, b, {day, day}); }

  // Every event of a in the window, its self-events included.
  int64_t CountOf(int a, const DayRange& w) const {
    int64_t n = 0;
    for (const auto* list : {&adj[a], &self[a]}) {
      for (const RefEdge& e : *list) n += In(e.day, w);
    }
    return n;
  }

  // Events per month (first day of the month) between a and b, or of a
  // alone when b < 0.
  std::map<DayNumber, int64_t> Months(int a, int b, const DayRange& w) const {
    std::map<DayNumber, int64_t> months;
    for (const RefEdge& e : adj[a]) {
      if ((b < 0 || e.other == b) && In(e.day, w)) ++months[e.month];
    }
    if (b < 0) {
      for (const RefEdge& e : self[a]) {
        if (In(e.day, w)) ++months[e.month];
      }
    }
    return months;
  }

  // Hop distances from `from` over events in the window, up to max_depth;
  // -1 for vertices not reached.
  std::vector<int> Bfs(int from, const DayRange& w, int max_depth) const {
    std::vector<int> dist(size(), -1);
    std::vector<int> frontier{from};
    dist[from] = 0;
    for (int d = 1; d <= max_depth && !frontier.empty(); ++d) {
      std::vector<int> next;
      for (int u : frontier) {
        for (const RefEdge& e : adj[u]) {
          if (!In(e.day, w) || dist[e.other] >= 0) continue;
          dist[e.other] = d;
          next.push_back(e.other);
        }
      }
      frontier.swap(next);
    }
    return dist;
  }

  // The most events summed over the hops of a shortest path from the BFS
  // origin to each vertex (`dist` from Bfs); -1 for vertices not reached.
  std::vector<int64_t> BestAttested(const std::vector<int>& dist, const DayRange& w) const {
    std::vector<int> order;
    for (int v = 0; v < static_cast<int>(size()); ++v) {
      if (dist[v] >= 0) order.push_back(v);
    }
    std::sort(order.begin(), order.end(), [&](int a, int b) { return dist[a] < dist[b]; });
    std::vector<int64_t> best(size(), -1);
    for (int v : order) {
      if (dist[v] == 0) {
        best[v] = 0;
        continue;
      }
      std::map<int, int64_t> from_previous_layer;  // neighbor -> events
      for (const RefEdge& e : adj[v]) {
        if (In(e.day, w) && dist[e.other] == dist[v] - 1) ++from_previous_layer[e.other];
      }
      for (const auto& [u, events] : from_previous_layer) {
        best[v] = std::max(best[v], best[u] + events);
      }
    }
    return best;
  }

  // Facts joining v to vertices one hop closer to the BFS origin.
  int64_t CountFromPreviousLayer(int v, const std::vector<int>& dist, const DayRange& w) const {
    int64_t n = 0;
    for (const RefEdge& e : adj[v]) n += In(e.day, w) && dist[e.other] == dist[v] - 1;
    return n;
  }

  // Earliest arrival by rounds of relaxation (Bellman-Ford on hop count):
  // result[k][v] is the earliest day v can be reached from `from`, starting
  // on day `start`, with at most k hops, each on an event day in the window
  // and no earlier than the hop before it (the same day is allowed).
  // kInfinity when unreachable. With max_hops < 0, relaxes until nothing
  // changes (no hop limit).
  std::vector<std::vector<DayNumber>> EarliestArrival(int from, DayNumber start, const DayRange& w,
                                                      int max_hops) const {
    std::vector<std::vector<DayNumber>> rows(1, std::vector<DayNumber>(size(), kInfinity));
    rows[0][from] = start;
    for (int k = 1; max_hops < 0 || k <= max_hops; ++k) {
      const std::vector<DayNumber>& prev = rows.back();
      std::vector<DayNumber> next = prev;
      bool changed = false;
      for (const RefEvent& e : pairs) {
        if (!In(e.day, w) || e.day < start) continue;
        for (auto [u, v] : {std::pair{e.a, e.b}, std::pair{e.b, e.a}}) {
          if (prev[u] <= e.day && e.day < next[v]) {
            next[v] = e.day;
            changed = true;
          }
        }
      }
      if (max_hops < 0 && !changed) break;
      rows.push_back(std::move(next));
    }
    return rows;
  }

  // One path that realizes rows.back()[to], for messages.
  std::string PathText(const std::vector<std::vector<DayNumber>>& rows, int from, int to,
                       DayNumber start) const {
    std::vector<std::string> hops;
    int v = to;
    size_t k = rows.size() - 1;
    while (v != from) {
      const DayNumber day = rows[k][v];
      while (k > 0 && rows[k - 1][v] == day) --k;  // the round that set it
      if (k == 0) return "?";
      int u = -1;
      for (const RefEdge& e : adj[v]) {
        if (e.day == day && rows[k - 1][e.other] <= day) {
          u = e.other;
          break;
        }
      }
      if (u < 0) return "?";
      hops.push_back(absl::StrCat(names[u], " -(", Day(day), ")-> ", names[v]));
      v = u;
      --k;
    }
    std::reverse(hops.begin(), hops.end());
    return absl::StrJoin(hops, " ");
  }

  std::vector<std::string> names;  // actor ids
  std::unordered_map<std::string, int> index;
  std::vector<std::vector<RefEdge>> adj;   // one entry per event, both ways
  std::vector<std::vector<RefEdge>> self;  // self-events
  std::vector<RefEvent> pairs;             // events with two distinct ends
  int64_t kept = 0;
  int64_t skipped = 0;
  int64_t self_events = 0;

 private:
  int Intern(const std::string& id) {
    auto [it, inserted] = index.emplace(id, static_cast<int>(names.size()));
    if (inserted) {
      names.push_back(id);
      adj.emplace_back();
      self.emplace_back();
    }
    return it->second;
  }
};

// Counts mismatches and reports the first few in full.
class Mismatches {
 public:
  explicit Mismatches(std::string what) : what_(std::move(what)) {}
  ~Mismatches() {
    EXPECT_EQ(count_, 0) << count_ << " " << what_ << " mismatch(es); the first " << kShown
                         << " are reported above";
  }
  void Add(const std::string& message) {
    if (++count_ <= kShown) ADD_FAILURE() << what_ << ": " << message;
  }

 private:
  static constexpr int kShown = 12;
  std::string what_;
  int count_ = 0;
};

// ---- The fixture: one load and one graph for the suite ----

struct TimeStats;

class IcewsGraphTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / absl::StrCat("entente_icews_graph_test_", ::getpid());
    fs::remove_all(dir_);
    auto start = std::chrono::steady_clock::now();
    auto events = bench::ReadIcewsFile(ICEWS_EVENTS);
    if (!events.ok()) {
      setup_error_ = new std::string(events.status().ToString());
      return;
    }
    const double read_seconds = SecondsSince(start);
    auto store = storage::Store::Open(dir_.string());
    if (!store.ok()) {
      setup_error_ = new std::string(store.status().ToString());
      return;
    }
    store_ = store->release();
    start = std::chrono::steady_clock::now();
    auto counts = bench::LoadIcewsEvents(*store_, *events);
    if (!counts.ok()) {
      setup_error_ = new std::string(counts.status().ToString());
      return;
    }
    counts_ = *counts;
    const double load_seconds = SecondsSince(start);
    start = std::chrono::steady_clock::now();
    auto graph = LiveGraph::Build(*store_);
    if (!graph.ok()) {
      setup_error_ = new std::string(graph.status().ToString());
      return;
    }
    const double build_seconds = SecondsSince(start);
    graph_ = graph->release();
    snapshot_ = new std::shared_ptr<const Snapshot>(graph_->snapshot());
    start = std::chrono::steady_clock::now();
    ref_ = new Reference(*events);
    const double ref_seconds = SecondsSince(start);
    vertex_of_ = new std::vector<Vertex>();
    ref_of_ = new std::vector<int>((*snapshot_)->vertex_count(), -1);
    for (size_t i = 0; i < ref_->size(); ++i) {
      const Vertex v = (*snapshot_)->Find(ref_->names[i]);
      vertex_of_->push_back(v);
      if (v != kNoVertex) (*ref_of_)[v] = static_cast<int>(i);
    }
    std::cout << "[icews] " << events->size() << " events read in " << read_seconds
              << " s; loaded into the store in " << load_seconds << " s (" << counts_.facts_created
              << " facts, " << counts_.skipped << " skipped, " << counts_.entities_created
              << " entities); graph built in " << build_seconds << " s ("
              << (*snapshot_)->fact_count() << " facts, " << (*snapshot_)->vertex_count()
              << " vertices, " << (*snapshot_)->edge_count() << " edges); reference built in "
              << ref_seconds << " s (" << ref_->self_events << " self-events)" << std::endl;
  }

  static void TearDownTestSuite() {
    delete snapshot_;
    delete graph_;  // before the store it listens to
    delete store_;
    delete ref_;
    delete vertex_of_;
    delete ref_of_;
    delete setup_error_;
    snapshot_ = nullptr;
    graph_ = nullptr;
    store_ = nullptr;
    ref_ = nullptr;
    vertex_of_ = nullptr;
    ref_of_ = nullptr;
    setup_error_ = nullptr;
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, nullptr) << "loading " << ICEWS_EVENTS << ": " << *setup_error_;
    start_ = std::chrono::steady_clock::now();
  }
  void TearDown() override {
    std::cout << "[icews] " << ::testing::UnitTest::GetInstance()->current_test_info()->name()
              << ": " << SecondsSince(start_) << " s" << std::endl;
  }

  static const Snapshot& G() { return **snapshot_; }
  static const Reference& R() { return *ref_; }
  static Vertex V(int r) { return (*vertex_of_)[r]; }
  static int RefOf(Vertex v) { return v < ref_of_->size() ? (*ref_of_)[v] : -1; }
  static const std::string& Name(int r) { return ref_->names[r]; }

  static std::vector<NamedWindow> Windows() {
    return {
        {"all time", {storage::kMinDay, storage::kMaxDay}},
        {"year 2014", {ToDayNumber(2014, 1, 1), ToDayNumber(2014, 12, 31)}},
        {"month 2014-03", {ToDayNumber(2014, 3, 1), ToDayNumber(2014, 3, 31)}},
        {"10 days", {ToDayNumber(2014, 6, 10), ToDayNumber(2014, 6, 19)}},
        {"year 2013 (no events)", {ToDayNumber(2013, 1, 1), ToDayNumber(2013, 12, 31)}},
    };
  }

  static EdgeFilter Filter(const DayRange& range) {
    EdgeFilter filter;
    filter.window = range;
    return filter;
  }

  // Reference actors by number of events (distinct ends), most first.
  static std::vector<int> ByDegree() {
    std::vector<int> order(R().size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(),
                     [](int a, int b) { return R().adj[a].size() > R().adj[b].size(); });
    return order;
  }

  // A deterministic sample of distinct actors: the `hubs` busiest, then
  // `weighted` drawn in proportion to their events, then `uniform` drawn
  // uniformly (most actors are rare, so these are mostly rare ones).
  static std::vector<int> SampleActors(std::mt19937& rng, size_t hubs, size_t weighted,
                                       size_t uniform) {
    std::vector<int> order = ByDegree();
    std::vector<int> out;
    std::set<int> seen;
    for (size_t i = 0; i < hubs && i < order.size(); ++i) {
      out.push_back(order[i]);
      seen.insert(order[i]);
    }
    std::vector<double> weights;
    for (size_t i = 0; i < R().size(); ++i)
      weights.push_back(static_cast<double>(R().adj[i].size()));
    std::discrete_distribution<int> by_weight(weights.begin(), weights.end());
    std::uniform_int_distribution<int> any(0, static_cast<int>(R().size()) - 1);
    for (size_t target = out.size() + weighted; out.size() < target;) {
      const int a = by_weight(rng);
      if (seen.insert(a).second) out.push_back(a);
    }
    for (size_t target = out.size() + uniform; out.size() < target;) {
      const int a = any(rng);
      if (seen.insert(a).second) out.push_back(a);
    }
    return out;
  }

  // Random (from, to) pairs with from != to among the actors with an event
  // in `window`; each end is drawn in proportion to its events in the window
  // or uniformly, with equal odds.
  static std::vector<std::pair<int, int>> SamplePairs(std::mt19937& rng, size_t n,
                                                      const DayRange& window) {
    std::vector<double> weights;
    std::vector<int> active;
    for (size_t i = 0; i < R().size(); ++i) {
      int64_t events = 0;
      for (const RefEdge& e : R().adj[i]) events += Reference::In(e.day, window);
      weights.push_back(static_cast<double>(events));
      if (events > 0) active.push_back(static_cast<int>(i));
    }
    std::discrete_distribution<int> by_weight(weights.begin(), weights.end());
    std::uniform_int_distribution<size_t> any(0, active.size() - 1);
    std::bernoulli_distribution coin(0.5);
    auto draw = [&] { return coin(rng) ? by_weight(rng) : active[any(rng)]; };
    std::vector<std::pair<int, int>> out;
    while (out.size() < n) {
      const int a = draw();
      const int b = draw();
      if (a != b) out.emplace_back(a, b);
    }
    return out;
  }

  // Checks a fact the graph gave as joining actors a and b in window w:
  // its first day lies in the window and the store's record of it names
  // both. Returns an empty string when it holds, else what is wrong.
  static std::string CheckFact(FactIndex f, int a, int b, const DayRange& w) {
    if (f >= G().fact_count()) return absl::StrCat("fact index ", f, " out of range");
    const FactInfo& info = G().fact(f);
    if (!Reference::In(info.first_day, w)) {
      return absl::StrCat("fact ", info.IdText(), " dated ", Day(info.first_day),
                          " is outside the window");
    }
    auto record = store_->GetFact(info.IdText());
    if (!record.ok()) return absl::StrCat("fact ", info.IdText(), ": ", record.status().ToString());
    bool has_a = false;
    bool has_b = false;
    for (const auto& p : record->fact().participants()) {
      has_a = has_a || p.entity_id() == Name(a);
      has_b = has_b || p.entity_id() == Name(b);
    }
    if (!has_a || !has_b) {
      return absl::StrCat("fact ", info.IdText(), " (", record->fact().summary(),
                          ") does not join ", Name(a), " and ", Name(b));
    }
    const auto& start = record->fact().valid_time().start();
    if (ToDayNumber(start.year(), start.month(), start.day()) != info.first_day) {
      return absl::StrCat("fact ", info.IdText(), ": graph day ", Day(info.first_day),
                          " differs from the stored date");
    }
    return "";
  }

  static void CheckTimeRespectingPaths(int max_hops, bool check_fewest_hops, TimeStats* stats);

  static inline fs::path dir_;
  static inline storage::Store* store_ = nullptr;
  static inline LiveGraph* graph_ = nullptr;
  static inline std::shared_ptr<const Snapshot>* snapshot_ = nullptr;
  static inline Reference* ref_ = nullptr;
  static inline std::vector<Vertex>* vertex_of_ = nullptr;  // reference actor -> vertex
  static inline std::vector<int>* ref_of_ = nullptr;        // vertex -> reference actor
  static inline bench::LoadCounts counts_;
  static inline std::string* setup_error_ = nullptr;

 private:
  std::chrono::steady_clock::time_point start_;
};

TEST_F(IcewsGraphTest, LoadAndGraphMatchTheFile) {
  EXPECT_GT(R().skipped, 0) << "the sample has a block of 'locatedin' rows";
  EXPECT_EQ(counts_.skipped, R().skipped);
  EXPECT_EQ(counts_.facts_created, R().kept);
  EXPECT_EQ(counts_.unchanged, 0);
  EXPECT_EQ(G().fact_count(), static_cast<size_t>(R().kept));
  EXPECT_EQ(G().vertex_count(), R().size());
  // Two directed edges per two-actor event, one self-loop per self-event.
  EXPECT_EQ(G().edge_count(), 2 * R().pairs.size() + static_cast<size_t>(R().self_events));
  int missing = 0;
  for (size_t i = 0; i < R().size(); ++i) missing += V(static_cast<int>(i)) == kNoVertex;
  EXPECT_EQ(missing, 0) << "reference actors without a graph vertex";
}

// Neighborhoods of 1 and 2 hops: the same neighbors at the same distances,
// and the same number of facts joining each to the layer before it.
TEST_F(IcewsGraphTest, NeighborhoodsMatchReferenceBfs) {
  std::mt19937 rng(42);
  std::vector<int> seeds = SampleActors(rng, 30, 90, 100);
  ASSERT_GE(seeds.size(), 200u);
  // And the actors of self-events, whose self-loops are not neighbors.
  for (size_t i = 0; i < R().size(); ++i) {
    if (!R().self[i].empty() &&
        std::find(seeds.begin(), seeds.end(), static_cast<int>(i)) == seeds.end()) {
      seeds.push_back(static_cast<int>(i));
    }
  }
  Mismatches bad("neighborhood");
  int64_t compared = 0;
  int64_t nonempty = 0;
  int64_t neighbors_checked = 0;
  for (const NamedWindow& window : Windows()) {
    for (int seed : seeds) {
      for (int hops : {1, 2}) {
        const std::string where =
            absl::StrCat("seed ", Name(seed), ", hops ", hops, ", ", Describe(window));
        NeighborhoodQuery q;
        q.seeds = {V(seed)};
        q.hops = hops;
        q.filter = Filter(window.range);
        q.limit = 1'000'000;
        q.max_facts = 100'000'000;
        auto result = Neighborhood(G(), q);
        if (!result.ok()) {
          bad.Add(absl::StrCat(where, ": ", result.status().ToString()));
          continue;
        }
        ++compared;
        const std::vector<int> dist = R().Bfs(seed, window.range, hops);
        // Reference: every reached actor but the seed.
        std::map<int, std::pair<int, int64_t>> want;  // actor -> (distance, facts)
        for (size_t v = 0; v < dist.size(); ++v) {
          if (dist[v] <= 0) continue;
          want[static_cast<int>(v)] = {
              dist[v], R().CountFromPreviousLayer(static_cast<int>(v), dist, window.range)};
        }
        std::map<int, std::pair<int, int64_t>> got;
        for (const Neighbor& n : result->neighbors) {
          const int r = RefOf(n.vertex);
          if (r < 0 || r == seed) {
            bad.Add(absl::StrCat(where, ": unexpected neighbor ", G().id(n.vertex)));
            continue;
          }
          got[r] = {n.distance, n.fact_count};
        }
        nonempty += !want.empty();
        neighbors_checked += static_cast<int64_t>(want.size());
        if (result->reached != result->neighbors.size()) {
          bad.Add(absl::StrCat(where, ": reached ", result->reached, " but returned ",
                               result->neighbors.size(), " under a limit of 1e6"));
        }
        if (got != want) {
          std::string diff;
          int shown = 0;
          for (const auto& [r, dc] : want) {
            auto it = got.find(r);
            if ((it == got.end() || it->second != dc) && shown++ < 5) {
              absl::StrAppend(
                  &diff, " ", Name(r), " want (d=", dc.first, ", facts=", dc.second, ") got ",
                  it == got.end()
                      ? std::string("nothing")
                      : absl::StrCat("(d=", it->second.first, ", facts=", it->second.second, ")"),
                  ";");
            }
          }
          for (const auto& [r, dc] : got) {
            if (!want.contains(r) && shown++ < 5) {
              absl::StrAppend(&diff, " ", Name(r), " not expected, got (d=", dc.first,
                              ", facts=", dc.second, ");");
            }
          }
          bad.Add(absl::StrCat(where, ": ", want.size(), " neighbors expected, ", got.size(),
                               " returned;", diff));
          continue;
        }
        // Ranking: fact_count desc, distance, id.
        for (size_t i = 1; i < result->neighbors.size(); ++i) {
          const Neighbor& a = result->neighbors[i - 1];
          const Neighbor& b = result->neighbors[i];
          const auto key = [](const Neighbor& n) {
            return std::make_tuple(-static_cast<int64_t>(n.fact_count), n.distance,
                                   G().id(n.vertex));
          };
          if (!(key(a) < key(b))) {
            bad.Add(absl::StrCat(where, ": neighbors out of order at ", i, ": ", G().id(a.vertex),
                                 " before ", G().id(b.vertex)));
            break;
          }
        }
        if (hops != 1) continue;
        // One hop: the connections are exactly the seed's facts in the window.
        std::map<int, int64_t> per_neighbor;
        for (const Connection& c : result->connections) {
          const int to = RefOf(c.to);
          if (c.from != V(seed) || to < 0) {
            bad.Add(
                absl::StrCat(where, ": connection from ", G().id(c.from), " to ", G().id(c.to)));
            continue;
          }
          ++per_neighbor[to];
          // Dated in the window (the store is read for only a few of them).
          if (!Reference::In(G().fact(c.fact).first_day, window.range)) {
            bad.Add(
                absl::StrCat(where, ": connection fact dated ", Day(G().fact(c.fact).first_day)));
          }
        }
        for (const auto& [r, dc] : want) {
          if (per_neighbor[r] != dc.second) {
            bad.Add(absl::StrCat(where, ": ", per_neighbor[r], " connections to ", Name(r),
                                 ", want ", dc.second));
          }
        }
        if (result->facts_truncated) bad.Add(absl::StrCat(where, ": facts truncated"));
      }
    }
  }
  std::cout << "[icews] neighborhoods: " << seeds.size() << " seeds x " << Windows().size()
            << " windows x hops {1,2} = " << compared << " queries (" << nonempty << " non-empty), "
            << neighbors_checked << " neighbors compared" << std::endl;
}

// Shortest paths: found exactly when the reference BFS reaches the target
// within max_hops, with the reference's number of hops; every hop is
// justified by facts of the window that join its two ends, and the path is
// the best attested (no shortest path has more facts summed over its hops).
TEST_F(IcewsGraphTest, ShortestPathsMatchReferenceBfs) {
  std::mt19937 rng(43);
  const std::vector<NamedWindow> windows = {
      {"year 2014", {ToDayNumber(2014, 1, 1), ToDayNumber(2014, 12, 31)}},
      {"month 2014-08", {ToDayNumber(2014, 8, 1), ToDayNumber(2014, 8, 31)}},
  };
  Mismatches bad("shortest path");
  std::map<std::string, std::map<int, int>> lengths;  // window -> hops -> pairs (-1: none)
  for (const NamedWindow& window : windows) {
    for (const auto& [from, to] : SamplePairs(rng, 320, window.range)) {
      const std::vector<int> dist = R().Bfs(from, window.range, 6);
      const std::vector<int64_t> best_attested = R().BestAttested(dist, window.range);
      for (int max_hops : {6, 2}) {
        const std::string where = absl::StrCat(Name(from), " -> ", Name(to), ", ", Describe(window),
                                               ", max_hops ", max_hops);
        PathQuery q;
        q.from = V(from);
        q.to = V(to);
        q.filter = Filter(window.range);
        q.max_hops = max_hops;
        q.facts_per_hop = 3;
        auto result = ShortestPath(G(), q);
        if (!result.ok()) {
          bad.Add(absl::StrCat(where, ": ", result.status().ToString()));
          continue;
        }
        const int want = dist[to] >= 0 && dist[to] <= max_hops ? dist[to] : -1;
        if (max_hops == 6) ++lengths[window.name][want];
        if (!result->has_value()) {
          if (want >= 0) bad.Add(absl::StrCat(where, ": not found, want ", want, " hops"));
          continue;
        }
        const Path& path = **result;
        if (want < 0) {
          bad.Add(absl::StrCat(where, ": found a path of ", path.hops.size(),
                               " hops, the reference has none"));
          continue;
        }
        if (static_cast<int>(path.hops.size()) != want ||
            path.vertices.size() != path.hops.size() + 1 || path.vertices.front() != V(from) ||
            path.vertices.back() != V(to)) {
          bad.Add(absl::StrCat(where, ": ", path.hops.size(), " hops over ", path.vertices.size(),
                               " vertices, want ", want, " hops"));
          continue;
        }
        int64_t attested = 0;
        for (const PathHop& hop : path.hops) attested += static_cast<int64_t>(hop.fact_count);
        if (attested != best_attested[to]) {
          bad.Add(absl::StrCat(where, ": ", attested, " facts over the hops, the best shortest ",
                               "path has ", best_attested[to]));
        }
        for (size_t i = 0; i < path.hops.size(); ++i) {
          const PathHop& hop = path.hops[i];
          const int a = RefOf(hop.from);
          const int b = RefOf(hop.to);
          const std::string at = absl::StrCat(where, ", hop ", i);
          if (hop.from != path.vertices[i] || hop.to != path.vertices[i + 1] || a < 0 || b < 0) {
            bad.Add(absl::StrCat(at, ": hop does not follow the vertices"));
            continue;
          }
          // On a shortest path, the i-th vertex is at distance i.
          if (dist[b] != static_cast<int>(i) + 1) {
            bad.Add(absl::StrCat(at, ": ", Name(b), " is at distance ", dist[b], ", not ", i + 1));
          }
          const int64_t events = R().Count(a, b, window.range);
          if (events == 0 || static_cast<int64_t>(hop.fact_count) != events) {
            bad.Add(absl::StrCat(at, " (", Name(a), " - ", Name(b), "): fact_count ",
                                 hop.fact_count, ", reference events ", events));
          }
          if (hop.facts.size() != std::min<size_t>(hop.fact_count, q.facts_per_hop)) {
            bad.Add(absl::StrCat(at, ": ", hop.facts.size(), " facts listed of ", hop.fact_count));
          }
          for (FactIndex f : hop.facts) {
            if (std::string why = CheckFact(f, a, b, window.range); !why.empty()) {
              bad.Add(absl::StrCat(at, ": ", why));
            }
          }
        }
      }
    }
  }
  for (const auto& [window, by_length] : lengths) {
    std::cout << "[icews] shortest paths, " << window << ", max_hops 6:";
    for (const auto& [hops, n] : by_length) {
      std::cout << " " << (hops < 0 ? std::string("none") : absl::StrCat(hops, " hops")) << " x"
                << n;
    }
    std::cout << std::endl;
  }
}

// Time-respecting paths against an earliest arrival computed by rounds of
// relaxation over the reference events (Reference::EarliestArrival).
//
// Choice of reference: it is exact for "earliest arrival using at most
// max_hops hops" (round k is the best with k hops or fewer), and the first
// round that reaches that day gives the fewest hops arriving then — the two
// things TimeRespectingPath promises (queries.h). The main test compares at
// max_hops 6 on both sides, as the query is used. A second test compares the
// graph with a limit far beyond any path in the data (1000) against the
// reference run to convergence (no limit), so that a failure of the first
// alone points at the handling of the hop limit.
struct TimeCase {
  std::string name;
  DayRange window;
  DayNumber since;
  size_t pairs;
};

std::vector<TimeCase> TimeCases() {
  return {
      {"year 2014 since 2014-01-01",
       {ToDayNumber(2014, 1, 1), ToDayNumber(2014, 12, 31)},
       ToDayNumber(2014, 1, 1),
       150},
      {"window to 2014-09-30 since 2014-07-01",
       {ToDayNumber(2014, 1, 1), ToDayNumber(2014, 9, 30)},
       ToDayNumber(2014, 7, 1),
       60},
  };
}

struct TimeStats {
  int64_t found = 0;
  int64_t not_found = 0;
  int64_t more_hops = 0;           // found paths with more hops than the fewest arriving as early
  int64_t limit_matters = 0;       // pairs whose arrival the hop limit makes later (or none)
  std::map<size_t, int64_t> hops;  // hops of the found paths
};

// Runs TimeRespectingPath on the sampled pairs of each case with `max_hops`
// (the reference uses the same limit; a limit of 1000 runs it to
// convergence instead) and checks each answer. Fewest hops are checked only
// when `check_fewest_hops`.
void IcewsGraphTest::CheckTimeRespectingPaths(int max_hops, bool check_fewest_hops,
                                              TimeStats* stats) {
  std::mt19937 rng(44);
  const bool unlimited = max_hops >= 1000;
  Mismatches bad(absl::StrCat("time-respecting path (max_hops ", max_hops, ")"));
  for (const TimeCase& c : TimeCases()) {
    for (const auto& [from, to] : SamplePairs(rng, c.pairs, {c.since, c.window.last})) {
      const std::string where = absl::StrCat(Name(from), " -> ", Name(to), ", ", c.name);
      const auto rows = R().EarliestArrival(from, c.since, c.window, unlimited ? -1 : max_hops);
      const auto all_rows = unlimited ? rows : R().EarliestArrival(from, c.since, c.window, -1);
      const DayNumber want = rows.back()[to];
      stats->limit_matters += want != all_rows.back()[to];
      int fewest = -1;  // fewest hops that reach `to` by `want`
      for (size_t k = 0; k < rows.size() && want != kInfinity; ++k) {
        if (rows[k][to] == want) {
          fewest = static_cast<int>(k);
          break;
        }
      }
      const std::string reference =
          want == kInfinity
              ? absl::StrCat("the reference has no path (without a hop limit: ",
                             all_rows.back()[to] == kInfinity
                                 ? std::string("none")
                                 : R().PathText(all_rows, from, to, c.since),
                             ")")
              : absl::StrCat(
                    "the reference arrives ", Day(want), " in ", fewest,
                    " hops: ", R().PathText(rows, from, to, c.since),
                    want == all_rows.back()[to]
                        ? std::string(" (the same without a hop limit)")
                        : absl::StrCat(" (without a hop limit: ", Day(all_rows.back()[to]), ")"));
      PathQuery q;
      q.from = V(from);
      q.to = V(to);
      q.filter = Filter(c.window);
      q.max_hops = max_hops;
      auto result = TimeRespectingPath(G(), q, c.since);
      if (!result.ok()) {
        bad.Add(absl::StrCat(where, ": ", result.status().ToString()));
        continue;
      }
      if (!result->has_value()) {
        ++stats->not_found;
        if (want != kInfinity) bad.Add(absl::StrCat(where, ": not found; ", reference));
        continue;
      }
      ++stats->found;
      const Path& path = **result;
      std::string got = absl::StrCat(path.hops.size(), " hops:");
      for (const PathHop& hop : path.hops) {
        absl::StrAppend(&got, " ", G().id(hop.from), " -(", Day(hop.day), ")-> ", G().id(hop.to));
      }
      if (want == kInfinity) {
        bad.Add(absl::StrCat(where, ": found ", got, "; ", reference));
        continue;
      }
      if (path.hops.empty() || path.hops.size() > static_cast<size_t>(max_hops) ||
          path.vertices.size() != path.hops.size() + 1 || path.vertices.front() != V(from) ||
          path.vertices.back() != V(to)) {
        bad.Add(absl::StrCat(where, ": malformed path of ", path.hops.size(), " hops over ",
                             path.vertices.size(), " vertices"));
        continue;
      }
      ++stats->hops[path.hops.size()];
      const DayNumber arrival = path.hops.back().day;
      if (arrival != want) {
        bad.Add(absl::StrCat(where, ": arrives ", Day(arrival), " in ", got, "; ", reference));
      } else if (static_cast<int>(path.hops.size()) != fewest) {
        ++stats->more_hops;
        if (check_fewest_hops) {
          bad.Add(absl::StrCat(where, ": arrives ", Day(arrival), " as it should, but in ", got,
                               "; ", reference));
        }
      }
      DayNumber previous = c.since;
      for (size_t i = 0; i < path.hops.size(); ++i) {
        const PathHop& hop = path.hops[i];
        const int a = RefOf(hop.from);
        const int b = RefOf(hop.to);
        const std::string at = absl::StrCat(where, ", hop ", i);
        if (hop.from != path.vertices[i] || hop.to != path.vertices[i + 1] || a < 0 || b < 0) {
          bad.Add(absl::StrCat(at, ": hop does not follow the vertices"));
          continue;
        }
        if (hop.day < previous || hop.day > c.window.last) {
          bad.Add(absl::StrCat(at, " (", Name(a), " - ", Name(b), "): day ", Day(hop.day),
                               " after ", Day(previous)));
        }
        previous = hop.day;
        if (R().CountOn(a, b, hop.day) == 0) {
          bad.Add(absl::StrCat(at, ": no reference event between ", Name(a), " and ", Name(b),
                               " on ", Day(hop.day)));
        }
        if (hop.facts.empty()) {
          bad.Add(absl::StrCat(at, ": no fact named"));
        } else if (G().fact(hop.facts[0]).first_day != hop.day) {
          bad.Add(absl::StrCat(at, ": the hop's fact is dated ",
                               Day(G().fact(hop.facts[0]).first_day), ", the hop ", Day(hop.day)));
        } else if (std::string why = CheckFact(hop.facts[0], a, b, c.window); !why.empty()) {
          bad.Add(absl::StrCat(at, ": ", why));
        }
      }
    }
  }
}

void PrintTimeStats(int max_hops, const TimeStats& stats) {
  std::cout << "[icews] time-respecting paths, max_hops " << max_hops << ": " << stats.found
            << " found, " << stats.not_found << " not found; hops of found paths:";
  for (const auto& [hops, n] : stats.hops) std::cout << " " << hops << "x" << n;
  std::cout << "; " << stats.more_hops
            << " arrive on time with more hops than the fewest; the hop limit changes the "
               "reference arrival for "
            << stats.limit_matters << " pairs" << std::endl;
}

TEST_F(IcewsGraphTest, TimeRespectingPathsMatchReferenceEarliestArrival) {
  TimeStats stats;
  CheckTimeRespectingPaths(6, /*check_fewest_hops=*/true, &stats);
  PrintTimeStats(6, stats);
}

TEST_F(IcewsGraphTest, TimeRespectingPathsWithoutHopLimitMatchReferenceArrival) {
  TimeStats stats;
  CheckTimeRespectingPaths(1000, /*check_fewest_hops=*/false, &stats);
  PrintTimeStats(1000, stats);
}

// Timelines of dyads (and of each of their actors alone): every fact of the
// window counted, in time order, and bucketed by month.
TEST_F(IcewsGraphTest, TimelinesMatchReferenceCounts) {
  std::mt19937 rng(45);
  std::set<std::pair<int, int>> dyads;
  std::uniform_int_distribution<size_t> any_event(0, R().pairs.size() - 1);
  while (dyads.size() < 50) {  // drawn by event, so busy dyads are likelier
    const RefEvent& e = R().pairs[any_event(rng)];
    dyads.insert({std::min(e.a, e.b), std::max(e.a, e.b)});
  }
  // Plus the dyads of the busiest actor with the next busiest.
  const std::vector<int> order = ByDegree();
  for (int i = 1; i <= 5; ++i) {
    dyads.insert({std::min(order[0], order[i]), std::max(order[0], order[i])});
  }
  // Each actor of a dyad alone, and the actors of self-events (whose
  // self-loops count in their own timelines).
  std::vector<std::vector<int>> queries_of;
  std::set<int> singles;
  for (const auto& [x, y] : dyads) {
    queries_of.push_back({x, y});
    singles.insert(x);
    singles.insert(y);
  }
  for (size_t i = 0; i < R().size(); ++i) {
    if (!R().self[i].empty()) singles.insert(static_cast<int>(i));
  }
  for (int a : singles) queries_of.push_back({a});
  Mismatches bad("timeline");
  int64_t queries = 0;
  int64_t facts_seen = 0;
  for (const NamedWindow& window : Windows()) {
    for (const std::vector<int>& entities : queries_of) {
      const bool single = entities.size() == 1;
      const int x = entities[0];
      const int y = entities.back();
      std::string where = single ? absl::StrCat("timeline of ", Name(entities[0]))
                                 : absl::StrCat("timeline of ", Name(x), " and ", Name(y));
      absl::StrAppend(&where, ", ", Describe(window));
      TimelineQuery q;
      for (int r : entities) q.entities.push_back(V(r));
      q.filter = Filter(window.range);
      q.granularity = Granularity::kMonth;
      q.max_facts = 1'000'000;
      auto result = Timeline(G(), q);
      if (!result.ok()) {
        bad.Add(absl::StrCat(where, ": ", result.status().ToString()));
        continue;
      }
      ++queries;
      const int64_t want =
          single ? R().CountOf(entities[0], window.range) : R().Count(x, y, window.range);
      facts_seen += want;
      if (static_cast<int64_t>(result->total_facts) != want ||
          result->facts.size() != result->total_facts) {
        bad.Add(absl::StrCat(where, ": total_facts ", result->total_facts, " (",
                             result->facts.size(), " listed), reference ", want));
      }
      for (size_t i = 1; i < result->facts.size(); ++i) {
        if (G().fact(result->facts[i - 1]).first_day > G().fact(result->facts[i]).first_day) {
          bad.Add(absl::StrCat(where, ": facts out of order at ", i));
          break;
        }
      }
      std::set<FactIndex> distinct(result->facts.begin(), result->facts.end());
      if (distinct.size() != result->facts.size()) {
        bad.Add(absl::StrCat(where, ": a fact is listed twice"));
      }
      // Check the store's record of a few listed facts.
      for (size_t i = 0; i < result->facts.size();
           i += std::max<size_t>(1, result->facts.size() / 4)) {
        const std::string why =
            single ? CheckFact(result->facts[i], entities[0], entities[0], window.range)
                   : CheckFact(result->facts[i], x, y, window.range);
        if (!why.empty()) bad.Add(absl::StrCat(where, ": ", why));
      }
      int64_t bucket_sum = 0;
      std::map<DayNumber, int64_t> got_months;
      for (const TimelineBucket& b : result->buckets) {
        bucket_sum += b.facts;
        got_months[b.first_day] += b.facts;
      }
      if (bucket_sum != static_cast<int64_t>(result->total_facts)) {
        bad.Add(absl::StrCat(where, ": buckets sum to ", bucket_sum, ", total_facts ",
                             result->total_facts));
      }
      const auto want_months = R().Months(entities[0], single ? -1 : y, window.range);
      if (got_months != want_months || got_months.size() != result->buckets.size()) {
        bad.Add(absl::StrCat(where, ": ", result->buckets.size(),
                             " month buckets differ from the reference's ", want_months.size()));
      }
    }
  }
  std::cout << "[icews] timelines: " << dyads.size() << " dyads and " << singles.size()
            << " single actors x " << Windows().size() << " windows = " << queries << " queries, "
            << facts_seen << " facts counted" << std::endl;
}

// Each query checks its deadline as it works (graph/queries.h): on the whole
// ICEWS graph, queries that answer without a deadline stop with
// DEADLINE_EXCEEDED when it has passed, instead of running to the end.
TEST_F(IcewsGraphTest, PassedDeadlinesStopLargeQueries) {
  // The two best-connected actors: every search from them is large.
  std::vector<Vertex> hubs;
  for (size_t i = 0; i < R().size(); ++i) hubs.push_back(V(static_cast<int>(i)));
  std::partial_sort(hubs.begin(), hubs.begin() + 2, hubs.end(), [](Vertex a, Vertex b) {
    return G().Degree(a) > G().Degree(b);
  });
  const absl::Time passed = absl::Now() - absl::Seconds(1);
  const auto expired = [](const absl::Status& status) {
    return status.code() == absl::StatusCode::kDeadlineExceeded;
  };

  NeighborhoodQuery neighborhood;
  neighborhood.seeds = {hubs[0]};
  neighborhood.hops = 3;
  ASSERT_TRUE(Neighborhood(G(), neighborhood).ok());
  neighborhood.deadline = passed;
  EXPECT_TRUE(expired(Neighborhood(G(), neighborhood).status()));

  PathQuery path;
  path.from = hubs[0];
  path.to = hubs[1];
  ASSERT_TRUE(KShortestPaths(G(), path, 20).ok());
  path.deadline = passed;
  EXPECT_TRUE(expired(KShortestPaths(G(), path, 20).status()));

  PathQuery timed = path;
  timed.deadline = absl::InfiniteFuture();
  timed.max_hops = 1000;
  ASSERT_TRUE(TimeRespectingPath(G(), timed, storage::kMinDay).ok());
  timed.deadline = passed;
  EXPECT_TRUE(expired(TimeRespectingPath(G(), timed, storage::kMinDay).status()));

  TimelineQuery timeline;
  timeline.entities = {hubs[0]};
  ASSERT_TRUE(Timeline(G(), timeline).ok());
  timeline.deadline = passed;
  EXPECT_TRUE(expired(Timeline(G(), timeline).status()));

  // A deadline that passes mid-search: the 200 shortest paths from the best
  // connected actor to one with a single fact (the slowest of 10 tried),
  // which without a deadline take ten times the 1 ms allowed or more.
  PathQuery far = path;
  far.deadline = absl::InfiniteFuture();
  absl::Duration longest;
  int tried = 0;
  for (size_t i = 0; i < R().size() && tried < 10; ++i) {
    const Vertex v = V(static_cast<int>(i));
    if (G().Degree(v) != 1) continue;
    ++tried;
    PathQuery candidate = far;
    candidate.to = v;
    const absl::Time start = absl::Now();
    ASSERT_TRUE(KShortestPaths(G(), candidate, 200).ok());
    if (absl::Now() - start > longest) {
      longest = absl::Now() - start;
      far = candidate;
    }
  }
  std::cout << "[icews] 200 shortest paths without a deadline: " << longest << std::endl;
  if (longest < absl::Milliseconds(10)) GTEST_SKIP() << "no search tried takes 10 ms";
  far.deadline = absl::Now() + absl::Milliseconds(1);
  EXPECT_TRUE(expired(KShortestPaths(G(), far, 200).status()));
}

}  // namespace
}  // namespace entente::graph
