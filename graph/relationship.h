// The state of a relationship between two entities at a date, and what
// changed between two dates. Candidate facts come from the graph snapshot;
// their details (quantities, agreement parties) from the store.
#ifndef ENTENTE_GRAPH_RELATIONSHIP_H_
#define ENTENTE_GRAPH_RELATIONSHIP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "graph/graph.h"
#include "storage/store.h"

namespace entente::graph {

struct RelationshipQuery {
  Vertex a = kNoVertex;
  Vertex b = kNoVertex;
  // The state at the end of this day.
  storage::DayNumber day = 0;
  uint32_t as_of = kNever;
  // Non-null: facts of the two states' actors count, and records carry
  // rolled_up_participants (Snapshot::RolledUp(as_of)).
  const Projection* rolled_up = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
};

struct TradeFigure {
  std::string series;  // measure|unit|claimants
  v1::Quantity quantity;
  v1::FactRecord record;
};

// Rules (each list ordered by the facts' first day, then id):
// - agreements: AGREEMENT_SIGNED facts joining both, starting by `day`, not
//   ended before it, whose agreement entity is not merely PROPOSED or
//   DRAFTED, and that neither party has withdrawn from (a WITHDRAWAL fact
//   naming the same agreement, by `day`);
// - memberships: MEMBERSHIP facts of either entity covering `day`;
// - deployments: DEPLOYMENT facts joining both that cover a day of the 365
//   days up to `day` (reports are usually dated points);
// - trade: for each series — quantity measure, unit and claimants — the
//   figure of the latest TRADE fact joining both, starting by `day`.
struct RelationshipState {
  std::vector<v1::FactRecord> agreements;
  std::vector<v1::FactRecord> memberships;
  std::vector<v1::FactRecord> deployments;
  std::vector<TradeFigure> trade;
};

absl::StatusOr<RelationshipState> RelationshipAt(const Snapshot& graph,
                                                 const storage::Store& store,
                                                 const RelationshipQuery& query);

struct Change {
  std::vector<v1::FactRecord> added;
  std::vector<v1::FactRecord> removed;
};

struct RelationshipDiff {
  Change agreements;
  Change memberships;
  Change deployments;
  Change trade;  // series whose latest figure changed
};

RelationshipDiff DiffStates(const RelationshipState& from, const RelationshipState& to);

}  // namespace entente::graph

#endif  // ENTENTE_GRAPH_RELATIONSHIP_H_
