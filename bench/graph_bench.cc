// entente_graph_bench: server-side latency of the graph queries on real (or
// scaled) ICEWS event data, without gRPC in the way.
//
//   entente_graph_bench --events FILE [--db DIR [--reuse]] [--queries N] [--seed S]
//                       [--only KIND] [--json]
//
// 1. Loads the events into a fresh store through the ordinary write path
//    (bench::ReadIcewsFile + bench::LoadIcewsEvents) and reports the rate.
//    DIR must be absent or empty; without --db a temporary directory is used
//    and removed at exit. --reuse skips the load and uses the store an
//    earlier run left in DIR (for repeated and profiled runs).
// 2. Closes and reopens the store and times graph::LiveGraph::Build, the
//    build a server does at start, then reports Snapshot::MemoryBytes() per
//    fact and per directed edge.
// 3. Runs N queries of each kind (default 2000; N/10 for k = 5 shortest
//    paths, which are two orders slower), all different, drawn with a fixed
//    seed before timing, and times every call with std::chrono::steady_clock
//    (the thread's CPU time is recorded beside it, to tell work from waiting
//    for a core on a busy machine):
//    - 1-hop and 2-hop (limit 100) neighborhoods of one seed over one
//      calendar month: the month of a random event of the seed;
//    - dyad timelines, month buckets over the whole data, of pairs that have
//      at least one event;
//    - shortest path and k = 5 shortest paths (max 6 hops) over one calendar
//      year: the year of a random event of `from`, `to` drawn among the
//      actors with an event in that year (a pair with an idle end would end
//      the search at once and measure nothing);
//    - time-respecting path (max 6 hops) between any two actors, since the
//      first day of the data, the window being the whole data;
//    - rolled up to states: 1-hop neighborhoods and dyad timelines as above,
//      drawn from the rolled-up graph (its vertices are states and the
//      actors no state claims). The load makes the names in
//      bench/states.inc states and ties "Sector (Country)" actors to them
//      (bench::LoadOptions::states_and_affiliations).
//    Seeds, pairs and path endpoints alternate between a degree-weighted
//    draw (so hubs appear as often as they do in the data: the actors of a
//    random event) and a uniform draw (over actors, or over distinct pairs
//    for dyads): half each, reported together and apart. Ten untimed
//    queries of each kind run first so per-thread scratch space is sized.
//    Nothing is cached between queries (the graph has no answer cache).
//
// The human table goes to stdout; with --json it goes to stderr and stdout
// gets one JSON object instead. --only KIND runs one kind (for profiling).
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bench/icews.h"
#include "graph/graph.h"
#include "graph/queries.h"
#include "storage/dates.h"
#include "storage/store.h"

#ifndef ENTENTE_BENCH_BUILD_TYPE
#define ENTENTE_BENCH_BUILD_TYPE "unknown"
#endif

namespace entente::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using graph::Vertex;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string BuildDescription() {
  std::string s = ENTENTE_BENCH_BUILD_TYPE;
#ifdef NDEBUG
  absl::StrAppend(&s, ", NDEBUG");
#else
  absl::StrAppend(&s, ", assertions on");
#endif
#if defined(__SANITIZE_ADDRESS__)
  absl::StrAppend(&s, ", ASan");
#endif
#if !defined(__OPTIMIZE__)
  absl::StrAppend(&s, ", UNOPTIMIZED");
#endif
  return s;
}

// A /proc/self/status size (VmRSS, VmHWM) in bytes; 0 when unknown.
int64_t ProcStatusBytes(absl::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field) && line.size() > field.size() && line[field.size()] == ':') {
      int64_t kb = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      if (absl::SimpleAtoi(digits, &kb)) return kb * 1024;
    }
  }
  return 0;
}

// Removes a temporary directory at scope exit.
struct TempDir {
  fs::path path;
  ~TempDir() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Args {
  std::string events;
  std::string db;
  int queries = 2000;
  uint64_t seed = 20140101;
  bool json = false;
  bool reuse = false;  // --db already holds the loaded events: skip the load
  std::string only;    // run only this query kind (for profiling)
};

int Usage(absl::string_view error) {
  if (!error.empty()) std::cerr << "entente_graph_bench: " << error << "\n";
  std::cerr << "usage: entente_graph_bench --events FILE [--db DIR [--reuse]] [--queries N] "
               "[--seed S] [--only KIND] [--json]\n"
               "  --reuse      DIR already holds these events, loaded by an earlier run with\n"
               "               --db DIR: skip the load (for repeated or profiled runs)\n"
               "  --only KIND  run one query kind: neighborhood_1hop, neighborhood_2hop,\n"
               "               dyad_timeline, shortest_path, k5_shortest_paths,\n"
               "               time_respecting_path, rolled_neighborhood_1hop,\n"
               "               rolled_dyad_timeline (rolled up to states)\n";
  return 2;
}

// ---- The workload's view of the graph (built once, untimed) ----

struct Adjacent {
  Vertex to;
  storage::DayNumber day;
};

struct Workload {
  // Every vertex's non-loop edges over all time, in CSR form.
  std::vector<uint64_t> offsets;  // size V + 1; doubles as cumulative degree
  std::vector<Adjacent> edges;
  std::vector<Vertex> active;                    // vertices with an edge
  std::vector<std::pair<Vertex, Vertex>> pairs;  // distinct unordered pairs
  storage::DayRange days;                        // first and last day of any fact

  uint64_t degree(Vertex v) const { return offsets[v + 1] - offsets[v]; }
};

// `all` is the graph the workload samples: plain, or rolled up to states.
Workload MakeWorkload(const graph::Snapshot& g, const graph::EdgeFilter& all) {
  Workload w;
  const auto n = static_cast<Vertex>(g.vertex_count());
  w.offsets.assign(n + 1, 0);
  for (Vertex v = 0; v < n; ++v) {
    g.ForEachEdge(v, all, [&](Vertex u, graph::FactIndex f) {
      if (u == v) return;
      w.edges.push_back({u, g.fact(f).first_day});
      if (v < u) w.pairs.emplace_back(v, u);
    });
    w.offsets[v + 1] = w.edges.size();
    std::sort(w.edges.begin() + static_cast<ptrdiff_t>(w.offsets[v]), w.edges.end(),
              [](const Adjacent& a, const Adjacent& b) { return a.day < b.day; });
    if (w.degree(v) > 0) w.active.push_back(v);
  }
  std::sort(w.pairs.begin(), w.pairs.end());
  w.pairs.erase(std::unique(w.pairs.begin(), w.pairs.end()), w.pairs.end());
  w.days = {storage::kMaxDay, storage::kMinDay};
  for (graph::FactIndex f = 0; f < g.fact_count(); ++f) {
    w.days.first = std::min(w.days.first, g.fact(f).first_day);
    w.days.last = std::max(w.days.last, g.fact(f).first_day);
  }
  return w;
}

class Sampler {
 public:
  Sampler(const Workload& w, uint64_t seed) : w_(w), rng_(seed) {}

  // Half the draws (even i) degree-weighted, half uniform over actors.
  Vertex Actor(int i) { return i % 2 == 0 ? Weighted() : Uniform(); }
  Vertex Weighted() {
    const uint64_t e = Below(w_.edges.size());
    return static_cast<Vertex>(std::upper_bound(w_.offsets.begin(), w_.offsets.end(), e) -
                               w_.offsets.begin() - 1);
  }
  Vertex Uniform() { return w_.active[Below(w_.active.size())]; }
  std::pair<Vertex, Vertex> DistinctActors(int i) {
    const Vertex a = Actor(i);
    Vertex b = Actor(i);
    while (b == a) b = Actor(i);
    return {a, b};
  }
  // A pair with at least one event: even i, the pair of a random event
  // (weighted by how many events the pair has); odd i, a uniform pair.
  std::pair<Vertex, Vertex> Dyad(int i) {
    if (i % 2 != 0) return w_.pairs[Below(w_.pairs.size())];
    const Vertex a = Weighted();
    return {a, w_.edges[w_.offsets[a] + Below(w_.degree(a))].to};
  }
  // The calendar month of a random event of `v`.
  storage::DayRange MonthOfEventOf(Vertex v) {
    const storage::DayNumber day = w_.edges[w_.offsets[v] + Below(w_.degree(v))].day;
    const v1::Date date = storage::DateOfDay(day);
    const int y = date.year(), m = date.month();
    const storage::DayNumber first = storage::ToDayNumber(y, m, 1);
    const storage::DayNumber next =
        m == 12 ? storage::ToDayNumber(y + 1, 1, 1) : storage::ToDayNumber(y, m + 1, 1);
    return {first, next - 1};
  }
  // The calendar year of a random event of `v`.
  storage::DayRange YearOfEventOf(Vertex v) {
    const storage::DayNumber day = w_.edges[w_.offsets[v] + Below(w_.degree(v))].day;
    const int y = storage::DateOfDay(day).year();
    return {storage::ToDayNumber(y, 1, 1), storage::ToDayNumber(y + 1, 1, 1) - 1};
  }
  // True when `v` has an event in `window`.
  bool ActiveIn(Vertex v, storage::DayRange window) const {
    const Adjacent* begin = w_.edges.data() + w_.offsets[v];
    const Adjacent* end = w_.edges.data() + w_.offsets[v + 1];
    const Adjacent* it =
        std::partition_point(begin, end, [&](const Adjacent& a) { return a.day < window.first; });
    return it != end && it->day <= window.last;
  }
  // A pair for a windowed path query: `from` drawn as Actor(i), the window
  // the calendar year of one of its events, `to` drawn the same way among
  // the actors with an event in that year (so that neither end is idle).
  std::tuple<Vertex, Vertex, storage::DayRange> PairActiveInYear(int i) {
    const Vertex from = Actor(i);
    const storage::DayRange window = YearOfEventOf(from);
    for (int tries = 0;; ++tries) {
      const Vertex to = Actor(i);
      if (to != from && (ActiveIn(to, window) || tries > 100000)) return {from, to, window};
    }
  }

 private:
  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  const Workload& w_;
  std::mt19937_64 rng_;
};

// ---- Measurement ----

struct Sample {
  double micros;          // wall time (steady_clock)
  double cpu_micros = 0;  // this thread's CPU time, to tell work from waiting for a core
  bool weighted;          // the degree-weighted half
  bool found;             // path queries: a path exists
  double size;            // result size (neighbors reached, facts, hops, paths)
};

struct Summary {
  size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  double cpu_p50 = 0, cpu_p99 = 0;
  double found_ratio = 0, mean_size = 0;
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Summary Summarize(const std::vector<Sample>& samples, std::optional<bool> weighted) {
  std::vector<double> t, cpu;
  Summary s;
  size_t found = 0;
  double size = 0, sum = 0;
  for (const Sample& x : samples) {
    if (weighted && x.weighted != *weighted) continue;
    t.push_back(x.micros);
    cpu.push_back(x.cpu_micros);
    sum += x.micros;
    found += x.found;
    size += x.size;
  }
  if (t.empty()) return s;
  std::sort(t.begin(), t.end());
  std::sort(cpu.begin(), cpu.end());
  s.cpu_p50 = Percentile(cpu, 0.50);
  s.cpu_p99 = Percentile(cpu, 0.99);
  s.count = t.size();
  s.p50 = Percentile(t, 0.50);
  s.p90 = Percentile(t, 0.90);
  s.p99 = Percentile(t, 0.99);
  s.max = t.back();
  s.mean = sum / static_cast<double>(t.size());
  s.found_ratio = static_cast<double>(found) / static_cast<double>(t.size());
  s.mean_size = size / static_cast<double>(t.size());
  return s;
}

struct Kind {
  std::string key;    // JSON key
  std::string label;  // table label
  bool is_path = false;
  std::string size_name;
  std::vector<Sample> samples;
  size_t errors = 0;
};

// Draws `warmup` + `count` queries with `make(i)` first (untimed), runs the
// first `warmup` untimed, then times `run(query)` for each of the others.
// `run` returns the sample with everything but the time filled in, or
// nullopt on an error. Query i (from 0) is of the degree-weighted half when
// i is even.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

template <typename Make, typename Run>
void Measure(Kind& kind, int count, int warmup, Make&& make, Run&& run) {
  std::cerr << "running " << count << " x " << kind.label << "\n";
  using Query = decltype(make(0));
  std::vector<Query> queries;
  queries.reserve(static_cast<size_t>(warmup + count));
  for (int i = 0; i < warmup; ++i) queries.push_back(make(i));
  for (int i = 0; i < count; ++i) queries.push_back(make(i));
  for (int i = 0; i < warmup; ++i) run(queries[static_cast<size_t>(i)]);
  kind.samples.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const Query& query = queries[static_cast<size_t>(warmup + i)];
    const double cpu_start = ThreadCpuMicros();
    const auto start = Clock::now();
    std::optional<Sample> sample = run(query);
    const auto stop = Clock::now();
    const double cpu_micros = ThreadCpuMicros() - cpu_start;
    const double micros = std::chrono::duration<double, std::micro>(stop - start).count();
    if (!sample) {
      ++kind.errors;
      continue;
    }
    sample->micros = micros;
    sample->cpu_micros = cpu_micros;
    sample->weighted = i % 2 == 0;
    kind.samples.push_back(*sample);
  }
}

int Run(const Args& args) {
  TempDir temp;  // declared first: removed after the store is closed
  std::string db = args.db;
  if (db.empty()) {
    std::string pattern = (fs::temp_directory_path() / "entente_graph_bench_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "entente_graph_bench: cannot make a temporary directory\n";
      return 1;
    }
    temp.path = pattern;
    db = pattern;
  } else if (args.reuse) {
    if (!fs::exists(db)) {
      std::cerr << "entente_graph_bench: --reuse: " << db << " does not exist\n";
      return 1;
    }
  } else if (fs::exists(db) && !fs::is_empty(db)) {
    std::cerr << "entente_graph_bench: " << db << " is not empty; give a fresh --db\n";
    return 1;
  }
  std::ostream& table = args.json ? std::cerr : std::cout;
  std::string json = "{";
  auto jfield = [&json](absl::string_view key, const std::string& value) {
    absl::StrAppend(&json, json.size() > 1 ? "," : "", "\"", key, "\":", value);
  };
  auto jstring = [](absl::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  };
  jfield("events_file", jstring(args.events));
  jfield("build", jstring(BuildDescription()));
  jfield("seed", absl::StrCat(args.seed));

  // ---- Load ----
  LoadCounts counts;
  double load_seconds = 0, read_seconds = 0;
  int64_t disk_bytes = 0;
  auto start = Clock::now();
  if (!args.reuse) {
    std::cerr << "reading " << args.events << "\n";
    auto events = ReadIcewsFile(args.events);
    if (!events.ok()) {
      std::cerr << "entente_graph_bench: " << events.status() << "\n";
      return 1;
    }
    read_seconds = SecondsSince(start);
    std::cerr << "loading " << events->size() << " events into " << db << "\n";
    {
      auto store = storage::Store::Open(db);
      if (!store.ok()) {
        std::cerr << "entente_graph_bench: " << store.status() << "\n";
        return 1;
      }
      start = Clock::now();
      LoadOptions load;
      load.states_and_affiliations = true;  // for the rolled-up kinds
      auto loaded = LoadIcewsEvents(**store, *events, load);
      load_seconds = SecondsSince(start);
      if (!loaded.ok()) {
        std::cerr << "entente_graph_bench: load: " << loaded.status() << "\n";
        return 1;
      }
      counts = *loaded;
      disk_bytes = (*store)->Stats().disk_bytes;
    }  // closed here
  }
  const double load_rate = load_seconds > 0 ? static_cast<double>(counts.events) / load_seconds : 0;

  // ---- Start-up build ----
  auto store = storage::Store::Open(db);
  if (!store.ok()) {
    std::cerr << "entente_graph_bench: reopen: " << store.status() << "\n";
    return 1;
  }
  start = Clock::now();
  auto live = graph::LiveGraph::Build(**store);
  const double build_seconds = SecondsSince(start);
  if (!live.ok()) {
    std::cerr << "entente_graph_bench: build: " << live.status() << "\n";
    return 1;
  }
  const std::shared_ptr<const graph::Snapshot> snapshot = (*live)->snapshot();
  const graph::Snapshot& g = *snapshot;
  const size_t memory = g.MemoryBytes();
  const size_t facts = g.fact_count(), edges = g.edge_count(), vertices = g.vertex_count();
  const double per_fact = facts ? static_cast<double>(memory) / static_cast<double>(facts) : 0;
  const double per_edge = edges ? static_cast<double>(memory) / static_cast<double>(edges) : 0;

  table << "build: " << BuildDescription() << "\n";
  if (args.reuse) {
    table << "load:  skipped (--reuse)\n";
  } else {
    table << absl::StrFormat(
        "load:  %d events (%d facts created, %d unchanged, %d skipped, %d entities) in %.1f s "
        "= %.0f events/s (file read %.2f s); store on disk %.1f MiB\n",
        counts.events, counts.facts_created, counts.unchanged, counts.skipped,
        counts.entities_created, load_seconds, load_rate, read_seconds,
        static_cast<double>(disk_bytes) / (1 << 20));
  }
  table << absl::StrFormat(
      "graph: LiveGraph::Build after reopen %.3f s; %d vertices, %d facts, %d directed edges; "
      "MemoryBytes %.1f MiB = %.1f B/fact, %.1f B/directed edge\n",
      build_seconds, vertices, facts, edges, static_cast<double>(memory) / (1 << 20), per_fact,
      per_edge);
  jfield("load", absl::StrCat("{\"reused\":", args.reuse ? "true" : "false", ",\"events\":",
                              counts.events, ",\"facts_created\":", counts.facts_created,
                              ",\"unchanged\":", counts.unchanged, ",\"skipped\":", counts.skipped,
                              ",\"entities\":", counts.entities_created,
                              ",\"read_seconds\":", absl::StrFormat("%.3f", read_seconds),
                              ",\"load_seconds\":", absl::StrFormat("%.3f", load_seconds),
                              ",\"events_per_second\":", absl::StrFormat("%.0f", load_rate),
                              ",\"disk_bytes\":", disk_bytes, "}"));
  jfield("graph", absl::StrCat("{\"build_seconds\":", absl::StrFormat("%.4f", build_seconds),
                               ",\"vertices\":", vertices, ",\"facts\":", facts,
                               ",\"edges\":", edges, ",\"memory_bytes\":", memory,
                               ",\"bytes_per_fact\":", absl::StrFormat("%.2f", per_fact),
                               ",\"bytes_per_edge\":", absl::StrFormat("%.2f", per_edge), "}"));

  // ---- Queries ----
  std::cerr << "preparing the workload\n";
  const Workload w = MakeWorkload(g, graph::EdgeFilter());
  if (w.active.size() < 2 || w.pairs.empty()) {
    std::cerr << "entente_graph_bench: the graph has too few connected actors to query\n";
    return 1;
  }
  Sampler sampler(w, args.seed);
  // The rolled-up kinds sample the rolled-up graph the same way: its
  // vertices are states and the actors no state claims.
  const auto rolled_up = g.RolledUp(graph::kNever);
  graph::EdgeFilter rolled_all;
  rolled_all.rolled_up = rolled_up.get();
  const Workload rolled_w = MakeWorkload(g, rolled_all);
  Sampler rolled_sampler(rolled_w, args.seed);
  const int n = args.queries;
  const int k_count = std::max(1, n / 10);
  const int warmup = std::min(10, n);
  std::vector<Kind> kinds;
  auto kind = [&kinds](std::string key, std::string label, bool is_path,
                       std::string size_name) -> Kind& {
    kinds.push_back({std::move(key), std::move(label), is_path, std::move(size_name), {}, 0});
    return kinds.back();
  };
  kinds.reserve(8);

  auto want = [&args](absl::string_view key) { return args.only.empty() || args.only == key; };
  auto neighborhood = [&](int hops, bool rolled) {
    Sampler& draw = rolled ? rolled_sampler : sampler;
    Kind& k = kind(absl::StrCat(rolled ? "rolled_" : "", "neighborhood_", hops, "hop"),
                   absl::StrCat(hops, "-hop neighborhood, 1 month", rolled ? ", rolled up" : ""),
                   false, "reached");
    Measure(
        k, n, warmup,
        [&](int i) {
          graph::NeighborhoodQuery q;
          const Vertex seed = draw.Actor(i);
          q.seeds = {seed};
          q.hops = hops;
          q.limit = 100;
          q.filter.window = draw.MonthOfEventOf(seed);
          if (rolled) q.filter.rolled_up = rolled_up.get();
          return q;
        },
        [&](const graph::NeighborhoodQuery& q) -> std::optional<Sample> {
          auto r = graph::Neighborhood(g, q);
          if (!r.ok()) return std::nullopt;
          return Sample{0, 0, false, !r->neighbors.empty(), static_cast<double>(r->reached)};
        });
  };
  if (want("neighborhood_1hop")) neighborhood(1, false);
  if (want("neighborhood_2hop")) neighborhood(2, false);
  auto dyad_timeline = [&](bool rolled) {
    Sampler& draw = rolled ? rolled_sampler : sampler;
    Kind& k = kind(rolled ? "rolled_dyad_timeline" : "dyad_timeline",
                   rolled ? "dyad timeline, all, months, rolled up" : "dyad timeline, all, months",
                   false, "facts");
    Measure(
        k, n, warmup,
        [&](int i) {
          graph::TimelineQuery q;
          const auto [a, b] = draw.Dyad(i);
          q.entities = {a, b};
          q.filter.window = w.days;
          q.granularity = graph::Granularity::kMonth;
          if (rolled) q.filter.rolled_up = rolled_up.get();
          return q;
        },
        [&](const graph::TimelineQuery& q) -> std::optional<Sample> {
          auto r = graph::Timeline(g, q);
          if (!r.ok()) return std::nullopt;
          return Sample{0, 0, false, r->total_facts > 0, static_cast<double>(r->total_facts)};
        });
  };
  if (want("dyad_timeline")) dyad_timeline(false);
  if (want("rolled_neighborhood_1hop") && !rolled_w.pairs.empty()) neighborhood(1, true);
  if (want("rolled_dyad_timeline") && !rolled_w.pairs.empty()) dyad_timeline(true);
  // Shortest and k shortest paths: a calendar year in which both ends have
  // events. Time-respecting paths: any two actors, the whole data.
  auto year_path_query = [&](int i) {
    graph::PathQuery q;
    std::tie(q.from, q.to, q.filter.window) = sampler.PairActiveInYear(i);
    q.max_hops = 6;
    return q;
  };
  auto path_sample =
      [](const absl::StatusOr<std::optional<graph::Path>>& r) -> std::optional<Sample> {
    if (!r.ok()) return std::nullopt;
    return Sample{0, 0, false, r->has_value(),
                  r->has_value() ? static_cast<double>((*r)->hops.size()) : 0};
  };
  if (want("shortest_path")) {
    Kind& k = kind("shortest_path", "shortest path, 1 year", true, "hops");
    Measure(k, n, warmup, year_path_query,
            [&](const graph::PathQuery& q) { return path_sample(graph::ShortestPath(g, q)); });
  }
  if (want("k5_shortest_paths")) {
    Kind& k = kind("k5_shortest_paths", "k=5 shortest paths, 1 year", true, "paths");
    Measure(k, k_count, std::min(warmup, k_count), year_path_query,
            [&](const graph::PathQuery& q) -> std::optional<Sample> {
              auto r = graph::KShortestPaths(g, q, 5);
              if (!r.ok()) return std::nullopt;
              return Sample{0, 0, false, !r->empty(), static_cast<double>(r->size())};
            });
  }
  if (want("time_respecting_path")) {
    Kind& k = kind("time_respecting_path", "time-respecting path", true, "hops");
    Measure(
        k, n, warmup,
        [&](int i) {
          graph::PathQuery q;
          std::tie(q.from, q.to) = sampler.DistinctActors(i);
          q.filter.window = w.days;
          q.max_hops = 6;
          return q;
        },
        [&](const graph::PathQuery& q) {
          return path_sample(graph::TimeRespectingPath(g, q, w.days.first));
        });
  }
  if (kinds.empty()) {
    std::cerr << "entente_graph_bench: --only " << args.only << ": no such query kind\n";
    return 2;
  }

  table << absl::StrFormat("\n%-34s %6s %9s %9s %9s %9s %9s %6s %9s\n", "query (microseconds)",
                           "count", "p50", "p90", "p99", "max", "cpu p50", "found", "mean size");
  std::string jqueries = "{";
  for (const Kind& k : kinds) {
    auto row = [&](const std::string& label, const Summary& s) {
      table << absl::StrFormat("%-34s %6d %9.1f %9.1f %9.1f %9.1f %9.1f %5.0f%% %9.1f\n", label,
                               s.count, s.p50, s.p90, s.p99, s.max, s.cpu_p50, 100 * s.found_ratio,
                               s.mean_size);
    };
    auto jsummary = [&](const Summary& s) {
      return absl::StrFormat(
          "\"count\":%d,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,"
          "\"mean_us\":%.2f,\"cpu_p50_us\":%.2f,\"cpu_p99_us\":%.2f,\"found_ratio\":%.4f,"
          "\"mean_%s\":%.2f",
          s.count, s.p50, s.p90, s.p99, s.max, s.mean, s.cpu_p50, s.cpu_p99, s.found_ratio,
          k.size_name, s.mean_size);
    };
    const Summary all = Summarize(k.samples, std::nullopt);
    const Summary hub = Summarize(k.samples, true);
    const Summary uniform = Summarize(k.samples, false);
    row(k.label, all);
    row("  degree-weighted half", hub);
    row("  uniform half", uniform);
    absl::StrAppend(&jqueries, jqueries.size() > 1 ? "," : "", "\"", k.key, "\":{", jsummary(all),
                    ",\"errors\":", k.errors, ",\"weighted\":{", jsummary(hub), "},\"uniform\":{",
                    jsummary(uniform), "}}");
    if (k.errors > 0) table << "  errors: " << k.errors << "\n";
  }
  table << "(found: share of queries with a non-empty answer — for paths, a path exists; "
           "mean size: "
        << "neighbors reached, facts, hops of found paths averaged over all, paths)\n";
  jfield("queries", jqueries + "}");
  jfield("rss_peak_bytes", absl::StrCat(ProcStatusBytes("VmHWM")));
  if (args.json) std::cout << json << "}\n";
  size_t errors = 0;
  for (const Kind& k : kinds) errors += k.errors;
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace entente::bench

int main(int argc, char** argv) {
  using entente::bench::Usage;
  entente::bench::Args args;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage("");
    if (arg == "--json" || arg == "--reuse") {
      (arg == "--json" ? args.json : args.reuse) = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(absl::StrCat(arg, " needs a value"));
    const char* value = argv[++i];
    if (arg == "--events") {
      args.events = value;
    } else if (arg == "--db") {
      args.db = value;
    } else if (arg == "--queries") {
      if (!absl::SimpleAtoi(value, &args.queries) || args.queries < 1) {
        return Usage("--queries must be >= 1");
      }
    } else if (arg == "--only") {
      args.only = value;
    } else if (arg == "--seed") {
      if (!absl::SimpleAtoi(value, &args.seed)) return Usage("--seed must be a number");
    } else {
      return Usage(absl::StrCat("unknown option ", arg));
    }
  }
  if (args.events.empty() && !args.reuse) return Usage("--events is required");
  if (!args.only.empty() && !absl::c_linear_search(
                                std::vector<absl::string_view>{
                                    "neighborhood_1hop", "neighborhood_2hop", "dyad_timeline",
                                    "shortest_path", "k5_shortest_paths", "time_respecting_path",
                                    "rolled_neighborhood_1hop", "rolled_dyad_timeline"},
                                args.only)) {
    return Usage(absl::StrCat("--only ", args.only, ": no such query kind"));
  }
  return entente::bench::Run(args);
}
