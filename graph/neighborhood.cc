#include <algorithm>

#include "absl/time/clock.h"
#include "graph/internal/scratch.h"
#include "graph/queries.h"

namespace entente::graph {

namespace internal {
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}
}  // namespace internal

namespace {

bool MayEnter(const Snapshot& graph, const EdgeFilter& filter, Vertex v) {
  return filter.kinds.none() || filter.kinds.test(static_cast<size_t>(graph.kind(v)));
}

absl::Status Expired() {
  return absl::DeadlineExceededError("the neighborhood query ran past its deadline");
}

}  // namespace

absl::StatusOr<NeighborhoodResult> Neighborhood(const Snapshot& graph,
                                                const NeighborhoodQuery& query) {
  auto& scratch = internal::ThreadScratch();
  auto& visit = scratch.visit;
  visit.Reset(graph.vertex_count());
  internal::DeadlineCheck deadline(query.deadline);
  auto& frontier = scratch.frontier;
  auto& next = scratch.next;
  frontier.clear();
  for (Vertex seed : query.seeds) {
    if (!visit.Has(seed)) {
      visit.Set(seed, {0, 0, kNoVertex, 0});
      frontier.push_back(seed);
    }
  }
  std::vector<Vertex> reached;
  for (int distance = 1; distance <= query.hops && !frontier.empty(); ++distance) {
    next.clear();
    for (Vertex u : frontier) {
      if (deadline.Expired()) return Expired();
      graph.ForEachEdge(u, query.filter, [&](Vertex w, FactIndex) {
        if (w == u) return;
        if (!visit.Has(w)) {
          if (!MayEnter(graph, query.filter, w)) return;
          visit.Set(w, {distance, 1, u, 0});
          next.push_back(w);
          reached.push_back(w);
        } else if (visit.Get(w).distance == distance) {
          ++visit.Get(w).count;
        }
      });
    }
    std::swap(frontier, next);
  }

  NeighborhoodResult result;
  result.reached = reached.size();
  auto ranked_before = [&](Vertex a, Vertex b) {
    const auto& sa = visit.Get(a);
    const auto& sb = visit.Get(b);
    if (sa.count != sb.count) return sa.count > sb.count;
    if (sa.distance != sb.distance) return sa.distance < sb.distance;
    return graph.id(a) < graph.id(b);
  };
  const size_t keep = std::min(query.limit, reached.size());
  std::partial_sort(reached.begin(), reached.begin() + static_cast<ptrdiff_t>(keep),
                    reached.end(), ranked_before);
  reached.resize(keep);
  for (Vertex v : reached) {
    const auto& state = visit.Get(v);
    result.neighbors.push_back({v, state.distance, state.count});
  }
  // The facts that join each returned neighbor to the layer before it.
  for (Vertex v : reached) {
    const int32_t want = visit.Get(v).distance - 1;
    graph.ForEachEdge(v, query.filter, [&](Vertex w, FactIndex f) {
      if (w == v || !visit.Has(w) || visit.Get(w).distance != want) return;
      if (result.connections.size() < query.max_facts) {
        result.connections.push_back({w, v, f});
      } else {
        result.facts_truncated = true;
      }
    });
    if (deadline.Expired()) return Expired();
  }
  return result;
}

}  // namespace entente::graph
