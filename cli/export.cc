#include "cli/export.h"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/dynamic_property_map.hpp>
#include <boost/property_map/function_property_map.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace entente::cli {
namespace {

// ---- Building ----

std::string KindText(v1::EntityKind kind) {
  if (kind == v1::ENTITY_KIND_UNSPECIFIED) return "";
  const std::string& name = v1::EntityKind_Name(kind);
  return name.empty() ? absl::StrCat(kind) : std::string(absl::StripPrefix(name, "ENTITY_KIND_"));
}

std::string TypeText(v1::FactType type) {
  const std::string& name = v1::FactType_Name(type);
  return name.empty() ? absl::StrCat(type) : std::string(absl::StripPrefix(name, "FACT_TYPE_"));
}

// A date at its precision; a date without one at the finest its fields give.
std::string DateText(const v1::Date& date) {
  if (date.year() == 0) return "";
  v1::Precision precision = date.precision();
  if (precision == v1::PRECISION_UNSPECIFIED) {
    precision = date.day() != 0     ? v1::PRECISION_DAY
                : date.month() != 0 ? v1::PRECISION_MONTH
                                    : v1::PRECISION_YEAR;
  }
  switch (precision) {
    case v1::PRECISION_DAY:
      return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
    case v1::PRECISION_MONTH:
      return absl::StrFormat("%04d-%02d", date.year(), date.month());
    default:
      return absl::StrFormat("%04d", date.year());
  }
}

ExportEdge EdgeOf(const std::string& fact_id, v1::FactType type, const v1::TimeSpan& valid_time,
                  std::string from_id, std::string to_id, double goldstein) {
  ExportEdge edge;
  edge.fact_id = fact_id;
  edge.type = TypeText(type);
  if (valid_time.has_start() && !valid_time.open_start()) edge.start = DateText(valid_time.start());
  if (valid_time.has_end() && !valid_time.open_end()) edge.end = DateText(valid_time.end());
  edge.from_id = std::move(from_id);
  edge.to_id = std::move(to_id);
  edge.goldstein = goldstein;
  return edge;
}

// Collects nodes and edges under the rules of export.h. Names and kinds the
// response does not give are looked up once, at the end.
class Builder {
 public:
  explicit Builder(const ExportLookup& lookup) : lookup_(lookup) {}

  // Adds the entity unless it is there; fills a name or kind it lacks.
  void AddNode(const std::string& id, const std::string& name = "",
               v1::EntityKind kind = v1::ENTITY_KIND_UNSPECIFIED) {
    auto [it, added] = node_index_.try_emplace(id, graph_.nodes.size());
    if (added) graph_.nodes.push_back({id, "", ""});
    ExportNode& node = graph_.nodes[it->second];
    if (node.name.empty()) node.name = name;
    if (node.kind.empty()) node.kind = KindText(kind);
  }

  // Adds the edge and its endpoints unless the edge is there.
  void AddEdge(ExportEdge edge) {
    if (!edge_keys_.emplace(edge.fact_id, edge.from_id, edge.to_id).second) return;
    AddNode(edge.from_id);
    AddNode(edge.to_id);
    graph_.edges.push_back(std::move(edge));
  }

  void AddEdge(const v1::FactEdge& edge) {
    AddEdge(EdgeOf(edge.fact_id(), edge.type(), edge.valid_time(), edge.from_entity_id(),
                   edge.to_entity_id(), edge.goldstein()));
  }

  ExportGraph Finish() && {
    for (ExportNode& node : graph_.nodes) {
      if (node.name.empty() && lookup_.name_of) node.name = lookup_.name_of(node.id);
      if (node.name.empty()) node.name = node.id;
      if (node.kind.empty() && lookup_.kind_of) node.kind = KindText(lookup_.kind_of(node.id));
    }
    return std::move(graph_);
  }

 private:
  const ExportLookup& lookup_;
  ExportGraph graph_;
  absl::flat_hash_map<std::string, size_t> node_index_;
  absl::flat_hash_set<std::tuple<std::string, std::string, std::string>> edge_keys_;
};

// ---- Writing ----

using BoostGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property,
                          boost::property<boost::edge_index_t, size_t>>;
using Vertex = boost::graph_traits<BoostGraph>::vertex_descriptor;
using Edge = boost::graph_traits<BoostGraph>::edge_descriptor;

// Vertex i is node i and edge i carries index i. Bidirectional, not just
// directed: its edges(g) walks one edge list in insertion order, so both
// writers list edges as ExportGraph does, not grouped by source.
absl::StatusOr<BoostGraph> ToBoost(const ExportGraph& graph) {
  absl::flat_hash_map<absl::string_view, Vertex> vertex_of;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!vertex_of.try_emplace(graph.nodes[i].id, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("nodes[", i, "]: id \"", graph.nodes[i].id, "\" is not unique"));
    }
  }
  BoostGraph out(graph.nodes.size());
  for (size_t i = 0; i < graph.edges.size(); ++i) {
    const ExportEdge& edge = graph.edges[i];
    auto from = vertex_of.find(edge.from_id);
    auto to = vertex_of.find(edge.to_id);
    if (from == vertex_of.end() || to == vertex_of.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("edges[", i, "] (fact ", edge.fact_id, "): endpoint \"",
                       from == vertex_of.end() ? edge.from_id : edge.to_id, "\" is not a node"));
    }
    boost::add_edge(from->second, to->second, i, out);
  }
  return out;
}

// Control characters are not allowed in XML 1.0 and are noise in a label.
std::string WithoutControls(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// A value for write_graphviz_dp, which quotes what is not a plain DOT id and
// escapes quotes, but neither doubles backslashes (so `a\` would end its
// string early) nor quotes the keywords (`node`, `Graph`, ...), which are
// then a syntax error. A keyword is split by a backslash-newline, which
// Graphviz's lexer drops, so that Boost quotes it and Graphviz reads it back
// whole.
std::string DotText(absl::string_view text) {
  std::string out = absl::StrReplaceAll(WithoutControls(text), {{"\\", "\\\\"}});
  const std::string lower = absl::AsciiStrToLower(out);
  for (const char* keyword : {"node", "edge", "graph", "digraph", "subgraph", "strict"}) {
    if (lower == keyword) return absl::StrCat(out.substr(0, 1), "\\\n", out.substr(1));
  }
  return out;
}

std::string EdgeLabel(const ExportEdge& edge) {
  return edge.start.empty() ? edge.type : absl::StrCat(edge.type, " ", edge.start);
}

// The attributes both formats write, each value passed through `text`.
boost::dynamic_properties Attributes(const ExportGraph& graph, const BoostGraph& g,
                                     std::string (*text)(absl::string_view)) {
  boost::dynamic_properties dp;
  auto node_text = [&](std::string ExportNode::*field) {
    return boost::make_function_property_map<Vertex>(
        [&graph, text, field](Vertex v) { return text(graph.nodes[v].*field); });
  };
  dp.property("label", node_text(&ExportNode::name));
  dp.property("name", node_text(&ExportNode::name));
  dp.property("kind", node_text(&ExportNode::kind));

  const auto edge_at = [&graph, &g](Edge e) -> const ExportEdge& {
    return graph.edges[boost::get(boost::edge_index, g, e)];
  };
  auto edge_text = [&](std::string ExportEdge::*field) {
    return boost::make_function_property_map<Edge>(
        [edge_at, text, field](Edge e) { return text(edge_at(e).*field); });
  };
  dp.property("label", boost::make_function_property_map<Edge>(
                           [edge_at, text](Edge e) { return text(EdgeLabel(edge_at(e))); }));
  dp.property("fact_id", edge_text(&ExportEdge::fact_id));
  dp.property("type", edge_text(&ExportEdge::type));
  dp.property("start", edge_text(&ExportEdge::start));
  dp.property("end", edge_text(&ExportEdge::end));
  dp.property("goldstein", boost::make_function_property_map<Edge>(
                               [edge_at](Edge e) { return edge_at(e).goldstein; }));
  return dp;
}

// Boost 1.74's write_graphml writes each node id as "n" followed by the
// vertex index map's value, "nIRN" for an index map of entity ids. The prefix
// is taken off again so that Gephi, Cytoscape and networkx show real ids. The
// three places it stands are fixed text that no value can contain, since
// every value is written with its quotes escaped.
std::string WithoutNodeIdPrefix(const std::string& xml) {
  return absl::StrReplaceAll(
      xml, {{"<node id=\"n", "<node id=\""}, {" source=\"n", " source=\""},
            {" target=\"n", " target=\""}});
}

void WriteGraphml(const ExportGraph& graph, const BoostGraph& g, std::ostream& out) {
  const boost::dynamic_properties dp = Attributes(graph, g, WithoutControls);
  // write_graphml escapes values but not the node ids it takes from this map.
  const auto id = boost::make_function_property_map<Vertex>([&graph](Vertex v) {
    return boost::property_tree::xml_parser::encode_char_entities(graph.nodes[v].id);
  });
  std::ostringstream xml;
  boost::write_graphml(xml, g, id, dp, /*ordered_vertices=*/false);
  out << WithoutNodeIdPrefix(xml.str());
}

void WriteDot(const ExportGraph& graph, const BoostGraph& g, std::ostream& out) {
  boost::dynamic_properties dp = Attributes(graph, g, DotText);
  dp.property("node_id", boost::make_function_property_map<Vertex>(
                             [&graph](Vertex v) { return DotText(graph.nodes[v].id); }));
  boost::write_graphviz_dp(out, g, dp, "node_id");
}

}  // namespace

ExportGraph GraphOfNeighborhood(const v1::GetNeighborhoodResponse& response,
                                const std::vector<std::string>& seed_ids,
                                const ExportLookup& lookup) {
  Builder builder(lookup);
  for (const std::string& id : seed_ids) builder.AddNode(id);
  for (const v1::Neighbor& neighbor : response.neighbors()) {
    builder.AddNode(neighbor.entity_id(), neighbor.name(), neighbor.kind());
  }
  for (const v1::FactEdge& edge : response.facts()) builder.AddEdge(edge);
  return std::move(builder).Finish();
}

ExportGraph GraphOfPaths(const v1::FindPathsResponse& response, const ExportLookup& lookup) {
  Builder builder(lookup);
  for (const v1::Path& path : response.paths()) {
    for (const std::string& id : path.entity_ids()) builder.AddNode(id);
    for (const v1::PathHop& hop : path.hops()) {
      for (const v1::FactEdge& edge : hop.facts()) builder.AddEdge(edge);
    }
  }
  return std::move(builder).Finish();
}

ExportGraph GraphOfTimeline(const v1::GetTimelineResponse& response, const ExportLookup& lookup) {
  Builder builder(lookup);
  for (const v1::FactRecord& record : response.facts()) {
    const v1::Fact& fact = record.fact();
    // Distinct participants in the fact's order; an entity may hold two
    // roles (a party that is also the location). A rolled-up answer's facts
    // join the states they counted for, as its neighborhoods and paths do.
    const auto& participants = record.rolled_up_participants().empty()
                                   ? fact.participants()
                                   : record.rolled_up_participants();
    std::vector<std::string> ids;
    for (const v1::Participant& participant : participants) {
      const std::string& id = participant.entity_id();
      if (id.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      builder.AddNode(id);
    }
    if (ids.size() < 2) continue;
    const double goldstein = lookup.goldstein_of ? lookup.goldstein_of(fact) : 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        builder.AddEdge(EdgeOf(fact.id(), fact.type(), fact.valid_time(), ids[i], ids[j],
                               goldstein));
      }
    }
  }
  return std::move(builder).Finish();
}

absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "graphml") return ExportFormat::kGraphml;
  if (lower == "dot") return ExportFormat::kDot;
  return absl::InvalidArgumentError(
      absl::StrCat("--export: unknown format \"", text, "\"; choose graphml or dot"));
}

absl::Status WriteGraph(const ExportGraph& graph, ExportFormat format, std::ostream& out) {
  absl::StatusOr<BoostGraph> g = ToBoost(graph);
  if (!g.ok()) return g.status();
  // The writers report trouble (a property they cannot find or convert) by
  // throwing; none is expected with the properties above, but no exception
  // may leave this library.
  try {
    if (format == ExportFormat::kGraphml) {
      WriteGraphml(graph, *g, out);
    } else {
      WriteDot(graph, *g, out);
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("writing the graph failed: ", e.what()));
  }
  if (!out) return absl::InternalError("writing the graph failed: the output stream failed");
  return absl::OkStatus();
}

absl::Status WriteGraphFile(const ExportGraph& graph, ExportFormat format,
                            const std::string& path) {
  // Written whole in memory first, so that a graph WriteGraph refuses leaves
  // no file behind.
  std::ostringstream text;
  if (absl::Status status = WriteGraph(graph, format, text); !status.ok()) return status;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path));
  file << text.str();
  file.close();
  if (!file) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace entente::cli
