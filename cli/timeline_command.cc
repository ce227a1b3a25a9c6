// entente timeline: QueryService.GetTimeline.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

// "VISIT 2, AGREEMENT_SIGNED 1": most frequent first.
std::string CountsByType(const google::protobuf::Map<std::string, int64_t>& counts) {
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (const auto& [type, count] : counts) {
    sorted.emplace_back(-count, std::string(absl::StripPrefix(type, "FACT_TYPE_")));
  }
  std::sort(sorted.begin(), sorted.end());
  return absl::StrJoin(sorted, ", ", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.second, " ", -entry.first);
  });
}

void PrintTimeline(Session& session, const v1::GetTimelineResponse& timeline, bool with_ids,
                   bool rolled_up) {
  Table facts = FactTable({}, with_ids, rolled_up);
  for (const v1::FactRecord& record : timeline.facts()) {
    facts.AddRow(FactCells(session, record, with_ids, rolled_up));
  }
  if (facts.rows() > 0) {
    facts.Print(session.out());
    session.out() << "\n";
  }

  Table buckets({"PERIOD", "FACTS", "GOLDSTEIN MEAN", "SCORED", "BY TYPE"});
  for (size_t column : {1, 2, 3}) buckets.AlignRight(column);
  for (const v1::TimelineBucket& bucket : timeline.buckets()) {
    buckets.AddRow({date_text::FormatDate(bucket.period()), absl::StrCat(bucket.fact_count()),
                    bucket.scored_fact_count() > 0 ? Signed(bucket.goldstein_mean()) : "-",
                    absl::StrCat(bucket.scored_fact_count()),
                    CountsByType(bucket.counts_by_type())});
  }
  if (buckets.rows() > 0) {
    buckets.Print(session.out());
    session.out() << "\n";
  }
  const v1::TimelineSummary& summary = timeline.summary();
  session.out() << summary.total_facts() << (summary.total_facts() == 1 ? " fact" : " facts");
  if (summary.truncated()) {
    session.out() << ", the first " << summary.streamed_facts()
                  << " listed (--limit); the buckets count them all";
  }
  session.out() << "\n";
}

int RunTimeline(Session& session, const Command& command, const Args& args) {
  v1::GetTimelineRequest request;
  v1::GraphFilter filter;  // the flags a timeline shares with the graph queries
  if (auto s = FilterOf(args, &filter); !s.ok()) return session.UsageError(command, s.message());
  *request.mutable_window() = filter.window();
  *request.mutable_types() = filter.types();
  if (filter.has_as_of()) *request.mutable_as_of() = filter.as_of();
  request.set_roll_up(filter.roll_up());
  if (args.Has("--include-internal")) {
    // Internal facts exist only for a state that actors roll up to.
    if (!args.Has("--roll-up")) {
      return session.UsageError(command, "--include-internal needs --roll-up");
    }
    if (args.positional.size() != 1) {
      return session.UsageError(command, "--include-internal: only for the timeline of one entity");
    }
    request.set_include_internal(true);
  }
  const std::string by = args.Has("--by") ? args.Value("--by") : "year";
  if (by != "year" && by != "month") {
    return session.UsageError(command,
                              absl::StrCat("--by: \"", by, "\" is not one of year, month"));
  }
  request.set_granularity(by == "year" ? v1::GRANULARITY_YEAR : v1::GRANULARITY_MONTH);
  auto limit = IntOf(args, "--limit", 1, 100000, 0);
  if (!limit.ok()) return session.UsageError(command, limit.status().message());
  request.set_max_facts(*limit);
  auto exporter = ExportOf(args);
  if (!exporter.ok()) return session.UsageError(command, exporter.status().message());
  for (const std::string& text : args.positional) {
    std::string id;
    if (int status = session.ResolveEntity(command, text, &id); status != kExitOk) return status;
    request.add_entity_ids(id);
  }

  if (session.json() && !exporter->asked()) {
    auto status = session.client().StreamTimeline(
        request, [&](const v1::GetTimelineResponse& message) { session.PrintJson(message); });
    return status.ok() ? kExitOk : session.CallFailed(command, status);
  }
  auto timeline = session.client().GetTimeline(request);
  if (!timeline.ok()) return session.CallFailed(command, timeline.status());
  if (session.json()) {
    session.PrintJson(*timeline);
  } else {
    PrintTimeline(session, *timeline, args.Has("--ids"), args.Has("--roll-up"));
  }
  return exporter->Write(session, command, [&] { return GraphOfTimeline(*timeline, LookupOf(session)); });
}

}  // namespace

Command TimelineCommand() {
  Command command;
  command.name = "timeline";
  command.arguments = "ENTITY [ENTITY...]";
  command.min_positional = 1;
  command.max_positional = 16;
  for (const Flag& flag : FilterFlags()) {
    if (flag.name != "--kinds") command.flags.push_back(flag);
  }
  command.flags.insert(command.flags.end(), {
      {"--by", "year|month", "bucket per year (default) or per month"},
      {"--limit", "N", "list at most N facts (the buckets count all; default: server's, 10000)"},
      {"--include-internal", "",
       "with --roll-up, one state: list the facts among its own actors too"},
      {"--ids", "", "add each fact's id (for `entente show FACT_ID`)"},
      ExportFlag(),
  });
  command.summary = "the facts of one entity, or between several, in time order, with buckets";
  command.description =
      "Lists the facts of ENTITY in time order, or with two or more entities the\n"
      "facts in which at least two of them take part (\"how did Iran-Russia ties\n"
      "evolve\"), then per-year or per-month buckets: facts by type and the mean\n"
      "Goldstein score (cooperation +, conflict -). Entities are ids, names or\n"
      "aliases. Dates show at the precision they are known (2001-03, not\n"
      "2001-03-01). With --json, each message of the stream is one line.\n"
      "\n"
      "With --roll-up every actor counts as the state it stood for on the fact's\n"
      "date (\"Foreign Affairs (Russia)\" as Russia), each fact once, and the table\n"
      "shows both: ROLLED UP (Russia → Iran) and ACTORS (Foreign Affairs (Russia) →\n"
      "Iran). The timeline of one state then leaves out the facts among its own\n"
      "actors unless --include-internal.\n"
      "\n"
      "Example: entente timeline Iran Russia --from 2001 --to 2025 --by year\n"
      "         entente timeline Iran Russia --from 2014 --to 2014 --by month --roll-up";
  command.run = RunTimeline;
  return command;
}

}  // namespace entente::cli
