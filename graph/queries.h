// The graph queries: neighborhoods, paths, timelines and relationship
// states, all answered from one immutable Snapshot. Each takes a deadline
// and returns DEADLINE_EXCEEDED when it passes mid-query.
//
// Rules the queries share:
// - A fact joins every pair of its participants. It passes an EdgeFilter
//   when any day it covers lies in the window (a MONTH fact counts for every
//   day of its month), its type is allowed, and it was recorded and not
//   retracted as of the cut-off.
// - `kinds` restricts the entities a traversal may enter; seeds and path
//   endpoints are exempt.
// - Ties are broken the same way every time: neighbors are visited in the
//   time order of the facts that reach them, then by fact index; ranked
//   lists break ties by entity id.
#ifndef ENTENTE_GRAPH_QUERIES_H_
#define ENTENTE_GRAPH_QUERIES_H_

#include <cstdint>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "graph/graph.h"

namespace entente::graph {

// ---- Neighborhood ----

struct NeighborhoodQuery {
  std::vector<Vertex> seeds;
  int hops = 1;  // 1..6
  EdgeFilter filter;
  size_t limit = 100;       // neighbors returned, most connected first
  size_t max_facts = 1000;  // connecting facts returned
  absl::Time deadline = absl::InfiniteFuture();
};

struct Neighbor {
  Vertex vertex;
  int distance;
  // Facts joining it to entities one hop closer to the seeds.
  uint32_t fact_count;
};

struct Connection {
  Vertex from;  // one hop closer to the seeds
  Vertex to;
  FactIndex fact;
};

struct NeighborhoodResult {
  std::vector<Neighbor> neighbors;  // by fact_count desc, distance, id
  std::vector<Connection> connections;  // for the returned neighbors
  size_t reached = 0;  // neighbors found before the limit was applied
  bool facts_truncated = false;
};

absl::StatusOr<NeighborhoodResult> Neighborhood(const Snapshot& graph,
                                                const NeighborhoodQuery& query);

// ---- Paths ----

struct PathQuery {
  Vertex from = kNoVertex;
  Vertex to = kNoVertex;
  EdgeFilter filter;
  int max_hops = 6;
  size_t facts_per_hop = 5;  // justifying facts listed per hop
  absl::Time deadline = absl::InfiniteFuture();
};

struct PathHop {
  Vertex from;
  Vertex to;
  std::vector<FactIndex> facts;  // facts joining them that pass the filter
  size_t fact_count = 0;         // all such facts (facts may be capped)
  // Time-respecting paths only: the day the hop is taken.
  storage::DayNumber day = storage::kMinDay;
};

struct Path {
  std::vector<Vertex> vertices;
  std::vector<PathHop> hops;
};

// Fewest hops; among paths of that length the best attested one (the most
// facts summed over its hops). nullopt when the two are not connected under
// the filter within max_hops.
absl::StatusOr<std::optional<Path>> ShortestPath(const Snapshot& graph, const PathQuery& query);

// Up to k loopless paths in order of length (Yen's algorithm), ties by the
// entity ids along the path.
absl::StatusOr<std::vector<Path>> KShortestPaths(const Snapshot& graph, const PathQuery& query,
                                                 int k);

// A path on which every hop happens no earlier than the one before it,
// starting no earlier than `since`: the earliest arrival at `to`, and the
// fewest hops among paths arriving then. A fact covering several days can
// be used on any of them. Each hop names the fact it uses first.
absl::StatusOr<std::optional<Path>> TimeRespectingPath(const Snapshot& graph,
                                                       const PathQuery& query,
                                                       storage::DayNumber since);

// ---- Timeline ----

enum class Granularity { kYear, kMonth };

struct TimelineQuery {
  // One entity: all its facts. Two or more: facts in which at least two of
  // them take part.
  std::vector<Vertex> entities;
  EdgeFilter filter;
  // Rolled up with one entity: also the facts internal to it.
  bool include_internal = false;
  Granularity granularity = Granularity::kYear;
  size_t max_facts = 10000;
  absl::Time deadline = absl::InfiniteFuture();
};

struct TimelineBucket {
  storage::DayNumber first_day;  // first day of the year or month
  int64_t facts = 0;
  std::array<int32_t, 64> by_type{};  // indexed by v1::FactType
  double goldstein_sum = 0;
  // Facts whose type or code gives them a direction (nonzero value).
  int64_t scored_facts = 0;
};

struct TimelineResult {
  // In time order, then fact index; at most max_facts. A fact's place is
  // its first day inside the window, or, when its start is unknown, its
  // last day (the day its source vouches for it).
  std::vector<FactIndex> facts;
  // Every matching fact is counted, even past max_facts, in the bucket of
  // its place. A fact without a place — open at both ends, in a window
  // open at that side — is listed (last) and in total_facts, in no bucket.
  std::vector<TimelineBucket> buckets;
  size_t total_facts = 0;
};

absl::StatusOr<TimelineResult> Timeline(const Snapshot& graph, const TimelineQuery& query);

// ---- Roll-up ----

// For each participant of `fact` (the record of fact `f`), in its order,
// the entity it counted as in `projection`, with the participant's role.
std::vector<v1::Participant> RolledUpParticipantsOf(const Snapshot& graph,
                                                    const Projection& projection, FactIndex f,
                                                    const v1::Fact& fact);

// The participants of `f` that rolled up to `as`, ids in order.
std::vector<std::string> ActorsBehind(const Snapshot& graph, const Projection& projection,
                                      FactIndex f, Vertex as);

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_QUERIES_H_
