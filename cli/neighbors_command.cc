// entente neighbors: QueryService.GetNeighborhood.
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"

namespace entente::cli {
namespace {

int RunNeighbors(Session& session, const Command& command, const Args& args) {
  v1::GetNeighborhoodRequest request;
  auto hops = IntOf(args, "--hops", 1, 6, 1);
  if (!hops.ok()) return session.UsageError(command, hops.status().message());
  request.set_hops(*hops);
  auto limit = IntOf(args, "--limit", 1, 10000, 0);
  if (!limit.ok()) return session.UsageError(command, limit.status().message());
  request.set_limit(*limit);
  auto max_facts = IntOf(args, "--max-facts", 1, 100000, 0);
  if (!max_facts.ok()) return session.UsageError(command, max_facts.status().message());
  request.set_max_facts(*max_facts);
  if (auto s = FilterOf(args, request.mutable_filter()); !s.ok()) {
    return session.UsageError(command, s.message());
  }
  auto exporter = ExportOf(args);
  if (!exporter.ok()) return session.UsageError(command, exporter.status().message());
  for (const std::string& text : args.positional) {
    std::string id;
    if (int status = session.ResolveEntity(command, text, &id); status != kExitOk) return status;
    request.add_entity_ids(id);
  }

  auto response = session.client().GetNeighborhood(request);
  if (!response.ok()) return session.CallFailed(command, response.status());
  const std::vector<std::string> seeds(request.entity_ids().begin(), request.entity_ids().end());
  if (session.json()) {
    session.PrintJson(*response);
  } else {
    Table table({"ID", "NAME", "KIND", "HOPS", "FACTS"});
    table.AlignRight(3);
    table.AlignRight(4);
    for (const v1::Neighbor& neighbor : response->neighbors()) {
      table.AddRow({neighbor.entity_id(), neighbor.name(), KindName(neighbor.kind()),
                    absl::StrCat(neighbor.distance()), absl::StrCat(neighbor.fact_count())});
    }
    if (table.rows() > 0) table.Print(session.out());
    session.out() << response->neighbors_size() << " neighbors";
    if (response->reached_count() > response->neighbors_size()) {
      session.out() << " of " << response->reached_count() << " reached (--limit)";
    }
    session.out() << " within " << *hops << (*hops == 1 ? " hop" : " hops") << "; graph: "
                  << seeds.size() + response->neighbors_size() << " entities, "
                  << response->facts_size() << " facts"
                  << (response->facts_truncated() ? " (more facts join them: --max-facts)" : "")
                  << "\n";
  }
  return exporter->Write(session, command, [&] { return GraphOfNeighborhood(*response, seeds, LookupOf(session)); });
}

}  // namespace

Command NeighborsCommand() {
  Command command;
  command.name = "neighbors";
  command.arguments = "ENTITY [ENTITY...]";
  command.min_positional = 1;
  command.max_positional = 100;
  command.flags = {{"--hops", "N", "how far to look: 1..6 (default 1)"}};
  for (const Flag& flag : FilterFlags()) command.flags.push_back(flag);
  command.flags.push_back({"--limit", "N", "at most N neighbors, most connected first (default 100)"});
  command.flags.push_back(
      {"--max-facts", "N", "at most N connecting facts in the result (default 1000)"});
  command.flags.push_back(ExportFlag());
  command.summary = "the entities within N hops of one or more, and the facts joining them";
  command.description =
      "Lists the entities within --hops of the ENTITY arguments (ids, names or\n"
      "aliases), nearest and most connected first, with how many facts join each to\n"
      "the layer before it. The graph line counts the entities (the seeds and their\n"
      "neighbors) and the facts that --export writes.\n"
      "\n"
      "Example: entente neighbors Iran --hops 2 --from 2022-01 --to 2022-12 --types visit,agreement";
  command.run = RunNeighbors;
  return command;
}

}  // namespace entente::cli
