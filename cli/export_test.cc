#include "cli/export.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Date Date(int year, int month = 0, int day = 0) {
  return date_text::MakeDate(year, month, day);
}

v1::FactEdge FactEdge(const std::string& fact_id, const std::string& from, const std::string& to,
                      v1::FactType type = v1::FACT_TYPE_VISIT, double goldstein = 1.9) {
  v1::FactEdge edge;
  edge.set_fact_id(fact_id);
  edge.set_type(type);
  *edge.mutable_valid_time()->mutable_start() = Date(2001, 3, 12);
  edge.set_from_entity_id(from);
  edge.set_to_entity_id(to);
  edge.set_goldstein(goldstein);
  return edge;
}

std::vector<std::string> NodeIds(const ExportGraph& graph) {
  std::vector<std::string> ids;
  for (const ExportNode& node : graph.nodes) ids.push_back(node.id);
  return ids;
}

// "fact:from->to" for each edge.
std::vector<std::string> EdgeKeys(const ExportGraph& graph) {
  std::vector<std::string> keys;
  for (const ExportEdge& edge : graph.edges) {
    keys.push_back(edge.fact_id + ":" + edge.from_id + "->" + edge.to_id);
  }
  return keys;
}

// A lookup that knows a few names and kinds and counts its calls.
struct CountingLookup {
  std::map<std::string, int> name_calls;
  ExportLookup lookup;

  CountingLookup() {
    lookup.name_of = [this](absl::string_view id) -> std::string {
      ++name_calls[std::string(id)];
      if (id == "IRN") return "Iran";
      if (id == "PRK") return "North Korea";
      return "";
    };
    lookup.kind_of = [](absl::string_view id) {
      return id == "ebrahim_raisi" ? v1::ENTITY_KIND_PERSON : v1::ENTITY_KIND_STATE;
    };
  }
};

// ---- Builders ----

TEST(GraphOfNeighborhood, SeedsThenNeighborsAndEveryEndpoint) {
  v1::GetNeighborhoodResponse response;
  v1::Neighbor* russia = response.add_neighbors();
  russia->set_entity_id("RUS");
  russia->set_name("Russia");
  russia->set_kind(v1::ENTITY_KIND_STATE);
  response.add_neighbors()->set_entity_id("CHN");  // no name, no kind
  *response.add_facts() = FactEdge("f1", "IRN", "RUS");
  *response.add_facts() = FactEdge("f2", "IRN", "RUS");  // parallel to f1
  *response.add_facts() = FactEdge("f1", "IRN", "RUS");  // the same edge again
  *response.add_facts() = FactEdge("f1", "RUS", "IRN");  // the same fact, other way
  *response.add_facts() = FactEdge("f3", "RUS", "PRK");  // PRK is not listed
  CountingLookup lookup;

  const ExportGraph graph = GraphOfNeighborhood(response, {"IRN"}, lookup.lookup);

  EXPECT_THAT(NodeIds(graph), ElementsAre("IRN", "RUS", "CHN", "PRK"));
  EXPECT_THAT(EdgeKeys(graph), ElementsAre("f1:IRN->RUS", "f2:IRN->RUS", "f1:RUS->IRN",
                                           "f3:RUS->PRK"));
  EXPECT_EQ(graph.nodes[0].name, "Iran");
  EXPECT_EQ(graph.nodes[1].name, "Russia");
  EXPECT_EQ(graph.nodes[2].name, "CHN");  // unknown to the lookup: the id
  EXPECT_EQ(graph.nodes[3].name, "North Korea");
  EXPECT_EQ(graph.nodes[2].kind, "STATE");
  // Only entities the response does not name are looked up, each once.
  EXPECT_EQ(lookup.name_calls, (std::map<std::string, int>{{"CHN", 1}, {"IRN", 1}, {"PRK", 1}}));
}

TEST(GraphOfNeighborhood, EdgeFieldsAndDatesAtTheirPrecision) {
  v1::GetNeighborhoodResponse response;
  *response.add_facts() = FactEdge("day", "IRN", "RUS", v1::FACT_TYPE_VISIT, 1.9);
  v1::FactEdge month = FactEdge("interval", "IRN", "RUS", v1::FACT_TYPE_MEMBERSHIP, -4.5);
  *month.mutable_valid_time()->mutable_start() = Date(2001, 3);
  *month.mutable_valid_time()->mutable_end() = Date(2002);
  *response.add_facts() = month;
  v1::FactEdge open = FactEdge("open", "IRN", "RUS", v1::FACT_TYPE_AGREEMENT_SIGNED);
  open.mutable_valid_time()->set_open_start(true);
  open.mutable_valid_time()->clear_start();
  open.mutable_valid_time()->set_open_end(true);
  *response.add_facts() = open;

  const ExportGraph graph = GraphOfNeighborhood(response, {}, ExportLookup());

  ASSERT_EQ(graph.edges.size(), 3u);
  EXPECT_EQ(graph.edges[0].type, "VISIT");
  EXPECT_EQ(graph.edges[0].start, "2001-03-12");
  EXPECT_EQ(graph.edges[0].end, "");  // a point event
  EXPECT_DOUBLE_EQ(graph.edges[0].goldstein, 1.9);
  EXPECT_EQ(graph.edges[1].type, "MEMBERSHIP");
  EXPECT_EQ(graph.edges[1].start, "2001-03");
  EXPECT_EQ(graph.edges[1].end, "2002");
  EXPECT_DOUBLE_EQ(graph.edges[1].goldstein, -4.5);
  EXPECT_EQ(graph.edges[2].type, "AGREEMENT_SIGNED");
  EXPECT_EQ(graph.edges[2].start, "");
  EXPECT_EQ(graph.edges[2].end, "");
  // Without a lookup, names are ids and kinds unknown.
  EXPECT_EQ(graph.nodes[0].name, "IRN");
  EXPECT_EQ(graph.nodes[0].kind, "");
}

TEST(GraphOfPaths, UnionOfAllPaths) {
  v1::FindPathsResponse response;
  v1::Path* first = response.add_paths();
  for (const char* id : {"PRK", "RUS", "IRN"}) first->add_entity_ids(id);
  v1::PathHop* hop = first->add_hops();
  *hop->add_facts() = FactEdge("f1", "PRK", "RUS");
  *hop->add_facts() = FactEdge("f2", "PRK", "RUS");
  *first->add_hops()->add_facts() = FactEdge("f3", "RUS", "IRN");
  v1::Path* second = response.add_paths();
  for (const char* id : {"PRK", "CHN", "RUS", "IRN"}) second->add_entity_ids(id);
  *second->add_hops()->add_facts() = FactEdge("f4", "PRK", "CHN");
  *second->add_hops()->add_facts() = FactEdge("f5", "CHN", "RUS");
  *second->add_hops()->add_facts() = FactEdge("f3", "RUS", "IRN");  // shared with the first

  const ExportGraph graph = GraphOfPaths(response, ExportLookup());

  EXPECT_THAT(NodeIds(graph), ElementsAre("PRK", "RUS", "IRN", "CHN"));
  EXPECT_THAT(EdgeKeys(graph), ElementsAre("f1:PRK->RUS", "f2:PRK->RUS", "f3:RUS->IRN",
                                           "f4:PRK->CHN", "f5:CHN->RUS"));
}

TEST(GraphOfPaths, NoPathsNoGraph) {
  const ExportGraph graph = GraphOfPaths(v1::FindPathsResponse(), ExportLookup());
  EXPECT_TRUE(graph.nodes.empty());
  EXPECT_TRUE(graph.edges.empty());
}

v1::Fact* AddFact(v1::GetTimelineResponse& response, const std::string& id, v1::FactType type,
                  const std::vector<std::pair<std::string, v1::ParticipantRole>>& participants) {
  v1::Fact* fact = response.add_facts()->mutable_fact();
  fact->set_id(id);
  fact->set_type(type);
  *fact->mutable_valid_time()->mutable_start() = Date(2022);
  for (const auto& [entity_id, role] : participants) {
    v1::Participant* participant = fact->add_participants();
    participant->set_entity_id(entity_id);
    participant->set_role(role);
  }
  return fact;
}

TEST(GraphOfTimeline, FactsJoinEveryPairOfDistinctParticipantsOnce) {
  v1::GetTimelineResponse response;
  // A visit with a representative and a location; IRN is also named as the
  // location's state.
  AddFact(response, "visit", v1::FACT_TYPE_VISIT,
          {{"IRN", v1::PARTICIPANT_ROLE_VISITOR},
           {"ebrahim_raisi", v1::PARTICIPANT_ROLE_REPRESENTATIVE},
           {"RUS", v1::PARTICIPANT_ROLE_HOST},
           {"IRN", v1::PARTICIPANT_ROLE_LOCATION}});
  AddFact(response, "role", v1::FACT_TYPE_ROLE,
          {{"ebrahim_raisi", v1::PARTICIPANT_ROLE_OFFICE_HOLDER},
           {"IRN", v1::PARTICIPANT_ROLE_EMPLOYER}});
  AddFact(response, "alone", v1::FACT_TYPE_STATEMENT, {{"PRK", v1::PARTICIPANT_ROLE_SOURCE}});
  CountingLookup lookup;
  lookup.lookup.goldstein_of = [](const v1::Fact& fact) {
    return fact.type() == v1::FACT_TYPE_VISIT ? 1.9 : 0.0;
  };

  const ExportGraph graph = GraphOfTimeline(response, lookup.lookup);

  EXPECT_THAT(NodeIds(graph), ElementsAre("IRN", "ebrahim_raisi", "RUS", "PRK"));
  // Three distinct participants: three edges, from the one listed first.
  EXPECT_THAT(EdgeKeys(graph),
              ElementsAre("visit:IRN->ebrahim_raisi", "visit:IRN->RUS",
                          "visit:ebrahim_raisi->RUS", "role:ebrahim_raisi->IRN"));
  EXPECT_EQ(graph.edges[0].start, "2022");
  EXPECT_DOUBLE_EQ(graph.edges[0].goldstein, 1.9);
  EXPECT_DOUBLE_EQ(graph.edges[3].goldstein, 0.0);
  EXPECT_EQ(graph.nodes[1].kind, "PERSON");
  EXPECT_EQ(graph.nodes[3].name, "North Korea");
}

TEST(GraphOfTimeline, ARolledUpFactJoinsTheStatesItCountedFor) {
  v1::GetTimelineResponse response;
  AddFact(response, "visit", v1::FACT_TYPE_VISIT,
          {{"foreign_affairs_russia", v1::PARTICIPANT_ROLE_VISITOR},
           {"IRN", v1::PARTICIPANT_ROLE_HOST}});
  AddFact(response, "internal", v1::FACT_TYPE_STATEMENT,
          {{"military_russia", v1::PARTICIPANT_ROLE_SOURCE},
           {"government_russia", v1::PARTICIPANT_ROLE_TARGET}});
  for (auto* record : {response.mutable_facts(0), response.mutable_facts(1)}) {
    for (const v1::Participant& participant : record->fact().participants()) {
      v1::Participant* rolled = record->add_rolled_up_participants();
      *rolled = participant;
      if (absl::EndsWith(participant.entity_id(), "_russia")) rolled->set_entity_id("RUS");
    }
  }
  CountingLookup lookup;
  const ExportGraph graph = GraphOfTimeline(response, lookup.lookup);
  EXPECT_THAT(NodeIds(graph), ElementsAre("RUS", "IRN"));
  EXPECT_THAT(EdgeKeys(graph), ElementsAre("visit:RUS->IRN"));  // no edge of RUS to itself
}

// ---- Formats ----

TEST(ParseExportFormat, KnowsGraphmlAndDot) {
  EXPECT_EQ(*ParseExportFormat("graphml"), ExportFormat::kGraphml);
  EXPECT_EQ(*ParseExportFormat("dot"), ExportFormat::kDot);
  EXPECT_EQ(*ParseExportFormat("GraphML"), ExportFormat::kGraphml);
}

TEST(ParseExportFormat, OtherTextNamesTheFlagAndTheChoices) {
  const absl::StatusOr<ExportFormat> format = ParseExportFormat("gexf");
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(format.status().message(), HasSubstr("--export"));
  EXPECT_THAT(format.status().message(), HasSubstr("gexf"));
  EXPECT_THAT(format.status().message(), HasSubstr("graphml or dot"));
  EXPECT_FALSE(ParseExportFormat("").ok());
}

// ---- Writers ----

// Names that break naive writers: quotes, backslashes (a trailing one ends a
// DOT string early), XML's special characters, non-ASCII text, a control
// character, DOT keywords, an all-space name.
const std::vector<std::string>& AwkwardNames() {
  static const auto* names = new std::vector<std::string>{
      "Say \"hi\"", "back\\slash\\", "A & B <i>", "Zelens'kyi", "\xd0\x9a\xd0\xb8\xd1\x97\xd0\xb2",
      "tab\there", "node", "Graph", "  ", "\\N"};
  return *names;
}

ExportGraph AwkwardGraph() {
  ExportGraph graph;
  for (size_t i = 0; i < AwkwardNames().size(); ++i) {
    graph.nodes.push_back({"e" + std::to_string(i), AwkwardNames()[i], "STATE"});
  }
  // Parallel edges and one whose fields hold the awkward text.
  graph.edges.push_back({"f1", "VISIT", "2001-03-12", "", "e0", "e1", 1.9});
  graph.edges.push_back({"f2", "VISIT", "2001", "2002-05", "e0", "e1", -4.5});
  graph.edges.push_back({"a\"b<&", "node", "", "", "e2", "e0", 0});
  // Written last, as added, not grouped with the other edges from e0.
  graph.edges.push_back({"f3", "CALL", "", "", "e0", "e2", 0});
  return graph;
}

std::string Written(const ExportGraph& graph, ExportFormat format) {
  std::ostringstream out;
  const absl::Status status = WriteGraph(graph, format, out);
  EXPECT_TRUE(status.ok()) << status;
  return out.str();
}

// The GraphML read back with an XML parser.
struct ReadGraphml {
  std::string edgedefault;
  std::map<std::string, std::string> key_types;  // "node.name" -> "string"
  std::vector<std::string> node_ids;
  std::vector<std::map<std::string, std::string>> node_data;  // by attr.name
  std::vector<std::pair<std::string, std::string>> edge_ends;
  std::vector<std::map<std::string, std::string>> edge_data;
};

namespace pt = boost::property_tree;

// An XML attribute of `element` (names like "attr.name" hold the ptree's
// path separator, so the path is split at '/').
std::string Attribute(const pt::ptree& element, const std::string& name) {
  return element.get<std::string>(pt::ptree::path_type("<xmlattr>/" + name, '/'));
}

ReadGraphml ParseGraphml(const std::string& xml) {
  pt::ptree tree;
  std::istringstream in(xml);
  pt::read_xml(in, tree);  // throws on XML that is not well-formed
  ReadGraphml out;
  std::map<std::string, std::string> key_names;  // key id -> attr.name
  const pt::ptree& graphml = tree.get_child("graphml");
  for (const auto& [tag, child] : graphml) {
    if (tag != "key") continue;
    key_names[Attribute(child, "id")] = Attribute(child, "attr.name");
    out.key_types[Attribute(child, "for") + "." + Attribute(child, "attr.name")] =
        Attribute(child, "attr.type");
  }
  const pt::ptree& graph = graphml.get_child("graph");
  out.edgedefault = Attribute(graph, "edgedefault");
  auto data_of = [&](const pt::ptree& element) {
    std::map<std::string, std::string> data;
    for (const auto& [tag, child] : element) {
      if (tag == "data") data[key_names[Attribute(child, "key")]] = child.data();
    }
    return data;
  };
  for (const auto& [tag, child] : graph) {
    if (tag == "node") {
      out.node_ids.push_back(Attribute(child, "id"));
      out.node_data.push_back(data_of(child));
    } else if (tag == "edge") {
      out.edge_ends.emplace_back(Attribute(child, "source"), Attribute(child, "target"));
      out.edge_data.push_back(data_of(child));
    }
  }
  return out;
}

// What a name looks like once written: control characters become spaces.
std::string Shown(std::string name) {
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return name;
}

TEST(WriteGraph, GraphmlReadsBackWithIdsNamesAndParallelEdges) {
  const ExportGraph graph = AwkwardGraph();
  const std::string xml = Written(graph, ExportFormat::kGraphml);

  ReadGraphml read = ParseGraphml(xml);
  EXPECT_EQ(read.edgedefault, "directed");
  EXPECT_EQ(read.key_types["node.name"], "string");
  EXPECT_EQ(read.key_types["node.kind"], "string");
  EXPECT_EQ(read.key_types["edge.fact_id"], "string");
  EXPECT_EQ(read.key_types["edge.goldstein"], "double");
  ASSERT_EQ(read.node_ids.size(), graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    EXPECT_EQ(read.node_ids[i], graph.nodes[i].id);  // not Boost's "n" + id
    EXPECT_EQ(read.node_data[i]["name"], Shown(graph.nodes[i].name)) << i;
    EXPECT_EQ(read.node_data[i]["label"], Shown(graph.nodes[i].name)) << i;
    EXPECT_EQ(read.node_data[i]["kind"], "STATE");
  }
  ASSERT_EQ(read.edge_ends.size(), 4u);
  EXPECT_EQ(read.edge_ends[0], std::make_pair(std::string("e0"), std::string("e1")));
  EXPECT_EQ(read.edge_ends[1], std::make_pair(std::string("e0"), std::string("e1")));
  EXPECT_EQ(read.edge_ends[2], std::make_pair(std::string("e2"), std::string("e0")));
  EXPECT_EQ(read.edge_ends[3], std::make_pair(std::string("e0"), std::string("e2")));
  EXPECT_EQ(read.edge_data[0]["fact_id"], "f1");
  EXPECT_EQ(read.edge_data[0]["label"], "VISIT 2001-03-12");
  EXPECT_EQ(read.edge_data[0]["start"], "2001-03-12");
  EXPECT_EQ(read.edge_data[0]["end"], "");
  EXPECT_EQ(read.edge_data[0]["goldstein"], "1.9");
  EXPECT_EQ(read.edge_data[1]["end"], "2002-05");
  EXPECT_EQ(read.edge_data[1]["goldstein"], "-4.5");
  EXPECT_EQ(read.edge_data[2]["fact_id"], "a\"b<&");
  EXPECT_EQ(read.edge_data[2]["label"], "node");
}

// Reads a DOT string as Graphviz does: a quoted ID loses its quotes, `\"`
// is a quote, `\\` stays and a backslash-newline is dropped; an escString label then
// reads `\\` as one backslash. Unquoted IDs are as they stand.
std::string DotLabel(absl::string_view id) {
  if (id.empty() || id.front() != '"') return std::string(id);
  std::string lexed;
  for (size_t i = 1; i + 1 < id.size(); ++i) {
    if (id[i] == '\\' && id[i + 1] == '\\') {
      lexed += "\\\\";
      ++i;
    } else if (id[i] == '\\' && (id[i + 1] == '"' || id[i + 1] == '\n')) {
      if (id[i + 1] == '"') lexed += '"';
      ++i;
    } else {
      lexed += id[i];
    }
  }
  std::string label;
  for (size_t i = 0; i < lexed.size(); ++i) {
    if (lexed[i] == '\\' && i + 1 < lexed.size() && lexed[i + 1] == '\\') ++i;
    label += lexed[i];
  }
  return label;
}

// The `name=value` attributes of one DOT statement `X [a=1, b="two"];`.
std::map<std::string, std::string> DotAttributes(absl::string_view statement) {
  std::map<std::string, std::string> attributes;
  size_t i = statement.find('[');
  if (i == absl::string_view::npos) return attributes;
  ++i;
  while (i < statement.size() && statement[i] != ']') {
    const size_t equals = statement.find('=', i);
    const std::string name(statement.substr(i, equals - i));
    size_t end = equals + 1;
    if (statement[end] == '"') {
      for (++end; statement[end] != '"'; ++end) {
        if (statement[end] == '\\') ++end;
      }
      ++end;
    } else {
      while (statement[end] != ',' && statement[end] != ']') ++end;
    }
    attributes[name] = DotLabel(statement.substr(equals + 1, end - equals - 1));
    i = end;
    if (statement.substr(i, 2) == ", ") i += 2;
  }
  return attributes;
}

TEST(WriteGraph, DotKeepsAwkwardNamesAsLabels) {
  const ExportGraph graph = AwkwardGraph();
  const std::string dot = Written(graph, ExportFormat::kDot);

  ASSERT_TRUE(absl::StartsWith(dot, "digraph G {\n")) << dot;
  // Statements end with ";\n"; a keyword's backslash-newline is inside one.
  std::vector<std::string> statements = absl::StrSplit(dot.substr(12), ";\n", absl::SkipEmpty());
  ASSERT_EQ(statements.back(), "}\n");
  statements.pop_back();
  ASSERT_EQ(statements.size(), graph.nodes.size() + graph.edges.size()) << dot;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    EXPECT_TRUE(absl::StartsWith(statements[i], graph.nodes[i].id + " [")) << statements[i];
    std::map<std::string, std::string> attributes = DotAttributes(statements[i]);
    EXPECT_EQ(attributes["label"], Shown(graph.nodes[i].name)) << statements[i];
    EXPECT_EQ(attributes["kind"], "STATE");
  }
  const std::string& parallel = statements[graph.nodes.size()];
  EXPECT_TRUE(absl::StartsWith(parallel, "e0->e1 ")) << parallel;
  EXPECT_TRUE(absl::StartsWith(statements[graph.nodes.size() + 1], "e0->e1 "));
  std::map<std::string, std::string> attributes = DotAttributes(parallel);
  EXPECT_EQ(attributes["label"], "VISIT 2001-03-12");
  EXPECT_EQ(attributes["fact_id"], "f1");
  EXPECT_EQ(attributes["goldstein"], "1.9");
  attributes = DotAttributes(statements[graph.nodes.size() + 2]);
  EXPECT_EQ(attributes["fact_id"], "a\"b<&");
  EXPECT_EQ(attributes["type"], "node");
  EXPECT_TRUE(absl::StartsWith(statements.back(), "e0->e2 ")) << statements.back();
}

TEST(WriteGraph, DotQuotesIdsThatAreNotPlainNames) {
  ExportGraph graph;
  graph.nodes.push_back({"seed:001#2", "Seed", ""});
  graph.nodes.push_back({"node", "Node", ""});
  graph.edges.push_back({"f", "CALL", "", "", "seed:001#2", "node", 0});
  const std::string dot = Written(graph, ExportFormat::kDot);
  EXPECT_THAT(dot, HasSubstr("\n\"seed:001#2\" ["));
  EXPECT_THAT(dot, HasSubstr("\n\"n\\\node\" ["));
  EXPECT_THAT(dot, HasSubstr("\n\"seed:001#2\"->\"n\\\node\" "));
}

TEST(WriteGraph, EmptyGraph) {
  EXPECT_THAT(Written(ExportGraph(), ExportFormat::kDot), HasSubstr("digraph G {"));
  const ReadGraphml read = ParseGraphml(Written(ExportGraph(), ExportFormat::kGraphml));
  EXPECT_TRUE(read.node_ids.empty());
}

TEST(WriteGraph, RefusesAnEdgeWhoseEndIsNotANode) {
  ExportGraph graph;
  graph.nodes.push_back({"IRN", "Iran", "STATE"});
  graph.edges.push_back({"f9", "VISIT", "", "", "IRN", "RUS", 0});
  std::ostringstream out;
  const absl::Status status = WriteGraph(graph, ExportFormat::kGraphml, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("edges[0]"));
  EXPECT_THAT(status.message(), HasSubstr("\"RUS\""));
  EXPECT_EQ(out.str(), "");
}

TEST(WriteGraph, RefusesANodeIdTwice) {
  ExportGraph graph;
  graph.nodes.push_back({"IRN", "Iran", "STATE"});
  graph.nodes.push_back({"IRN", "Persia", "STATE"});
  std::ostringstream out;
  const absl::Status status = WriteGraph(graph, ExportFormat::kDot, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("nodes[1]"));
}

TEST(WriteGraphFile, WritesTheFile) {
  const std::string path = ::testing::TempDir() + "/export_test.graphml";
  ASSERT_TRUE(WriteGraphFile(AwkwardGraph(), ExportFormat::kGraphml, path).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), Written(AwkwardGraph(), ExportFormat::kGraphml));
}

TEST(WriteGraphFile, ErrorsNameThePath) {
  const std::string missing = ::testing::TempDir() + "/no/such/folder/out.dot";
  absl::Status status = WriteGraphFile(AwkwardGraph(), ExportFormat::kDot, missing);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(missing));

  // A full disk shows when the buffered text is written out.
  status = WriteGraphFile(AwkwardGraph(), ExportFormat::kDot, "/dev/full");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("/dev/full"));
}

}  // namespace
}  // namespace entente::cli
