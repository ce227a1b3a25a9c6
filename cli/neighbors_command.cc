// entente neighbors: QueryService.GetNeighborhood.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"

namespace entente::cli {
namespace {

// The actors behind each rolled-up neighbor in the response's facts (its
// side of every FactEdge touching it), most frequent first.
std::map<std::string, std::vector<std::string>> ActorsByNeighbor(
    const v1::GetNeighborhoodResponse& response) {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const v1::FactEdge& fact : response.facts()) {
    for (const std::string& id : fact.from_actor_ids()) ++counts[fact.from_entity_id()][id];
    for (const std::string& id : fact.to_actor_ids()) ++counts[fact.to_entity_id()][id];
  }
  std::map<std::string, std::vector<std::string>> actors;
  for (const auto& [entity, by_actor] : counts) {
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [id, count] : by_actor) sorted.emplace_back(-count, id);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& entry : sorted) actors[entity].push_back(entry.second);
  }
  return actors;
}

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
    const bool rolled_up = args.Has("--roll-up");
    std::vector<std::string> headers = {"ID", "NAME", "KIND", "HOPS", "FACTS"};
    // Rolled up, each state's row names the actors its count came from.
    if (rolled_up) headers.push_back("ACTORS");
    Table table(headers);
    table.AlignRight(3);
    table.AlignRight(4);
    const auto actors = rolled_up ? ActorsByNeighbor(*response)
                                  : std::map<std::string, std::vector<std::string>>{};
    for (const v1::Neighbor& neighbor : response->neighbors()) {
      std::vector<std::string> row = {neighbor.entity_id(), neighbor.name(),
                                      KindName(neighbor.kind()), absl::StrCat(neighbor.distance()),
                                      absl::StrCat(neighbor.fact_count())};
      if (rolled_up) {
        auto it = actors.find(neighbor.entity_id());
        row.push_back(it == actors.end() ? "-" : NameList(session, it->second));
      }
      table.AddRow(std::move(row));
    }
    if (table.rows() > 0) table.Print(session.out());
    for (const std::string& seed : seeds) {
      auto it = actors.find(seed);
      if (it == actors.end()) continue;
      session.out() << session.NameOf(seed) << "'s actors: " << NameList(session, it->second)
                    << "\n";
    }
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
      "With --roll-up the neighbors are the states the actors stood for on each\n"
      "fact's date (unaffiliated actors stay themselves), and ACTORS names the actors\n"
      "behind each in the facts the answer carries (--max-facts).\n"
      "\n"
      "Example: entente neighbors Iran --hops 2 --from 2022-01 --to 2022-12 --types visit,agreement\n"
      "         entente neighbors Russia --from 2014-01 --to 2014-12 --roll-up";
  command.run = RunNeighbors;
  return command;
}

}  // namespace entente::cli
