// Private to graph/: the layout of a snapshot's layers and the body of the
// edge scan that every query's inner loop runs.
#ifndef ENTENTE_GRAPH_INTERNAL_LAYER_H_
#define ENTENTE_GRAPH_INTERNAL_LAYER_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "boost/graph/compressed_sparse_row_graph.hpp"
#include "graph/graph.h"
#include "storage/keys.h"

namespace entente::graph {

struct EdgeProps {
  storage::DayNumber first_day;
  FactIndex fact;
};

using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeProps,
                                               boost::no_property, uint32_t, uint32_t>;

// Entity ids and kinds by vertex, and the vertex of each id. Ids sit end to
// end in one string; the index holds vertex numbers and looks their ids up
// there, so no id is stored twice and none costs a heap block.
struct VertexTable {
  absl::string_view Id(Vertex v) const {
    return absl::string_view(chars.data() + offsets[v], offsets[v + 1] - offsets[v]);
  }

  struct IdHash {
    using is_transparent = void;
    const VertexTable* table;
    size_t operator()(Vertex v) const { return absl::Hash<absl::string_view>()(table->Id(v)); }
    size_t operator()(absl::string_view id) const { return absl::Hash<absl::string_view>()(id); }
  };
  struct IdEq {
    using is_transparent = void;
    const VertexTable* table;
    bool operator()(Vertex a, Vertex b) const { return a == b; }
    bool operator()(Vertex a, absl::string_view b) const { return table->Id(a) == b; }
    bool operator()(absl::string_view a, Vertex b) const { return a == table->Id(b); }
  };

  std::string chars;
  std::vector<uint32_t> offsets{0};
  std::vector<uint8_t> kinds;  // v1::EntityKind
  absl::flat_hash_set<Vertex, IdHash, IdEq> index{0, IdHash{this}, IdEq{this}};

  VertexTable() = default;
  // The index's functors point at their own table, so a copy rebuilds it.
  VertexTable(const VertexTable& other)
      : chars(other.chars), offsets(other.offsets), kinds(other.kinds) {
    index.reserve(kinds.size());
    for (Vertex v = 0; v < kinds.size(); ++v) index.insert(v);
  }
  VertexTable& operator=(const VertexTable&) = delete;

  size_t size() const { return kinds.size(); }
  Vertex Find(absl::string_view id) const {
    auto it = index.find(id);
    return it == index.end() ? kNoVertex : *it;
  }
  Vertex Add(absl::string_view id, v1::EntityKind kind) {
    const auto v = static_cast<Vertex>(kinds.size());
    chars.append(id.data(), id.size());
    offsets.push_back(static_cast<uint32_t>(chars.size()));
    kinds.push_back(static_cast<uint8_t>(kind));
    index.insert(v);
    return v;
  }
};

// Raw arrays of one CSR, for the inner loop.
struct CsrView {
  const uint32_t* rowstart = nullptr;
  const Vertex* column = nullptr;
  const EdgeProps* props = nullptr;
  uint32_t vertices = 0;
};

// A CSR over edges already sorted by source, then first day, then fact,
// with `view` pointing at its arrays.
Csr CsrFromSortedEdges(const std::vector<std::pair<uint32_t, uint32_t>>& pairs,
                       const std::vector<EdgeProps>& props, uint32_t vertex_count,
                       CsrView* view);

// Edges are kept in three CSRs by how many days their fact covers, so that a
// window scan only looks back as far as a fact of that class can reach.
enum SpanBand { kOneDay, kUpToAYear, kLonger, kBandCount };
static_assert(kBandCount == 3, "graph.h declares ScanLayer over three bands");

// How many days before a window a fact of the band may start and still
// overlap it; -1: any (the band is scanned from its start).
inline constexpr int64_t kBandLookback[kBandCount] = {0, storage::keys::kShortSpanDays, -1};

inline SpanBand BandOf(storage::DayNumber first_day, storage::DayNumber last_day) {
  if (first_day == last_day) return kOneDay;
  return storage::keys::ClassOf({first_day, last_day}) == storage::keys::SpanClass::kShort
             ? kUpToAYear
             : kLonger;
}

// The participants of many facts in one array: fact i has
// flat[offsets[i] .. offsets[i + 1]).
struct ParticipantLists {
  std::vector<Vertex> flat;
  std::vector<uint32_t> offsets{0};
  size_t size() const { return offsets.size() - 1; }
  absl::Span<const Vertex> operator[](size_t i) const {
    return absl::MakeConstSpan(flat.data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
  void clear() {
    flat.clear();
    offsets.assign(1, 0);
  }
  void Append(const ParticipantLists& more) {
    const uint32_t base = static_cast<uint32_t>(flat.size());
    flat.insert(flat.end(), more.flat.begin(), more.flat.end());
    for (size_t i = 1; i < more.offsets.size(); ++i) offsets.push_back(base + more.offsets[i]);
  }
};

struct Snapshot::Layer {
  FactIndex first_fact = 0;
  std::vector<FactInfo> facts;
  ParticipantLists participants;  // distinct, in vertex order, per fact
  Csr edges[kBandCount];
  CsrView views[kBandCount];
};

// One layer's facts as edges between what their participants rolled up to.
struct RolledLayer {
  Csr edges[kBandCount];
  CsrView views[kBandCount];
  // Parallel to the layer's participants.flat: what each counted as.
  std::vector<Vertex> rolled;
  // Per fact of the layer: 1 when internal to one state.
  std::vector<uint8_t> internal;
};

struct Projection {
  std::shared_ptr<const RolledLayer> base;
  std::shared_ptr<const RolledLayer> recent;  // null when the snapshot has no recent layer
};

// One actor's tie to a state over the days of fact `fact`.
struct AffiliationSpan {
  storage::DayNumber first_day;
  storage::DayNumber last_day;
  Vertex state;
  FactIndex fact;
};

struct AffiliationTable {
  // By actor, in order of first day, then fact.
  absl::flat_hash_map<Vertex, std::vector<AffiliationSpan>> by_actor;
  // Every record second at which an affiliation was recorded or retracted,
  // in order: the rolled-up graph as of T depends on how many are <= T.
  std::vector<uint32_t> change_seconds;
  size_t facts = 0;

  void AddChange(uint32_t second) {
    change_seconds.insert(
        std::upper_bound(change_seconds.begin(), change_seconds.end(), second), second);
  }
  void Add(Vertex actor, const AffiliationSpan& span) {
    auto& spans = by_actor[actor];
    auto at = std::upper_bound(spans.begin(), spans.end(), span,
                               [](const AffiliationSpan& a, const AffiliationSpan& b) {
                                 if (a.first_day != b.first_day) return a.first_day < b.first_day;
                                 return a.fact < b.fact;
                               });
    spans.insert(at, span);
  }
};

// What `v` counts as in a fact covering `info`'s days: a state counts as
// itself; another entity as the state of a visible affiliation overlapping
// the fact — the one covering the fact's own day (its first, or its last
// when the start is unknown) if any, else the earliest — or as itself when
// none overlaps. `visible(fact)` says whether an affiliation fact counts.
template <typename Visible>
Vertex RollUpVertex(Vertex v, const FactInfo& info, const VertexTable& vertices,
                    const AffiliationTable& affiliations, const Visible& visible) {
  if (vertices.kinds[v] == v1::ENTITY_KIND_STATE) return v;
  auto it = affiliations.by_actor.find(v);
  if (it == affiliations.by_actor.end()) return v;
  const storage::DayNumber day = info.open_start ? info.last_day : info.first_day;
  Vertex overlapping = kNoVertex;
  for (const AffiliationSpan& span : it->second) {
    if (span.first_day > info.last_day) break;
    if (span.last_day < info.first_day || !visible(span.fact)) continue;
    if (span.first_day <= day && day <= span.last_day) return span.state;
    if (overlapping == kNoVertex) overlapping = span.state;
  }
  return overlapping == kNoVertex ? v : overlapping;
}

inline const FactInfo& Snapshot::fact(FactIndex f) const {
  return f < base_facts_ ? base_->facts[f] : recent_->facts[f - base_facts_];
}

inline bool Snapshot::Visible(FactIndex f, uint32_t as_of) const {
  if (as_of != kNever && fact(f).record_second > as_of) return false;
  if (retractions_->empty()) return true;
  auto it = retractions_->find(f);
  return it == retractions_->end() || (as_of != kNever && it->second > as_of);
}

template <typename Visit>
void Snapshot::ScanLayer(const CsrView (&views)[kBandCount], Vertex v, const EdgeFilter& filter,
                         Visit& visit) const {
  for (int band = 0; band < kBandCount; ++band) {
    const CsrView* view = &views[band];
    if (v >= view->vertices) continue;
    const EdgeProps* begin = view->props + view->rowstart[v];
    const EdgeProps* end = view->props + view->rowstart[v + 1];
    if (begin == end) continue;
    if (kBandLookback[band] >= 0 && filter.window.first != storage::kMinDay) {
      // A fact of this band that overlaps the window starts at most
      // kBandLookback days before it: a binary search finds the first.
      const int64_t from = int64_t{filter.window.first} - kBandLookback[band];
      begin = std::partition_point(begin, end,
                                   [from](const EdgeProps& e) { return e.first_day < from; });
    }
    // One-day facts found by the binary search lie in the window; with no
    // type filter, no cut-off and no retractions nothing else can reject
    // them, so the fact table (a random read per edge) is not touched.
    if (band == kOneDay && filter.types.none() && filter.as_of == kNever &&
        retractions_->empty()) {
      for (const EdgeProps* e = begin; e != end && e->first_day <= filter.window.last; ++e) {
        visit(view->column[e - view->props], e->fact);
      }
      continue;
    }
    for (const EdgeProps* e = begin; e != end; ++e) {
      if (e->first_day > filter.window.last) break;
      const FactInfo& info = fact(e->fact);
      if (info.last_day < filter.window.first) continue;
      if (!filter.AllowsType(static_cast<v1::FactType>(info.type))) continue;
      if (!Visible(e->fact, filter.as_of)) continue;
      visit(view->column[e - view->props], e->fact);
    }
  }
}

inline size_t Snapshot::Degree(Vertex v, const Projection* rolled_up) const {
  size_t degree = 0;
  auto add = [&](const CsrView (&views)[kBandCount]) {
    for (const CsrView& view : views) {
      if (v < view.vertices) degree += view.rowstart[v + 1] - view.rowstart[v];
    }
  };
  if (rolled_up != nullptr) {
    add(rolled_up->base->views);
    if (rolled_up->recent != nullptr) add(rolled_up->recent->views);
    return degree;
  }
  add(base_->views);
  if (recent_ != nullptr) add(recent_->views);
  return degree;
}

template <typename Visit>
void Snapshot::ForEachEdge(Vertex v, const EdgeFilter& filter, Visit&& visit) const {
  if (filter.rolled_up != nullptr) {
    ScanLayer(filter.rolled_up->base->views, v, filter, visit);
    if (filter.rolled_up->recent != nullptr) {
      ScanLayer(filter.rolled_up->recent->views, v, filter, visit);
    }
    return;
  }
  ScanLayer(base_->views, v, filter, visit);
  if (recent_ != nullptr) ScanLayer(recent_->views, v, filter, visit);
}

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_INTERNAL_LAYER_H_
