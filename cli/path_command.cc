// entente path: QueryService.FindPaths.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

// "Foreign Affairs (Russia) → Government (Iran)": the actors a rolled-up
// fact came from, on each side.
std::string ActorsOf(Session& session, const v1::FactEdge& fact) {
  auto side = [&](const google::protobuf::RepeatedPtrField<std::string>& ids,
                  const std::string& entity) {
    if (ids.empty()) return session.NameOf(entity);
    return NameList(session, std::vector<std::string>(ids.begin(), ids.end()));
  };
  return absl::StrCat(side(fact.from_actor_ids(), fact.from_entity_id()), " → ",
                      side(fact.to_actor_ids(), fact.to_entity_id()));
}

void PrintPaths(Session& session, const v1::FindPathsResponse& response, bool time_respecting,
                bool rolled_up) {
  const int count = response.paths_size();
  for (int p = 0; p < count; ++p) {
    const v1::Path& path = response.paths(p);
    std::vector<std::string> names;
    for (const std::string& id : path.entity_ids()) names.push_back(session.NameOf(id));
    session.out() << (p > 0 ? "\n" : "") << "path " << p + 1 << " of " << count << ": "
                  << absl::StrJoin(names, " → ") << " (" << path.hops_size()
                  << (path.hops_size() == 1 ? " hop" : " hops") << ")\n";
    std::vector<std::string> headers = {"HOP", "FROM", "TO", "FACTS", "DATE", "TYPE", "FACT"};
    if (time_respecting) headers.insert(headers.begin() + 3, "DAY");
    if (rolled_up) headers.push_back("ACTORS");
    Table table(headers);
    table.AlignRight(0);
    table.AlignRight(time_respecting ? 4 : 3);
    for (int h = 0; h < path.hops_size(); ++h) {
      const v1::PathHop& hop = path.hops(h);
      std::vector<std::string> lead = {absl::StrCat(h + 1), session.NameOf(hop.from_entity_id()),
                                       session.NameOf(hop.to_entity_id()),
                                       absl::StrCat(hop.fact_count())};
      if (time_respecting) lead.insert(lead.begin() + 3, date_text::FormatDate(hop.day()));
      if (hop.facts().empty()) table.AddRow(lead);
      for (int f = 0; f < hop.facts_size(); ++f) {
        const v1::FactEdge& fact = hop.facts(f);
        // Further facts of a hop go on rows of their own under it.
        std::vector<std::string> row = f == 0 ? lead : std::vector<std::string>(lead.size());
        for (std::string cell :
             {FormatSpan(fact.valid_time()), TypeName(fact.type()), fact.fact_id()}) {
          row.push_back(std::move(cell));
        }
        if (rolled_up) row.push_back(ActorsOf(session, fact));
        table.AddRow(std::move(row));
      }
    }
    table.Print(session.out());
  }
  if (count == 0) session.out() << "no path under these filters\n";
}

int RunPath(Session& session, const Command& command, const Args& args) {
  v1::FindPathsRequest request;
  if (auto s = FilterOf(args, request.mutable_filter()); !s.ok()) {
    return session.UsageError(command, s.message());
  }
  const bool time_respecting = args.Has("--time-respecting");
  if (time_respecting && args.Has("--k")) {
    return session.UsageError(command, "--k and --time-respecting do not go together");
  }
  if (args.Has("--since") && !time_respecting) {
    return session.UsageError(command, "--since needs --time-respecting");
  }
  request.set_mode(time_respecting  ? v1::PATH_MODE_TIME_RESPECTING
                   : args.Has("--k") ? v1::PATH_MODE_K_SHORTEST
                                     : v1::PATH_MODE_SHORTEST);
  if (args.Has("--since")) {
    auto since = DateOf(args, "--since");
    if (!since.ok()) return session.UsageError(command, since.status().message());
    *request.mutable_since() = *since;
  }
  auto k = IntOf(args, "--k", 1, 20, 0);
  if (!k.ok()) return session.UsageError(command, k.status().message());
  request.set_k(*k);
  auto max_hops = IntOf(args, "--max-hops", 1, 6, 0);
  if (!max_hops.ok()) return session.UsageError(command, max_hops.status().message());
  request.set_max_hops(*max_hops);
  auto facts = IntOf(args, "--facts", 1, 100, 0);
  if (!facts.ok()) return session.UsageError(command, facts.status().message());
  request.set_facts_per_hop(*facts);
  auto exporter = ExportOf(args);
  if (!exporter.ok()) return session.UsageError(command, exporter.status().message());
  std::string from, to;
  if (int status = session.ResolveEntity(command, args.positional[0], &from); status != kExitOk) {
    return status;
  }
  if (int status = session.ResolveEntity(command, args.positional[1], &to); status != kExitOk) {
    return status;
  }
  request.set_from_entity_id(from);
  request.set_to_entity_id(to);

  auto response = session.client().FindPaths(request);
  if (!response.ok()) return session.CallFailed(command, response.status());
  if (session.json()) {
    session.PrintJson(*response);
  } else {
    PrintPaths(session, *response, time_respecting, args.Has("--roll-up"));
  }
  return exporter->Write(session, command, [&] { return GraphOfPaths(*response, LookupOf(session)); });
}

}  // namespace

Command PathCommand() {
  Command command;
  command.name = "path";
  command.arguments = "FROM TO";
  command.min_positional = 2;
  command.max_positional = 2;
  command.flags = {
      {"--time-respecting", "", "each hop no earlier than the one before (earliest arrival)"},
      {"--since", "DATE", "with --time-respecting: leave no earlier than DATE"},
      {"--k", "N", "the N shortest loopless paths (1..20) instead of one"},
      {"--max-hops", "N", "paths of at most N hops (1..6, default 6)"},
      {"--facts", "N", "facts listed per hop (1..100, default 5)"},
  };
  for (const Flag& flag : FilterFlags()) command.flags.push_back(flag);
  command.flags.push_back(ExportFlag());
  command.summary = "shortest, k shortest or time-respecting paths between two entities";
  command.description =
      "Finds how FROM connects to TO (ids, names or aliases): the shortest path, the\n"
      "--k shortest, or with --time-respecting the path whose every hop is no\n"
      "earlier than the one before (how influence or materiel could have flowed),\n"
      "arriving earliest. Each hop lists the facts that justify it.\n"
      "\n"
      "With --roll-up the path runs through states (each actor counted as the state\n"
      "it stood for on the fact's date), and each fact shows the actors behind it.\n"
      "\n"
      "Example: entente path \"North Korea\" Iran --time-respecting --since 2020";
  command.run = RunPath;
  return command;
}

}  // namespace entente::cli
