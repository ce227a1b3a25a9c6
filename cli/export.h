// Export of query results as graphs that Gephi, Cytoscape, Graphviz and
// networkx open: a neighborhood, a set of paths or a timeline becomes an
// ExportGraph (entities as nodes, facts as edges), which WriteGraph writes
// as GraphML or DOT with Boost.Graph's writers.
//
// Rules every builder keeps:
// - Nodes are unique by entity id, in the order first seen. Every edge's
//   endpoints are nodes: an endpoint the response does not list is added.
// - Edges are directed and unique by (fact id, from, to), in the order first
//   seen. Two entities may be joined by many facts: the graph is a
//   multigraph, and both formats keep parallel edges.
// - A node's name and kind are the response's where it gives them, else the
//   lookup's (ExportLookup), else the id and "".
//
// How a fact with more than two participants (a hyperedge) becomes edges:
// the server's graph joins every pair of a fact's distinct participants,
// whatever their roles (graph/graph.cc, AddFactEdges), so an export links
// the same pairs, each once, directed from the participant the fact lists
// first to the one it lists later (facts list the acting side first:
// visitor before host, source before target, sender before receiver). A
// fact with N distinct participants gives N(N-1)/2 edges; with one, a node
// and no edge.
#ifndef ENTENTE_CLI_EXPORT_H_
#define ENTENTE_CLI_EXPORT_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "entente/v1/entity.pb.h"
#include "entente/v1/fact.pb.h"
#include "entente/v1/query_service.pb.h"

namespace entente::cli {

// An entity of a result.
struct ExportNode {
  std::string id;    // entity id: "IRN"
  std::string name;  // display name; the id when none is known
  std::string kind;  // EntityKind without its prefix: "STATE"; "" when unknown
};

// A fact of a result, from one entity to another.
struct ExportEdge {
  std::string fact_id;
  std::string type;  // FactType without its prefix: "VISIT"
  // Valid time at the precision known: "2001", "2001-03", "2001-03-12".
  // "" for an open or unset end; a point event has a start and no end.
  std::string start;
  std::string end;
  std::string from_id;
  std::string to_id;
  // Cooperation (+) or conflict (-), Goldstein scale.
  double goldstein = 0;
};

struct ExportGraph {
  std::vector<ExportNode> nodes;
  std::vector<ExportEdge> edges;
};

// What the builders cannot read from a response. Every member may be left
// empty. Each function is called at most once per entity or timeline fact,
// and only where the response does not say, so it may ask the server.
struct ExportLookup {
  // The display name of an entity; "" when unknown (the id stands in).
  std::function<std::string(absl::string_view id)> name_of;
  // Its kind; ENTITY_KIND_UNSPECIFIED when unknown.
  std::function<v1::EntityKind(absl::string_view id)> kind_of;
  // The Goldstein value of a timeline's fact, which a FactRecord does not
  // carry (the server scores facts by CAMEO code, graph/cameo.h). Unset: 0.
  std::function<double(const v1::Fact& fact)> goldstein_of;
};

// A neighborhood: the seeds (which the response does not list), then the
// neighbors, joined by the response's facts.
ExportGraph GraphOfNeighborhood(const v1::GetNeighborhoodResponse& response,
                                const std::vector<std::string>& seed_ids,
                                const ExportLookup& lookup);

// The union of all paths: each path's entities, joined by its hops' facts.
ExportGraph GraphOfPaths(const v1::FindPathsResponse& response, const ExportLookup& lookup);

// A timeline's facts as edges between their participants (see the hyperedge
// rule above); in a rolled-up answer, between the entities they counted as
// (rolled_up_participants), so a fact internal to one state has no edge. `response` is the whole stream merged in order (MergeFrom);
// buckets and summary are ignored.
ExportGraph GraphOfTimeline(const v1::GetTimelineResponse& response, const ExportLookup& lookup);

enum class ExportFormat {
  // GraphML (graphml.graphdrawing.org): edgedefault="directed"; node ids are
  // entity ids; keys `label`, `name`, `kind` on nodes and `label`,
  // `fact_id`, `type`, `start`, `end` (strings) and `goldstein` (double) on
  // edges. `label` (name; type and start) is what Gephi shows.
  kGraphml,
  // Graphviz DOT: a digraph whose node ids are entity ids, with the same
  // attributes as GraphML. Backslashes are doubled, as Graphviz's escString
  // labels want, so that a label shows the name as it is; an id or value
  // that is a DOT keyword ("node", "Graph") still reads back as that text.
  kDot,
};

// "graphml" or "dot", in any case. Otherwise INVALID_ARGUMENT naming the
// flag --export and the choices.
absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view text);

// Writes `graph` to `out`. Names may hold any UTF-8 text: quotes,
// backslashes, `&`, `<` are escaped as each format requires; control
// characters become spaces. INVALID_ARGUMENT when `graph` breaks the rules
// above (a node id twice, an edge endpoint that is not a node); INTERNAL
// when the stream fails. Nothing is written in the first case.
absl::Status WriteGraph(const ExportGraph& graph, ExportFormat format, std::ostream& out);

// Writes `graph` to the file at `path`, replacing it. Errors as WriteGraph's;
// a file that cannot be opened or written is an error naming `path` and the
// system's reason (its code from errno: NOT_FOUND, PERMISSION_DENIED...).
absl::Status WriteGraphFile(const ExportGraph& graph, ExportFormat format,
                            const std::string& path);

}  // namespace entente::cli

#endif  // ENTENTE_CLI_EXPORT_H_
