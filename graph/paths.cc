#include <algorithm>
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

// The day before `day`. A fact of unknown beginning covers kMinDay, and
// nothing arrives before it: the window stays at kMinDay instead of
// overflowing.
storage::DayNumber DayBefore(storage::DayNumber day) {
  return day == storage::kMinDay ? day : day - 1;
}

// Whether a path search from `root` may pass through `v`: its two ends
// always, other vertices when the filter allows their kind.
bool MayEnter(const Snapshot& graph, const PathQuery& query, Vertex root, Vertex v) {
  return v == root || v == query.to || query.filter.kinds.none() ||
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

using BlockedPairs = std::set<std::pair<Vertex, Vertex>>;

// One direction of a bidirectional search: the layers reached from its
// root, each vertex with its distance, the most facts summed over the
// shortest ways from the root (`count`) and its parent on the best one.
struct Side {
  internal::StampedArray<internal::VisitState>& visit;
  std::vector<Vertex>& frontier;  // the last layer
  bool from_target;  // walks the path backwards, from `to`
  int depth = 0;

  // Edges the next layer would scan: expanding the cheaper side first keeps
  // both searches out of the hubs for as long as possible.
  size_t FrontierEdges(const Snapshot& graph, const EdgeFilter& filter) const {
    size_t edges = 0;
    for (Vertex v : frontier) edges += graph.Degree(v, filter.rolled_up);
    return edges;
  }
};

void Begin(Side& side, const Snapshot& graph, Vertex root) {
  side.visit.Reset(graph.vertex_count());
  side.visit.Set(root, {0, 0, kNoVertex, 0});
  side.frontier.assign(1, root);
}

// Replaces the side's frontier by the next layer, weighing each new vertex:
// its best parent is the one with the most facts summed from the root.
absl::Status ExpandLayer(const Snapshot& graph, const PathQuery& query, Vertex root,
                         const BlockedPairs& blocked_pairs, Side& side, Scratch& scratch,
                         DeadlineCheck& deadline) {
  const int distance = ++side.depth;
  auto& next = scratch.next;
  auto& hop_facts = scratch.hop_facts;
  auto& touched = scratch.touched;
  next.clear();
  for (Vertex u : side.frontier) {
    if (deadline.Expired()) return Expired();
    hop_facts.Reset(graph.vertex_count());
    touched.clear();
    graph.ForEachEdge(u, query.filter, [&](Vertex w, FactIndex f) {
      if (w == u || scratch.blocked.Has(w)) return;
      // Blocked pairs are hops in the path's direction.
      if (!blocked_pairs.empty() &&
          blocked_pairs.contains(side.from_target ? std::pair(w, u) : std::pair(u, w))) {
        return;
      }
      if (side.visit.Has(w)) {
        if (side.visit.Get(w).distance != distance) return;
      } else {
        if (!MayEnter(graph, query, root, w)) return;
        side.visit.Set(w, {distance, 0, kNoVertex, f});
        next.push_back(w);
      }
      if (!hop_facts.Has(w)) {
        hop_facts.Set(w, 0);
        touched.push_back(w);
      }
      ++hop_facts.Get(w);
    });
    const uint32_t base = side.visit.Get(u).count;
    for (Vertex w : touched) {
      auto& state = side.visit.Get(w);
      const uint32_t score = base + hop_facts.Get(w);
      if (state.parent == kNoVertex || score > state.count) {
        state.count = score;
        state.parent = u;
      }
    }
  }
  std::swap(side.frontier, next);
  return absl::OkStatus();
}

// Shortest path search from `from` to `query.to` that avoids blocked
// vertices (scratch.blocked) and the blocked directed pairs. Among the
// shortest paths it returns the best attested: the most facts summed over
// its hops. Returns the vertex sequence, empty when unreachable within
// max_hops.
//
// It searches from both ends, a whole layer at a time, growing the side
// whose frontier has fewer edges. When the layer just reached meets the
// other side, every shortest path passes through exactly one vertex of that
// layer that the other side has reached, so the best of them joins the
// best way from each end.
absl::StatusOr<std::vector<Vertex>> Bfs(const Snapshot& graph, const PathQuery& query,
                                        Vertex from, int max_hops,
                                        const BlockedPairs& blocked_pairs, Scratch& scratch,
                                        DeadlineCheck& deadline) {
  if (from == query.to) return std::vector<Vertex>{from};
  Side forward{scratch.visit, scratch.frontier, false};
  Side backward{scratch.visit_from_target, scratch.frontier_from_target, true};
  Begin(forward, graph, from);
  Begin(backward, graph, query.to);
  while (forward.depth + backward.depth < max_hops && !forward.frontier.empty() &&
         !backward.frontier.empty()) {
    const bool grow_forward =
        forward.FrontierEdges(graph, query.filter) <= backward.FrontierEdges(graph, query.filter);
    Side& grown = grow_forward ? forward : backward;
    const Side& other = grow_forward ? backward : forward;
    if (auto s = ExpandLayer(graph, query, from, blocked_pairs, grown, scratch, deadline);
        !s.ok()) {
      return s;
    }
    Vertex meeting = kNoVertex;
    uint64_t best = 0;
    for (Vertex w : grown.frontier) {
      if (!other.visit.Has(w)) continue;
      const uint64_t score = uint64_t{grown.visit.Get(w).count} + other.visit.Get(w).count;
      if (meeting == kNoVertex || score > best) {
        meeting = w;
        best = score;
      }
    }
    if (meeting == kNoVertex) continue;
    std::vector<Vertex> vertices;
    for (Vertex v = meeting; v != kNoVertex; v = forward.visit.Get(v).parent) {
      vertices.push_back(v);
    }
    std::reverse(vertices.begin(), vertices.end());
    for (Vertex v = backward.visit.Get(meeting).parent; v != kNoVertex;
         v = backward.visit.Get(v).parent) {
      vertices.push_back(v);
    }
    return vertices;
  }
  return std::vector<Vertex>();
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
      BlockedPairs blocked_pairs;
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
  // Rounds of relaxation: after round k, every vertex's label is its
  // earliest arrival with at most k hops. A vertex keeps the round that
  // first reached its final day, so `to` ends with the earliest arrival
  // within max_hops and the fewest hops among paths arriving then. (One
  // label per vertex ordered by (day, hops) is not enough: an early arrival
  // over many hops can shadow a later one over few that still has hops left,
  // and it does not give the fewest hops.)
  Scratch& scratch = internal::ThreadScratch();
  DeadlineCheck deadline(query.deadline);
  auto& label = scratch.time;  // day, round, parent, entry (in `entries`)
  label.Reset(graph.vertex_count());
  const storage::DayNumber start = std::max(since, query.filter.window.first);
  struct Entry {
    Vertex vertex;
    storage::DayNumber day;
    FactIndex fact;
    uint32_t parent;  // entry of the previous hop (from an earlier round)
  };
  std::vector<Entry> entries{{query.from, start, 0, 0}};
  label.Set(query.from, {start, 0, kNoVertex, 0});
  std::vector<uint32_t> frontier{0};
  std::vector<uint32_t> next;
  EdgeFilter filter = query.filter;
  filter.window.first = start;
  // No hop can be useful after the last day on which `to` can be entered.
  storage::DayNumber latest_entry = storage::kMinDay;
  graph.ForEachEdge(query.to, filter, [&](Vertex, FactIndex f) {
    latest_entry = std::max(latest_entry, graph.fact(f).last_day);
  });
  if (latest_entry == storage::kMinDay && query.from != query.to) {
    return std::optional<Path>();
  }
  filter.window.last = std::min(filter.window.last, latest_entry);
  for (int32_t round = 1; round <= query.max_hops && !frontier.empty(); ++round) {
    next.clear();
    for (uint32_t e : frontier) {
      if (deadline.Expired()) return Expired();
      const Vertex u = entries[e].vertex;
      const storage::DayNumber day = entries[e].day;
      // Nothing from here can beat the best arrival at `to` so far.
      if (label.Has(query.to) && label.Get(query.to).day <= day) continue;
      filter.window.first = day;  // facts still covering a day on or after it
      graph.ForEachEdge(u, filter, [&](Vertex w, FactIndex f) {
        if (w == u || !MayEnter(graph, query, query.from, w)) return;
        const storage::DayNumber when = std::max(day, graph.fact(f).first_day);
        if (when > filter.window.last) return;
        if (label.Has(w) && label.Get(w).day <= when) return;
        if (label.Has(w) && label.Get(w).hops == round) {
          Entry& entry = entries[label.Get(w).fact];  // improve this round's entry
          entry = {w, when, f, e};
          label.Get(w).day = when;
          if (w == query.to) filter.window.last = std::min(filter.window.last, DayBefore(when));
          return;
        }
        label.Set(w, {when, round, u, static_cast<FactIndex>(entries.size())});
        next.push_back(static_cast<uint32_t>(entries.size()));
        entries.push_back({w, when, f, e});
        // Later scans need only facts that could reach `to` sooner.
        if (w == query.to) filter.window.last = std::min(filter.window.last, DayBefore(when));
      });
    }
    std::swap(frontier, next);
  }
  if (!label.Has(query.to)) return std::optional<Path>();
  Path path;
  for (uint32_t e = label.Get(query.to).fact; e != 0; e = entries[e].parent) {
    const Entry& entry = entries[e];
    path.hops.push_back({entries[entry.parent].vertex, entry.vertex, {entry.fact}, 1, entry.day});
  }
  std::reverse(path.hops.begin(), path.hops.end());
  path.vertices.push_back(query.from);
  for (const auto& hop : path.hops) path.vertices.push_back(hop.to);
  return std::optional<Path>(std::move(path));
}

}  // namespace entente::graph
