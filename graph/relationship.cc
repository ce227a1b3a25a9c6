#include "graph/relationship.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "graph/internal/layer.h"
#include "graph/queries.h"

namespace entente::graph {
namespace {

using google::protobuf::util::TimeUtil;

// Fact indices of edges from `v` passing `filter`, with the neighbor.
std::vector<std::pair<FactIndex, Vertex>> Edges(const Snapshot& graph, Vertex v,
                                                const EdgeFilter& filter) {
  std::vector<std::pair<FactIndex, Vertex>> out;
  graph.ForEachEdge(v, filter, [&](Vertex w, FactIndex f) { out.emplace_back(f, w); });
  return out;
}

std::vector<FactIndex> Distinct(std::vector<FactIndex> facts, const Snapshot& graph) {
  std::sort(facts.begin(), facts.end(), [&](FactIndex x, FactIndex y) {
    const auto dx = graph.fact(x).first_day;
    const auto dy = graph.fact(y).first_day;
    return dx != dy ? dx < dy : x < y;
  });
  facts.erase(std::unique(facts.begin(), facts.end()), facts.end());
  return facts;
}

class Reader {
 public:
  Reader(const Snapshot& graph, const storage::Store& store, uint32_t as_of,
         const Projection* rolled_up)
      : graph_(graph), store_(store), as_of_(as_of), rolled_up_(rolled_up) {}

  absl::StatusOr<v1::FactRecord> Read(FactIndex f) {
    auto record = store_.GetFact(graph_.fact(f).IdText());
    if (!record.ok()) return record.status();
    if (rolled_up_ != nullptr) {
      for (auto& p : RolledUpParticipantsOf(graph_, *rolled_up_, f, record->fact())) {
        *record->add_rolled_up_participants() = std::move(p);
      }
    }
    // As of an earlier cut-off, a later retraction had not happened yet.
    if (record->has_retraction() && as_of_ != kNever &&
        RecordSecond(absl::FromUnixNanos(
            TimeUtil::TimestampToNanoseconds(record->retraction().retract_time()))) > as_of_) {
      record->clear_retraction();
    }
    return record;
  }

  absl::StatusOr<std::vector<v1::FactRecord>> ReadAll(const std::vector<FactIndex>& facts) {
    std::vector<v1::FactRecord> out;
    for (FactIndex f : facts) {
      auto record = Read(f);
      if (!record.ok()) return record.status();
      out.push_back(std::move(*record));
    }
    return out;
  }

 private:
  const Snapshot& graph_;
  const storage::Store& store_;
  uint32_t as_of_;
  const Projection* rolled_up_;
};

std::string AgreementOf(const v1::Fact& fact) {
  for (const auto& p : fact.participants()) {
    if (p.role() == v1::PARTICIPANT_ROLE_AGREEMENT) return p.entity_id();
  }
  return "";
}

bool Involves(const v1::Fact& fact, const std::string& id) {
  return std::any_of(fact.participants().begin(), fact.participants().end(),
                     [&](const auto& p) { return p.entity_id() == id; });
}

}  // namespace

absl::StatusOr<RelationshipState> RelationshipAt(const Snapshot& graph,
                                                 const storage::Store& store,
                                                 const RelationshipQuery& query) {
  RelationshipState state;
  Reader reader(graph, store, query.as_of, query.rolled_up);
  auto Filter = [&](storage::DayNumber first, storage::DayNumber last, v1::FactType type) {
    EdgeFilter filter;
    filter.window = {first, last};
    filter.types.set(type);
    filter.as_of = query.as_of;
    filter.rolled_up = query.rolled_up;
    return filter;
  };
  const std::string a_id(graph.id(query.a));
  const std::string b_id(graph.id(query.b));
  auto joining = [&](const EdgeFilter& filter) {
    std::vector<FactIndex> facts;
    for (const auto& [f, w] : Edges(graph, query.a, filter)) {
      if (w == query.b) facts.push_back(f);
    }
    return Distinct(std::move(facts), graph);
  };

  // Agreements signed by `day` that still hold on it.
  {
    auto signed_facts = joining(Filter(storage::kMinDay, query.day,
                                       v1::FACT_TYPE_AGREEMENT_SIGNED));
    std::set<std::string> withdrawn;
    for (Vertex party : {query.a, query.b}) {
      for (const auto& [f, w] : Edges(graph, party, Filter(storage::kMinDay, query.day,
                                                           v1::FACT_TYPE_WITHDRAWAL))) {
        if (graph.kind(w) == v1::ENTITY_KIND_AGREEMENT) withdrawn.insert(std::string(graph.id(w)));
      }
    }
    auto records = reader.ReadAll(signed_facts);
    if (!records.ok()) return records.status();
    for (auto& record : *records) {
      const auto range = storage::SpanRange(record.fact().valid_time());
      if (record.fact().valid_time().has_end() && range.last < query.day) continue;
      const std::string agreement = AgreementOf(record.fact());
      if (!agreement.empty()) {
        if (withdrawn.contains(agreement)) continue;
        auto entity = store.GetEntity(agreement);
        if (entity.ok() && (entity->agreement().status() == v1::AGREEMENT_STATUS_PROPOSED ||
                            entity->agreement().status() == v1::AGREEMENT_STATUS_DRAFTED)) {
          continue;
        }
      }
      state.agreements.push_back(std::move(record));
    }
  }
  // Memberships of either party in force on `day`.
  {
    std::vector<FactIndex> facts;
    for (Vertex party : {query.a, query.b}) {
      for (const auto& [f, w] :
           Edges(graph, party, Filter(query.day, query.day, v1::FACT_TYPE_MEMBERSHIP))) {
        facts.push_back(f);
      }
    }
    auto records = reader.ReadAll(Distinct(std::move(facts), graph));
    if (!records.ok()) return records.status();
    state.memberships = std::move(*records);
  }
  // Deployments between the two reported during the year up to `day`.
  {
    auto records = reader.ReadAll(
        joining(Filter(query.day - 364, query.day, v1::FACT_TYPE_DEPLOYMENT)));
    if (!records.ok()) return records.status();
    state.deployments = std::move(*records);
  }
  // The latest figure of each trade series.
  {
    auto records = reader.ReadAll(
        joining(Filter(storage::kMinDay, query.day, v1::FACT_TYPE_TRADE)));
    if (!records.ok()) return records.status();
    std::map<std::string, TradeFigure> latest;  // facts come in time order
    for (const auto& record : *records) {
      // Rolled up, the two took part through their actors.
      if (query.rolled_up == nullptr &&
          (!Involves(record.fact(), a_id) || !Involves(record.fact(), b_id))) {
        continue;
      }
      std::vector<std::string> claimants(record.fact().attribution().claimant_ids().begin(),
                                         record.fact().attribution().claimant_ids().end());
      for (const auto& quantity : record.fact().quantities()) {
        const std::string series = absl::StrCat(quantity.measure(), "|", quantity.unit(), "|",
                                                absl::StrJoin(claimants, ","));
        latest[series] = {series, quantity, record};
      }
    }
    for (auto& [series, figure] : latest) state.trade.push_back(std::move(figure));
  }
  if (absl::Now() > query.deadline) {
    return absl::DeadlineExceededError("the relationship query ran past its deadline");
  }
  return state;
}

namespace {

Change Compare(const std::vector<v1::FactRecord>& from, const std::vector<v1::FactRecord>& to) {
  std::set<std::string> from_ids;
  std::set<std::string> to_ids;
  for (const auto& r : from) from_ids.insert(r.fact().id());
  for (const auto& r : to) to_ids.insert(r.fact().id());
  Change change;
  for (const auto& r : to) {
    if (!from_ids.contains(r.fact().id())) change.added.push_back(r);
  }
  for (const auto& r : from) {
    if (!to_ids.contains(r.fact().id())) change.removed.push_back(r);
  }
  return change;
}

}  // namespace

RelationshipDiff DiffStates(const RelationshipState& from, const RelationshipState& to) {
  RelationshipDiff diff;
  diff.agreements = Compare(from.agreements, to.agreements);
  diff.memberships = Compare(from.memberships, to.memberships);
  diff.deployments = Compare(from.deployments, to.deployments);
  std::map<std::string, const TradeFigure*> before;
  for (const auto& figure : from.trade) before[figure.series] = &figure;
  for (const auto& figure : to.trade) {
    auto it = before.find(figure.series);
    if (it == before.end()) {
      diff.trade.added.push_back(figure.record);
    } else if (it->second->record.fact().id() != figure.record.fact().id()) {
      diff.trade.added.push_back(figure.record);
      diff.trade.removed.push_back(it->second->record);
    }
  }
  return diff;
}

}  // namespace entente::graph
