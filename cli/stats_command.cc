// entente stats: AdminService.GetStats.
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "google/protobuf/util/time_util.h"

namespace entente::cli {
namespace {

// "STATE 175, ORGANIZATION 12" from counts keyed by enum names, without
// their prefix.
std::string CountsByName(const google::protobuf::Map<std::string, int64_t>& counts,
                         absl::string_view prefix) {
  const std::map<std::string, int64_t> sorted(counts.begin(), counts.end());
  return absl::StrJoin(sorted, ", ", [&](std::string* out, const auto& entry) {
    absl::StrAppend(out, absl::StripPrefix(entry.first, prefix), " ", entry.second);
  });
}

int RunStats(Session& session, const Command& command, const Args& args) {
  auto stats = session.client().GetStats();
  if (!stats.ok()) return session.CallFailed(command, stats.status());
  if (session.json()) {
    session.PrintJson(*stats);
    return kExitOk;
  }
  session.out() << absl::StrFormat(
      "database  %s (schema %d, created %s)\n"
      "entities  %d (%s)\n"
      "sources   %d\n"
      "facts     %d, %d of them retracted (%s)\n"
      "disk      %.1f MiB\n",
      stats->db_path(), stats->schema_version(),
      google::protobuf::util::TimeUtil::ToString(stats->db_create_time()), stats->entity_count(),
      CountsByName(stats->entities_by_kind(), "ENTITY_KIND_"), stats->source_count(),
      stats->fact_count(), stats->retracted_fact_count(),
      CountsByName(stats->facts_by_type(), "FACT_TYPE_"),
      static_cast<double>(stats->disk_bytes()) / (1 << 20));
  return kExitOk;
}

}  // namespace

Command StatsCommand() {
  Command command;
  command.name = "stats";
  command.summary = "what the server's database holds: counts by kind and type, size";
  command.description =
      "Prints the counts of entities (by kind), sources and facts (by type) of the\n"
      "server's database, and its size on disk (AdminService.GetStats).";
  command.run = RunStats;
  return command;
}

}  // namespace entente::cli
