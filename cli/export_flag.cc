// --export graphml|dot FILE: the flag shared by timeline, path and neighbors.
#include "absl/strings/str_cat.h"
#include "cli/commands.h"

namespace entente::cli {

Flag ExportFlag() {
  return {"--export", "graphml|dot FILE",
          "also write the result as a graph (Gephi, Cytoscape, Graphviz)"};
}

absl::StatusOr<ExportRequest> ExportOf(const Args& args) {
  if (!args.Has("--export")) return ExportRequest();
  const std::vector<std::string> values = args.Values("--export");
  auto format = ParseExportFormat(values.at(0));
  if (!format.ok()) return format.status();
  if (values.at(1).empty()) return absl::InvalidArgumentError("--export: FILE is empty");
  return ExportRequest(*format, values[1]);
}

int ExportRequest::Write(Session& session, const Command& command,
                         const std::function<ExportGraph()>& build) const {
  if (!asked_) return kExitOk;
  const ExportGraph graph = build();
  if (auto status = WriteGraphFile(graph, format_, path_); !status.ok()) {
    session.err() << "entente " << command.name << ": --export: " << status.message() << "\n";
    return kExitFailed;
  }
  session.err() << "wrote " << path_ << " (" << (format_ == ExportFormat::kDot ? "dot" : "graphml")
                << "): " << graph.nodes.size() << " entities, " << graph.edges.size()
                << " facts\n";
  return kExitOk;
}

ExportLookup LookupOf(Session& session) {
  ExportLookup lookup;
  lookup.name_of = [&session](absl::string_view id) { return session.NameOf(std::string(id)); };
  lookup.kind_of = [&session](absl::string_view id) {
    const v1::Entity* entity = session.FindEntity(std::string(id));
    return entity == nullptr ? v1::ENTITY_KIND_UNSPECIFIED : entity->kind();
  };
  return lookup;
}

}  // namespace entente::cli
