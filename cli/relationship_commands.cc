// entente snapshot (QueryService.GetRelationshipState) and entente diff
// (QueryService.DiffRelationship).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/civil_time.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "cli/values.h"
#include "proto/date_text.h"

namespace entente::cli {
namespace {

using FactRecords = google::protobuf::RepeatedPtrField<v1::FactRecord>;

// "Agreements in force (2)" and their table, or "... (none)".
void PrintSection(Session& session, const std::string& title, const FactRecords& records,
                  bool rolled_up) {
  session.out() << "\n" << title << " (" << (records.empty() ? "none" : absl::StrCat(records.size()))
                << ")\n";
  if (records.empty()) return;
  Table table = FactTable({}, /*with_ids=*/false, rolled_up);
  for (const v1::FactRecord& record : records) {
    table.AddRow(FactCells(session, record, false, rolled_up));
  }
  table.Print(session.out());
}

void PrintState(Session& session, const v1::RelationshipState& state, bool rolled_up) {
  PrintSection(session, "Agreements in force", state.agreements(), rolled_up);
  PrintSection(session, "Memberships", state.memberships(), rolled_up);
  PrintSection(session, "Deployments", state.deployments(), rolled_up);
  session.out() << "\nTrade (" << (state.trade().empty() ? "none" : absl::StrCat(state.trade_size()))
                << ")\n";
  if (state.trade().empty()) return;
  Table table = FactTable({"MEASURE", "FIGURE"}, false, rolled_up);
  table.AlignRight(1);
  for (const v1::TradeFigure& figure : state.trade()) {
    std::vector<std::string> row = {figure.quantity().measure(), FormatQuantity(figure.quantity())};
    for (std::string& cell : FactCells(session, figure.record(), false, rolled_up)) {
      row.push_back(std::move(cell));
    }
    table.AddRow(std::move(row));
  }
  table.Print(session.out());
}

// The heading's mark of a rolled-up answer.
std::string RolledUpNote(const Args& args) {
  return args.Has("--roll-up") ? " (actors rolled up to their states)" : "";
}

// The two entities of a relationship command; kExitOk or the failure's status.
int ResolvePair(Session& session, const Command& command, const Args& args, std::string* a,
                std::string* b) {
  if (int status = session.ResolveEntity(command, args.positional[0], a); status != kExitOk) {
    return status;
  }
  return session.ResolveEntity(command, args.positional[1], b);
}

int RunSnapshot(Session& session, const Command& command, const Args& args) {
  v1::GetRelationshipStateRequest request;
  if (args.Has("--at")) {
    auto at = DateOf(args, "--at");
    if (!at.ok()) return session.UsageError(command, at.status().message());
    *request.mutable_at() = *at;
  } else {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    *request.mutable_at() = *date_text::ParseDate(
        absl::StrFormat("%04d-%02d-%02d", today.year(), today.month(), today.day()), "--at");
  }
  if (args.Has("--as-of")) {
    auto as_of = AsOfOf(args);
    if (!as_of.ok()) return session.UsageError(command, as_of.status().message());
    *request.mutable_as_of() = *as_of;
  }
  request.set_roll_up(RollUpOf(args));
  if (int status = ResolvePair(session, command, args, request.mutable_entity_id(),
                               request.mutable_other_entity_id());
      status != kExitOk) {
    return status;
  }
  auto response = session.client().GetRelationshipState(request);
  if (!response.ok()) return session.CallFailed(command, response.status());
  if (session.json()) {
    session.PrintJson(*response);
    return kExitOk;
  }
  session.out() << session.NameOf(request.entity_id()) << " and "
                << session.NameOf(request.other_entity_id()) << " at "
                << date_text::FormatDate(request.at()) << RolledUpNote(args) << "\n";
  PrintState(session, response->state(), args.Has("--roll-up"));
  return kExitOk;
}

void PrintChange(Session& session, const std::string& title, const v1::RelationshipChange& change,
                 bool rolled_up) {
  session.out() << "\n" << title << ": " << change.added_size() << " added, "
                << change.removed_size() << " removed\n";
  if (change.added().empty() && change.removed().empty()) return;
  Table table = FactTable({"CHANGE"}, false, rolled_up);
  for (const auto* records : {&change.added(), &change.removed()}) {
    for (const v1::FactRecord& record : *records) {
      std::vector<std::string> row = {records == &change.added() ? "added" : "removed"};
      for (std::string& cell : FactCells(session, record, false, rolled_up)) {
        row.push_back(std::move(cell));
      }
      table.AddRow(std::move(row));
    }
  }
  table.Print(session.out());
}

int RunDiff(Session& session, const Command& command, const Args& args) {
  v1::DiffRelationshipRequest request;
  for (const char* flag : {"--from", "--to"}) {
    if (!args.Has(flag)) return session.UsageError(command, absl::StrCat("missing ", flag, " DATE"));
    auto date = DateOf(args, flag);
    if (!date.ok()) return session.UsageError(command, date.status().message());
    *(flag[2] == 'f' ? request.mutable_from() : request.mutable_to()) = *date;
  }
  if (args.Has("--as-of")) {
    auto as_of = AsOfOf(args);
    if (!as_of.ok()) return session.UsageError(command, as_of.status().message());
    *request.mutable_as_of() = *as_of;
  }
  request.set_roll_up(RollUpOf(args));
  if (int status = ResolvePair(session, command, args, request.mutable_entity_id(),
                               request.mutable_other_entity_id());
      status != kExitOk) {
    return status;
  }
  auto response = session.client().DiffRelationship(request);
  if (!response.ok()) return session.CallFailed(command, response.status());
  if (session.json()) {
    session.PrintJson(*response);
    return kExitOk;
  }
  session.out() << session.NameOf(request.entity_id()) << " and "
                << session.NameOf(request.other_entity_id()) << ", what changed from "
                << date_text::FormatDate(request.from()) << " to "
                << date_text::FormatDate(request.to()) << RolledUpNote(args) << "\n";
  const bool rolled_up = args.Has("--roll-up");
  PrintChange(session, "Agreements in force", response->agreements(), rolled_up);
  PrintChange(session, "Memberships", response->memberships(), rolled_up);
  PrintChange(session, "Deployments", response->deployments(), rolled_up);
  PrintChange(session, "Trade figures", response->trade(), rolled_up);
  return kExitOk;
}

}  // namespace

Command SnapshotCommand() {
  Command command;
  command.name = "snapshot";
  command.arguments = "ENTITY OTHER";
  command.min_positional = 2;
  command.max_positional = 2;
  command.flags = {{"--at", "DATE", "the state at the end of DATE (default: today)"}, AsOfFlag(),
                   RollUpFlag()};
  command.summary = "the state of a relationship at a date: agreements, memberships, trade";
  command.description =
      "Shows the state of the relationship between ENTITY and OTHER at the end of\n"
      "--at: the agreements joining them in force then, the memberships of either,\n"
      "deployments of one with the other, and the latest figure of each trade series.\n"
      "With --roll-up the facts of the actors that stood for either state count too.\n"
      "\n"
      "Example: entente snapshot Iran Russia --at 2025-02";
  command.run = RunSnapshot;
  return command;
}

Command DiffCommand() {
  Command command;
  command.name = "diff";
  command.arguments = "ENTITY OTHER";
  command.min_positional = 2;
  command.max_positional = 2;
  command.flags = {{"--from", "DATE", "the earlier date (required)"},
                   {"--to", "DATE", "the later date (required)"},
                   AsOfFlag(),
                   RollUpFlag()};
  command.summary = "what changed in a relationship between two dates";
  command.description =
      "Compares the state of the relationship between ENTITY and OTHER (see\n"
      "`entente help snapshot`) at --from and at --to, and lists the agreements,\n"
      "memberships, deployments and trade figures added and removed.\n"
      "\n"
      "Example: entente diff Iran Russia --from 2021 --to 2025";
  command.run = RunDiff;
  return command;
}

}  // namespace entente::cli
