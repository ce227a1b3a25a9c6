#include <algorithm>

#include "absl/time/civil_time.h"
#include "graph/internal/scratch.h"
#include "graph/queries.h"

namespace entente::graph {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

storage::DayNumber BucketStart(storage::DayNumber day, Granularity granularity) {
  const absl::CivilDay civil = kEpoch + day;
  const absl::CivilDay first = granularity == Granularity::kYear
                                   ? absl::CivilDay(absl::CivilYear(civil))
                                   : absl::CivilDay(absl::CivilMonth(civil));
  return static_cast<storage::DayNumber>(first - kEpoch);
}

// Where a fact sits on a timeline: its first day inside the window; a fact
// whose start is unknown sits at its end, the day its source vouches for it.
storage::DayNumber TimelineDay(const FactInfo& info, const storage::DayRange& window) {
  if (info.open_start) return std::min(info.last_day, window.last);
  return std::max(info.first_day, window.first);
}

}  // namespace

absl::StatusOr<TimelineResult> Timeline(const Snapshot& graph, const TimelineQuery& query) {
  auto& scratch = internal::ThreadScratch();
  auto& seen = scratch.seen_facts;
  seen.Reset(graph.fact_count());
  internal::DeadlineCheck deadline(query.deadline);
  std::vector<FactIndex> facts;
  const bool single = query.entities.size() == 1;
  // Every fact joining two of the entities has an edge at each of them, so
  // the one with the most edges need not be scanned.
  std::vector<Vertex> scanned = query.entities;
  if (!single) {
    auto busiest = std::max_element(scanned.begin(), scanned.end(), [&](Vertex a, Vertex b) {
      return graph.Degree(a) < graph.Degree(b);
    });
    scanned.erase(busiest);
  }
  for (Vertex v : scanned) {
    graph.ForEachEdge(v, query.filter, [&](Vertex w, FactIndex f) {
      if (seen.Has(f)) return;
      if (!single && std::find(query.entities.begin(), query.entities.end(), w) ==
                         query.entities.end()) {
        return;
      }
      if (!single && w == v) return;
      seen.Set(f, 1);
      facts.push_back(f);
    });
    if (deadline.Expired()) {
      return absl::DeadlineExceededError("the timeline query ran past its deadline");
    }
  }
  // Edges arrive per layer and span class; put them in time order.
  const auto& window = query.filter.window;
  std::sort(facts.begin(), facts.end(), [&](FactIndex a, FactIndex b) {
    const auto da = TimelineDay(graph.fact(a), window);
    const auto db = TimelineDay(graph.fact(b), window);
    return da != db ? da < db : a < b;
  });

  TimelineResult result;
  result.total_facts = facts.size();
  for (FactIndex f : facts) {
    const FactInfo& info = graph.fact(f);
    const storage::DayNumber bucket_day =
        BucketStart(TimelineDay(info, window), query.granularity);
    if (result.buckets.empty() || result.buckets.back().first_day != bucket_day) {
      result.buckets.push_back({bucket_day, 0, {}, 0, 0});
    }
    TimelineBucket& bucket = result.buckets.back();
    ++bucket.facts;
    ++bucket.by_type[static_cast<v1::FactType>(info.type)];
    if (info.goldstein_tenths != 0) {
      bucket.goldstein_sum += info.goldstein();
      ++bucket.scored_facts;
    }
  }
  if (facts.size() > query.max_facts) facts.resize(query.max_facts);
  result.facts = std::move(facts);
  return result;
}

}  // namespace entente::graph
