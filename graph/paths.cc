#include <algorithm>
#include <queue>
#include <set>
#include <tuple>
#include <utility>

#include "graph/internal/scratch.h"
#include "graph/queries.h"

namespace entente::graph {
namespace {

using internal::DeadlineCheck;
using internal::Scratch;

absl::Status Expired() {
  return absl::DeadlineExceededError("the path search ran past its deadline");
}

bool MayEnter(const Snapshot& graph, const PathQuery& query, Vertex v) {
  return v == query.to || query.filter.kinds.none() ||
         query.filter.kinds.test(static_cast<size_t>(graph.kind(v)));
}

// Fills in the facts that justify each hop of a vertex sequence.
Path Justify(const Snapshot& graph, const PathQuery& query, std::vector<Vertex> vertices) {
  Path path;
  for (size_t i = 0; i + 1 < vertices.size(); ++i) {
    PathHop hop{vertices[i], vertices[i + 1], {}, 0, storage::kMinDay};
    graph.ForEachEdge(hop.from, query.filter, [&](Vertex w, FactIndex f) {
      if (w != hop.to) return;
      ++hop.fact_count;
      if (hop.facts.size() < query.facts_per_hop) hop.facts.push_back(f);
    });
    path.hops.push_back(std::move(hop));
  }
  path.vertices = std::move(vertices);
  return path;
}

// Breadth-first search from `from` to `to` that avoids blocked vertices
// (scratch.blocked) and the blocked directed pairs. Returns the vertex
// sequence, empty when unreachable.
absl::StatusOr<std::vector<Vertex>> Bfs(const Snapshot& graph, const PathQuery& query,
                                        Vertex from, int max_hops,
                                        const std::set<std::pair<Vertex, Vertex>>& blocked_pairs,
                                        Scratch& scratch, DeadlineCheck& deadline) {
  auto& visit = scratch.visit;
  visit.Reset(graph.vertex_count());
  auto& frontier = scratch.frontier;
  auto& next = scratch.next;
  frontier.assign(1, from);
  visit.Set(from, {0, 0, kNoVertex, 0});
  bool found = from == query.to;
  for (int distance = 1; distance <= max_hops && !frontier.empty() && !found; ++distance) {
    next.clear();
    for (Vertex u : frontier) {
      if (deadline.Expired()) return Expired();
      graph.ForEachEdge(u, query.filter, [&](Vertex w, FactIndex f) {
        if (found || w == u || visit.Has(w)) return;
        if (scratch.blocked.Has(w) || !MayEnter(graph, query, w)) return;
        if (!blocked_pairs.empty() && blocked_pairs.contains({u, w})) return;
        visit.Set(w, {distance, 1, u, f});
        if (w == query.to) found = true;
        next.push_back(w);
      });
      if (found) break;
    }
    std::swap(frontier, next);
  }
  std::vector<Vertex> vertices;
  if (!found) return vertices;
  for (Vertex v = query.to; v != kNoVertex; v = visit.Get(v).parent) vertices.push_back(v);
  std::reverse(vertices.begin(), vertices.end());
  return vertices;
}

}  // namespace

absl::StatusOr<std::optional<Path>> ShortestPath(const Snapshot& graph, const PathQuery& query) {
  Scratch& scratch = internal::ThreadScratch();
  scratch.blocked.Reset(graph.vertex_count());
  DeadlineCheck deadline(query.deadline);
  auto vertices = Bfs(graph, query, query.from, query.max_hops, {}, scratch, deadline);
  if (!vertices.ok()) return vertices.status();
  if (vertices->empty()) return std::optional<Path>();
  return std::optional<Path>(Justify(graph, query, std::move(*vertices)));
}

absl::StatusOr<std::vector<Path>> KShortestPaths(const Snapshot& graph, const PathQuery& query,
                                                 int k) {
  Scratch& scratch = internal::ThreadScratch();
  DeadlineCheck deadline(query.deadline);
  scratch.blocked.Reset(graph.vertex_count());
  auto first = Bfs(graph, query, query.from, query.max_hops, {}, scratch, deadline);
  if (!first.ok()) return first.status();
  std::vector<std::vector<Vertex>> found;
  if (first->empty()) return std::vector<Path>();
  found.push_back(std::move(*first));

  // Candidates ordered by length, then by the ids along the path.
  auto id_order = [&](const std::vector<Vertex>& a, const std::vector<Vertex>& b) {
    if (a.size() != b.size()) return a.size() < b.size();
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [&](Vertex x, Vertex y) { return graph.id(x) < graph.id(y); });
  };
  std::set<std::vector<Vertex>, decltype(id_order)> candidates(id_order);
  while (static_cast<int>(found.size()) < k) {
    const std::vector<Vertex>& last = found.back();
    for (size_t i = 0; i + 1 < last.size(); ++i) {
      const Vertex spur = last[i];
      // Block the next hop of every found path that shares this root.
      std::set<std::pair<Vertex, Vertex>> blocked_pairs;
      for (const auto& p : found) {
        if (p.size() > i + 1 && std::equal(p.begin(), p.begin() + i + 1, last.begin())) {
          blocked_pairs.insert({p[i], p[i + 1]});
        }
      }
      scratch.blocked.Reset(graph.vertex_count());
      for (size_t j = 0; j < i; ++j) scratch.blocked.Set(last[j], 1);
      const int hops_left = query.max_hops - static_cast<int>(i);
      auto spur_path = Bfs(graph, query, spur, hops_left, blocked_pairs, scratch, deadline);
      if (!spur_path.ok()) return spur_path.status();
      if (spur_path->empty()) continue;
      std::vector<Vertex> candidate(last.begin(), last.begin() + static_cast<ptrdiff_t>(i));
      candidate.insert(candidate.end(), spur_path->begin(), spur_path->end());
      if (std::find(found.begin(), found.end(), candidate) == found.end()) {
        candidates.insert(std::move(candidate));
      }
    }
    if (candidates.empty()) break;
    found.push_back(*candidates.begin());
    candidates.erase(candidates.begin());
  }
  std::vector<Path> paths;
  for (auto& vertices : found) paths.push_back(Justify(graph, query, std::move(vertices)));
  return paths;
}

absl::StatusOr<std::optional<Path>> TimeRespectingPath(const Snapshot& graph,
                                                       const PathQuery& query,
                                                       storage::DayNumber since) {
  Scratch& scratch = internal::ThreadScratch();
  DeadlineCheck deadline(query.deadline);
  auto& label = scratch.time;
  label.Reset(graph.vertex_count());
  const storage::DayNumber start = std::max(since, query.filter.window.first);
  // (arrival day, hops, vertex): earliest arrival first, then fewest hops.
  using Entry = std::tuple<storage::DayNumber, int32_t, Vertex>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  label.Set(query.from, {start, 0, kNoVertex, 0});
  queue.push({start, 0, query.from});
  EdgeFilter filter = query.filter;
  while (!queue.empty()) {
    if (deadline.Expired()) return Expired();
    const auto [day, hops, u] = queue.top();
    queue.pop();
    const auto& current = label.Get(u);
    if (current.day != day || current.hops != hops) continue;  // stale entry
    if (u == query.to) break;
    if (hops >= query.max_hops) continue;
    // Only facts that still cover a day on or after the arrival are usable.
    filter.window.first = day;
    graph.ForEachEdge(u, filter, [&](Vertex w, FactIndex f) {
      if (w == u || !MayEnter(graph, query, w)) return;
      const storage::DayNumber when = std::max(day, graph.fact(f).first_day);
      if (when > filter.window.last) return;
      const int32_t new_hops = hops + 1;
      if (label.Has(w)) {
        const auto& old = label.Get(w);
        if (std::tie(old.day, old.hops) <= std::tie(when, new_hops)) return;
      }
      label.Set(w, {when, new_hops, u, f});
      queue.push({when, new_hops, w});
    });
  }
  if (!label.Has(query.to)) return std::optional<Path>();
  Path path;
  for (Vertex v = query.to; v != query.from; v = label.Get(v).parent) {
    const auto& l = label.Get(v);
    PathHop hop{l.parent, v, {l.fact}, 1, l.day};
    path.hops.push_back(std::move(hop));
  }
  std::reverse(path.hops.begin(), path.hops.end());
  path.vertices.push_back(query.from);
  for (const auto& hop : path.hops) path.vertices.push_back(hop.to);
  if (query.from == query.to) path.hops.clear();
  return std::optional<Path>(std::move(path));
}

}  // namespace entente::graph
