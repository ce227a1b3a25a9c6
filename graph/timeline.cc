#include <algorithm>

#include "absl/time/civil_time.h"
#include "graph/internal/scratch.h"
#include "graph/queries.h"

namespace entente::graph {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

// The first day of the year or month holding `day`, and of the next one.
std::pair<storage::DayNumber, storage::DayNumber> BucketOf(storage::DayNumber day,
                                                           Granularity granularity) {
  const absl::CivilDay civil = kEpoch + day;
  absl::CivilDay first, next;
  if (granularity == Granularity::kYear) {
    first = absl::CivilDay(absl::CivilYear(civil));
    next = absl::CivilDay(absl::CivilYear(civil) + 1);
  } else {
    first = absl::CivilDay(absl::CivilMonth(civil));
    next = absl::CivilDay(absl::CivilMonth(civil) + 1);
  }
  return {static_cast<storage::DayNumber>(first - kEpoch),
          static_cast<storage::DayNumber>(next - kEpoch)};
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
      return graph.Degree(a, query.filter.rolled_up) < graph.Degree(b, query.filter.rolled_up);
    });
    scanned.erase(busiest);
  }
  const bool skip_internal = query.filter.rolled_up != nullptr && !query.include_internal;
  for (Vertex v : scanned) {
    graph.ForEachEdge(v, query.filter, [&](Vertex w, FactIndex f) {
      if (seen.Has(f)) return;
      if (!single && std::find(query.entities.begin(), query.entities.end(), w) ==
                         query.entities.end()) {
        return;
      }
      if (!single && w == v) return;
      if (single && skip_internal && graph.Internal(*query.filter.rolled_up, f)) return;
      seen.Set(f, 1);
      facts.push_back(f);
    });
    // One entity's scan may cover every edge of a hub.
    if (deadline.ExpiredNow()) {
      return absl::DeadlineExceededError("the timeline query ran past its deadline");
    }
  }
  // Edges arrive per layer and span band; put them in time order.
  const auto& window = query.filter.window;
  std::vector<std::pair<int64_t, FactIndex>> keyed;
  keyed.reserve(facts.size());
  for (FactIndex f : facts) keyed.emplace_back(TimelineDay(graph.fact(f), window), f);
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i) facts[i] = keyed[i].second;

  TimelineResult result;
  result.total_facts = facts.size();
  storage::DayNumber bucket_end = storage::kMinDay;  // first day after the current bucket
  for (size_t i = 0; i < facts.size(); ++i) {
    const FactInfo& info = graph.fact(facts[i]);
    const auto day = static_cast<storage::DayNumber>(keyed[i].first);
    // Open at both ends in an open window: no day to put it at. Such facts
    // sort last, so the buckets before stay in order.
    if (day == storage::kMaxDay || day == storage::kMinDay) continue;
    if (result.buckets.empty() || day >= bucket_end) {
      const auto [first, next] = BucketOf(day, query.granularity);
      result.buckets.push_back({first, 0, {}, 0, 0});
      bucket_end = next;
    }
    TimelineBucket& bucket = result.buckets.back();
    ++bucket.facts;
    ++bucket.by_type[info.type & 63];
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

namespace entente::graph {

std::vector<v1::Participant> RolledUpParticipantsOf(const Snapshot& graph,
                                                    const Projection& projection, FactIndex f,
                                                    const v1::Fact& fact) {
  const auto participants = graph.participants(f);
  const auto rolled = graph.RolledUpParticipants(projection, f);
  std::vector<v1::Participant> out;
  out.reserve(static_cast<size_t>(fact.participants_size()));
  for (const auto& p : fact.participants()) {
    v1::Participant& as = out.emplace_back();
    as.set_role(p.role());
    as.set_entity_id(p.entity_id());
    const Vertex v = graph.Find(p.entity_id());
    auto at = std::lower_bound(participants.begin(), participants.end(), v);
    if (at != participants.end() && *at == v) {
      as.set_entity_id(std::string(graph.id(rolled[static_cast<size_t>(at - participants.begin())])));
    }
  }
  return out;
}

std::vector<std::string> ActorsBehind(const Snapshot& graph, const Projection& projection,
                                      FactIndex f, Vertex as) {
  const auto participants = graph.participants(f);
  const auto rolled = graph.RolledUpParticipants(projection, f);
  std::vector<std::string> ids;
  for (size_t i = 0; i < participants.size(); ++i) {
    if (rolled[i] == as) ids.emplace_back(graph.id(participants[i]));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace entente::graph
