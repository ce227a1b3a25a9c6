// Private to graph/: the layout of a snapshot's layers and the body of the
// edge scan that every query's inner loop runs.
#ifndef ENTENTE_GRAPH_INTERNAL_LAYER_H_
#define ENTENTE_GRAPH_INTERNAL_LAYER_H_

#include <algorithm>
#include <string>
#include <vector>

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

struct VertexTable {
  std::vector<std::string> ids;
  std::vector<v1::EntityKind> kinds;
  absl::flat_hash_map<std::string, Vertex> index;
};

// Raw arrays of one CSR, for the inner loop.
struct CsrView {
  const uint32_t* rowstart = nullptr;
  const Vertex* column = nullptr;
  const EdgeProps* props = nullptr;
  uint32_t vertices = 0;
};

// Edges are kept in three CSRs by how many days their fact covers, so that a
// window scan only looks back as far as a fact of that class can reach.
enum SpanBand { kOneDay, kUpToAYear, kLonger, kBandCount };

// How many days before a window a fact of the band may start and still
// overlap it; -1: any (the band is scanned from its start).
inline constexpr int64_t kBandLookback[kBandCount] = {0, storage::keys::kShortSpanDays, -1};

inline SpanBand BandOf(storage::DayNumber first_day, storage::DayNumber last_day) {
  if (first_day == last_day) return kOneDay;
  return storage::keys::ClassOf({first_day, last_day}) == storage::keys::SpanClass::kShort
             ? kUpToAYear
             : kLonger;
}

struct Snapshot::Layer {
  FactIndex first_fact = 0;
  std::vector<FactInfo> facts;
  Csr edges[kBandCount];
  CsrView views[kBandCount];
};

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
void Snapshot::ScanLayer(const Layer& layer, Vertex v, const EdgeFilter& filter,
                         Visit& visit) const {
  for (int band = 0; band < kBandCount; ++band) {
    const CsrView* view = &layer.views[band];
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

template <typename Visit>
void Snapshot::ForEachEdge(Vertex v, const EdgeFilter& filter, Visit&& visit) const {
  ScanLayer(*base_, v, filter, visit);
  if (recent_ != nullptr) ScanLayer(*recent_, v, filter, visit);
}

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_INTERNAL_LAYER_H_
