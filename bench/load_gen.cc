// entente_load_gen: a mixed query workload over gRPC against a running
// entented, from N concurrent clients, measured end to end on the client.
//
//   entente_load_gen --server ADDR --clients N [--seconds S | --count C]
//                    [--events FILE] [--mix timeline=30,neighbors=30,path=20,resolve=20]
//                    [--deadline-ms D] [--channels per-client|shared] [--threads T]
//                    [--pool P] [--warmup W] [--seed S] [--server-pid PID] [--json]
//
// The queries are drawn from the ICEWS events file the server's database was
// loaded from (`entente_graph_bench --events FILE --db DIR`, whose entity ids
// are bench::ActorId(name) and whose entity names are the first spelling of
// each actor), with a fixed seed, and all prepared before timing:
//   - timeline:  GetTimeline of a dyad with at least one event, month
//                buckets, no window (the whole data), default max_facts;
//   - neighbors: GetNeighborhood of one seed, 1 hop or 2 hops (alternating),
//                limit 100, over the calendar month of a random event of the
//                seed;
//   - path:      FindPaths, shortest, max 6 hops, over the calendar year of a
//                random event of `from`, `to` drawn among the actors with an
//                event in that year;
//   - resolve:   ResolveEntity of an actor's name (default limit).
// As in entente_graph_bench, half of the seeds, dyads and endpoints are drawn
// weighted by degree (the actors of a random event) and half uniformly. The
// kinds are interleaved in one sequence of --pool queries (default 100000)
// drawn by the --mix weights; the clients take the next query from it in
// turn (wrapping around in --seconds mode).
//
// Each client makes one call at a time (a closed loop) with gRPC's
// asynchronous API; --threads T threads (default 1) drive the N clients
// through one completion queue each. With --channels per-client (the
// default; see docs/benchmarks.md) each client has its own channel and TCP
// connection; with shared, all use one.
// Every client first makes --warmup untimed calls (default 20). Latency is
// the wall time of the whole call (for GetTimeline, until the stream ends),
// errors included. Results: requests, errors by status code, QPS, and
// p50/p95/p99/max per kind and overall; a human table on stdout, or with
// --json one JSON object on stdout (the table then goes to stderr). The exit
// status is 1 when any call failed.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bench/icews.h"
#include "entente/v1/query_service.grpc.pb.h"
#include "entente/v1/read_service.grpc.pb.h"
#include "google/protobuf/arena.h"
#include "graph/cameo.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"

#ifndef ENTENTE_DEFAULT_EVENTS
#define ENTENTE_DEFAULT_EVENTS ""
#endif

namespace entente::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---- Arguments ----

enum Kind { kTimeline = 0, kNeighbors, kPath, kResolve, kKindCount };
constexpr const char* kKindNames[kKindCount] = {"timeline", "neighbors", "path", "resolve"};

// Report rows: the four kinds, with neighbors also split by hops.
enum Row { kRowTimeline = 0, kRowNeighbors1, kRowNeighbors2, kRowPath, kRowResolve, kRowCount };

struct Args {
  std::string server;
  int clients = 1;
  double seconds = 0;
  int64_t count = 0;
  std::string events = ENTENTE_DEFAULT_EVENTS;
  int mix[kKindCount] = {30, 30, 20, 20};
  int deadline_ms = 5000;
  bool shared_channel = false;
  int threads = 1;
  int64_t pool = 100000;
  int warmup = 20;
  uint64_t seed = 20140101;
  int server_pid = 0;
  bool json = false;
};

int Usage(absl::string_view error) {
  if (!error.empty()) std::cerr << "entente_load_gen: " << error << "\n";
  std::cerr
      << "usage: entente_load_gen --server ADDR --clients N [--seconds S | --count C]\n"
         "         [--events FILE] [--mix timeline=30,neighbors=30,path=20,resolve=20]\n"
         "         [--deadline-ms D] [--channels per-client|shared] [--threads T] [--pool P]\n"
         "         [--warmup W] [--seed S] [--server-pid PID] [--json]\n"
         "  --events FILE   the ICEWS file the server's database was loaded from\n"
         "                  (default "
      << (*ENTENTE_DEFAULT_EVENTS ? ENTENTE_DEFAULT_EVENTS : "none")
      << ")\n"
         "  --seconds S     run for S seconds (default 10 unless --count is given)\n"
         "  --count C       run C timed calls in all, then stop\n"
         "  --deadline-ms D deadline of every call (default 5000)\n"
         "  --channels      one channel (and connection) per client (default), or one shared\n"
         "  --threads T     threads driving the clients (default 1; at most N)\n"
         "  --pool P        distinct prepared queries (default 100000; --count C uses C)\n"
         "  --warmup W      untimed calls per client before timing (default 20)\n"
         "  --server-pid P  also report the CPU time that process used during the run\n";
  return 2;
}

bool ParseMix(absl::string_view text, int* mix) {
  int parsed[kKindCount] = {0, 0, 0, 0};
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, '=');
    int weight = 0;
    if (!absl::SimpleAtoi(kv.second, &weight) || weight < 0) return false;
    int k = 0;
    while (k < kKindCount && kv.first != kKindNames[k]) ++k;
    if (k == kKindCount) return false;
    parsed[k] = weight;
  }
  if (std::all_of(parsed, parsed + kKindCount, [](int w) { return w == 0; })) return false;
  std::copy(parsed, parsed + kKindCount, mix);
  return true;
}

// ---- The events, as the server's store holds them ----

// A day as YYYYMMDD: ordered like the dates.
using Day = int32_t;

struct Adjacent {
  uint32_t to;
  Day day;
};

struct Workload {
  std::vector<std::string> ids;    // entity id by actor index
  std::vector<std::string> names;  // the entity's name (first spelling loaded)
  std::vector<uint64_t> offsets;   // CSR over non-loop events, both directions
  std::vector<Adjacent> edges;     // sorted by day within each actor
  std::vector<uint32_t> active;    // actors with an event
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // distinct unordered pairs
  int64_t events = 0, skipped = 0;

  uint64_t degree(uint32_t v) const { return offsets[v + 1] - offsets[v]; }
};

// Reads the events the way bench::LoadIcewsEvents stores them: only events
// whose relation is in the CAMEO table become facts; an actor's entity id is
// ActorId(name) and its name is the first spelling that created it.
bool ReadWorkload(const std::string& path, Workload* w) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "entente_load_gen: cannot open " << path << "\n";
    return false;
  }
  absl::flat_hash_map<std::string, uint32_t> index;
  auto actor = [&](const std::string& name) {
    std::string id = ActorId(name);
    auto [it, inserted] = index.try_emplace(id, static_cast<uint32_t>(w->ids.size()));
    if (inserted) {
      w->ids.push_back(std::move(id));
      w->names.push_back(name);
    }
    return it->second;
  };
  struct Event {
    uint32_t a, b;
    Day day;
  };
  std::vector<Event> events;
  std::string line;
  int64_t number = 0;
  IcewsEvent event;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 && line.rfind("date\t", 0) == 0) continue;
    if (!ParseIcewsLine(line, number, &event)) {
      std::cerr << "entente_load_gen: " << path << ":" << number << ": not an event line\n";
      return false;
    }
    if (graph::FindCameoByName(event.relation) == nullptr) {
      ++w->skipped;
      continue;
    }
    ++w->events;
    const uint32_t a = actor(event.source), b = actor(event.target);
    if (a != b) events.push_back({a, b, event.year * 10000 + event.month * 100 + event.day});
  }
  const size_t n = w->ids.size();
  w->offsets.assign(n + 1, 0);
  for (const Event& e : events) {
    ++w->offsets[e.a + 1];
    ++w->offsets[e.b + 1];
  }
  for (size_t v = 0; v < n; ++v) w->offsets[v + 1] += w->offsets[v];
  w->edges.resize(w->offsets[n]);
  std::vector<uint64_t> fill(w->offsets.begin(), w->offsets.end() - 1);
  for (const Event& e : events) {
    w->edges[fill[e.a]++] = {e.b, e.day};
    w->edges[fill[e.b]++] = {e.a, e.day};
    w->pairs.emplace_back(std::min(e.a, e.b), std::max(e.a, e.b));
  }
  for (uint32_t v = 0; v < n; ++v) {
    std::sort(w->edges.begin() + static_cast<ptrdiff_t>(w->offsets[v]),
              w->edges.begin() + static_cast<ptrdiff_t>(w->offsets[v + 1]),
              [](const Adjacent& x, const Adjacent& y) { return x.day < y.day; });
    if (w->degree(v) > 0) w->active.push_back(v);
  }
  std::sort(w->pairs.begin(), w->pairs.end());
  w->pairs.erase(std::unique(w->pairs.begin(), w->pairs.end()), w->pairs.end());
  return true;
}

// The same draws as entente_graph_bench's Sampler: even i degree-weighted,
// odd i uniform.
class Sampler {
 public:
  Sampler(const Workload& w, uint64_t seed) : w_(w), rng_(seed) {}

  uint32_t Actor(int64_t i) { return i % 2 == 0 ? Weighted() : Uniform(); }
  uint32_t Weighted() {
    const uint64_t e = Below(w_.edges.size());
    return static_cast<uint32_t>(std::upper_bound(w_.offsets.begin(), w_.offsets.end(), e) -
                                 w_.offsets.begin() - 1);
  }
  uint32_t Uniform() { return w_.active[Below(w_.active.size())]; }
  std::pair<uint32_t, uint32_t> Dyad(int64_t i) {
    if (i % 2 != 0) return w_.pairs[Below(w_.pairs.size())];
    const uint32_t a = Weighted();
    return {a, w_.edges[w_.offsets[a] + Below(w_.degree(a))].to};
  }
  Day DayOfEventOf(uint32_t v) { return w_.edges[w_.offsets[v] + Below(w_.degree(v))].day; }
  bool ActiveIn(uint32_t v, Day first, Day last) const {
    const Adjacent* begin = w_.edges.data() + w_.offsets[v];
    const Adjacent* end = w_.edges.data() + w_.offsets[v + 1];
    const Adjacent* it =
        std::partition_point(begin, end, [&](const Adjacent& a) { return a.day < first; });
    return it != end && it->day <= last;
  }
  // `from` as Actor(i), the year of one of its events, `to` drawn the same
  // way among the actors with an event in that year.
  std::tuple<uint32_t, uint32_t, int> PairActiveInYear(int64_t i) {
    const uint32_t from = Actor(i);
    const int year = DayOfEventOf(from) / 10000;
    for (int tries = 0;; ++tries) {
      const uint32_t to = Actor(i);
      if (to != from && (ActiveIn(to, year * 10000 + 101, year * 10000 + 1231) || tries > 100000)) {
        return {from, to, year};
      }
    }
  }
  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  const Workload& w_;
  std::mt19937_64 rng_;
};

// ---- Prepared queries ----

using Request = std::variant<v1::GetTimelineRequest, v1::GetNeighborhoodRequest,
                             v1::FindPathsRequest, v1::ResolveEntityRequest>;

struct Query {
  Row row;
  Request request;
};

void SetDate(v1::Date* date, int year, int month, v1::Precision precision) {
  date->set_year(year);
  if (month > 0) date->set_month(month);
  date->set_precision(precision);
}

std::vector<Query> PrepareQueries(const Workload& w, const Args& args, int64_t n) {
  Sampler sampler(w, args.seed);
  std::mt19937_64 kind_rng(args.seed ^ 0x9e3779b97f4a7c15ULL);
  std::discrete_distribution<int> pick(args.mix, args.mix + kKindCount);
  int64_t drawn[kKindCount] = {0, 0, 0, 0};  // per-kind index: parity = weighted/uniform
  std::vector<Query> queries;
  queries.reserve(static_cast<size_t>(n));
  for (int64_t q = 0; q < n; ++q) {
    const int kind = pick(kind_rng);
    const int64_t i = drawn[kind]++;
    switch (kind) {
      case kTimeline: {
        v1::GetTimelineRequest r;
        const auto [a, b] = sampler.Dyad(i);
        r.add_entity_ids(w.ids[a]);
        r.add_entity_ids(w.ids[b]);
        r.set_granularity(v1::GRANULARITY_MONTH);
        queries.push_back({kRowTimeline, std::move(r)});
        break;
      }
      case kNeighbors: {
        v1::GetNeighborhoodRequest r;
        const uint32_t seed = sampler.Actor(i);
        const int hops = (i / 2) % 2 == 0 ? 1 : 2;  // all four of weighted/uniform x hops
        r.add_entity_ids(w.ids[seed]);
        r.set_hops(hops);
        r.set_limit(100);
        const Day day = sampler.DayOfEventOf(seed);
        auto* window = r.mutable_filter()->mutable_window();
        SetDate(window->mutable_from(), day / 10000, day / 100 % 100, v1::PRECISION_MONTH);
        SetDate(window->mutable_to(), day / 10000, day / 100 % 100, v1::PRECISION_MONTH);
        queries.push_back({hops == 1 ? kRowNeighbors1 : kRowNeighbors2, std::move(r)});
        break;
      }
      case kPath: {
        v1::FindPathsRequest r;
        const auto [from, to, year] = sampler.PairActiveInYear(i);
        r.set_from_entity_id(w.ids[from]);
        r.set_to_entity_id(w.ids[to]);
        r.set_mode(v1::PATH_MODE_SHORTEST);
        r.set_max_hops(6);
        auto* window = r.mutable_filter()->mutable_window();
        SetDate(window->mutable_from(), year, 0, v1::PRECISION_YEAR);
        SetDate(window->mutable_to(), year, 0, v1::PRECISION_YEAR);
        queries.push_back({kRowPath, std::move(r)});
        break;
      }
      default: {
        v1::ResolveEntityRequest r;
        r.set_query(w.names[sampler.Actor(i)]);
        queries.push_back({kRowResolve, std::move(r)});
        break;
      }
    }
  }
  return queries;
}

// ---- Running ----

struct Record {
  float micros;
  uint8_t row;
  uint8_t code;   // grpc::StatusCode
  bool found;     // a non-empty answer
  float size;     // facts streamed, neighbors, path hops, matches
  uint32_t bytes; // response bytes (serialized size, summed over a stream)
};

// One client of the closed loop: makes one call at a time on its channel
// with gRPC's asynchronous API, so that a few threads can drive all the
// clients through completion queues (a thread per blocking client spent more
// of the shared cores switching threads than the server spent on a resolve).
// Each event of its call comes back on the queue tagged with the Caller.
// Responses are parsed into an arena that is emptied at the next call:
// clearing reused messages cost the client as much as parsing them.
class Caller {
 public:
  Caller(int client, const std::shared_ptr<grpc::Channel>& channel, grpc::CompletionQueue* queue)
      : client_(client),
        query_stub_(v1::QueryService::NewStub(channel)),
        read_stub_(v1::ReadService::NewStub(channel)),
        queue_(queue),
        arena_block_(std::make_unique<char[]>(kArenaBlockBytes)),
        arena_(ArenaOptionsFor(arena_block_.get())) {}

  void Start(const Query& q, std::chrono::milliseconds deadline) {
    ResetCall();
    arena_.Reset();
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + deadline);
    query_ = &q;
    start_ = Clock::now();
    if (const auto* timeline = std::get_if<v1::GetTimelineRequest>(&q.request)) {
      facts_ = bytes_ = 0;
      waiting_ = Waiting::kStreamStart;
      timeline_ = query_stub_->AsyncGetTimeline(context_.get(), *timeline, queue_, this);
      return;
    }
    waiting_ = Waiting::kReply;
    if (const auto* hood = std::get_if<v1::GetNeighborhoodRequest>(&q.request)) {
      neighborhood_ = Arena::CreateMessage<v1::GetNeighborhoodResponse>(&arena_);
      neighborhood_reader_ = query_stub_->AsyncGetNeighborhood(context_.get(), *hood, queue_);
      neighborhood_reader_->Finish(neighborhood_, &status_, this);
    } else if (const auto* path = std::get_if<v1::FindPathsRequest>(&q.request)) {
      paths_ = Arena::CreateMessage<v1::FindPathsResponse>(&arena_);
      paths_reader_ = query_stub_->AsyncFindPaths(context_.get(), *path, queue_);
      paths_reader_->Finish(paths_, &status_, this);
    } else {
      resolve_ = Arena::CreateMessage<v1::ResolveEntityResponse>(&arena_);
      resolve_reader_ = read_stub_->AsyncResolveEntity(
          context_.get(), std::get<v1::ResolveEntityRequest>(q.request), queue_);
      resolve_reader_->Finish(resolve_, &status_, this);
    }
  }

  // Handles the call's next event; true when the call has ended and
  // record() describes it.
  bool Step(bool ok) {
    switch (waiting_) {
      case Waiting::kStreamStart:
      case Waiting::kStreamRead:
        if (waiting_ == Waiting::kStreamRead && ok) {
          facts_ += message_->facts_size();
          bytes_ += static_cast<int64_t>(message_->ByteSizeLong());
        }
        if (ok) {
          waiting_ = Waiting::kStreamRead;
          message_ = Arena::CreateMessage<v1::GetTimelineResponse>(&arena_);
          timeline_->Read(message_, this);
        } else {
          waiting_ = Waiting::kStreamEnd;
          timeline_->Finish(&status_, this);
        }
        return false;
      case Waiting::kStreamEnd:
      case Waiting::kReply:
        Describe();
        return true;
    }
    return false;
  }

  int client() const { return client_; }
  const Record& record() const { return record_; }
  const grpc::Status& status() const { return status_; }

 private:
  enum class Waiting { kReply, kStreamStart, kStreamRead, kStreamEnd };

  // The readers live in the call's memory: they go before its context.
  void ResetCall() {
    timeline_.reset();
    neighborhood_reader_.reset();
    paths_reader_.reset();
    resolve_reader_.reset();
  }

  void Describe() {
    const Clock::time_point end = Clock::now();
    record_ = Record{};
    record_.micros = std::chrono::duration<float, std::micro>(end - start_).count();
    record_.row = static_cast<uint8_t>(query_->row);
    record_.code = static_cast<uint8_t>(status_.error_code());
    if (std::holds_alternative<v1::GetTimelineRequest>(query_->request)) {
      record_.size = static_cast<float>(facts_);
      record_.found = facts_ > 0;
      record_.bytes = static_cast<uint32_t>(bytes_);
    } else if (std::holds_alternative<v1::GetNeighborhoodRequest>(query_->request)) {
      record_.size = static_cast<float>(neighborhood_->neighbors_size());
      record_.found = neighborhood_->neighbors_size() > 0;
      record_.bytes = static_cast<uint32_t>(neighborhood_->ByteSizeLong());
    } else if (std::holds_alternative<v1::FindPathsRequest>(query_->request)) {
      record_.found = paths_->paths_size() > 0;
      record_.size = record_.found ? static_cast<float>(paths_->paths(0).hops_size()) : 0;
      record_.bytes = static_cast<uint32_t>(paths_->ByteSizeLong());
    } else {
      record_.size = static_cast<float>(resolve_->matches_size());
      record_.found = resolve_->matches_size() > 0;
      record_.bytes = static_cast<uint32_t>(resolve_->ByteSizeLong());
    }
  }

  using Arena = google::protobuf::Arena;
  // Most answers fit in the arena's first block, which it keeps across calls.
  static constexpr size_t kArenaBlockBytes = 256 << 10;
  static google::protobuf::ArenaOptions ArenaOptionsFor(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kArenaBlockBytes;
    options.max_block_size = 1 << 20;
    return options;
  }

  const int client_;  // 0..N-1
  std::unique_ptr<v1::QueryService::Stub> query_stub_;
  std::unique_ptr<v1::ReadService::Stub> read_stub_;
  grpc::CompletionQueue* queue_;
  std::unique_ptr<char[]> arena_block_;
  Arena arena_;  // holds the responses below until the next Start
  std::unique_ptr<grpc::ClientContext> context_;
  const Query* query_ = nullptr;
  Clock::time_point start_;
  Waiting waiting_ = Waiting::kReply;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncReader<v1::GetTimelineResponse>> timeline_;
  v1::GetTimelineResponse* message_ = nullptr;
  int64_t facts_ = 0, bytes_ = 0;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetNeighborhoodResponse>>
      neighborhood_reader_;
  v1::GetNeighborhoodResponse* neighborhood_ = nullptr;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::FindPathsResponse>> paths_reader_;
  v1::FindPathsResponse* paths_ = nullptr;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ResolveEntityResponse>> resolve_reader_;
  v1::ResolveEntityResponse* resolve_ = nullptr;
  Record record_{};
};

// Keeps one call in flight per caller, each starting the query that
// next_query(caller) gives (nullptr: that caller is done), until all are
// done; hands each caller whose call has ended to done().
template <typename NextQuery, typename Done>
void RunCalls(grpc::CompletionQueue& queue, std::vector<std::unique_ptr<Caller>>& callers,
              std::chrono::milliseconds deadline, NextQuery&& next_query, Done&& done) {
  size_t in_flight = 0;
  for (auto& caller : callers) {
    if (const Query* q = next_query(*caller)) {
      caller->Start(*q, deadline);
      ++in_flight;
    }
  }
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && queue.Next(&tag, &ok)) {
    auto* caller = static_cast<Caller*>(tag);
    if (!caller->Step(ok)) continue;
    done(*caller);
    if (const Query* q = next_query(*caller)) {
      caller->Start(*q, deadline);
    } else {
      --in_flight;
    }
  }
}

const char* CodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",           "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",    "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code < 17 ? kNames[code] : "?";
}

double CpuSecondsOfSelf() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// utime + stime of a process from /proc/PID/stat; -1 when unreadable.
double CpuSecondsOfPid(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  // After "pid (comm) ", field 3 (state) is index 0; utime is field 14, stime 15.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Busy CPU seconds of the whole machine (all cores) from /proc/stat; -1 when
// unreadable. Compared with our own and the server's CPU time, it shows
// whether anything else was running.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu") {
    return -1;
  }
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ---- Summaries ----

struct Summary {
  int64_t requests = 0, errors = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;
  double found = 0, mean_size = 0, mean_bytes = 0;
  std::map<int, int64_t> codes;  // errors only
};

double Percentile(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

template <typename Pred>
Summary Summarize(const std::vector<Record>& records, Pred&& include) {
  Summary s;
  std::vector<float> t;
  double sum = 0, size = 0, bytes = 0;
  int64_t found = 0, ok = 0;
  for (const Record& r : records) {
    if (!include(r)) continue;
    t.push_back(r.micros);
    sum += r.micros;
    if (r.code != 0) {
      ++s.errors;
      ++s.codes[r.code];
      continue;
    }
    ++ok;
    found += r.found;
    size += r.size;
    bytes += r.bytes;
  }
  s.requests = static_cast<int64_t>(t.size());
  if (t.empty()) return s;
  std::sort(t.begin(), t.end());
  s.p50 = Percentile(t, 0.50) / 1000;
  s.p95 = Percentile(t, 0.95) / 1000;
  s.p99 = Percentile(t, 0.99) / 1000;
  s.max = t.back() / 1000;
  s.mean = sum / static_cast<double>(t.size()) / 1000;
  if (ok > 0) {
    s.found = static_cast<double>(found) / static_cast<double>(ok);
    s.mean_size = size / static_cast<double>(ok);
    s.mean_bytes = bytes / static_cast<double>(ok);
  }
  return s;
}

std::string CodesText(const std::map<int, int64_t>& codes) {
  if (codes.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& [code, n] : codes) parts.push_back(absl::StrCat(CodeName(code), " ", n));
  return absl::StrJoin(parts, ", ");
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string CodesJson(const std::map<int, int64_t>& codes) {
  std::vector<std::string> parts;
  for (const auto& [code, n] : codes) {
    parts.push_back(absl::StrCat("\"", CodeName(code), "\":", n));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

int Run(const Args& args) {
  std::ostream& table = args.json ? std::cerr : std::cout;

  // ---- Prepare (untimed) ----
  const auto prepare_start = Clock::now();
  Workload w;
  if (!ReadWorkload(args.events, &w)) return 1;
  if (w.active.size() < 2 || w.pairs.empty()) {
    std::cerr << "entente_load_gen: " << args.events << " has too few connected actors\n";
    return 1;
  }
  const int64_t pool = args.count > 0 ? args.count : args.pool;
  const std::vector<Query> queries = PrepareQueries(w, args, pool);
  std::cerr << absl::StrFormat(
      "entente_load_gen: %d events (%d skipped: unknown relation), %d actors; %d queries "
      "prepared in %.2f s\n",
      w.events, w.skipped, w.ids.size(), queries.size(),
      std::chrono::duration<double>(Clock::now() - prepare_start).count());

  // ---- Connect ----
  const int n = args.clients;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < (args.shared_channel ? 1 : n); ++c) {
    grpc::ChannelArguments channel_args;
    // Channels with equal arguments share one connection through gRPC's
    // global subchannel pool; a local pool gives each its own.
    if (!args.shared_channel) channel_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_args.SetMaxReceiveMessageSize(64 << 20);
    channels.push_back(grpc::CreateCustomChannel(args.server, grpc::InsecureChannelCredentials(),
                                                 channel_args));
  }
  for (auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::cerr << "entente_load_gen: cannot connect to " << args.server << "\n";
      return 1;
    }
  }

  // ---- Run ----
  // Client c is driven by thread c % threads, on that thread's queue.
  const int threads_n = std::min(args.threads, n);
  const std::chrono::milliseconds deadline(args.deadline_ms);
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  std::latch ready(threads_n + 1);
  std::latch go(1);
  Clock::time_point start;
  std::vector<std::vector<Record>> records(static_cast<size_t>(threads_n));
  std::vector<Clock::time_point> last_end(static_cast<size_t>(threads_n));
  std::vector<int64_t> warmup_errors(static_cast<size_t>(threads_n), 0);
  // The first message of each error code, per thread: what went wrong.
  std::vector<std::map<int, std::string>> first_errors(static_cast<size_t>(threads_n));
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      grpc::CompletionQueue queue;
      std::vector<std::unique_ptr<Caller>> callers;
      for (int c = t; c < n; c += threads_n) {
        callers.push_back(std::make_unique<Caller>(
            c, channels[args.shared_channel ? 0 : static_cast<size_t>(c)], &queue));
      }
      std::map<int, int> warmed;  // client -> warm-up calls made
      RunCalls(
          queue, callers, deadline,
          [&](const Caller& caller) -> const Query* {
            int& made = warmed[caller.client()];
            if (made == args.warmup) return nullptr;
            const int64_t k = int64_t{caller.client()} * args.warmup + made++;
            return &queries[static_cast<size_t>(k % static_cast<int64_t>(queries.size()))];
          },
          [&](const Caller& caller) {
            warmup_errors[static_cast<size_t>(t)] += caller.record().code != 0;
          });
      auto& mine = records[static_cast<size_t>(t)];
      mine.reserve(args.count > 0 ? static_cast<size_t>(args.count / threads_n + 1) : 1 << 20);
      ready.count_down();
      go.wait();
      Clock::time_point end = start;
      RunCalls(
          queue, callers, deadline,
          [&](const Caller&) -> const Query* {
            if (stop.load(std::memory_order_relaxed)) return nullptr;
            const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (args.count > 0 && i >= args.count) return nullptr;
            return &queries[static_cast<size_t>(i % static_cast<int64_t>(queries.size()))];
          },
          [&](const Caller& caller) {
            mine.push_back(caller.record());
            if (!caller.status().ok()) {
              first_errors[static_cast<size_t>(t)].try_emplace(caller.status().error_code(),
                                                               caller.status().error_message());
            }
            end = Clock::now();
          });
      last_end[static_cast<size_t>(t)] = end;
      callers.clear();
      queue.Shutdown();
      void* tag = nullptr;
      bool ok = false;
      while (queue.Next(&tag, &ok)) {
      }
    });
  }
  ready.arrive_and_wait();
  const double machine_before = MachineBusySeconds();
  const double cpu_before = CpuSecondsOfSelf();
  const double server_cpu_before = args.server_pid > 0 ? CpuSecondsOfPid(args.server_pid) : -1;
  start = Clock::now();
  go.count_down();
  if (args.count == 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
    stop = true;
  }
  for (auto& t : threads) t.join();
  const double cpu_seconds = CpuSecondsOfSelf() - cpu_before;
  const double machine_after = MachineBusySeconds();
  const double machine_seconds =
      machine_before >= 0 && machine_after >= 0 ? machine_after - machine_before : -1;
  const double server_cpu_after = args.server_pid > 0 ? CpuSecondsOfPid(args.server_pid) : -1;
  const double server_cpu_seconds =
      server_cpu_before >= 0 && server_cpu_after >= 0 ? server_cpu_after - server_cpu_before : -1;
  const Clock::time_point end = *std::max_element(last_end.begin(), last_end.end());
  const double elapsed = std::chrono::duration<double>(end - start).count();

  std::vector<Record> all;
  for (auto& r : records) all.insert(all.end(), r.begin(), r.end());
  int64_t total_warmup_errors = 0;
  for (int64_t e : warmup_errors) total_warmup_errors += e;

  // ---- Report ----
  struct Line {
    std::string key, label;
    Summary s;
  };
  std::vector<Line> lines;
  auto row_is = [](std::initializer_list<Row> rows) {
    return [rows](const Record& r) {
      return std::find(rows.begin(), rows.end(), static_cast<Row>(r.row)) != rows.end();
    };
  };
  lines.push_back({"timeline", "timeline (dyad, months)", Summarize(all, row_is({kRowTimeline}))});
  lines.push_back({"neighbors", "neighbors (1 month)",
                   Summarize(all, row_is({kRowNeighbors1, kRowNeighbors2}))});
  lines.push_back({"neighbors_1hop", "  1 hop", Summarize(all, row_is({kRowNeighbors1}))});
  lines.push_back({"neighbors_2hop", "  2 hops", Summarize(all, row_is({kRowNeighbors2}))});
  lines.push_back({"path", "path (shortest, 1 year)", Summarize(all, row_is({kRowPath}))});
  lines.push_back({"resolve", "resolve (actor name)", Summarize(all, row_is({kRowResolve}))});
  const Summary overall = Summarize(all, [](const Record&) { return true; });
  const double qps = elapsed > 0 ? static_cast<double>(overall.requests) / elapsed : 0;
  const std::string mix_text = absl::StrFormat("timeline=%d,neighbors=%d,path=%d,resolve=%d",
                                               args.mix[0], args.mix[1], args.mix[2], args.mix[3]);
  const char* channel_mode = args.shared_channel ? "shared" : "per-client";

  table << absl::StrFormat(
      "entente_load_gen: %s, %d clients (%s channels, %d threads), %.2f s, mix %s, deadline %d "
      "ms\n",
      args.server, n, channel_mode, threads_n, elapsed, mix_text, args.deadline_ms);
  table << absl::StrFormat("%-26s %9s %7s %9s %8s %8s %8s %8s %6s %9s %10s\n", "kind (ms)",
                           "requests", "errors", "qps", "p50", "p95", "p99", "max", "found",
                           "mean size", "mean bytes");
  auto row = [&](const std::string& label, const Summary& s) {
    table << absl::StrFormat("%-26s %9d %7d %9.0f %8.3f %8.3f %8.3f %8.2f %5.0f%% %9.1f %10.0f\n",
                             label, s.requests, s.errors,
                             elapsed > 0 ? static_cast<double>(s.requests) / elapsed : 0, s.p50,
                             s.p95, s.p99, s.max, 100 * s.found, s.mean_size, s.mean_bytes);
  };
  for (const Line& l : lines) {
    if (l.s.requests > 0) row(l.label, l.s);  // kinds weighted 0 in --mix are left out
  }
  row("overall", overall);
  table << "errors by status: " << CodesText(overall.codes);
  if (total_warmup_errors > 0) table << " (and " << total_warmup_errors << " in warm-up)";
  table << "\n";
  std::map<int, std::string> error_examples;
  for (const auto& errors : first_errors) error_examples.insert(errors.begin(), errors.end());
  for (const auto& [code, message] : error_examples) {
    table << "  e.g. " << CodeName(code) << ": " << message << "\n";
  }
  table << absl::StrFormat("client CPU: %.2f s = %.2f cores", cpu_seconds,
                           elapsed > 0 ? cpu_seconds / elapsed : 0);
  if (server_cpu_seconds >= 0) {
    table << absl::StrFormat("; server CPU: %.2f s = %.2f cores", server_cpu_seconds,
                             elapsed > 0 ? server_cpu_seconds / elapsed : 0);
  }
  if (machine_seconds >= 0) {
    table << absl::StrFormat("; machine busy: %.2f cores of %d", machine_seconds / elapsed,
                             std::thread::hardware_concurrency());
    if (server_cpu_seconds >= 0) {
      table << absl::StrFormat(" (others: %.2f)",
                               (machine_seconds - cpu_seconds - server_cpu_seconds) / elapsed);
    }
  }
  table << "\n(size: facts streamed, neighbors returned, hops of a found path, matches; "
           "bytes: serialized response)\n";

  if (args.json) {
    auto jsummary = [&](const Summary& s) {
      return absl::StrFormat(
          "{\"requests\":%d,\"errors\":%d,\"errors_by_code\":%s,\"qps\":%.1f,\"p50_ms\":%.4f,"
          "\"p95_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"mean_ms\":%.4f,\"found_ratio\":%.4f,"
          "\"mean_size\":%.2f,\"mean_bytes\":%.0f}",
          s.requests, s.errors, CodesJson(s.codes),
          elapsed > 0 ? static_cast<double>(s.requests) / elapsed : 0, s.p50, s.p95, s.p99, s.max,
          s.mean, s.found, s.mean_size, s.mean_bytes);
    };
    std::string kinds;
    for (const Line& l : lines) {
      absl::StrAppend(&kinds, kinds.empty() ? "" : ",", "\"", l.key, "\":", jsummary(l.s));
    }
    std::cout << absl::StrFormat(
        "{\"server\":%s,\"clients\":%d,\"channels\":\"%s\",\"threads\":%d,\"seconds\":%.3f,"
        "\"mix\":\"%s\","
        "\"deadline_ms\":%d,\"seed\":%d,\"events_file\":%s,\"prepared_queries\":%d,"
        "\"requests\":%d,\"errors\":%d,\"warmup_errors\":%d,\"qps\":%.1f,\"overall\":%s,"
        "\"kinds\":{%s},\"client_cpu_seconds\":%.3f,\"server_cpu_seconds\":%.3f,"
        "\"machine_busy_cpu_seconds\":%.3f,\"cores\":%d}\n",
        JsonString(args.server), n, channel_mode, threads_n, elapsed, mix_text, args.deadline_ms, args.seed,
        JsonString(args.events),
        queries.size(), overall.requests, overall.errors, total_warmup_errors, qps,
        jsummary(overall), kinds, cpu_seconds, server_cpu_seconds, machine_seconds,
        std::thread::hardware_concurrency());
  }
  return overall.errors == 0 && total_warmup_errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace entente::bench

int main(int argc, char** argv) {
  using entente::bench::Usage;
  entente::bench::Args args;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Usage("");
    if (arg == "--json") {
      args.json = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(absl::StrCat(arg, " needs a value"));
    const absl::string_view value = argv[++i];
    auto positive = [&](auto* out) {
      return absl::SimpleAtoi(value, out) && *out > 0;
    };
    if (arg == "--server") {
      args.server = std::string(value);
    } else if (arg == "--clients") {
      if (!positive(&args.clients) || args.clients > 1024) {
        return Usage("--clients must be 1..1024");
      }
    } else if (arg == "--seconds") {
      if (!absl::SimpleAtod(value, &args.seconds) || !(args.seconds > 0)) {
        return Usage("--seconds must be > 0");
      }
    } else if (arg == "--count") {
      if (!positive(&args.count)) return Usage("--count must be >= 1");
    } else if (arg == "--events") {
      args.events = std::string(value);
    } else if (arg == "--mix") {
      if (!entente::bench::ParseMix(value, args.mix)) {
        return Usage("--mix: give KIND=WEIGHT,... with kinds timeline, neighbors, path, resolve");
      }
    } else if (arg == "--deadline-ms") {
      if (!positive(&args.deadline_ms)) return Usage("--deadline-ms must be >= 1");
    } else if (arg == "--channels") {
      if (value != "per-client" && value != "shared") {
        return Usage("--channels is per-client or shared");
      }
      args.shared_channel = value == "shared";
    } else if (arg == "--threads") {
      if (!positive(&args.threads) || args.threads > 1024) return Usage("--threads must be 1..1024");
    } else if (arg == "--pool") {
      if (!positive(&args.pool)) return Usage("--pool must be >= 1");
    } else if (arg == "--warmup") {
      if (!absl::SimpleAtoi(value, &args.warmup) || args.warmup < 0) {
        return Usage("--warmup must be >= 0");
      }
    } else if (arg == "--seed") {
      if (!absl::SimpleAtoi(value, &args.seed)) return Usage("--seed must be a number");
    } else if (arg == "--server-pid") {
      if (!positive(&args.server_pid)) return Usage("--server-pid must be a process id");
    } else {
      return Usage(absl::StrCat("unknown option ", arg));
    }
  }
  if (args.server.empty()) return Usage("--server is required");
  if (args.events.empty()) return Usage("--events is required");
  if (args.seconds > 0 && args.count > 0) return Usage("give --seconds or --count, not both");
  if (args.seconds == 0 && args.count == 0) args.seconds = 10;
  return entente::bench::Run(args);
}
